"""Issue 13's soundness list, item by item, against the zkpor/2 batch circuit.

Each test is one item of issue 13 ("Soundness tests"), named after it. As in
test_batch2.py and test_account2.py, a cheating prover replaces chosen wires of the
honest witness (``ConstraintSystem.witness(..., overrides)``: every later wire, the tier
commitment and the challenges among them, follows honestly from the cheat, as the
best-placed liar would) and the test asserts the label of the FIRST constraint broken.
Where a cheat is otherwise perfect, ``failing`` shows the named guard is the only one.

Items of the issue that name a mechanism zkpor/2 does not have say so in their docstring
and test what stands in its place: there is no division (so no remainder), no tier index
or "last tier" flag (the looked-up tier row is the tier), and the permutation argument is
a log-derivative lookup of each slot's tier row into the public registry table.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache

import pytest

from publisher.snark.batch2 import Batch2Input, Batch2Shape, build_batch2, public_inputs
from publisher.snark.r1cs import ConstraintSystem, UnsatisfiedConstraint
from tests.snark.test_batch2 import (
    ACCOUNTS,
    BETA,
    GAMMA,
    LOOKUP,
    LOWER,
    MASK,
    REGISTRY,
    SHAPE,
    UPPER,
    bits,
    circuit,
    data,
    failing,
    first_failure,
    multiplicity,
    wire,
    witness,
)
from verifier.book import (
    AMOUNT_LIMIT,
    PUBLIC_REGISTRY,
    PUBLIC_ROOT,
    PUBLIC_TOTAL,
    SENTINEL,
    Entry,
    TierTable,
    account_values,
    leaf2_hash,
    table_row,
)
from verifier.field import R

COVERS = "account 0: collateral covers debt"


def row(asset: int, tier: int, account: int = 0, slot: int = 0) -> dict[int, int]:
    """Overrides claiming registry row ``(asset, tier)`` for a slot's tier data."""
    values = table_row(REGISTRY[asset], tier, SHAPE.tiers)
    keys = ("lower", "upper", "ratio", "price", "base")
    return {wire(f"account {account}.{k}[{slot}]"): v for k, v in zip(keys, values, strict=True)}


# -- under-collateralised account; debt with no collateral ---------------------------------


def test_under_collateralised_account() -> None:
    """Account 0's collateral x 100 is 1,175,000 (asset 0) + 665,000 (asset 1): a debt of
    18,400 in asset 2 (price 1) passes, 18,401 fails; forging asset 0's tier ratio to lift
    the collateral over the debt is stopped by the lookup alone."""
    circuit().check(witness(accounts=[[(0, 250, 0), (1, 1_000, 0), (2, 0, 18_400)], []]))
    accounts = [[(0, 250, 0), (1, 1_000, 0), (2, 0, 18_401)], []]
    assert first_failure(witness(accounts=accounts)) == COVERS
    forged = witness({wire("account 0.ratio[0]"): 100}, accounts=accounts)
    assert failing(circuit(), forged) == [LOOKUP]


@pytest.mark.parametrize(
    "entries",
    [[(2, 0, 1)], [(3, 10, 1)], [(2, 0, 1), (3, 1_000, 0)]],
    ids=["nothing-held", "own-asset-at-0%", "collateral-at-0%"],
)
def test_debt_with_no_collateral(entries: list[Entry]) -> None:
    """A debt of one unit with no equity, or backed only by an asset at 0 % (asset 3)."""
    assert first_failure(witness(accounts=[entries, []])) == COVERS


# -- a price, ratio or tier boundary differing from the published registry ----------------


@pytest.mark.parametrize(
    ("slot", "key", "value"),
    [
        (0, "price", 51),
        (2, "price", 0),  # the debt's price: a debt valued at nothing
        (0, "ratio", 100),
        (0, "lower", 50),
        (0, "upper", 1_000),
        (0, "base", 10_000 * 100),
    ],
    ids=["price", "debt-price", "ratio", "lower-bound", "upper-bound", "cumulative"],
)
def test_registry_value_differs_from_the_published_registry(
    slot: int, key: str, value: int
) -> None:
    """One value of a slot's tier row is not the registry's. Every check before the
    lookup holds (the slot's bounds, the collateral check, the commitment the challenges
    come from): the lookup alone refuses it."""
    values = witness({wire(f"account 0.{key}[{slot}]"): value})
    assert failing(circuit(), values) == [LOOKUP]


