"""zkpor/2 against the real peers: circomlibjs's Poseidon recomputes ``verifier.book``'s
leaves (K = 1, 4, 16, 20: one hash, and chained), mask commitments and batch2's chained
sponge from an independent JavaScript implementation of the layout
(tests/js/zkpor2_hashes.mjs); snarkjs ``groth16 verify`` accepts a real zkpor/2 batch
proof with its full public input vector (batches of two accounts and of one), and rejects
it with the batch total changed; ``snarkjs wtns check`` accepts batch2's R1CS and witness.
"""

from __future__ import annotations

import json
import random
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from publisher.snark.batch2 import (
    Batch2Input,
    Batch2Shape,
    asset_totals,
    batch2_witness,
    batch_root,
    build_batch2,
    public_inputs,
    sponge_native,
)
from publisher.snark.dev_setup import ToxicWaste, dev_setup
from publisher.snark.iden3 import write_r1cs, write_wtns
from publisher.snark.prove import prove
from tests import peers
from verifier.book import (
    PUBLIC_TOTAL,
    TAG_TIERS,
    Entry,
    challenges,
    leaf2_hash,
    mask_commitment,
    tier_tables,
)
from verifier.field import R
from verifier.groth16 import Proof, VerifyingKey, public_inputs_to_json, verify
from verifier.protocol import id_commitment

SCRIPT = peers.JS_DIR / "zkpor2_hashes.mjs"


def circomlibjs(requests: list[dict[str, Any]]) -> list[int]:
    """Return what tests/js/zkpor2_hashes.mjs computes for ``requests``."""
    peers.require("circomlibjs")
    proc = subprocess.run(
        [peers.node(), str(SCRIPT)],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        cwd=peers.JS_DIR,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"{SCRIPT.name} failed ({proc.returncode}):\n{proc.stderr}")
    out = json.loads(proc.stdout)
    assert len(out) == len(requests)
    return [int(x) for x in out]


def random_entries(rng: random.Random, count: int) -> list[Entry]:
    indexes = sorted(rng.sample(range(1024), count))
    return [(a, rng.randrange(1 << 64), rng.choice([0, rng.randrange(1 << 64)])) for a in indexes]


def leaf_request(idc: int, entries: list[Entry], slots: int) -> dict[str, Any]:
    rows = [[a, str(e), str(d)] for a, e, d in entries]
    return {"kind": "leaf2", "idc": str(idc), "entries": rows, "slots": slots}


