"""zkpor/2: the per-account gadget, a selector-based variant of the account check.

The zkpor/2 batch circuit (``publisher.snark.batch2``, docs/protocol.md §16) uses this
module's ``slot_wires``, ``debt_reader``, ``pack_entry_gadget`` and ``margin_bits``, and
proves each slot's tier by a lookup into the public registry instead of the one-hot
selector ``account_gadget`` takes here. ``account_gadget`` stays as the standalone
account statement, measured (``bench/zkpor2_constraints.py``) and tested against
cheating witnesses (``tests/snark/test_account2.py``).

The account model
-----------------
An account holds up to ``K`` entries ``(asset index, equity, debt)`` (``K`` is a shape
parameter: tiers of 4, 16, 64, 512 held assets get their own circuit shapes). The gadget
proves, for one account:

* **Slots.** Boolean "used" flags ``u_0..u_{K-1}`` form a prefix of ones:
  ``u_{i+1} (1 - u_i) = 0``, so ``n = Σ u_i <= K`` and slot ``i`` is used iff ``i < n``.
  An unused slot is all zero: ``(1 - u_i) idx_i = (1 - u_i) e_i = (1 - u_i) d_i = 0``.
* **Amounts.** ``d_i`` is the sum of 64 boolean wires. ``e_i`` has no bits of its own:
  ``e_i - L >= 0`` and ``U - u_i - e_i >= 0`` (each 64 bits, below) with ``0 <= L`` and
  ``U <= 2^64`` imply ``0 <= e_i < 2^64`` (the two bit sums add up to ``U - u_i - L``,
  which is far below ``r``, so there is no wrap-around). For an unused slot the selector
  is all zero, so ``L = U = 0`` and ``e_i = 0`` follows twice over.
* **Asset indexes.** ``idx_0`` is 10 bits; for every ``i < K - 1`` the gap
  ``g_i = u_{i+1} (idx_{i+1} - idx_i - 1)`` is 10 bits, so the used indexes strictly
  increase (no repeats); and ``N - 1 - last`` is 10 bits, where the last used index
  ``last = idx_0 + Σ g_i + n - u_0`` telescopes (all linear, no selection). So every used
  index is in ``[0, N)`` for the registry size ``N <= 1024``.
* **Tiered collateral.** Each asset's tier table (public registry data) is expressed in
  equity units: lower bounds ``L_0 = 0 < L_1 < ... < L_{t-1} < 2^64``, ratios ``r_j``
  (whole percent, ``0..100``) and the cumulative collateral at each bound
  ``C_j = C_{j-1} + r_{j-1} p (L_j - L_{j-1})`` (value x 100, ``C_0 = 0``), ``p`` the
  price. A table of ``t < T`` tiers is padded to the circuit's ``T`` (at most 8) with
  ``L_j = 2^64`` (ratio and cumulative 0); tier ``j``'s upper bound is ``L_{j+1}``, and
  ``2^64`` for ``j = T - 1``. The tier index is a prover hint, held as a one-hot
  selector ``s`` (booleans, ``Σ s_j = u_i``); ``L``, ``U``, ``r``, ``C`` are its inner
  products with the table. With ``e - L`` and ``U - 1 - e`` in 64 bits, ``e`` is in the
  selected tier, so the tier is *the* tier of ``e``. There is no "last tier" flag for a
  prover to forge: the last used tier's upper bound is the padding's ``2^64``, which
  makes its upper check vacuous, and a padding tier can never be selected
  (``e - 2^64 < 0``). Collateral x 100 of the slot: ``C + r p (e - L)``; no division,
  so no remainder to constrain.
* **The account is collateralised.** ``Σ collateral x 100 - 100 Σ d_i p_i`` is range
  checked in ``margin_bits(K)`` bits: every term is below ``100 (2^64 - 1)^2`` per
  slot, so the honest margin fits ``bitlen(K 100 (2^64 - 1)^2)`` bits (135 for K = 1,
  145 for K = 1024), and a negative margin is ``r - m >= r - 2^145``, far outside.
  Since every ratio is at most 100%, it implies ``Σ (e_i - d_i) p_i >= 0``: the
  account's net balance in value is non-negative.

What the caller must guarantee
------------------------------
The gadget takes each slot's asset parameters (price, tier table) as wires from the
caller and does **not** bind them to the registry or to the slot's asset index: the
batch circuit (``publisher.snark.batch2``) does that with its lookup of each slot's tier
row in the public registry, and does not use this gadget's selector. It relies on those
parameters being the published registry's, and the registry being well formed (checked
natively by ``TierTable``): ``p < 2^64``, ``r_j <= 100``, ``0 < L_1 < ... < L_{t-1} <
2^64``, padding ``L_j = 2^64``, ``C_j`` as above. The registry size ``N`` must be at
most 1024. For an unused slot the parameters are ignored (the selector is zero), so the
caller may pass anything there.

Labels (``"{name}: ..."``, ``name`` = "account" by default), in the order the constraints
are added, so that a broken witness is named by its first failure: used slots are a
prefix; then per slot: debt in range, unused slot is zero, tier selector one-hot, tier
parameters selected, equity at or above tier lower bound, equity below tier upper bound,
collateral and debt values, entry packing; then asset indexes increasing, asset index in
the registry, collateral covers debt. The per-slot tier part is ``slot_collateral``.

Entries for the leaf: ``pack_entry`` packs ``idx + 2^10 e + 2^74 d`` (138 bits) into
one field element, injective because the three limbs are proven in range.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from publisher.snark.gadgets import boolean, input_in_range, range_check
from publisher.snark.r1cs import LC, ONE, ConstraintSystem, lc_add, lc_const, lc_scale
from verifier.book import (
    AMOUNT_BITS,
    AMOUNT_LIMIT,
    INDEX_BITS,
    MAX_REGISTRY,
    MAX_TIERS,
    PERCENT,
    SENTINEL,
    Entry,
    TierTable,
    check_entries,
    pack_entry,
)
from verifier.field import R

__all__ = [
    "AMOUNT_BITS",
    "AMOUNT_LIMIT",
    "INDEX_BITS",
    "MAX_REGISTRY",
    "MAX_TIERS",
    "PERCENT",
    "SENTINEL",
    "Entry",
    "TierTable",
    "check_entries",
    "pack_entry",
]

#: A ratio is a whole percent; collateral and values are kept x 100 (see verifier.book).


def margin_bits(max_assets: int) -> int:
    """Return the bits of the collateral margin for an account of ``max_assets`` slots.

    The margin ``Σ C + r p (e - L) - 100 Σ d p`` is at most ``K · 100 · (2^64 - 1)^2``
    when it is honest (every slot's collateral x 100 is at most ``100 p e``), and a
    negative one is ``r - m`` with ``m`` below the same bound, which needs 253 bits.
    """
    bits = (max_assets * PERCENT * (AMOUNT_LIMIT - 1) ** 2).bit_length()
    if bits + 1 >= R.bit_length():
        raise ValueError(f"{max_assets} slots leave no room for a sound margin check")
    return bits


def account_values(entries: Sequence[Entry], tables: Sequence[TierTable]) -> tuple[int, int]:
    """Return (Σ collateral x 100, 100 Σ debt x price) of an account, natively."""
    collateral = sum(t.collateral_x100(e) for (_, e, _), t in zip(entries, tables, strict=True))
    debt = sum(PERCENT * d * t.price for (_, _, d), t in zip(entries, tables, strict=True))
    return collateral, debt


# -- the circuit ------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountShape:
    """What fixes the gadget: slots ``K`` and tiers ``T`` per table."""

    max_assets: int
    tiers: int = MAX_TIERS

    def __post_init__(self) -> None:
        if not 1 <= self.max_assets <= MAX_REGISTRY:
            raise ValueError(f"an account has 1..{MAX_REGISTRY} slots, got {self.max_assets}")
        if not 1 <= self.tiers <= MAX_TIERS:
            raise ValueError(f"a table has 1..{MAX_TIERS} tiers, got {self.tiers}")


@dataclass(frozen=True)
class SlotAsset:
    """The asset parameters of one slot, as the caller's wires (or constants).

    ``ratios`` has ``T`` entries, ``lower`` and ``cumulative`` ``T - 1`` (``L_1..``,
    ``C_1..``), padded as ``TierTable.padded`` does.
    """

    price: LC
    ratios: tuple[LC, ...]
    lower: tuple[LC, ...]
    cumulative: tuple[LC, ...]


@dataclass(frozen=True)
class AccountWires:
    """What the gadget gives the rest of the batch circuit."""

    count: LC
    used: tuple[LC, ...]
    indexes: tuple[LC, ...]
    equities: tuple[LC, ...]
    debts: tuple[LC, ...]
    packed: tuple[LC, ...]
    collateral_x100: LC
    debt_value_x100: LC


def _is_constant(lc: LC) -> bool:
    return all(wire == ONE for wire in lc)


def _times(cs: ConstraintSystem, a: LC, b: LC) -> LC:
    """Return ``a * b``: free when either is a constant, else one constraint."""
    if _is_constant(b):
        return lc_scale(a, b.get(ONE, 0))
    if _is_constant(a):
        return lc_scale(b, a.get(ONE, 0))
    return cs.mul(a, b)


def _sum(terms: Sequence[LC]) -> LC:
    return lc_add(*terms) if terms else {}


def _minus(a: LC, *terms: LC) -> LC:
    return lc_add(a, *(lc_scale(t, R - 1) for t in terms))


@dataclass(frozen=True)
class SlotWires:
    """An account's ``k`` slots: used flags (a constrained prefix of ones), asset indexes
    and equities (constrained by their caller), the count of used slots, and a reader of
    the entries padded with zero slots to ``k``."""

    used: list[LC]
    indexes: list[LC]
    equities: list[LC]
    count: LC
    padded: Callable[[Mapping[str, object]], list[Entry]]


def slot_wires(
    cs: ConstraintSystem,
    name: str,
    k: int,
    registry_size: LC,
    read: Callable[[Mapping[str, object]], Sequence[Entry]],
) -> SlotWires:
    """Add the used flags, asset indexes and equities of ``k`` slots (one hint, which
    refuses malformed entries) and constrain the flags to a prefix of ones."""

    def padded(inputs: Mapping[str, object]) -> list[Entry]:
        found = list(read(inputs))
        return found + [(0, 0, 0)] * (k - len(found))

    used_w, index_w, equity_w = cs.new_wires(k), cs.new_wires(k), cs.new_wires(k)

    def fill(values: list[int], inputs: Mapping[str, object]) -> list[int]:
        held = list(read(inputs))
        check_entries(held, k, min(values[0], MAX_REGISTRY))
        rows = padded(inputs)
        used = [1 if i < len(held) else 0 for i in range(k)]
        return used + [e[0] for e in rows] + [e[1] for e in rows]

    cs.hint([registry_size], [*used_w, *index_w, *equity_w], fill)
    used = [{w: 1} for w in used_w]
    cs.names[f"{name}.used"] = tuple(used_w)
    for i in range(k):
        cs.names[f"{name}.index[{i}]"] = (index_w[i],)
        cs.names[f"{name}.equity[{i}]"] = (equity_w[i],)

    cs.label(f"{name}: used slots are a prefix")
    for i in range(k):
        boolean(cs, used[i])
        if i:
            cs.constrain(used[i], _minus({ONE: 1}, used[i - 1]), {})
    return SlotWires(
        used, [{w: 1} for w in index_w], [{w: 1} for w in equity_w], _sum(used), padded
    )


def account_gadget(
    cs: ConstraintSystem,
    shape: AccountShape,
    assets: Sequence[SlotAsset],
    registry_size: LC,
    read: Callable[[Mapping[str, object]], Sequence[Entry]],
    name: str = "account",
) -> AccountWires:
    """Add one account's constraints; ``read`` gives its entries from the named inputs.

    ``assets[i]`` are slot ``i``'s asset parameters. Labels are ``"{name}: ..."``; wire
    groups are recorded in ``cs.names`` under ``"{name}.<group>[i]"`` for tests.
    """
    k, tiers = shape.max_assets, shape.tiers
    if len(assets) != k:
        raise ValueError(f"{len(assets)} slot parameters for {k} slots")
    for asset in assets:
        if len(asset.ratios) != tiers or not len(asset.lower) == len(asset.cumulative) == tiers - 1:
            raise ValueError(f"slot parameters must be padded to {tiers} tiers")

    slots = slot_wires(cs, name, k, registry_size, read)
    used, indexes, equities, count = slots.used, slots.indexes, slots.equities, slots.count

    debts: list[LC] = []
    packed: list[LC] = []
    collateral_terms: list[LC] = []
    debt_terms: list[LC] = []
    for i in range(k):
        u, idx, e = used[i], indexes[i], equities[i]
        unused = _minus({ONE: 1}, u)
        asset = assets[i]

        cs.label(f"{name}: debt in range")
        d = input_in_range(cs, debt_reader(slots.padded, i), AMOUNT_BITS)
        debts.append(d)
        cs.names[f"{name}.debt[{i}]"] = tuple(d)

        cs.label(f"{name}: unused slot is zero")
        for amount in (idx, e, d):
            cs.constrain(unused, amount, {})

        collateral, debt_value = slot_collateral(cs, asset, u, e, d, name, i)
        collateral_terms.append(collateral)
        debt_terms.append(debt_value)

        cs.label(f"{name}: entry packing")
        packed.append(pack_entry_gadget(cs, idx, e, d))

    cs.label(f"{name}: asset indexes increasing")
    gaps: list[LC] = []
    for i in range(k - 1):
        gap = cs.mul(used[i + 1], _minus(indexes[i + 1], indexes[i], {ONE: 1}))
        cs.names[f"{name}.gap[{i}]"] = tuple(range_check(cs, gap, INDEX_BITS))
        gaps.append(gap)

    cs.label(f"{name}: asset index in the registry")
    range_check(cs, indexes[0], INDEX_BITS)
    last = _minus(lc_add(indexes[0], *gaps, count), used[0])
    range_check(cs, _minus(registry_size, {ONE: 1}, last), INDEX_BITS)

    cs.label(f"{name}: collateral covers debt")
    collateral = _sum(collateral_terms)
    debt_value = lc_scale(_sum(debt_terms), PERCENT)
    margin = range_check(cs, _minus(collateral, debt_value), margin_bits(k))
    cs.names[f"{name}.margin"] = tuple(margin)

    return AccountWires(
        count=count,
        used=tuple(used),
        indexes=tuple(indexes),
        equities=tuple(equities),
        debts=tuple(debts),
        packed=tuple(packed),
        collateral_x100=collateral,
        debt_value_x100=debt_value,
    )


def slot_collateral(
    cs: ConstraintSystem, asset: SlotAsset, used: LC, equity: LC, debt: LC, name: str, slot: int
) -> tuple[LC, LC]:
    """Return (collateral x 100, debt x price) of one slot, proving the equity's tier.

    ``equity`` gets its range here (see the module docstring); ``debt`` must already be
    range checked. ``used`` is the slot's boolean used flag: for an unused slot the
    selector is all zero and ``equity`` is forced to 0.
    """
    cs.label(f"{name}: tier selector one-hot")
    selector_w = cs.new_wires(len(asset.ratios))
    cs.hint([used, equity, *asset.lower], selector_w, _select_tier)
    selector = [{w: 1} for w in selector_w]
    for s in selector:
        boolean(cs, s)
    cs.constrain(_sum(selector), {ONE: 1}, used)
    cs.names[f"{name}.selector[{slot}]"] = tuple(selector_w)

    cs.label(f"{name}: tier parameters selected")
    first = cs.n_wires
    ratio_terms = [_times(cs, s, r) for s, r in zip(selector, asset.ratios, strict=True)]
    cs.names[f"{name}.ratio_terms[{slot}]"] = tuple(range(first, cs.n_wires))
    lower = _sum([_times(cs, s, b) for s, b in zip(selector[1:], asset.lower, strict=True)])
    uppers = [*asset.lower, lc_const(SENTINEL)]
    upper = _sum([_times(cs, s, b) for s, b in zip(selector, uppers, strict=True)])
    base = _sum([_times(cs, s, c) for s, c in zip(selector[1:], asset.cumulative, strict=True)])
    ratio = _sum(ratio_terms)

    cs.label(f"{name}: equity at or above tier lower bound")
    above = _minus(equity, lower)
    cs.names[f"{name}.above[{slot}]"] = tuple(range_check(cs, above, AMOUNT_BITS))

    cs.label(f"{name}: equity below tier upper bound")
    below = range_check(cs, _minus(upper, used, equity), AMOUNT_BITS)
    cs.names[f"{name}.below[{slot}]"] = tuple(below)

    cs.label(f"{name}: collateral and debt values")
    per_unit = _times(cs, ratio, asset.price)
    return lc_add(base, _times(cs, per_unit, above)), _times(cs, debt, asset.price)


def debt_reader(
    entries: Callable[[Mapping[str, object]], Sequence[Entry]], slot: int
) -> Callable[[Mapping[str, object]], int]:
    """Return a reader of slot ``slot``'s debt from the padded entries."""
    return lambda inputs: entries(inputs)[slot][2]


def _select_tier(values: list[int], _: Mapping[str, object]) -> list[int]:
    """Hint: the one-hot selector of the tier ``e`` falls in (all zero for an unused slot)."""
    used, equity, *lower = values
    out = [0] * (len(lower) + 1)
    if used:
        out[sum(1 for bound in lower if bound <= equity)] = 1
    return out


def pack_entry_gadget(cs: ConstraintSystem, index: LC, equity: LC, debt: LC) -> LC:
    """Return one wire ``index + 2^10 equity + 2^74 debt`` (the limbs proven in range)."""
    total = lc_add(
        index,
        lc_scale(equity, 1 << INDEX_BITS),
        lc_scale(debt, 1 << (INDEX_BITS + AMOUNT_BITS)),
    )
    return cs.materialize(total)
