"""The zkpor/2 batch circuit: honest batches, and soundness against cheating witnesses.

As in test_account2.py, each soundness test computes the honest witness with chosen wires
replaced (``ConstraintSystem.witness(..., overrides)``: every later wire, the tier
commitment and the challenges among them, follows honestly from the cheat) and asserts
the label of the FIRST constraint the witness breaks.

The draft's sorted side and permutation are replaced by a lookup of each slot's tier row
(module docstring of ``publisher.snark.batch2``): the draft's "permutation fed a
non-permutation" tests become a slot tuple that is not a registry row and a table row
counted the wrong number of times (an entry dropped or duplicated on the table side).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache

import pytest

from publisher.snark.account2 import AMOUNT_LIMIT, Entry, TierTable, account_values
from publisher.snark.batch2 import (
    Batch2Input,
    Batch2Shape,
    asset_totals,
    batch2_witness,
    batch_root,
    build_batch2,
    public_inputs,
)
from publisher.snark.r1cs import ConstraintSystem, UnsatisfiedConstraint, evaluate
from verifier.book import (
    PUBLIC_BETA,
    PUBLIC_COMMITMENT,
    PUBLIC_REGISTRY,
    PUBLIC_ROOT,
    PUBLIC_TOTAL,
    batch_total,
    mask_commitment,
    totals_identity_holds,
)
from verifier.field import R

TIERS = 4
SHAPE = Batch2Shape(batch_size=2, max_assets=3, registry_size=4, tiers=TIERS)

REGISTRY = (
    # Value tiers 0 / 5,000 / 20,000 at 100 / 90 / 50 %: units 0 / 100 / 400.
    TierTable.from_values(50, [(0, 100), (5_000, 90), (20_000, 50)]),
    TierTable.from_values(7, [(0, 95)]),
    TierTable.from_values(1, [(0, 100)]),
    TierTable.from_values(3, [(0, 0)]),  # not accepted as collateral
)
# Account 0: asset 0 in its middle tier, asset 1, and a debt in asset 2 they back.
# Account 1: one asset, one free slot.
ACCOUNTS: tuple[tuple[Entry, ...], ...] = (
    ((0, 250, 0), (1, 1_000, 0), (2, 0, 9_000)),
    ((0, 50, 0), (3, 10, 0)),
)
BETA, GAMMA, MASK = 10**40 + 3, 7**50, 123_456_789


def flat(accounts: Sequence[Sequence[Entry]]) -> list[Entry]:
    return [entry for account in accounts for entry in account]


LOOKUP = "lookup: slot tuples in the registry table"
LOWER = "account 0: equity at or above tier lower bound"
UPPER = "account 0: equity below tier upper bound"


def data(
    accounts: Sequence[Sequence[Entry]] = ACCOUNTS,
    registry: Sequence[TierTable] = REGISTRY,
    mask: int = MASK,
    beta: int = BETA,
) -> Batch2Input:
    return Batch2Input(
        id_commitments=[1000 + b for b in range(len(accounts))],
        accounts=[list(a) for a in accounts],
        registry=list(registry),
        beta=beta,
        gamma=GAMMA,
        mask=mask,
    )


@cache
def circuit(shape: Batch2Shape = SHAPE) -> ConstraintSystem:
    return build_batch2(shape).cs


def witness(
    overrides: dict[int, int] | None = None,
    accounts: Sequence[Sequence[Entry]] = ACCOUNTS,
    shape: Batch2Shape = SHAPE,
) -> list[int]:
    return circuit(shape).witness(data(accounts).as_inputs(), overrides)


def failing(cs: ConstraintSystem, values: list[int]) -> list[str]:
    """Return the labels of every broken constraint, in order, each once."""
    out: list[str] = []
    for index, (a, b, c) in enumerate(cs.constraints):
        if (evaluate(a, values) * evaluate(b, values) - evaluate(c, values)) % R:
            label = cs.label_of(index)
            if label not in out:
                out.append(label)
    return out


def first_failure(values: list[int], shape: Batch2Shape = SHAPE) -> str:
    cs = circuit(shape)
    with pytest.raises(UnsatisfiedConstraint) as caught:
        cs.check(values)
    assert failing(cs, values)[0] == caught.value.label
    return caught.value.label


def wire(key: str) -> int:
    (w,) = circuit().names[key]
    return w


def bits(key: str, value: int) -> dict[int, int]:
    return {w: (value >> i) & 1 for i, w in enumerate(circuit().names[key])}


def multiplicity(asset: int, tier: int) -> int:
    return circuit().names["multiplicity"][asset * TIERS + tier]


# -- honest batches ----------------------------------------------------------------------


def test_honest_batch_satisfies_and_matches_native() -> None:
    values = witness()
    circuit().check(values)
    expected = public_inputs(SHAPE, data())
    assert values[1 : 1 + SHAPE.n_public] == expected
    root = batch_root(data(), SHAPE)
    assert values[1 + PUBLIC_ROOT] == root
    assert values[1 + PUBLIC_COMMITMENT] == mask_commitment(root, MASK)
    assert values[1 + PUBLIC_TOTAL] == batch_total(flat(ACCOUNTS), BETA, GAMMA, MASK)
    # Multiplicities: asset 0 tier 0 (account 1) and tier 1 (account 0), ...
    assert values[multiplicity(0, 0)] == values[multiplicity(0, 1)] == 1
    assert values[multiplicity(0, 2)] == 0
    assert sum(values[w] for w in circuit().names["multiplicity"]) == 5


def random_account(rng: random.Random, k: int, n_assets: int) -> list[Entry]:
    indexes = sorted(rng.sample(range(n_assets), rng.randint(0, min(k, n_assets))))
    entries = [
        (i, rng.choice([0, rng.randrange(1000), rng.randrange(1 << 63)]), 0) for i in indexes
    ]
    collateral, _ = account_values(entries, [REGISTRY[i] for i, _, _ in entries])
    priced = [s for s, (i, _, _) in enumerate(entries) if REGISTRY[i].price]
    if priced:
        slot = rng.choice(priced)
        index, equity, _ = entries[slot]
        debt = min(collateral // (100 * REGISTRY[index].price), AMOUNT_LIMIT - 1)
        entries[slot] = (index, equity, rng.randint(0, debt))
    return entries


def test_random_batches_satisfy() -> None:
    rng = random.Random(13)
    shape = Batch2Shape(batch_size=4, max_assets=3, registry_size=4, tiers=TIERS)
    for _ in range(3):
        accounts = [random_account(rng, 3, 4) for _ in range(4)]
        values = witness(accounts=accounts, shape=shape)
        circuit(shape).check(values)
        assert values[1 : 1 + shape.n_public] == public_inputs(shape, data(accounts))


def test_empty_batch_and_margin_zero() -> None:
    circuit().check(witness(accounts=[[], []]))
    # 1,000 units of asset 1 at 7 and 95 %: collateral x 100 = 665,000 = 100 x 6,650.
    circuit().check(witness(accounts=[[(1, 1_000, 0), (2, 0, 6_650)], []]))
    values = witness(accounts=[[(1, 1_000, 0), (2, 0, 6_651)], []])
    assert first_failure(values) == "account 0: collateral covers debt"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"beta": 3}, "β must not be an asset index"),
        ({"accounts": [[(4, 1, 0)], []]}, "not in a registry"),
        ({"accounts": [[(1, 1, 0), (1, 1, 0)], []]}, "sorted"),
        ({"accounts": [[], [], []]}, "exactly 2 accounts"),
    ],
)
def test_malformed_inputs_are_refused_before_proving(change: dict[str, object], match: str) -> None:
    fields = {**data().__dict__, **change}
    with pytest.raises(ValueError, match=match):
        batch2_witness(SHAPE, Batch2Input(**fields))  # type: ignore[arg-type]


# -- soundness: the lookup binds every slot to the public registry -----------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ratio[0]", 100),  # asset 0's tier 1 is 90 %
        ("price[0]", 51),
        ("base[0]", 10_000 * 100),
        ("lower[0]", 50),
    ],
    ids=["ratio", "price", "cumulative", "tier-bound"],
)
def test_slot_tier_value_other_than_the_registry(key: str, value: int) -> None:
    """Account 0 claims more collateral for its asset-0 slot through one forged value of
    its tier row. Everything before the lookup holds (the slot's bounds, its collateral
    check, the tier commitment the challenges are derived from); the lookup does not."""
    cs = circuit()
    honest = witness()
    values = witness({wire(f"account 0.{key}"): value})
    forged = evaluate({wire("account 0.collateral[0]"): 1}, values)
    assert forged > evaluate({wire("account 0.collateral[0]"): 1}, honest)
    assert failing(cs, values) == [LOOKUP]


def test_tier_that_does_not_match_the_equity() -> None:
    """Asset 0's tier 0 row (100 %, units [0, 100)) claimed for 250 units: a registry row,
    so the lookup would pass; its upper bound refuses it."""
    values = witness(
        {
            wire("account 0.lower[0]"): 0,
            wire("account 0.upper[0]"): 100,
            wire("account 0.ratio[0]"): 100,
            wire("account 0.base[0]"): 0,
        }
    )
    assert failing(circuit(), values) == [UPPER]


def test_tier_upper_bound_widened() -> None:
    """The same claim with the bound widened to pass the range check: not a registry row."""
    values = witness(
        {
            wire("account 0.lower[0]"): 0,
            wire("account 0.upper[0]"): 1_000,
            wire("account 0.ratio[0]"): 100,
            wire("account 0.base[0]"): 0,
        }
    )
    assert failing(circuit(), values) == [LOOKUP]


@pytest.mark.parametrize(
    ("asset", "tier", "delta"),
    [(0, 1, -1), (0, 1, +1), (1, 0, -1), (0, 2, +1)],
    ids=["dropped", "duplicated", "dropped-2", "unused-row-counted"],
)
def test_table_row_counted_the_wrong_number_of_times(asset: int, tier: int, delta: int) -> None:
    """A multiplicity one off: the table side lists an entry fewer or one more."""
    honest = witness()[multiplicity(asset, tier)]
    values = witness({multiplicity(asset, tier): honest + delta})
    assert first_failure(values) == LOOKUP


def test_multiplicity_beyond_its_bits() -> None:
    values = witness({multiplicity(0, 1): 1 + (1 << SHAPE.multiplicity_bits)})
    assert first_failure(values) == "lookup: multiplicities in range"


def test_registry_value_other_than_the_slots() -> None:
    """Asset 0's tier-1 ratio as a public input (the header of the draft) changed from 90
    to 100: the slot holding that tier no longer finds its row."""
    ratio_wire = 1 + PUBLIC_REGISTRY + 1 + 1  # asset 0: price, then ratios r_0, r_1
    assert witness()[ratio_wire] == 90
    values = witness({ratio_wire: 100})
    assert first_failure(values) == LOOKUP


def test_registry_forged_by_the_prover_changes_the_public_inputs() -> None:
    """A prover who builds the witness from another registry (asset 0 at price 60)
    satisfies the circuit, but the table is the public inputs: a verifier that takes them
    from the published registry sees a different statement."""
    forged = (TierTable.from_values(60, [(0, 100), (5_000, 90), (20_000, 50)]), *REGISTRY[1:])
    values = circuit().witness(data(registry=forged).as_inputs())
    circuit().check(values)
    published = public_inputs(SHAPE, data())
    assert values[1 : 1 + SHAPE.n_public] != published
    assert values[1 + PUBLIC_REGISTRY] == 60 != published[PUBLIC_REGISTRY]


def test_unused_slot_tier_data_counts_for_nothing() -> None:
    """Account 1's third slot is unused: a huge cumulative collateral there is gated out
    of the account's collateral and of the lookup."""
    cs = circuit()
    values = witness({wire("account 1.base[2]"): 10**30})
    cs.check(values)
    assert evaluate({wire("account 1.collateral[2]"): 1}, values) == 0


