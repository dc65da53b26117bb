"""Attack: the manifest describes a tree of another shape than the circuit that was proven.

``tree.arity``, ``tree.batch_depth`` and the number of assets fix what one batch proof
covers (``arity^batch_depth`` leaves of that many balances), but nothing compared them
with ``circuit.id``, the circuit the ceremony's key is for: a custodian could publish a
manifest claiming 4-leaf batches (or batches of depth 0) over proofs of 2-leaf batches,
and every reader, the site's pages included, would show the claimed shape. Likewise the
ceremony header's ``shape`` (what ``zkpor verify --ptau`` rebuilds the circuit from) was
never compared with the header's own circuit id.

Now the manifest's parser requires ``circuit.id`` to be the zkpor/1 id of its own shape
and a batch depth the publisher can prove (1 up to a batch of 2^18 leaves), so step 1 of
``zkpor verify`` and step 1 of ``zkpor verify-user`` fail naming both; a manifest renamed
to its claimed shape no longer matches the ceremony's circuit (step 9 / step 7); and a
header whose shape is not its id fails the setup step.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.vector_attestation import (
    ALLOW,
    code_of,
    copy_vectors,
    read_json,
    verify,
    verify_user,
    write_json,
)
from verifier.ceremony import TRANSCRIPT
from verifier.manifest import MANIFEST

USER = "alice@example.com"
GENUINE = "zkpor1-a4-k2-d1"


def _claim_depth(folder: Path, depth: int, circuit_id: str | None = None) -> None:
    """Rewrite the manifest to claim batches of ``depth`` (derived fields to match), and
    its circuit id to ``circuit_id`` if given."""
    manifest = read_json(folder, MANIFEST)
    tree = manifest["tree"]
    tree["batch_depth"] = depth
    tree["batch_size"] = tree["arity"] ** depth
    tree["leaves"] = tree["batches"] * tree["batch_size"]
    if circuit_id is not None:
        manifest["circuit"]["id"] = circuit_id
    write_json(folder, MANIFEST, manifest)


def _failed(report: dict[str, object]) -> dict[int, str]:
    steps = report["steps"]
    assert isinstance(steps, list)
    return {s["number"]: s["detail"] for s in steps if s["status"] == "FAIL"}


def test_the_genuine_attestation_passes(tmp_path: Path) -> None:
    folder = copy_vectors(tmp_path / "genuine")
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 0 and report["passed"], text.output
    text, report = verify_user(folder, code_of(USER), ALLOW)
    assert text.exit_code == 0 and report["passed"], text.output


def test_a_deeper_batch_than_the_circuits_fails_the_manifest_step(tmp_path: Path) -> None:
    folder = copy_vectors(tmp_path / "deeper")
    _claim_depth(folder, 2)
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1
    failed = _failed(report)
    assert list(failed) == [1], report
    message = (
        f"{MANIFEST}.circuit.id is {GENUINE}, but the manifest's own shape (4 assets, tree "
        "arity 2, batch depth 2) is the zkpor/1 circuit zkpor1-a4-k2-d2"
    )
    assert failed[1] == message
    assert "1. FAIL: manifest and file hashes" in text.output
    # The user's check reads the same manifest first, and fails the same way.
    text, report = verify_user(folder, code_of(USER), ALLOW)
    assert text.exit_code == 1 and not report["passed"]
    assert _failed(report) == {1: message}


@pytest.mark.parametrize(
    ("circuit_id", "shape"),
    [
        ("zkpor1-a3-k2-d1", "zkpor1-a4-k2-d1"),
        ("zkpor1-a4-k4-d1", "zkpor1-a4-k2-d1"),
        ("my-own-circuit", "zkpor1-a4-k2-d1"),
    ],
)
def test_a_circuit_id_that_is_not_the_manifests_shape_fails(
    tmp_path: Path, circuit_id: str, shape: str
) -> None:
    folder = copy_vectors(tmp_path / "renamed")
    manifest = read_json(folder, MANIFEST)
    manifest["circuit"]["id"] = circuit_id
    write_json(folder, MANIFEST, manifest)
    _, report = verify(folder, ALLOW)
    failed = _failed(report)
    assert list(failed) == [1]
    assert f"circuit.id is {circuit_id}, but" in failed[1] and failed[1].endswith(shape)


def test_batch_depth_zero_fails_the_manifest_step(tmp_path: Path) -> None:
    folder = copy_vectors(tmp_path / "depth-zero")
    _claim_depth(folder, 0, "zkpor1-a4-k2-d0")
    text, report = verify(folder, ALLOW)
    failed = _failed(report)
    assert list(failed) == [1] and text.exit_code == 1
    assert failed[1].startswith(f"{MANIFEST}.tree.batch_depth must be at least 1")
    _, report = verify_user(folder, code_of(USER), ALLOW)
    assert list(_failed(report)) == [1]


def test_a_manifest_renamed_to_its_claimed_shape_fails_the_setup_step(tmp_path: Path) -> None:
    """The claimed shape made consistent with the circuit id: the id is no longer the
    ceremony's, whose key the proofs were made with."""
    folder = copy_vectors(tmp_path / "deeper-renamed")
    _claim_depth(folder, 2, "zkpor1-a4-k2-d2")
    _, report = verify(folder, ALLOW)
    failed = _failed(report)
    assert list(failed) == [9], report
    assert failed[9] == (
        f"the ceremony was for circuit {GENUINE}, the attestation uses zkpor1-a4-k2-d2"
    )
    # The user's bundle has a path of the real depth: it does not fit the claimed tree.
    _, report = verify_user(folder, code_of(USER), ALLOW)
    assert 1 in _failed(report) and "path in your bundle" in _failed(report)[1]


def test_a_ceremony_header_whose_shape_is_not_its_circuit_id_fails_the_setup_step(
    tmp_path: Path,
) -> None:
    """The header names the manifest's circuit but another shape: ``--ptau`` would check
    the key against the circuit of that shape, not the one the proofs are for."""
    folder = copy_vectors(tmp_path / "header-shape")
    transcript = read_json(folder, TRANSCRIPT)
    transcript["circuit"]["shape"]["batch_depth"] = 2
    write_json(folder, TRANSCRIPT, transcript)
    message = (
        f"transcript.circuit.id is {GENUINE}, but its shape (4 assets, arity 2, batch depth "
        "2) is the zkpor/1 circuit zkpor1-a4-k2-d2"
    )
    text, report = verify(folder, ALLOW)
    assert text.exit_code == 1
    assert _failed(report) == {9: message}
    text, report = verify_user(folder, code_of(USER), ALLOW)
    assert text.exit_code == 1
    assert _failed(report) == {7: message}


def test_a_ceremony_header_without_the_shape_of_its_circuit_id_fails(tmp_path: Path) -> None:
    folder = copy_vectors(tmp_path / "header-no-shape")
    transcript = read_json(folder, TRANSCRIPT)
    transcript["circuit"]["shape"] = None
    write_json(folder, TRANSCRIPT, transcript)
    _, report = verify(folder, ALLOW)
    assert _failed(report) == {
        9: f"transcript.circuit.id {GENUINE} names a zkpor/1 batch circuit, but "
        "transcript.circuit.shape is null: the header must give the shape of its circuit"
    }
