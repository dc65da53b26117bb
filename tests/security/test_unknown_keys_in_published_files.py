"""Attack: fields no zkpor/1 reader checks, smuggled into tree.json, proofs.json or vk.json.

The manifest must equal its re-serialization, but ``tree.json``, the entries of
``proofs.json`` (and their proofs) and ``vk.json`` silently ignored keys they did not
know. An adversary could add fields that this verifier skips but that another reader of
the same files (another verifier, a page, snarkjs-based tooling, a later zkpor version)
would read: a second set of tree levels, another public input list, a key's extra points.
Two readers would then judge different statements from files with one sha256.

Now each file holds only the keys zkpor/1 (and, for vk.json, snarkjs) writes; an unknown
key fails the step that parses the file, naming the file and the key, in ``zkpor verify``
and in ``zkpor verify-user``. snarkjs's ``vk_alphabeta_12`` stays accepted (its value is
not used).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.security.vector_attestation import (
    ALLOW,
    code_of,
    copy_vectors,
    read_json,
    verify,
    verify_user,
    write_json,
)
from verifier.manifest import PROOFS, TREE, VK

USER = "carol"


def _failed(report: dict[str, Any]) -> dict[int, str]:
    return {s["number"]: s["detail"] for s in report["steps"] if s["status"] == "FAIL"}


def _forge(tmp_path: Path, name: str, change: Any) -> Path:
    """Return a copy of the attestation whose file ``name`` was changed by ``change``
    (and re-listed with its new sha256)."""
    folder = copy_vectors(tmp_path / "forged")
    doc = read_json(folder, name)
    change(doc)
    write_json(folder, name, doc)
    return folder


def test_an_unknown_key_in_tree_json_fails_the_tree_steps(tmp_path: Path) -> None:
    def change(tree: dict[str, Any]) -> None:
        tree["levels_v2"] = [["0"]]

    folder = _forge(tmp_path, TREE, change)
    message = f"{TREE} has a field zkpor/1 does not define: levels_v2"
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1 and _failed(report) == {5: message}
    text, report = verify_user(folder, code_of(USER), ALLOW)
    assert text.exit_code == 1 and _failed(report) == {4: message}


def test_an_unknown_key_in_a_proof_entry_fails_the_proof_steps(tmp_path: Path) -> None:
    def change(proofs: list[dict[str, Any]]) -> None:
        proofs[1]["public_v2"] = ["1", "2", "3"]

    folder = _forge(tmp_path, PROOFS, change)
    message = f"{PROOFS}[1] has a field zkpor/1 does not define: public_v2"
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1
    failed = _failed(report)
    assert failed == {3: message}, failed
    # Without the entries, the chain and the tree are skipped, never passed.
    assert {s["number"] for s in report["steps"] if s["status"] == "SKIP"} == {4, 5}
    text, report = verify_user(folder, code_of(USER), ALLOW)
    assert text.exit_code == 1 and _failed(report) == {3: message}


def test_an_unknown_key_in_a_proof_fails_the_proof_steps(tmp_path: Path) -> None:
    def change(proofs: list[dict[str, Any]]) -> None:
        proofs[0]["proof"]["pi_z"] = ["1", "2", "1"]

    folder = _forge(tmp_path, PROOFS, change)
    message = f"{PROOFS}[0].proof has a field zkpor/1 does not define: pi_z"
    _, report = verify(folder, ALLOW)
    assert _failed(report) == {3: message}
    _, report = verify_user(folder, code_of(USER), ALLOW)
    assert _failed(report) == {3: message}


def test_an_unknown_key_in_vk_json_fails_the_key_steps(tmp_path: Path) -> None:
    def change(vk: dict[str, Any]) -> None:
        vk["IC_extra"] = [vk["IC"][0]]

    folder = _forge(tmp_path, VK, change)
    message = f"{VK}: verification key has a field snarkjs and zkpor do not write: IC_extra"
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1
    failed = _failed(report)
    assert failed[2] == message
    # Every step that needs the key is skipped (proofs, setup), never passed.
    skipped = {s["number"] for s in report["steps"] if s["status"] == "SKIP"}
    assert set(failed) == {2} and {3, 9} <= skipped, report
    text, report = verify_user(folder, code_of(USER), ALLOW)
    assert text.exit_code == 1 and _failed(report) == {5: message}


def test_snarkjs_vk_alphabeta_12_is_accepted_and_must_be_an_fp12_element(
    tmp_path: Path,
) -> None:
    """snarkjs writes its cached e(alpha, beta); a well-formed one is accepted (its value
    is not used), a malformed one is not."""

    def cached(vk: dict[str, Any]) -> None:
        vk["vk_alphabeta_12"] = [[["1", "2"], ["3", "4"], ["5", "6"]]] * 2

    folder = _forge(tmp_path / "cached", VK, cached)
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 0 and report["passed"], text.output

    def malformed(vk: dict[str, Any]) -> None:
        vk["vk_alphabeta_12"] = "anything at all"

    folder = _forge(tmp_path / "malformed", VK, malformed)
    _, report = verify(folder, ALLOW)
    assert _failed(report)[2].startswith(f"{VK}: vk_alphabeta_12 must be a list of 2 elements")