# -- soundness: collateral ---------------------------------------------------------------


def test_under_collateralised_account() -> None:
    """Asset 0's 250 units are worth 100 x 50 + 150 x 50 x 90 % = 11,750 and asset 1's
    1,000 are worth 6,650: a debt of 18,400 passes, 18,401 does not."""
    circuit().check(witness(accounts=[[(0, 250, 0), (1, 1_000, 0), (2, 0, 18_400)], []]))
    values = witness(accounts=[[(0, 250, 0), (1, 1_000, 0), (2, 0, 18_401)], []])
    assert first_failure(values) == "account 0: collateral covers debt"


def test_under_collateralised_account_caught_through_the_lookup() -> None:
    """The same account with a debt of 19,000 passes its collateral check by claiming
    asset 0 at 100 % in tier 1 (12,500): only the lookup stops it."""
    accounts = [[(0, 250, 0), (1, 1_000, 0), (2, 0, 19_000)], []]
    assert first_failure(witness(accounts=accounts)) == "account 0: collateral covers debt"
    values = witness({wire("account 0.ratio[0]"): 100}, accounts=accounts)
    assert failing(circuit(), values) == [LOOKUP]


def test_debt_with_no_collateral() -> None:
    values = witness(accounts=[[(2, 0, 1)], []])
    assert first_failure(values) == "account 0: collateral covers debt"


