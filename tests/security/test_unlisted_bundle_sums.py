"""Attack: an attestation with bundles whose manifest does not list ``bundles/SHA256SUMS``.

The manifest's sha256 list pins every file to one attestation. The reviewer's step 7 read
``bundles/SHA256SUMS`` whether or not the manifest listed it, while the account holder's
check required it listed: with it left out of the list, a host can serve the reviewer a
SHA256SUMS of the published buckets and each account holder another one (of a bucket made
for them), and the reviewer's report still passed.

Now step 7 requires it listed, as the account holder's step 1 does, with the same message.
"""

from __future__ import annotations

from pathlib import Path

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
UNLISTED = f"{MANIFEST} does not list the sha256 of {BUNDLE_SUMS}"


def test_unlisted_sums_fail_both_checks_with_one_message(tmp_path: Path) -> None:
    folder = copy_vectors(tmp_path / "unlisted")
    manifest = read_json(folder, MANIFEST)
    assert manifest["bundles"] is not None
    del manifest["files"][BUNDLE_SUMS]
    write_json(folder, MANIFEST, manifest)
    # The genuine SHA256SUMS is still served: the reviewer's check would pass if it read it.
    assert (folder / BUNDLE_SUMS).exists()

    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1 and not report["passed"]
    steps = steps_of(report)
    assert steps[7] == ("FAIL", UNLISTED)
    assert all(status == "OK" for n, (status, _) in steps.items() if n != 7), steps
    assert f"7. FAIL: bundle files — {UNLISTED}" in text.output

    text, report = verify_user(folder, code_of(USER), ALLOW, "--all")
    assert text.exit_code == 1 and not report["passed"]
    assert steps_of(report)[1] == ("FAIL", UNLISTED)


def test_sums_listed_without_bundles_are_only_hash_checked(tmp_path: Path) -> None:
    """Without a ``bundles`` section the file is not needed: listing it stays harmless."""
    folder = copy_vectors(tmp_path / "no-bundles")
    manifest = read_json(folder, MANIFEST)
    del manifest["bundles"]
    write_json(folder, MANIFEST, manifest)
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 0, text.output
    assert steps_of(report)[7] == ("OK", "this attestation publishes no per-user bundles")