@pytest.mark.interop
@pytest.mark.parametrize("slots", [1, 4, 16, 20])
def test_circomlibjs_agrees_on_leaf2(slots: int) -> None:
    """Full, partly filled and empty accounts; with the largest amounts and indexes."""
    rng = random.Random(slots)
    cases: list[tuple[int, list[Entry]]] = [
        (rng.randrange(R), random_entries(rng, slots)),
        (rng.randrange(R), random_entries(rng, (slots + 1) // 2)),
        (0, []),
        (R - 1, [(1023 - slots + 1 + i, (1 << 64) - 1, (1 << 64) - 1) for i in range(slots)]),
    ]
    theirs = circomlibjs([leaf_request(idc, entries, slots) for idc, entries in cases])
    assert theirs == [leaf2_hash(idc, entries, slots) for idc, entries in cases]


@pytest.mark.interop
def test_circomlibjs_agrees_on_the_mask_commitment() -> None:
    rng = random.Random(6)
    pairs = [(rng.randrange(R), rng.randrange(R)) for _ in range(4)] + [(0, 0), (R - 1, R - 1)]
    theirs = circomlibjs([{"kind": "mask", "root": str(r), "mask": str(m)} for r, m in pairs])
    assert theirs == [mask_commitment(r, m) for r, m in pairs]


@pytest.mark.interop
@pytest.mark.parametrize("length", [1, 14, 15, 16, 30, 31, 47])
def test_circomlibjs_agrees_on_the_chained_sponge(length: int) -> None:
    """batch2's tier sponge ``H(7, x_0..x_14)``, then ``H(h, next 15)``: one hash, exact
    multiples of the rate, and a short last chunk."""
    rng = random.Random(length)
    elements = [rng.randrange(R) for _ in range(length)]
    (theirs,) = circomlibjs(
        [{"kind": "sponge", "tag": TAG_TIERS, "elements": [str(x) for x in elements]}]
    )
    assert theirs == sponge_native(TAG_TIERS, elements)


# -- snarkjs verifies a real zkpor/2 batch proof ----------------------------------------------

#: 2 accounts of K = 2 slots (arity 2, d_b = 1), a registry of 3 assets with T = 2 tiers.
TINY = Batch2Shape.of(slots=2, batch_depth=1, arity=2, registry_size=3, tiers=2)
#: (price in 10^-2 quote per whole asset, decimals, bounds in 10^-2 quote, ratios).
REGISTRY_ROWS = [
    (4_000_000_00, 8, [0, 1_000_000_00], [95, 80]),
    (2_000_00, 18, [0], [90]),
    (1_00, 6, [0], [100]),
]
ACCOUNTS: list[list[Entry]] = [
    [(0, 50_000_000, 0), (2, 0, 1_500_000_000)],  # 0.5 BTC backs a 1,500 USD loan
    [(1, 3 * 10**18, 0)],
]


#: The same registry, one account per batch (d_b = 0: the batch root is the leaf).
SINGLE = Batch2Shape.of(slots=2, batch_depth=0, arity=4, registry_size=3, tiers=2)


def tiny_data(shape: Batch2Shape) -> Batch2Input:
    """The first ``B`` accounts, with β, γ drawn as an attestation draws them."""
    rng = random.Random(2)
    accounts = ACCOUNTS[: shape.batch_size]
    tables = tier_tables(REGISTRY_ROWS)
    idcs = [id_commitment(1 + b, rng.randrange(R)) for b in range(len(accounts))]
    mask = rng.randrange(R)
    root = batch_root(Batch2Input(idcs, accounts, tables, 3, 0, mask), shape)
    equity, debt = asset_totals(accounts, 3)
    slots = shape.max_assets
    batches = [(slots, [(root, mask_commitment(root, mask))])]
    beta, gamma = challenges("interop", bytes(32), batches, equity, debt, mask)
    return Batch2Input(idcs, accounts, tables, beta, gamma, mask)


@cache
def tiny_proof(shape: Batch2Shape = TINY) -> tuple[VerifyingKey, list[int], Proof]:
    """One proof of ``shape`` over ``tiny_data``, verified by zkpor first."""
    data = tiny_data(shape)
    cs = build_batch2(shape).cs
    pk, vk = dev_setup(
        cs, shape.circuit_id, ToxicWaste(tau=21, alpha=22, beta=23, gamma=24, delta=25)
    )
    proof = prove(pk, cs, batch2_witness(shape, data))
    statement = public_inputs(shape, data)
    verify(vk, statement, proof)
    return vk, statement, proof


def snarkjs_verify(folder: Path, vk: VerifyingKey, statement: list[int], proof: Proof) -> peers.Run:
    documents = {
        "vk.json": vk.to_json(),
        "public.json": public_inputs_to_json(statement),
        "proof.json": proof.to_json(),
    }
    for name, doc in documents.items():
        (folder / name).write_text(json.dumps(doc, indent=1))
    return peers.snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=folder)


@pytest.mark.interop
@pytest.mark.parametrize("shape", [TINY, SINGLE], ids=["d_b=1", "d_b=0"])
def test_snarkjs_accepts_a_zkpor2_batch_proof(shape: Batch2Shape, tmp_path: Path) -> None:
    vk, statement, proof = tiny_proof(shape)
    assert len(statement) == 5 + shape.registry_size * (3 * shape.tiers - 1) == len(vk.ic) - 1
    run = snarkjs_verify(tmp_path, vk, statement, proof)
    assert run.code == 0 and "OK" in run.output, run.output


@pytest.mark.interop
def test_snarkjs_rejects_a_zkpor2_proof_with_the_batch_total_changed(tmp_path: Path) -> None:
    vk, statement, proof = tiny_proof()
    wrong = list(statement)
    wrong[PUBLIC_TOTAL] = (wrong[PUBLIC_TOTAL] + 1) % R
    run = snarkjs_verify(tmp_path, vk, wrong, proof)
    assert run.code != 0 and "Invalid proof" in run.output, run.output


@pytest.mark.interop
def test_snarkjs_wtns_check_accepts_a_zkpor2_witness(tmp_path: Path) -> None:
    """snarkjs checks batch2's R1CS against its witness on its own (iden3 files)."""
    write_r1cs(build_batch2(TINY).cs, tmp_path / "batch2.r1cs")
    write_wtns(batch2_witness(TINY, tiny_data(TINY)), tmp_path / "batch2.wtns")
    run = peers.snarkjs("wtns", "check", "batch2.r1cs", "batch2.wtns", cwd=tmp_path)
    assert run.code == 0 and "WITNESS IS CORRECT" in run.output, run.output