def test_equity_moved_between_packed_limbs() -> None:
    """``(e + 2^64, d - 1)`` packs to the entry of ``(e, d)`` for account 0's debt slot:
    the leaf and root would not change, but the equity's tier bounds refuse it."""
    debt_bits = {
        w: ((9_000 - 1) >> i) & 1 for i, w in enumerate(circuit().names["account 0.debt[2]"])
    }
    values = witness({wire("account 0.equity[2]"): 1 << 64, **debt_bits})
    assert first_failure(values) in (LOWER, UPPER)


def test_asset_repeated_in_an_account() -> None:
    values = witness({wire("account 0.index[1]"): 0})
    assert first_failure(values) == "account 0: asset indexes increasing"


def test_asset_indexes_unsorted() -> None:
    values = witness({wire("account 0.index[0]"): 1, wire("account 0.index[1]"): 0})
    assert first_failure(values) == "account 0: asset indexes increasing"


# -- soundness: the batch total ----------------------------------------------------------


@pytest.mark.parametrize("delta", [1, R - 1, 1 << 64])
def test_batch_total_that_does_not_match_its_rows(delta: int) -> None:
    honest = witness()[1 + PUBLIC_TOTAL]
    values = witness({1 + PUBLIC_TOTAL: (honest + delta) % R})
    assert first_failure(values) == "batch total"