def test_public_registry_value_differs_from_the_slots() -> None:
    """The other side: a public input of the registry (asset 0's price) changed; the
    slots holding asset 0 keep the published price and no longer find their row."""
    price_wire = 1 + PUBLIC_REGISTRY
    assert witness()[price_wire] == 50
    assert first_failure(witness({price_wire: 51})) == LOOKUP


# -- a tier index or flag that does not match the value ------------------------------------


@pytest.mark.parametrize(
    ("tier", "label"),
    [(0, UPPER), (2, LOWER), (3, LOWER)],
    ids=["tier-0", "tier-2", "padding-tier"],
)
def test_tier_that_does_not_match_the_value(tier: int, label: str) -> None:
    """There is no tier index wire: the prover gives the tier's row. Asset 0's 250 units
    are in tier 1 ([100, 400)); claiming another registry row of asset 0 (so the lookup
    passes) breaks one of its bounds, and a padding tier's lower bound is 2^64."""
    cheat = row(0, tier)
    if tier == 3:
        assert cheat[wire("account 0.lower[0]")] == SENTINEL
    values = witness(cheat)
    assert first_failure(values) == label
    assert LOOKUP not in failing(circuit(), values)


@pytest.mark.parametrize(
    ("flags", "label"),
    [
        ((1, 1, 0), "account 0: unused slot is zero"),
        ((1, 0, 1), "account 0: used slots are a prefix"),
        ((1, 1, 2), "account 0: used slots are a prefix"),
    ],
    ids=["debt-slot-marked-unused", "gap", "not-a-bit"],
)
def test_used_flag_that_does_not_match_the_slot(flags: tuple[int, ...], label: str) -> None:
    """The only flag in a slot is ``u`` (used): marking account 0's debt slot unused would
    take it out of the collateral check and the lookup; its non-zero entry refuses that."""
    used = circuit().names["account 0.used"]
    values = witness(dict(zip(used, flags, strict=True)))
    assert first_failure(values) == label


# -- a division remainder equal to the divisor ----------------------------------------------


def test_no_division_so_no_remainder() -> None:
    """Issue 13's "remainder equal to the divisor" needs a quotient hint; zkpor/2 has no
    division. The unit bounds of a tier (``V // price``) are computed by the *verifier*
    from the published registry, so they are public inputs, not hints. In the circuit,
    a slot's collateral x 100 is ``C + r p (e - L)`` and its debt value ``p d``: products
    only. Every wire the "collateral and debt values" constraints produce is the output of
    one product: changing any of them, by one or by ``r - 1``, breaks its own constraint
    first. The only other division-like hints, the inverses ``1 / (z - f)`` and
    ``1 / (β - a)``, have exactly one solution each (tested below)."""
    cs = circuit()
    honest = witness()
    produced = [
        next(iter(c))
        for index, (_, _, c) in enumerate(cs.constraints)
        if cs.label_of(index) == "account 0: collateral and debt values"
    ]
    assert len(produced) == 4 * SHAPE.max_assets  # r p, (r p)(e - L), u (C + ..), d p
    for w in produced:
        for delta in (1, R - 1):
            values = witness({w: (honest[w] + delta) % R})
            assert first_failure(values) == "account 0: collateral and debt values"


def test_inverse_hints_have_one_solution() -> None:
    """The lookup's and the batch total's inverses: any other value breaks its product."""
    cs = circuit()
    honest = witness()
    for label in ("lookup: slot tuples", "lookup: registry rows", "batch total"):
        inverses = [
            next(iter(a))
            for index, (a, b, c) in enumerate(cs.constraints)
            if cs.label_of(index) == label and c == {0: 1}
        ]
        assert inverses, label
        w = inverses[0]
        assert first_failure(witness({w: (honest[w] + 1) % R})) == label


# -- an asset index outside the registry, repeated in one account, or unsorted --------------


