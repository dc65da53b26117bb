"""Attack: a ``bundles/SHA256SUMS`` that is not ASCII (or not even UTF-8).

The reviewer's step 7 decoded the file as ASCII without catching the error: a host that
served one non-ASCII byte in it (and listed its new sha256 in the manifest) made
``zkpor verify`` end in a ``UnicodeDecodeError`` traceback instead of a report. The
account holder's check had its own parser, which failed cleanly but named no line.

Both checks now parse the file with one function (``verifier.bundle.parse_bundle_sums``),
which fails naming the file, the line and the byte: step 7 of the reviewer's check and
step 1 of the account holder's FAIL with the same message.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.security.vector_attestation import (
    ALLOW,
    code_of,
    copy_vectors,
    read_json,
    steps_of,
    verify,
    verify_user,
    write_json,
)
from verifier.manifest import BUNDLE_SUMS, MANIFEST

USER = "bob"


def _publish_sums(folder: Path, data: bytes) -> None:
    """Serve ``data`` as bundles/SHA256SUMS and list its sha256, as the adversary would."""
    (folder / BUNDLE_SUMS).write_bytes(data)
    manifest = read_json(folder, MANIFEST)
    manifest["files"][BUNDLE_SUMS] = hashlib.sha256(data).hexdigest()
    write_json(folder, MANIFEST, manifest)


@pytest.mark.parametrize(
    ("tail", "line", "byte"),
    [
        # A UTF-8 comment line after the genuine one.
        ("# résumé\n".encode(), 2, 0xC3),
        # Bytes that are not UTF-8 at all, in the first line's name.
        (None, 1, 0xFF),
    ],
)
def test_a_non_ascii_sums_file_fails_both_checks_cleanly(
    tmp_path: Path, tail: bytes | None, line: int, byte: int
) -> None:
    folder = copy_vectors(tmp_path / "sums")
    genuine = (folder / BUNDLE_SUMS).read_bytes()
    data = genuine + tail if tail is not None else genuine.replace(b"0.bin", b"0.bin\xff")
    _publish_sums(folder, data)
    message = f"{BUNDLE_SUMS} line {line} is not ASCII (byte 0x{byte:02x})"

    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1 and not report["passed"]
    assert "Traceback" not in text.output and "UnicodeDecodeError" not in text.output
    steps = steps_of(report)
    assert steps[7] == ("FAIL", message)
    assert all(status == "OK" for n, (status, _) in steps.items() if n != 7), steps
    assert f"7. FAIL: bundle files — {message}" in text.output

    text, report = verify_user(folder, code_of(USER), ALLOW, "--all")
    assert text.exit_code == 1 and not report["passed"]
    assert "Traceback" not in text.output
    assert steps_of(report)[1] == ("FAIL", message)