def test_mask_commitment_that_does_not_open() -> None:
    honest = witness()[1 + PUBLIC_COMMITMENT]
    assert first_failure(witness({1 + PUBLIC_COMMITMENT: honest + 1})) == "mask commitment"


def test_root_that_is_not_the_leaves() -> None:
    honest = witness()[1 + PUBLIC_ROOT]
    assert first_failure(witness({1 + PUBLIC_ROOT: honest + 1})) == "batch subtree"


def test_total_kept_for_another_beta() -> None:
    """β is a public input: the total of the batch under β does not verify under β + 1
    (with β + 1 the whole witness follows, and so does the total)."""
    honest = witness()[1 + PUBLIC_TOTAL]
    values = witness({1 + PUBLIC_BETA: BETA + 1})
    circuit().check(values)
    assert values[1 + PUBLIC_TOTAL] != honest
    values = witness({1 + PUBLIC_BETA: BETA + 1, 1 + PUBLIC_TOTAL: honest})
    assert first_failure(values) == "batch total"


# -- the verifier's identity over several batches ----------------------------------------


def test_totals_identity_over_batches() -> None:
    """``Σ_j s_j - M = Σ_a (E_a + γ D_a) / (β - a)`` for honest totals; any published
    total one unit off, in equity or in debt, fails it."""
    rng = random.Random(7)
    for trial in range(4):
        batches = [[random_account(rng, 3, 4) for _ in range(2)] for _ in range(3)]
        masks = [rng.randrange(R) for _ in batches]
        sums = [
            batch_total(flat(accounts), BETA, GAMMA, m)
            for accounts, m in zip(batches, masks, strict=True)
        ]
        equity, debt = asset_totals([a for accounts in batches for a in accounts], 4)
        total_mask = sum(masks) % R
        assert totals_identity_holds(sums, total_mask, equity, debt, BETA, GAMMA)
        asset = trial % 4
        wrong_e = [e + (a == asset) for a, e in enumerate(equity)]
        wrong_d = [d + (a == asset) for a, d in enumerate(debt)]
        assert not totals_identity_holds(sums, total_mask, wrong_e, debt, BETA, GAMMA)
        assert not totals_identity_holds(sums, total_mask, equity, wrong_d, BETA, GAMMA)
        # Moving one unit between assets, or from equity to debt, also fails.
        moved = [e + (a == 0) - (a == 1) for a, e in enumerate(equity)]
        assert not totals_identity_holds(sums, total_mask, moved, debt, BETA, GAMMA)
        assert not totals_identity_holds(sums, (total_mask + 1) % R, equity, debt, BETA, GAMMA)