@pytest.mark.parametrize("index", [4, 5, 1023, 1024, R - 1])
def test_asset_index_outside_the_registry(index: int) -> None:
    """Account 1's second asset (3, the registry's last) replaced by ``index``, with the
    most favourable tier row (asset 3's, so the bounds pass): the registry range refuses
    it (a "negative" index, ``r - 1``, already fails the 10-bit gap before it). The
    lookup refuses it too: no table row has that asset."""
    cheat = {wire("account 1.index[1]"): index, **row(3, 0, account=1, slot=1)}
    values = witness(cheat)
    expected = "account 1: asset index in the registry"
    if index == R - 1:
        expected = "account 1: asset indexes increasing"
    assert first_failure(values) == expected
    assert LOOKUP in failing(circuit(), values)


def test_asset_index_repeated() -> None:
    """Account 0 lists asset 0 twice (its second slot's 1,000 units in asset 0's top tier,
    a registry row): only the ordering stops it."""
    values = witness({wire("account 0.index[1]"): 0, **row(0, 2, slot=1)})
    assert failing(circuit(), values) == ["account 0: asset indexes increasing"]


def test_asset_indexes_unsorted() -> None:
    values = witness({wire("account 0.index[0]"): 1, wire("account 0.index[1]"): 0})
    assert first_failure(values) == "account 0: asset indexes increasing"


# -- a trailing packed element changed --------------------------------------------------------

WIDE_REGISTRY = tuple(TierTable.from_values(1 + a, [(0, 100)]) for a in range(20))
WIDE = Batch2Shape.of(slots=20, batch_depth=0, arity=4, registry_size=20, tiers=SHAPE.tiers)
WIDE_ACCOUNT: list[Entry] = [(a, 10 + a, 0) for a in range(20)]


@cache
def wide_circuit() -> ConstraintSystem:
    return build_batch2(WIDE).cs


def wide_data(entries: Sequence[Entry]) -> Batch2Input:
    return Batch2Input([77], [list(entries)], list(WIDE_REGISTRY), BETA, GAMMA, MASK)


@pytest.mark.parametrize("slot", [13, 14, 15, 19])
def test_trailing_packed_element_changed(slot: int) -> None:
    """K = 20: the leaf is ``H(5, idc, q_0..q_13)`` chained with ``H(h, q_14..q_19)``.
    Changing entry ``slot`` (the last of the first hash, the first and the last of the
    chained one) changes the leaf, natively and in the circuit; a witness that keeps the
    old leaf fails at the leaf hash."""
    cs = wide_circuit()
    old_leaf = leaf2_hash(77, WIDE_ACCOUNT, 20)
    changed = list(WIDE_ACCOUNT)
    asset, equity, debt = changed[slot]
    changed[slot] = (asset, equity + 1, debt)
    new_leaf = leaf2_hash(77, changed, 20)
    assert new_leaf != old_leaf
    honest = cs.witness(wide_data(changed).as_inputs())
    cs.check(honest)
    assert honest[1 + PUBLIC_ROOT] == new_leaf  # a batch of one: the root is the leaf
    assert honest[1 : 1 + WIDE.n_public] == public_inputs(WIDE, wide_data(changed))
    (leaf_w,) = cs.names["account 0.leaf"]
    kept = cs.witness(wide_data(changed).as_inputs(), {leaf_w: old_leaf})
    assert kept[1 + PUBLIC_ROOT] == old_leaf
    assert first_failure(kept, WIDE) == "account 0: leaf hash"


def test_packed_element_beyond_the_entries_is_hashed() -> None:
    """An unused slot past the last entry is a zero packed element that is still hashed:
    a prover who puts a hidden entry there breaks "unused slot is zero", and one who marks
    it used changes the leaf (every packed element is absorbed)."""
    short = WIDE_ACCOUNT[:19]
    cs = wide_circuit()
    honest = cs.witness(wide_data(short).as_inputs())
    cs.check(honest)
    hidden = cs.witness(wide_data(short).as_inputs(), {cs.names["account 0.equity[19]"][0]: 5})
    assert first_failure(hidden, WIDE) == "account 0: unused slot is zero"
    assert leaf2_hash(77, short, 20) != leaf2_hash(77, WIDE_ACCOUNT, 20)


