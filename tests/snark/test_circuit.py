"""The batch circuit: agreement with the native hashes, and soundness against cheating witnesses.

Each soundness test builds a witness that a cheating custodian would want (a negative
balance, value moved between packed limbs, a wrong total, a wrong tree node), computing
every later wire honestly from the cheat, and checks that the R1CS rejects it at the
constraint that guards against exactly that cheat, and that the prover refuses it.
"""

from __future__ import annotations

import random

import pytest

from publisher.snark.circuit import (
    BatchWitnessInput,
    CircuitShape,
    batch_witness,
    build_batch_circuit,
    constraint_counts,
)
from publisher.snark.gadgets import poseidon_gadget
from publisher.snark.keys import ProvingKey
from publisher.snark.prove import ProverError, prove
from publisher.snark.r1cs import ConstraintSystem, UnsatisfiedConstraint, lc_const
from tests.conftest import SMALL_SHAPE, make_batch
from verifier import protocol
from verifier.field import R
from verifier.groth16 import VerifyingKey, verify
from verifier.poseidon import poseidon

SHAPE = SMALL_SHAPE
Keys = tuple[ProvingKey, VerifyingKey]


def public_of(witness: list[int]) -> list[int]:
    return witness[1:4]


def test_public_inputs_match_native_hashes() -> None:
    shape = CircuitShape(n_assets=5, arity=4, batch_depth=1)
    data = make_batch(shape)
    witness = batch_witness(shape, data)
    build_batch_circuit(shape).check(witness)
    leaves = [
        protocol.leaf_hash(i, b) for i, b in zip(data.id_commitments, data.balances, strict=True)
    ]
    totals = [data.totals_in[a] + sum(row[a] for row in data.balances) for a in range(5)]
    assert public_of(witness) == [
        protocol.subtree_root(leaves, 4),
        protocol.accumulator(data.totals_in, data.blind_in),
        protocol.accumulator(totals, data.blind_out),
    ]


@pytest.mark.parametrize("n_inputs", [1, 2, 5, 16])
def test_poseidon_gadget_equals_native(n_inputs: int) -> None:
    rng = random.Random(n_inputs)
    values = [rng.randrange(R) for _ in range(n_inputs)]
    cs = ConstraintSystem(n_public=1)
    wires = cs.new_wires(n_inputs)
    cs.hint([], wires, lambda _, inputs: list(inputs["x"]))  # type: ignore[call-overload]
    cs.set_public(0, poseidon_gadget(cs, [{w: 1} for w in wires]))
    witness = cs.witness({"x": values})
    cs.check(witness)
    assert witness[1] == poseidon(values)


def test_constant_inputs_cost_no_sbox_constraints() -> None:
    cs = ConstraintSystem(n_public=1)
    (wire,) = cs.new_wires(1)
    cs.hint([], [wire], lambda _, inputs: [5])
    cs.set_public(0, poseidon_gadget(cs, [lc_const(3), {wire: 1}]))
    cs.check(cs.witness({}))
    # t = 3: 8 full rounds x 3 + 57 partial S-boxes, minus the two constant first-round
    # S-boxes (capacity and the constant input), 3 constraints each, plus set_public.
    assert len(cs.constraints) == 3 * (8 * 3 + 57 - 2) + 1


def test_constraint_count_per_user_for_four_assets() -> None:
    per_batch, per_user = constraint_counts(CircuitShape(4, 4, 2))
    # 4 x 64 balance bits + 2 packed limbs + leaf hash (t=5) + a third of a node hash
    # (t=6), and the batch's two accumulators amortized over 16 users.
    assert 700 < per_user < 760, per_user
    assert per_batch == 11789


def test_out_of_range_inputs_are_refused_before_proving() -> None:
    data = make_batch(SHAPE)
    for bad in (R - 1, 1 << 64, -1):
        rows = [list(row) for row in data.balances]
        rows[0][0] = bad
        cheat = BatchWitnessInput(
            data.id_commitments, rows, data.totals_in, data.blind_in, data.blind_out
        )
        with pytest.raises(ValueError, match="does not fit 64 bits"):
            batch_witness(SHAPE, cheat)


# -- soundness: cheating witnesses -------------------------------------------------------