def test_totals_identity_matches_the_circuits_totals() -> None:
    """The circuit's public ``s`` over two batches feeds the identity."""
    second = [[(1, 5, 0), (3, 9, 0)], [(0, 400, 0), (2, 0, 100)]]
    sums = [witness()[1 + PUBLIC_TOTAL], witness(accounts=second)[1 + PUBLIC_TOTAL]]
    equity, debt = asset_totals([*ACCOUNTS, *second], 4)
    assert totals_identity_holds(sums, 2 * MASK, equity, debt, BETA, GAMMA)
    assert not totals_identity_holds(sums, 2 * MASK, [e + 1 for e in equity], debt, BETA, GAMMA)


def test_beta_that_is_an_asset_index_is_refused() -> None:
    assert not totals_identity_holds([0], 0, [0, 0], [0, 0], 1, GAMMA)


# -- why every compressed value is hashed before the challenge ---------------------------


def test_compressed_tuple_is_forgeable_when_a_value_is_not_committed() -> None:
    """The draft's header rows (and any carried parameters) would enter the compressed
    tuples without being hashed before ``α``. Then one linear equation is all a prover
    must solve: here a ratio raised from 90 to 100 is paid for by a cumulative collateral
    that nothing else reads, and the forged tuple compresses to the registry row."""
    rng = random.Random(5)
    alpha = rng.randrange(1, R)

    def compress(a: int, values: Sequence[int]) -> int:
        return (a + sum(pow(alpha, k + 1, R) * v for k, v in enumerate(values))) % R

    low, high, ratio, price, base = 100, 400, 90, 50, 500_000
    honest = compress(0, (low, high, ratio, price, base))
    forged_base = (base - (100 - ratio) * pow(alpha, 3 - 5, R)) % R
    assert compress(0, (low, high, 100, price, forged_base)) == honest


# -- a real proof ------------------------------------------------------------------------


def test_tiny_batch_proves_and_verifies_with_the_dev_setup() -> None:
    """One Groth16 proof of a 2-account, 2-asset, 2-tier batch (~3,500 constraints) with
    the single-party development setup (not for publication): it verifies with the
    natively computed public inputs, and not with a total one off."""
    from publisher.snark.dev_setup import dev_setup
    from publisher.snark.prove import prove
    from verifier.groth16 import PairingCheckFailed, verify

    registry = [
        TierTable.from_values(50, [(0, 100), (5_000, 90)]),
        TierTable.from_values(1, [(0, 100)]),
    ]
    shape = Batch2Shape(batch_size=2, max_assets=2, registry_size=2, tiers=2)
    plain = data([[(0, 250, 0), (1, 0, 9_000)], [(1, 77, 0)]], registry)
    cs = build_batch2(shape).cs
    pk, vk = dev_setup(cs, shape.circuit_id)
    proof = prove(pk, cs, batch2_witness(shape, plain))
    statement = public_inputs(shape, plain)
    verify(vk, statement, proof)
    statement[PUBLIC_TOTAL] = (statement[PUBLIC_TOTAL] + 1) % R
    with pytest.raises(PairingCheckFailed):
        verify(vk, statement, proof)


