"""Prove and verify one batch on its own: the building block of an attestation.

Used by ``zkpor batch prove|verify`` and the benchmarks. Proving keys come from a
per-shape cache, so a key is made once per circuit shape and loaded once per process.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from publisher.files import write_atomic
from publisher.snark.circuit import (
    BatchWitnessInput,
    CircuitShape,
    batch_witness,
    build_batch_circuit,
)
from publisher.snark.dev_setup import dev_setup
from publisher.snark.keys import KEY_FORMAT, ProvingKey
from publisher.snark.prove import PhaseTimer, prove
from publisher.snark.r1cs import r1cs_digest
from verifier.field import R
from verifier.groth16 import Proof, VerifyingKey, public_inputs_to_json
from verifier.strict_json import loads as strict_loads

_PUBLIC_FILES = ("vk.json", "public.json", "proof.json")


def default_cache_dir() -> Path:
    """Return where proving keys are cached (``$ZKPOR_CACHE`` or ``~/.cache/zkpor``)."""
    return Path(os.environ.get("ZKPOR_CACHE", Path.home() / ".cache" / "zkpor"))


def _key_paths(shape: CircuitShape, cache: Path) -> tuple[Path, Path]:
    """Return (proving key, verifying key) paths for ``shape``'s current R1CS."""
    digest = r1cs_digest(build_batch_circuit(shape))[:16]
    stem = cache / "keys" / f"{shape.circuit_id}-{digest}-v{KEY_FORMAT}-dev"
    return stem.with_suffix(".pk"), stem.with_suffix(".vk.json")


def dev_key_paths(
    shape: CircuitShape, cache: Path, on_setup: Callable[[], None] | None = None
) -> tuple[Path, VerifyingKey]:
    """Return (proving key path, verifying key) of ``shape``'s development setup.

    Made on first use and cached per shape and R1CS digest.
    """
    pk_path, vk_path = _key_paths(shape, cache)
    if not (pk_path.exists() and vk_path.exists()):
        if on_setup:
            on_setup()
        pk, vk = dev_setup(build_batch_circuit(shape), shape.circuit_id)
        pk.save(pk_path)
        write_atomic(vk_path, json.dumps(vk.to_json(), indent=1).encode())
    return pk_path, VerifyingKey.from_json(json.loads(vk_path.read_text()))


@lru_cache(maxsize=2)
def dev_keys(shape: CircuitShape, cache: Path) -> tuple[ProvingKey, VerifyingKey]:
    """Return the development key pair of ``shape``, made and cached on first use."""
    pk_path, vk = dev_key_paths(shape, cache)
    return ProvingKey.load(pk_path), vk


def random_batch(shape: CircuitShape, rng: random.Random | None = None) -> BatchWitnessInput:
    """Return a batch of random accounts with a random running total coming in."""
    rng = rng or random.Random(secrets.randbits(64))
    balances = [
        [rng.randrange(1 << 40) for _ in range(shape.n_assets)] for _ in range(shape.batch_size)
    ]
    return BatchWitnessInput(
        id_commitments=[rng.randrange(R) for _ in range(shape.batch_size)],
        balances=balances,
        totals_in=[rng.randrange(1 << 80) for _ in range(shape.n_assets)],
        blind_in=rng.randrange(R),
        blind_out=rng.randrange(R),
    )


@dataclass(frozen=True)
class BatchProof:
    """One batch's proof and public inputs ``[root, acc_in, acc_out]``."""

    public: tuple[int, ...]
    proof: Proof


def prove_batch(
    shape: CircuitShape, data: BatchWitnessInput, pk: ProvingKey, timer: PhaseTimer | None = None
) -> BatchProof:
    """Return the proof of one batch."""
    clock = timer or PhaseTimer()
    cs = build_batch_circuit(shape)
    witness = clock.run("witness", lambda: batch_witness(shape, data))
    proof = prove(pk, cs, witness, timer=clock)
    return BatchProof(public=tuple(witness[1 : 1 + cs.n_public]), proof=proof)


def write_snarkjs_files(out: Path, vk: VerifyingKey, batch: BatchProof) -> None:
    """Write ``vk.json``, ``public.json`` and ``proof.json`` as snarkjs reads them."""
    documents = (vk.to_json(), public_inputs_to_json(batch.public), batch.proof.to_json())
    for name, doc in zip(_PUBLIC_FILES, documents, strict=True):
        write_atomic(out / name, json.dumps(doc, indent=1).encode())


def read_snarkjs_files(folder: Path) -> tuple[VerifyingKey, tuple[int, ...], Proof]:
    """Return the verifying key, public inputs and proof stored in ``folder``."""
    from verifier.groth16 import public_inputs_from_json

    # Strict JSON: files from elsewhere; a deeply nested one must not crash the process.
    vk_doc, public_doc, proof_doc = (
        strict_loads((folder / name).read_bytes()) for name in _PUBLIC_FILES
    )
    if not isinstance(vk_doc, dict) or not isinstance(proof_doc, dict):
        raise ValueError("vk.json and proof.json must hold JSON objects")
    return (
        VerifyingKey.from_json(vk_doc),
        public_inputs_from_json(public_doc),
        Proof.from_json(proof_doc),
    )
