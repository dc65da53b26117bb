"""Attack: a ceremony attestation whose manifest does not list ``ceremony/transcript.json``.

The manifest's sha256 list is what pins every file to one attestation. The reviewer's
step 9 used to read the transcript whether or not the manifest listed it, while the
user's check required it listed: with the transcript left out of the list, a host can
serve each reader a different transcript (one that checks for the reviewer, another for
anyone else) and the reviewer's report still passed. Conversely a development-setup
manifest could list a transcript, as if a ceremony had been held.

Now both checks start their setup step with the same rule (``check_setup_files``): a
ceremony's manifest lists the transcript, a development setup's lists none, and both fail
with the same message.
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
from verifier.ceremony import TRANSCRIPT
from verifier.manifest import MANIFEST

USER = "bob"
UNLISTED = (
    f"{MANIFEST} does not list the sha256 of {TRANSCRIPT}, but its setup.kind is ceremony: "
    "the transcript that fixed the keys must be listed"
)
LISTED_FOR_DEV = (
    f"{MANIFEST} lists {TRANSCRIPT}, but its setup.kind is insecure-dev: a development "
    "setup has no ceremony transcript"
)


def test_an_unlisted_transcript_fails_both_setupsteps_of(tmp_path: Path) -> None:
    folder = copy_vectors(tmp_path / "unlisted")
    manifest = read_json(folder, MANIFEST)
    del manifest["files"][TRANSCRIPT]
    write_json(folder, MANIFEST, manifest)
    # The transcript is still served, and it is the genuine one: the reviewer's check
    # would pass if it read it.
    assert (folder / TRANSCRIPT).exists()
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1 and not report["passed"]
    steps = steps_of(report)
    assert steps[9] == ("FAIL", UNLISTED)
    assert all(status == "OK" for n, (status, _) in steps.items() if n != 9), steps
    assert "9. FAIL: trusted setup" in text.output
    text, report = verify_user(folder, code_of(USER), ALLOW, "--all")
    assert text.exit_code == 1 and not report["passed"]
    steps = steps_of(report)
    assert steps[7] == ("FAIL", UNLISTED)
    assert all(status == "OK" for n, (status, _) in steps.items() if n != 7), steps


def test_a_development_setup_that_lists_a_transcript_fails_both_setupsteps_of(
    tmp_path: Path,
) -> None:
    folder = copy_vectors(tmp_path / "dev-listed")
    manifest = read_json(folder, MANIFEST)
    manifest["setup"]["kind"] = "insecure-dev"
    write_json(folder, MANIFEST, manifest)
    # Even the reviewer who accepts a development setup (demos) rejects this one.
    text, report = verify(folder, "--allow-insecure-dev-setup")
    assert text.exit_code == 1
    assert steps_of(report)[9] == ("FAIL", LISTED_FOR_DEV)
    assert [n for n, (status, _) in steps_of(report).items() if status != "OK"] == [9]
    text, report = verify_user(folder, code_of(USER))
    assert text.exit_code == 1
    assert steps_of(report)[7] == ("FAIL", LISTED_FOR_DEV)