# -- shapes --------------------------------------------------------------------------------


def test_shape_names_and_batch_depth() -> None:
    shape = Batch2Shape.of(slots=4, batch_depth=2, arity=4, registry_size=120, tiers=4)
    assert (shape.batch_size, shape.batch_depth) == (16, 2)
    assert shape.circuit_id == "zkpor2-a120-t4-s4-k4-d2"
    single = Batch2Shape.of(slots=1024, batch_depth=0, arity=4, registry_size=1024, tiers=8)
    assert (single.batch_size, single.batch_depth) == (1, 0)
    assert single.circuit_id == "zkpor2-a1024-t8-s1024-k4-d0"
    assert single.n_public == 5 + 1024 * 23
    for bad in ({"arity": 3}, {"batch_size": 8, "arity": 4}, {"batch_size": 0}):
        with pytest.raises(ValueError):
            Batch2Shape(**{"batch_size": 4, "max_assets": 2, "registry_size": 2, **bad})


def test_batch_of_one_account_has_its_leaf_as_root() -> None:
    """``B = 1`` (``d_b = 0``): the root is the account's leaf, the rest as any batch."""
    from verifier.book import leaf2_hash

    shape = Batch2Shape.of(slots=3, batch_depth=0, arity=4, registry_size=4, tiers=TIERS)
    plain = Batch2Input([1000], [list(ACCOUNTS[0])], list(REGISTRY), BETA, GAMMA, MASK)
    values = batch2_witness(shape, plain)
    circuit(shape).check(values)
    assert values[1 : 1 + shape.n_public] == public_inputs(shape, plain)
    assert values[1 + PUBLIC_ROOT] == leaf2_hash(1000, ACCOUNTS[0], 3)
    assert shape.multiplicity_bits == 1
    over = Batch2Input([1000], [[(2, 0, 1)]], list(REGISTRY), BETA, GAMMA, MASK)
    assert first_failure(circuit(shape).witness(over.as_inputs()), shape) == (
        "account 0: collateral covers debt"
    )


def test_default_small_shape_at_arity_4() -> None:
    """The default K = 4 shape (d_b = 2 at arity 4: 16 accounts), over a registry derived
    as the verifier derives it (``verifier.book.tier_tables``), with random collateralised
    accounts and empty padding accounts."""
    from verifier.book import tier_tables

    tables = tier_tables(
        [
            (4_000_000_00, 8, [0, 1_000_000_00, 5_000_000_00], [95, 80, 50]),
            (2_000_00, 18, [0, 500_000_00], [90, 70]),
            (1_00, 6, [0], [100]),
            (15, 0, [0], [0]),
        ]
    )
    shape = Batch2Shape.of(slots=4, batch_depth=2, arity=4, registry_size=4, tiers=3)
    assert shape.circuit_id == "zkpor2-a4-t3-s4-k4-d2"
    rng = random.Random(4)
    accounts: list[list[Entry]] = []
    for b in range(16):
        indexes = sorted(rng.sample(range(4), rng.randint(0, 4))) if b < 12 else []
        entries = [(i, rng.randrange(1 << rng.randint(1, 63)), 0) for i in indexes]
        collateral, _ = account_values(entries, [tables[i] for i, _, _ in entries])
        if entries and tables[entries[-1][0]].price:
            i, e, _ = entries[-1]
            most = min(collateral // (100 * tables[i].price), AMOUNT_LIMIT - 1)
            entries[-1] = (i, e, rng.randint(0, most))
        accounts.append(entries)
    plain = Batch2Input(
        [rng.randrange(R) for _ in range(16)], accounts, tables, BETA, GAMMA, rng.randrange(R)
    )
    values = batch2_witness(shape, plain)
    circuit(shape).check(values)
    assert values[1 : 1 + shape.n_public] == public_inputs(shape, plain)