# -- equity or debt >= 2^64, or moved between packed limbs ---------------------------------------


@pytest.mark.parametrize("tier", range(SHAPE.tiers))
def test_equity_of_2_64_or_more(tier: int) -> None:
    """Account 0's asset-0 equity raised by 2^64: whichever row of asset 0 it claims, one
    of the row's bounds (each a 64-bit range) refuses it."""
    values = witness({wire("account 0.equity[0]"): 250 + AMOUNT_LIMIT, **row(0, tier)})
    assert first_failure(values) in (LOWER, UPPER)


def test_debt_of_2_64_or_more() -> None:
    """A debt is its 64 bits; a "bit" of 2 to reach 2^64 fails their booleanity."""
    forged = bits("account 0.debt[2]", 9_000)
    top = circuit().names["account 0.debt[2]"][63]
    forged[top] = 2
    assert first_failure(witness(forged)) == "account 0: debt in range"


def test_equity_moved_into_the_debt_limb() -> None:
    """``(e + 2^64, d - 1)`` packs like ``(e, d)``: leaf and root unchanged, so only the
    equity's bounds stop it. Here with account 0's debt slot (asset 2, one tier)."""
    values = witness(
        {wire("account 0.equity[2]"): AMOUNT_LIMIT, **bits("account 0.debt[2]", 8_999)}
    )
    assert values[1 + PUBLIC_ROOT] == witness()[1 + PUBLIC_ROOT]
    assert first_failure(values) in (LOWER, UPPER)


def test_index_moved_into_the_equity_limb() -> None:
    """``(a + 2^10, e - 1)`` packs like ``(a, e)``: for account 0's first slot, index
    1024 with 249 units and a row that fits them; the index ordering refuses it."""
    cheat = {wire("account 0.index[0]"): 1 << 10, wire("account 0.equity[0]"): 249}
    values = witness({**cheat, **row(0, 1)})
    assert values[1 + PUBLIC_ROOT] == witness()[1 + PUBLIC_ROOT]
    assert first_failure(values) == "account 0: asset indexes increasing"


# -- a batch total that does not match its rows -----------------------------------------------


@pytest.mark.parametrize("delta", [1, R - 1, GAMMA, 1 << 64])
def test_batch_total_that_does_not_match_its_rows(delta: int) -> None:
    """The public ``s`` moved by one unit of equity, of debt (``γ``), or any other amount."""
    honest = witness()[1 + PUBLIC_TOTAL]
    values = witness({1 + PUBLIC_TOTAL: (honest + delta) % R})
    assert first_failure(values) == "batch total"


def test_batch_total_term_of_a_changed_row() -> None:
    """One row's term ``(e + γ d) / (β - a)`` computed for one unit less equity."""
    cs = circuit()
    honest = witness()
    terms = [
        next(iter(c))
        for index, (_, _, c) in enumerate(cs.constraints)
        if cs.label_of(index) == "batch total" and c != {0: 1}
    ]
    # Products in order, after each slot's inverse check: γ d, then (e + γ d) w.
    term = terms[1]  # account 0's first slot: asset 0, so w = 1 / β
    forged = (honest[term] - pow(BETA, -1, R)) % R
    assert first_failure(witness({term: forged})) == "batch total"


# -- an account split across leaves or batches to dodge its collateral check ------------------


NET_NEGATIVE: list[Entry] = [(0, 250, 0), (1, 1_000, 0), (2, 0, 20_000)]


def splits(rng: random.Random, entries: Sequence[Entry]) -> list[tuple[list[Entry], list[Entry]]]:
    """Random splits of ``entries`` into two accounts, amounts themselves divided too."""
    out = []
    for _ in range(12):
        left, right = [], []
        for asset, equity, debt in entries:
            e, d = rng.randint(0, equity), rng.randint(0, debt)
            if e or d:
                left.append((asset, e, d))
            if equity - e or debt - d:
                right.append((asset, equity - e, debt - d))
        out.append((left, right))
    return out


