"""The rules that tie a manifest's shape to its circuit, the ceremony header's shape to
its id, the setup files to the setup kind, and the keys tree.json, proofs.json and
vk.json may hold (end to end: ``tests/security/test_manifest_shape_not_the_circuits.py``,
``test_unlisted_ceremony_transcript.py``, ``test_unknown_keys_in_published_files.py``)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from publisher import config
from publisher.snark.circuit import CircuitShape
from tests.paths import VECTORS
from verifier.attestation import AttestationFiles, read_vk
from verifier.ceremony import CeremonyError, check_setup_files
from verifier.ceremony_format import MalformedTranscript, parse_transcript
from verifier.errors import MalformedInput, MalformedVerifyingKey
from verifier.groth16 import VerifyingKey
from verifier.manifest import (
    MAX_BATCH_DEPTH,
    MAX_BATCH_SIZE,
    Manifest,
    batch_circuit_id,
    circuit_shape_problem,
    parse_proofs,
    parse_tree,
)

ATTESTATION = VECTORS / "protocol" / "attestation"


def load(name: str) -> Any:
    return json.loads((ATTESTATION / name).read_text(encoding="utf-8"))


# --- the shape of a zkpor/1 batch circuit ------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 2, 1), (4, 2, 1), (28, 8, 6), (2, 4, 9), (3, 2, 18)])
def test_the_verifier_names_and_accepts_the_publishers_shapes(
    shape: tuple[int, int, int],
) -> None:
    assert batch_circuit_id(*shape) == CircuitShape(*shape).circuit_id
    assert circuit_shape_problem(*shape) is None


def test_the_verifier_bounds_batches_as_the_publisher_does() -> None:
    assert MAX_BATCH_SIZE == config.MAX_BATCH_SIZE == 2**MAX_BATCH_DEPTH


@pytest.mark.parametrize(
    ("shape", "problem"),
    [
        ((0, 2, 1), "0 assets (zkpor/1 allows 1 to 28)"),
        ((29, 2, 1), "29 assets"),
        ((2, 3, 1), "arity 3 (zkpor/1 allows 2, 4, 8)"),
        ((2, 2, 0), "batch depth must be at least 1"),
        ((2, 2, 19), "batch depth is 19: a batch of 2^19 leaves is more than zkpor/1 proves"),
        ((2, 4, 10), "batch depth is 10: a batch of 4^10 leaves"),
        ((2, 8, 7), "batch depth is 7: a batch of 8^7 leaves"),
    ],
)
def test_shapes_zkpor1_has_no_circuit_for(shape: tuple[int, int, int], problem: str) -> None:
    found = circuit_shape_problem(*shape)
    assert found is not None and found.startswith(problem)


# --- the manifest: circuit id and batch depth ---------------------------------------------


def test_the_vectors_manifest_is_its_own_shape() -> None:
    manifest = Manifest.from_json(load("attestation.json"))
    assert manifest.circuit_id == "zkpor1-a4-k2-d1"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            ("circuit", "id"),
            "zkpor1-a4-k2-d2",
            "attestation.json.circuit.id is zkpor1-a4-k2-d2, but the manifest's own shape "
            "(4 assets, tree arity 2, batch depth 1) is the zkpor/1 circuit zkpor1-a4-k2-d1",
        ),
        (
            ("tree", "arity"),
            4,
            "attestation.json.circuit.id is zkpor1-a4-k2-d1, but the manifest's own shape "
            "(4 assets, tree arity 4, batch depth 1) is the zkpor/1 circuit zkpor1-a4-k4-d1",
        ),
        (
            ("tree", "batch_depth"),
            0,
            "attestation.json.tree.batch_depth must be at least 1 (a batch proof covers at "
            "least one level), found 0",
        ),
        (("tree", "batch_depth"), 19, "attestation.json.tree.batch_depth is 19: a batch of"),
    ],
)
def test_a_manifest_whose_circuit_is_not_its_shape_does_not_parse(
    field: tuple[str, str], value: object, message: str
) -> None:
    doc = load("attestation.json")
    doc[field[0]][field[1]] = value
    with pytest.raises(MalformedInput) as raised:
        Manifest.from_json(doc)
    assert str(raised.value).startswith(message)


def test_a_dropped_asset_changes_the_circuit_id_the_manifest_needs() -> None:
    doc = load("attestation.json")
    del doc["assets"][3]
    with pytest.raises(MalformedInput, match="3 assets, tree arity 2, batch depth 1"):
        Manifest.from_json(doc)


# --- the ceremony header: shape and id ---------------------------------------------------


def _transcript_with(**circuit: object) -> bytes:
    doc = load("ceremony/transcript.json")
    doc["circuit"].update(circuit)
    return json.dumps(doc).encode()


def test_the_vectors_header_is_its_own_shape() -> None:
    header = parse_transcript((ATTESTATION / "ceremony" / "transcript.json").read_bytes()).header
    assert (header.circuit.circuit_id, header.circuit.shape) == ("zkpor1-a4-k2-d1", (4, 2, 1))


@pytest.mark.parametrize(
    ("circuit", "message"),
    [
        (
            {"shape": {"assets": 4, "arity": 2, "batch_depth": 2}},
            "transcript.circuit.id is zkpor1-a4-k2-d1, but its shape (4 assets, arity 2, "
            "batch depth 2) is the zkpor/1 circuit zkpor1-a4-k2-d2",
        ),
        (
            {"shape": None},
            "transcript.circuit.id zkpor1-a4-k2-d1 names a zkpor/1 batch circuit, but "
            "transcript.circuit.shape is null",
        ),
        (
            {"id": "tiny", "shape": {"assets": 4, "arity": 2, "batch_depth": 1}},
            "transcript.circuit.id is tiny, but its shape",
        ),
        (
            {"id": "zkpor1-a4-k3-d1", "shape": {"assets": 4, "arity": 3, "batch_depth": 1}},
            "transcript.circuit.shape is not a zkpor/1 batch circuit: arity 3",
        ),
        (
            {"id": "zkpor1-a4-k2-d0", "shape": {"assets": 4, "arity": 2, "batch_depth": 0}},
            "transcript.circuit.shape is not a zkpor/1 batch circuit: batch depth must be",
        ),
    ],
)
def test_a_header_whose_shape_is_not_its_id_does_not_parse(
    circuit: dict[str, object], message: str
) -> None:
    with pytest.raises(MalformedTranscript) as raised:
        parse_transcript(_transcript_with(**circuit))
    assert str(raised.value).startswith(message)


def test_a_circuit_of_another_kind_has_its_own_id_and_no_shape() -> None:
    header = parse_transcript(_transcript_with(id="tiny-test-circuit", shape=None)).header
    assert header.circuit.shape is None


# --- the setup files -----------------------------------------------------------------------


def test_a_ceremony_lists_its_transcript_and_a_development_setup_none() -> None:
    transcript = "ceremony/transcript.json"
    check_setup_files("ceremony", {transcript: "00", "vk.json": "00"})
    check_setup_files("insecure-dev", {"vk.json": "00"})
    check_setup_files("other-kind", {})  # left to check_setup, which rejects the kind
    with pytest.raises(CeremonyError, match=f"does not list the sha256 of {transcript}"):
        check_setup_files("ceremony", {"vk.json": "00"})
    with pytest.raises(CeremonyError, match=f"lists {transcript}, but its setup.kind is insec"):
        check_setup_files("insecure-dev", {transcript: "00"})


# --- unknown keys ----------------------------------------------------------------------------


def test_tree_json_holds_only_arity_and_levels() -> None:
    tree = load("tree.json")
    assert parse_tree(tree)[0] == 2
    with pytest.raises(MalformedInput, match=r"^tree\.json has a field .*: x$"):
        parse_tree({**tree, "x": 1})


def test_a_proof_entry_and_its_proof_hold_only_what_zkpor_writes() -> None:
    proofs = load("proofs.json")
    assert len(parse_proofs(proofs)) == 3
    extra = copy.deepcopy(proofs)
    extra[2]["note"] = "x"
    with pytest.raises(MalformedInput, match=r"^proofs.json\[2\] has a field .*: note$"):
        parse_proofs(extra)
    extra = copy.deepcopy(proofs)
    extra[0]["proof"]["pi_d"] = ["1", "2", "1"]
    with pytest.raises(MalformedInput, match=r"^proofs.json\[0\].proof has a field .*: pi_d$"):
        parse_proofs(extra)
    extra = copy.deepcopy(proofs)
    extra[0]["proof"] = []
    with pytest.raises(MalformedInput, match=r"^proofs.json\[0\].proof must be a JSON object$"):
        parse_proofs(extra)


def _read_vk(doc: object) -> VerifyingKey:
    return read_vk(AttestationFiles(lambda name: json.dumps(doc).encode()))


def test_vk_json_holds_only_what_snarkjs_and_zkpor_write() -> None:
    vk = load("vk.json")
    key = _read_vk(vk)
    assert key.n_public == 3
    alphabeta = [[["1", "2"], ["3", "4"], ["5", "6"]], [["7", "8"], ["9", "10"], ["11", "0"]]]
    assert _read_vk({**vk, "vk_alphabeta_12": alphabeta}) == key
    with pytest.raises(MalformedVerifyingKey) as raised:
        _read_vk({**vk, "vk_gamma_1": vk["vk_alpha_1"]})
    assert str(raised.value) == (
        "vk.json: verification key has a field snarkjs and zkpor do not write: vk_gamma_1"
    )


@pytest.mark.parametrize(
    ("alphabeta", "message"),
    [
        ([[["1", "2"]] * 3], "vk_alphabeta_12 must be a list of 2 elements"),
        ([[["1", "2"]] * 2] * 2, r"vk_alphabeta_12\[0\] must be a list of 3 elements"),
        ([[["1", "x"]] * 3] * 2, r"vk_alphabeta_12\[0\]\[0\]\[1\] must be a decimal string"),
        ([[["1", str(2**254)]] * 3] * 2, r"vk_alphabeta_12\[0\]\[0\]\[1\] is not below"),
    ],
)
def test_a_malformed_vk_alphabeta_12_is_rejected(alphabeta: object, message: str) -> None:
    with pytest.raises(MalformedVerifyingKey, match=message):
        VerifyingKey.from_json({**load("vk.json"), "vk_alphabeta_12": alphabeta})


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("protocol", "plonk", 'verification key "protocol" must be "groth16"'),
        ("curve", "bls12381", 'verification key "curve" must be "bn128"'),
        ("nPublic", 4, "nPublic must be 3"),
    ],
)
def test_vk_json_protocol_curve_and_npublic_are_checked(
    key: str, value: object, message: str
) -> None:
    with pytest.raises(MalformedVerifyingKey, match=message):
        _read_vk({**load("vk.json"), key: value})
