"""Attack: a ``bundles/SHA256SUMS`` that two readers can read differently.

The file pins every bucket. If a name could be listed twice (one reader keeping the first
line, another the last), or lines could be ended or ordered otherwise than the publisher
writes them, a host could show the reviewer's check one bucket hash and a user's browser
another. The verifier reads exactly what the publisher writes: ASCII lines ended by ``\\n``,
each bucket once, in increasing order; anything else fails both checks.
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
from verifier.bundle import BUNDLE_SUMS, parse_bundle_sums
from verifier.errors import MalformedInput
from verifier.manifest import MANIFEST

SUMS = BUNDLE_SUMS


def _rewrite_sums(folder: Path, edit: object) -> None:
    """Rewrite SHA256SUMS with ``edit(lines) -> bytes`` and re-pin it in the manifest."""
    path = folder / SUMS
    lines = path.read_bytes().decode().splitlines(keepends=True)
    data = edit(lines)  # type: ignore[operator]
    path.write_bytes(data)
    manifest = read_json(folder, MANIFEST)
    manifest["files"][SUMS] = hashlib.sha256(data).hexdigest()
    write_json(folder, MANIFEST, manifest)


EDITS = {
    "a bucket listed twice": lambda lines: "".join([*lines, lines[0]]).encode(),
    "CRLF line ends": lambda lines: "".join(line.replace("\n", "\r\n") for line in lines).encode(),
    "no final newline": lambda lines: "".join(lines).rstrip("\n").encode(),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_a_sums_file_other_than_the_publishers_fails_both_checks(tmp_path: Path, edit: str) -> None:
    folder = copy_vectors(tmp_path / "forged")
    _rewrite_sums(folder, EDITS[edit])
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1, text.output
    status, detail = steps_of(report)[7]
    assert status == "FAIL" and SUMS in detail, detail
    user, _ = verify_user(folder, code_of("alice@example.com"), ALLOW)
    assert user.exit_code == 1 and SUMS in user.output, user.output


def test_buckets_listed_out_of_order_are_refused() -> None:
    """(The vectors' attestation has one bucket: the order is checked on the parser.)"""
    first, second = (
        f"{hashlib.sha256(b).hexdigest()}  {n}.bin\n" for b, n in ((b"a", 0), (b"b", 1))
    )
    assert list(parse_bundle_sums((first + second).encode())) == ["bundles/0.bin", "bundles/1.bin"]
    with pytest.raises(MalformedInput, match=r"0\.bin is not after 1\.bin"):
        parse_bundle_sums((second + first).encode())