def test_account_split_across_leaves_or_batches() -> None:
    """Account 0 worth 12,500 + 7,000 = 19,500 in value owes 20,000 (price 1): its net
    balance is negative. Split into two leaves of one batch, or two batches, in any way
    (amounts of one asset divided too), some part's debt exceeds its collateral, and its
    leaf fails "collateral covers debt": the parts' margins add up to at most the whole
    account's net value, because collateral is at most value (every ratio <= 100 %).

    What a split *can* dodge is a tier haircut (next test): never a negative net balance."""
    collateral, debt = account_values(NET_NEGATIVE, REGISTRY)
    value = sum(e * REGISTRY[a].price for a, e, _ in NET_NEGATIVE)
    assert 100 * value < debt and collateral < debt
    for left, right in splits(random.Random(13), NET_NEGATIVE):
        # Two leaves of one batch.
        label = first_failure(witness(accounts=[left, right]))
        assert label in (COVERS, "account 1: collateral covers debt")
        # Two batches (two proofs): at least one of them cannot be made.
        outcomes = []
        for part in (left, right):
            values = witness(accounts=[part, []])
            try:
                circuit().check(values)
                outcomes.append("ok")
            except UnsatisfiedConstraint:
                outcomes.append(first_failure(values))
        assert COVERS in outcomes


def test_split_can_only_dodge_tier_haircuts() -> None:
    """Honest limit of the statement: 500 units of asset 0 count 21,000 together (the
    last 100 at 50 %), 2 x 11,750 = 23,500 as two accounts of 250. A debt of 22,000 fails
    as one account and passes split; the split accounts' net value is still positive
    (25,000 - 22,000): a split gains at most the tier haircut, never a negative balance."""
    whole = [[(0, 500, 0), (2, 0, 22_000)], []]
    assert first_failure(witness(accounts=whole)) == COVERS
    split = [[(0, 250, 0), (2, 0, 11_000)], [(0, 250, 0), (2, 0, 11_000)]]
    circuit().check(witness(accounts=split))
    assert 500 * REGISTRY[0].price > 22_000 * REGISTRY[2].price


# -- the permutation argument fed a non-permutation ------------------------------------------


@pytest.mark.parametrize(
    ("cheat", "slot"),
    [
        ({"lower": 100, "upper": 400, "ratio": 100, "base": 0}, 0),  # rows 0 and 1 mixed
        ({"lower": 400, "upper": SENTINEL, "ratio": 50, "price": 50}, 1),  # asset 0's row
    ],
    ids=["rows-mixed", "another-assets-row"],
)
def test_lookup_fed_a_tuple_not_in_the_table(cheat: dict[str, int], slot: int) -> None:
    """The lookup (our permutation argument: the slots' tier rows against the registry's
    table) fed a slot tuple that is no registry row: parts of two rows of one asset, or
    another asset's row (asset 0's top tier claimed for account 0's asset-1 slot, which
    also takes asset 0's cumulative collateral)."""
    overrides = {wire(f"account 0.{k}[{slot}]"): v for k, v in cheat.items()}
    if slot == 1:
        overrides[wire("account 0.base[1]")] = REGISTRY[0].cumulative[1]
    values = witness(overrides)
    assert failing(circuit(), values) == [LOOKUP]


@pytest.mark.parametrize(
    ("moves"),
    [((0, 1, -1), (0, 0, +1)), ((1, 0, -1),), ((0, 2, +1),), ((0, 1, +1), (3, 0, -1))],
    ids=["moved-between-rows", "dropped", "added", "moved-between-assets"],
)
def test_lookup_multiplicities_of_a_non_permutation(
    moves: tuple[tuple[int, int, int], ...],
) -> None:
    """The table side counts a row one time fewer or more, or a count moves to another
    row: the two sides no longer list the same tuples."""
    honest = witness()
    overrides = {multiplicity(a, t): honest[multiplicity(a, t)] + delta for a, t, delta in moves}
    assert first_failure(witness(overrides)) == LOOKUP


def test_honest_batch_is_accepted() -> None:
    """The baseline every cheat above departs from."""
    circuit().check(witness())
    assert witness()[1 : 1 + SHAPE.n_public] == public_inputs(SHAPE, data(ACCOUNTS))