def cheat(overrides: dict[int, int]) -> tuple[ConstraintSystem, list[int]]:
    cs = build_batch_circuit(SHAPE)
    return cs, cs.witness(make_batch(SHAPE).as_inputs(), overrides)


def assert_rejected(cs: ConstraintSystem, witness: list[int], label: str, small_keys: Keys) -> None:
    with pytest.raises(UnsatisfiedConstraint) as caught:
        cs.check(witness)
    assert caught.value.label == label
    pk, _ = small_keys
    with pytest.raises(ProverError, match="witness rejected"):
        prove(pk, cs, witness)


def test_negative_balance_r_minus_1_is_unsatisfiable(small_keys: Keys) -> None:
    cs = build_batch_circuit(SHAPE)
    bits = cs.names["balances[0][0]"]
    # bit 0 = r - 1 and every other bit 0: the balance reads as -1.
    cs, witness = cheat({bits[0]: R - 1, **{b: 0 for b in bits[1:]}})
    assert_rejected(cs, witness, "leaf 0: balance range check", small_keys)


def test_balance_of_2_to_64_is_unsatisfiable(small_keys: Keys) -> None:
    cs = build_batch_circuit(SHAPE)
    bits = cs.names["balances[1][2]"]
    cs, witness = cheat({bits[63]: 2, **{b: 0 for b in bits[:63]}})
    assert_rejected(cs, witness, "leaf 1: balance range check", small_keys)


def test_value_moved_between_packed_limbs_is_unsatisfiable(small_keys: Keys) -> None:
    """b0 + 2^64 and b1 - 1 pack to the same element: the leaf would not change."""
    cs = build_batch_circuit(SHAPE)
    data = make_batch(SHAPE)
    b0, b1 = data.balances[0][0], data.balances[0][1]
    bits0, bits1 = cs.names["balances[0][0]"], cs.names["balances[0][1]"]
    honest = cs.witness(data.as_inputs())
    overrides = {bits0[63]: honest[bits0[63]] + 2, bits1[0]: 0}
    cs, witness = cheat(overrides)
    # The cheat leaves the leaf, and so the root, exactly as the honest witness has them...
    assert protocol.pack_balances([b0, b1, 0])[0] == (b0 + (1 << 64)) + ((b1 - 1) << 64)
    assert witness[1] == honest[1]
    # ...yet moves 2^64 - 1 units from asset 1 to asset 0 in the totals: refused.
    assert_rejected(cs, witness, "leaf 0: balance range check", small_keys)


def test_wrong_accumulator_total_is_unsatisfiable(small_keys: Keys) -> None:
    cs = build_batch_circuit(SHAPE)
    honest = cs.witness(make_batch(SHAPE).as_inputs())
    bits = cs.names["totals_out[3]"]
    # Claim a total of asset 3 one unit off what the batch adds up to.
    cs, witness = cheat({bits[0]: 1 - honest[bits[0]]})
    assert_rejected(
        cs, witness, "accumulator out: totals = totals in + batch sum, range check", small_keys
    )


def test_wrong_merkle_node_is_unsatisfiable(small_keys: Keys) -> None:
    cs = build_batch_circuit(SHAPE)
    first_node_sbox = cs.names["subtree"][0]
    honest = cs.witness(make_batch(SHAPE).as_inputs())
    cs, witness = cheat({first_node_sbox: (honest[first_node_sbox] + 1) % R})
    assert_rejected(cs, witness, "batch subtree", small_keys)


def test_wrong_public_root_is_unsatisfiable(small_keys: Keys) -> None:
    cs, witness = cheat({1: 12345})
    assert_rejected(cs, witness, "batch subtree", small_keys)


def test_honest_witness_proves_and_verifies(small_keys: Keys) -> None:
    pk, vk = small_keys
    cs = build_batch_circuit(SHAPE)
    witness = batch_witness(SHAPE, make_batch(SHAPE))
    proof = prove(pk, cs, witness, r=3, s=4)
    verify(vk, public_of(witness), proof)


def test_prover_refuses_a_key_for_another_circuit(small_keys: Keys) -> None:
    pk, _ = small_keys
    other = CircuitShape(n_assets=3, arity=2, batch_depth=1)
    cs = build_batch_circuit(other)
    with pytest.raises(ProverError, match="wires"):
        prove(pk, cs, batch_witness(other, make_batch(other)))
