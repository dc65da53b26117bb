"""Proofs made by zkpor's prover, checked by snarkjs; the same R1CS and witness, checked by
``snarkjs wtns check``; and the proving key file round trip."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from publisher.snark.batch import BatchProof, prove_batch, write_snarkjs_files
from publisher.snark.circuit import batch_witness, build_batch_circuit
from publisher.snark.curve import G1_GEN
from publisher.snark.iden3 import write_r1cs, write_wtns
from publisher.snark.keys import ProvingKey
from tests import peers
from tests.conftest import SMALL_SHAPE, make_batch
from verifier.groth16 import VerifyingKey, verify

Keys = tuple[ProvingKey, VerifyingKey]


@pytest.fixture(scope="module")
def batch(small_keys: Keys) -> BatchProof:
    pk, vk = small_keys
    proof = prove_batch(SMALL_SHAPE, make_batch(SMALL_SHAPE), pk)
    verify(vk, proof.public, proof.proof)
    return proof


def groth16_verify(folder: Path) -> peers.Run:
    return peers.snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=folder)


@pytest.mark.interop
def test_snarkjs_accepts_a_zkpor_batch_proof(small_keys: Keys, batch: BatchProof, tmp_path: Path):
    write_snarkjs_files(tmp_path, small_keys[1], batch)
    run = groth16_verify(tmp_path)
    assert run.code == 0 and "OK" in run.output, run.output


@pytest.mark.interop
def test_snarkjs_rejects_a_tampered_batch_proof(
    small_keys: Keys, batch: BatchProof, tmp_path: Path
) -> None:
    tampered = replace(batch, proof=replace(batch.proof, a=G1_GEN))
    write_snarkjs_files(tmp_path, small_keys[1], tampered)
    run = groth16_verify(tmp_path)
    assert run.code != 0 and "Invalid proof" in run.output, run.output


@pytest.mark.interop
def test_snarkjs_rejects_a_wrong_public_input(
    small_keys: Keys, batch: BatchProof, tmp_path: Path
) -> None:
    root, acc_in, acc_out = batch.public
    write_snarkjs_files(tmp_path, small_keys[1], replace(batch, public=(root, acc_in, acc_out + 1)))
    run = groth16_verify(tmp_path)
    assert run.code != 0 and "Invalid proof" in run.output, run.output


@pytest.mark.interop
def test_snarkjs_wtns_check_accepts_the_batch_witness(tmp_path: Path) -> None:
    cs = build_batch_circuit(SMALL_SHAPE)
    write_r1cs(cs, tmp_path / "batch.r1cs")
    write_wtns(batch_witness(SMALL_SHAPE, make_batch(SMALL_SHAPE)), tmp_path / "batch.wtns")
    run = peers.snarkjs("wtns", "check", "batch.r1cs", "batch.wtns", cwd=tmp_path)
    assert run.code == 0 and "WITNESS IS CORRECT" in run.output, run.output


def test_proving_key_file_round_trip(small_keys: Keys, tmp_path: Path) -> None:
    pk, _ = small_keys
    pk.save(tmp_path / "batch.pk")
    assert ProvingKey.load(tmp_path / "batch.pk") == pk
    assert [p.name for p in tmp_path.iterdir()] == ["batch.pk"]


def test_truncated_proving_key_is_refused(small_keys: Keys, tmp_path: Path) -> None:
    pk, _ = small_keys
    pk.save(tmp_path / "batch.pk")
    data = (tmp_path / "batch.pk").read_bytes()
    (tmp_path / "batch.pk").write_bytes(data[:-10])
    with pytest.raises(ValueError, match="truncated"):
        ProvingKey.load(tmp_path / "batch.pk")


def test_vk_json_matches_what_snarkjs_reads(small_keys: Keys, batch: BatchProof, tmp_path: Path):
    write_snarkjs_files(tmp_path, small_keys[1], batch)
    vk = json.loads((tmp_path / "vk.json").read_text())
    assert vk["nPublic"] == 3 and len(vk["IC"]) == 4
    assert json.loads((tmp_path / "public.json").read_text()) == [str(v) for v in batch.public]


def test_a_key_of_another_format_is_refused(small_keys: Keys, tmp_path: Path) -> None:
    pk, _ = small_keys
    pk.save(tmp_path / "batch.pk")
    data = (tmp_path / "batch.pk").read_bytes()
    (tmp_path / "batch.pk").write_bytes(data.replace(b'"format": 2', b'"format": 1', 1))
    with pytest.raises(ValueError, match="another zkpor version"):
        ProvingKey.load(tmp_path / "batch.pk")
