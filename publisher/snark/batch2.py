"""zkpor/2: the batch circuit (docs/protocol.md §16).

One Groth16 proof per batch of ``B = k^d_b`` accounts (``d_b >= 0``: ``B = 1`` is a
batch of one account, its leaf is the batch root) of ``K`` slots each, against a
registry of ``A`` assets with ``T``-tier collateral tables. The native twin of every
value it proves is in ``verifier.book`` (tags, leaf, mask commitment, batch total,
registry inputs); this module imports them and must never keep copies. What it must
never do: take a registry value, a challenge or a total from anywhere but the public
inputs, or let a slot's tier data escape the lookup.

The statement, for one batch:

* **Public inputs** (``verifier.book.PUBLIC_*``): ``[root, c, s, β, γ, *registry]`` where
  ``c = H(6, root, m)`` commits the batch's private uniform mask ``m``, ``s`` is the
  masked total, and the registry part is ``verifier.book.registry_public_inputs``: per
  asset its unit price and its padded table (``T`` ratios, ``T - 1`` lower bounds
  ``L_1..``, ``T - 1`` cumulative collaterals ``C_1..``, as ``TierTable.padded``). The
  verifier derives the registry part from the published registry, which also checks it
  is well formed, and ``β``, ``γ`` with ``verifier.book.challenges``.
* **Per account** (as ``account2.account_gadget``, whose slot wires it shares): used
  slots a prefix, unused slots zero, debts in 64 bits, asset indexes strictly
  increasing and in the registry; per slot a tier row ``(L, U, r, p, C)`` given by the
  prover with ``e - L`` and ``U - 1 - e`` in 64 bits (which puts ``e`` in 64 bits and in
  that tier) and ``r`` in 7; collateral x 100 ``C + r p (e - L)``, debt value ``p d``:
  no division anywhere, so no remainder; ``Σ collateral x 100 - 100 Σ p d`` in
  ``margin_bits(K)`` bits (an unused slot's collateral is multiplied by its used flag
  ``u``, and it takes no part in the lookup, so its tier data count for nothing); the
  leaf ``verifier.book.leaf2_hash``: ``H(5, idc, q_0..q_13)`` then ``H(h, next 15)``
  over packed entries ``q = a + 2^10 e + 2^74 d``.
* **Batch root**: ``gadgets.subtree`` over the ``B`` leaves (zkpor/1's node tag 3).
* **Tier commitment**: per slot ``κ1 = (e - L) + 2^64 (U - 1 - e) + 2^128 r + 2^135 u``
  (limbs range checked, so injective), ``κ2 = p``, ``κ3 = C``; per table row its
  multiplicity ``m_g`` in ``bitlen(B)`` bits (a row is used at most once per account),
  packed; all absorbed by a Poseidon sponge ``H(7, ...)`` into ``H_tiers``. Then
  ``z = H(8, root, H_tiers, β, γ)`` and ``α = H(8, z)``. The slot's ``a``, ``e``, ``d``
  are fixed by ``root`` (the entry packing is injective given ``a``, ``d`` in range), so
  ``L = e - (e - L)`` and ``U`` are fixed too; the registry is fixed by ``β``, which the
  verifier derives from the registry digest.
* **Lookup** (log-derivative; the "permutation argument" of issue 13):
  ``f = a + α L + α^2 U + α^3 r + α^4 p + α^5 C`` per slot, ``t_g`` the same over the
  public row ``g``; ``Σ_slots u / (z - f) = Σ_g m_g / (z - t_g)``. With everything fixed
  before ``(z, α)``, every used slot's tuple is a registry row, except with probability
  about ``(BK + AT)^2 / r``. No sorted copy of the entries and no tier selector: the
  looked-up row *is* the tier, and its bounds prove it is the equity's own.
* **Batch total**: ``s = m + Σ_slots (e + γ d) / (β - a)`` (``verifier.book.batch_total``).
  The verifier checks ``Σ_j s_j = M + Σ_a (E_a + γ D_a) / (β - a)``
  (``verifier.book.totals_identity_holds``): cleared of its denominators, a wrong total
  or mask sum leaves a nonzero polynomial in ``β`` of degree at most ``A``, so it passes
  with probability at most about ``A / (r - A)`` (docs/protocol.md §16). ``β`` is never
  in ``[0, A)``.

Why a lookup of tier rows, not a sorted-by-asset list with header rows: the headers'
rows are data dependent, so binding a header to "the public value of asset ``a_i``" is
an ``A``-way selection, and every value compressed into a tuple must be hashed before the
challenge (else one linear equation after seeing ``α`` forges a tuple: see
``test_compressed_tuple_is_forgeable_when_a_value_is_not_committed``).

Labels (``"account {b}: ..."``, then batch-level), in the order the constraints are
added, so a broken witness is named by its first failure (tests/snark/test_batch2*.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from publisher.snark.account2 import (
    debt_reader,
    margin_bits,
    pack_entry_gadget,
    slot_wires,
)
from publisher.snark.gadgets import input_in_range, poseidon_gadget, range_check, subtree
from publisher.snark.r1cs import LC, ONE, ConstraintSystem, lc_add, lc_const, lc_scale
from verifier.book import (
    AMOUNT_BITS,
    INDEX_BITS,
    LEAF_FIRST,
    LEAF_NEXT,
    MAX_REGISTRY,
    MAX_TIERS,
    PERCENT,
    PUBLIC_BETA,
    PUBLIC_COMMITMENT,
    PUBLIC_GAMMA,
    PUBLIC_REGISTRY,
    PUBLIC_ROOT,
    PUBLIC_TOTAL,
    SENTINEL,
    TAG_CHALLENGE,
    TAG_LEAF2,
    TAG_MASK,
    TAG_TIERS,
    Entry,
    TierTable,
    batch_total,
    circuit_id2,
    leaf2_hash,
    mask_commitment,
    registry_public_inputs,
    table_row,
)
from verifier.field import R
from verifier.poseidon import poseidon
from verifier.protocol import subtree_root

__all__ = [
    "PUBLIC_BETA",
    "PUBLIC_COMMITMENT",
    "PUBLIC_GAMMA",
    "PUBLIC_REGISTRY",
    "PUBLIC_ROOT",
    "PUBLIC_TOTAL",
    "Batch2Circuit",
    "Batch2Input",
    "Batch2Shape",
    "asset_totals",
    "batch2_witness",
    "batch_root",
    "build_batch2",
    "public_inputs",
]

RATIO_BITS = 7
#: Limb offsets of a slot's tier element κ1.
BELOW_SHIFT, RATIO_SHIFT, USED_SHIFT = AMOUNT_BITS, 2 * AMOUNT_BITS, 2 * AMOUNT_BITS + RATIO_BITS
SPONGE_RATE = 15
FIELD_BITS = 253


@dataclass(frozen=True)
class Batch2Shape:
    """What fixes one batch circuit: ``B = arity^d_b`` accounts (``d_b >= 0``) of ``K``
    slots, ``A`` registry assets of ``T`` tiers. ``mult_bits`` (default ``bitlen(B)``)
    bounds a table row's multiplicity."""

    batch_size: int
    max_assets: int
    registry_size: int
    tiers: int = MAX_TIERS
    arity: int = 2
    mult_bits: int = 0

    def __post_init__(self) -> None:
        if self.arity not in (2, 4, 8):
            raise ValueError(f"tree arity must be 2, 4 or 8, got {self.arity}")
        if self.batch_size < 1 or self.arity**self.batch_depth != self.batch_size:
            raise ValueError(f"a batch holds a power (>= 0) of {self.arity} accounts")
        if not 1 <= self.max_assets <= MAX_REGISTRY:
            raise ValueError(f"an account has 1..{MAX_REGISTRY} slots")
        if not 1 <= self.registry_size <= MAX_REGISTRY:
            raise ValueError(f"a registry has 1..{MAX_REGISTRY} assets")
        if not 1 <= self.tiers <= MAX_TIERS:
            raise ValueError(f"a table has 1..{MAX_TIERS} tiers")
        if self.mult_bits and self.mult_bits < self.batch_size.bit_length():
            raise ValueError(f"multiplicities need {self.batch_size.bit_length()} bits")

    @classmethod
    def of(
        cls, slots: int, batch_depth: int, arity: int, registry_size: int, tiers: int
    ) -> Batch2Shape:
        """Return the shape of the manifest's terms: ``K``, ``d_b``, ``k``, ``A``, ``T``."""
        if not 0 <= batch_depth <= 20:
            raise ValueError(f"batch depth {batch_depth} is not in 0..20")
        return cls(arity**batch_depth, slots, registry_size, tiers, arity)

    @property
    def batch_depth(self) -> int:
        """Return ``d_b``: the levels of the batch subtree (0 for a batch of one)."""
        depth, size = 0, 1
        while size < self.batch_size:
            size *= self.arity
            depth += 1
        return depth

    @property
    def circuit_id(self) -> str:
        """Return ``verifier.book.circuit_id2`` of this shape."""
        return circuit_id2(
            self.registry_size, self.tiers, self.max_assets, self.arity, self.batch_depth
        )

    @property
    def multiplicity_bits(self) -> int:
        return self.mult_bits or self.batch_size.bit_length()

    @property
    def per_asset_public(self) -> int:
        """Return the registry's public inputs per asset: price, T ratios, 2 (T - 1)."""
        return 3 * self.tiers - 1

    @property
    def n_public(self) -> int:
        return PUBLIC_REGISTRY + self.registry_size * self.per_asset_public


@dataclass(frozen=True)
class Batch2Input:
    """Plain inputs of one batch: per account its id commitment and entries; the
    registry's tables (registry order); the challenges β, γ; the batch's mask m."""

    id_commitments: Sequence[int]
    accounts: Sequence[Sequence[Entry]]
    registry: Sequence[TierTable]
    beta: int
    gamma: int
    mask: int

    def as_inputs(self) -> dict[str, object]:
        return {
            "idc": list(self.id_commitments),
            "accounts": [list(a) for a in self.accounts],
            "registry": list(self.registry),
            "beta": self.beta,
            "gamma": self.gamma,
            "mask": self.mask,
        }

    @property
    def entries(self) -> list[Entry]:
        """Return every entry of the batch, account after account."""
        return [entry for account in self.accounts for entry in account]


@dataclass(frozen=True)
class Batch2Circuit:
    """The constraint system of one shape (wire groups by name in ``cs.names``)."""

    cs: ConstraintSystem
    shape: Batch2Shape


# -- native helpers (the math itself is verifier.book's) ---------------------------------


def batch_root(data: Batch2Input, shape: Batch2Shape) -> int:
    """Return the batch root: the subtree over the accounts' leaves (a lone leaf if B = 1)."""
    leaves = [
        leaf2_hash(idc, entries, shape.max_assets)
        for idc, entries in zip(data.id_commitments, data.accounts, strict=True)
    ]
    return subtree_root(leaves, shape.arity)


def asset_totals(
    accounts: Sequence[Sequence[Entry]], registry_size: int
) -> tuple[list[int], list[int]]:
    """Return per-asset (total equity E_a, total debt D_a) over ``accounts``."""
    equity, debt = [0] * registry_size, [0] * registry_size
    for entries in accounts:
        for asset, e, d in entries:
            equity[asset] += e
            debt[asset] += d
    return equity, debt


def public_inputs(shape: Batch2Shape, data: Batch2Input) -> list[int]:
    """Return the full public input vector of a batch, computed natively (verifier.book)."""
    root = batch_root(data, shape)
    return [
        root,
        mask_commitment(root, data.mask),
        batch_total(data.entries, data.beta, data.gamma, data.mask),
        data.beta % R,
        data.gamma % R,
        *registry_public_inputs(data.registry, shape.tiers),
    ]


# -- circuit helpers ---------------------------------------------------------------------


def _is_constant(lc: LC) -> bool:
    return all(wire == ONE for wire in lc)


def _times(cs: ConstraintSystem, a: LC, b: LC) -> LC:
    """Return ``a * b``: free when either is a constant, else one constraint."""
    if _is_constant(b):
        return lc_scale(a, b.get(ONE, 0))
    if _is_constant(a):
        return lc_scale(b, a.get(ONE, 0))
    return cs.mul(a, b)


def _minus(a: LC, *terms: LC) -> LC:
    return lc_add(a, *(lc_scale(t, R - 1) for t in terms))


def _sum(terms: Sequence[LC]) -> LC:
    return lc_add(*terms) if terms else {}


def _inverse(cs: ConstraintSystem, value: LC) -> LC:
    """Return a wire ``w`` with ``w * value = 1``."""
    (w,) = cs.new_wires(1)
    cs.hint([value], [w], lambda v, _: [pow(v[0], -1, R) if v[0] else 0])
    cs.constrain({w: 1}, value, {ONE: 1})
    return {w: 1}


def _sponge(cs: ConstraintSystem, tag: int, elements: Sequence[LC]) -> LC:
    """Return ``H(tag, x_0..x_14)``, then ``h = H(h, next 15)``: Poseidon over ``elements``."""
    h = poseidon_gadget(cs, [lc_const(tag), *elements[:SPONGE_RATE]])
    for start in range(SPONGE_RATE, len(elements), SPONGE_RATE):
        h = poseidon_gadget(cs, [h, *elements[start : start + SPONGE_RATE]])
    return h


def sponge_native(tag: int, elements: Sequence[int]) -> int:
    """Return ``_sponge``'s value natively: ``H(tag, x_0..x_14)``, then ``H(h, next 15)``."""
    h = poseidon([tag, *elements[:SPONGE_RATE]])
    for start in range(SPONGE_RATE, len(elements), SPONGE_RATE):
        h = poseidon([h, *elements[start : start + SPONGE_RATE]])
    return h


def _accounts(inputs: Mapping[str, object]) -> list[list[Entry]]:
    return cast(list[list[Entry]], inputs["accounts"])


def _registry(inputs: Mapping[str, object]) -> list[TierTable]:
    return cast(list[TierTable], inputs["registry"])


@dataclass
class _Slot:
    used: LC
    index: LC
    equity: LC
    debt: LC
    lower: LC
    upper: LC
    ratio: LC
    price: LC
    base: LC
    tier_element: LC


# -- the circuit -------------------------------------------------------------------------


def _account(cs: ConstraintSystem, shape: Batch2Shape, b: int) -> tuple[list[_Slot], LC]:
    """Add account ``b``: its checks, its slots' tier rows, its leaf. Return (slots, leaf)."""
    k, name = shape.max_assets, f"account {b}"

    def held(inputs: Mapping[str, object]) -> list[Entry]:
        return list(_accounts(inputs)[b])

    wires = slot_wires(cs, name, k, lc_const(shape.registry_size), held)
    used, indexes, equities, count = wires.used, wires.indexes, wires.equities, wires.count

    idc_w = cs.new_wires(1)
    cs.hint([], idc_w, lambda _, inputs: [int(cast(list[int], inputs["idc"])[b]) % R])

    slots: list[_Slot] = []
    packed: list[LC] = []
    collateral_terms: list[LC] = []
    debt_terms: list[LC] = []
    for i in range(k):
        u, idx, e = used[i], indexes[i], equities[i]

        cs.label(f"{name}: debt in range")
        d = input_in_range(cs, debt_reader(wires.padded, i), AMOUNT_BITS)
        cs.names[f"{name}.debt[{i}]"] = tuple(d)

        cs.label(f"{name}: unused slot is zero")
        for amount in (idx, e, d):
            cs.constrain(_minus({ONE: 1}, u), amount, {})

        # The tier row (L, U, r, p, C): a hint, bound to the registry by the lookup.
        row_w = cs.new_wires(5)

        def row(values: list[int], inputs: Mapping[str, object]) -> list[int]:
            flag, asset, equity = values
            registry = _registry(inputs)
            if not flag or asset >= len(registry):
                return [0, 1, 0, 0, 0]
            table = registry[asset]
            return list(table_row(table, table.tier_of(equity), shape.tiers))

        cs.hint([u, idx, e], row_w, row)
        low, high, ratio, price, base = ({w: 1} for w in row_w)
        for key, w in zip(("lower", "upper", "ratio", "price", "base"), row_w, strict=True):
            cs.names[f"{name}.{key}[{i}]"] = (w,)

        cs.label(f"{name}: equity at or above tier lower bound")
        above = range_check(cs, _minus(e, low), AMOUNT_BITS)
        cs.label(f"{name}: equity below tier upper bound")
        below = range_check(cs, _minus(high, {ONE: 1}, e), AMOUNT_BITS)
        cs.label(f"{name}: ratio in range")
        ratio_bits = range_check(cs, ratio, RATIO_BITS)

        cs.label(f"{name}: collateral and debt values")
        per_unit = cs.mul(ratio, price)
        collateral = cs.mul(u, lc_add(base, cs.mul(per_unit, above)))
        collateral_terms.append(collateral)
        debt_terms.append(cs.mul(d, price))
        cs.names[f"{name}.collateral[{i}]"] = tuple(collateral)

        cs.label(f"{name}: entry packing")
        packed.append(pack_entry_gadget(cs, idx, e, d))
        cs.names[f"{name}.packed[{i}]"] = tuple(packed[-1])

        element = lc_add(
            above,
            lc_scale(below, 1 << BELOW_SHIFT),
            lc_scale(ratio_bits, 1 << RATIO_SHIFT),
            lc_scale(u, 1 << USED_SHIFT),
        )
        slots.append(_Slot(u, idx, e, d, low, high, ratio, price, base, element))

    cs.label(f"{name}: asset indexes increasing")
    gaps: list[LC] = []
    for i in range(k - 1):
        gap = cs.mul(used[i + 1], _minus(indexes[i + 1], indexes[i], {ONE: 1}))
        range_check(cs, gap, INDEX_BITS)
        gaps.append(gap)

    cs.label(f"{name}: asset index in the registry")
    range_check(cs, indexes[0], INDEX_BITS)
    last = _minus(lc_add(indexes[0], *gaps, count), used[0])
    range_check(cs, _minus(lc_const(shape.registry_size - 1), last), INDEX_BITS)

    cs.label(f"{name}: collateral covers debt")
    margin = _minus(_sum(collateral_terms), lc_scale(_sum(debt_terms), PERCENT))
    cs.names[f"{name}.margin"] = tuple(range_check(cs, margin, margin_bits(k)))

    cs.label(f"{name}: leaf hash")
    h = poseidon_gadget(cs, [lc_const(TAG_LEAF2), {idc_w[0]: 1}, *packed[:LEAF_FIRST]])
    for start in range(LEAF_FIRST, k, LEAF_NEXT):
        h = poseidon_gadget(cs, [h, *packed[start : start + LEAF_NEXT]])
    # One wire per leaf (one constraint): the subtree's inputs stay short, and tests can
    # name the leaf a cheating witness would have to keep.
    leaf = cs.materialize(h)
    cs.names[f"{name}.leaf"] = tuple(leaf)
    cs.names[f"{name}.idc"] = tuple(idc_w)
    return slots, leaf


@lru_cache(maxsize=8)
def build_batch2(shape: Batch2Shape) -> Batch2Circuit:
    """Return the constraint system of one zkpor/2 batch of ``shape``."""
    cs = ConstraintSystem(n_public=shape.n_public)
    tiers, n_assets = shape.tiers, shape.registry_size

    # Public inputs the verifier supplies: β, γ and the registry (no constraint).
    beta, gamma = cs.public(PUBLIC_BETA), cs.public(PUBLIC_GAMMA)
    cs.hint([], [1 + PUBLIC_BETA], lambda _, inputs: [int(cast(int, inputs["beta"])) % R])
    cs.hint([], [1 + PUBLIC_GAMMA], lambda _, inputs: [int(cast(int, inputs["gamma"])) % R])
    first = 1 + PUBLIC_REGISTRY
    registry_wires = list(range(first, first + n_assets * shape.per_asset_public))

    def registry_values(_: list[int], inputs: Mapping[str, object]) -> list[int]:
        registry = _registry(inputs)
        if len(registry) != n_assets:
            raise ValueError(f"a registry of {len(registry)} assets for {n_assets}")
        return registry_public_inputs(registry, tiers)

    cs.hint([], registry_wires, registry_values)

    def public_row(a: int, j: int) -> tuple[LC, LC, LC, LC, LC]:
        base = PUBLIC_REGISTRY + a * shape.per_asset_public
        price = cs.public(base)
        ratio = cs.public(base + 1 + j)
        lower = cs.public(base + tiers + j) if j else {}
        upper = cs.public(base + tiers + j + 1) if j < tiers - 1 else lc_const(SENTINEL)
        cum = cs.public(base + 2 * tiers + j - 1) if j else {}
        return lower, upper, ratio, price, cum

    # -- accounts, leaves, root ---------------------------------------------------------
    slots: list[_Slot] = []
    leaves: list[LC] = []
    for b in range(shape.batch_size):
        account_slots, leaf = _account(cs, shape, b)
        slots += account_slots
        leaves.append(leaf)

    cs.label("batch subtree")
    cs.set_public(PUBLIC_ROOT, subtree(cs, leaves, shape.arity))
    root = cs.public(PUBLIC_ROOT)

    cs.label("mask commitment")
    (mask_w,) = cs.new_wires(1)
    cs.hint([], [mask_w], lambda _, inputs: [int(cast(int, inputs["mask"])) % R])
    cs.set_public(PUBLIC_COMMITMENT, poseidon_gadget(cs, [lc_const(TAG_MASK), root, {mask_w: 1}]))

    # -- multiplicities of the table rows, committed with the slots' tier data -----------
    n_rows = n_assets * tiers
    mbits = shape.multiplicity_bits
    mult_w = cs.new_wires(n_rows)
    slot_inputs = [lc for s in slots for lc in (s.used, s.index, s.lower)]

    def multiplicities(values: list[int], inputs: Mapping[str, object]) -> list[int]:
        rows: dict[tuple[int, int], int] = {}
        for a, table in enumerate(_registry(inputs)):
            for j in range(tiers):
                rows.setdefault((a, table_row(table, j, tiers)[0]), a * tiers + j)
        counts = [0] * n_rows
        for s in range(0, len(values), 3):
            flag, asset, lower = values[s : s + 3]
            g = rows.get((asset, lower))
            if flag and g is not None:
                counts[g] += 1
        return counts

    cs.hint(slot_inputs, mult_w, multiplicities)
    cs.names["multiplicity"] = tuple(mult_w)
    cs.label("lookup: multiplicities in range")
    mult_bits = [range_check(cs, {w: 1}, mbits) for w in mult_w]
    per_element = FIELD_BITS // mbits
    mult_packed = [
        lc_add(
            *(lc_scale(m, 1 << (mbits * p)) for p, m in enumerate(mult_bits[i : i + per_element]))
        )
        for i in range(0, n_rows, per_element)
    ]

    cs.label("lookup: tier commitment and challenges")
    elements = [x for s in slots for x in (s.tier_element, s.price, s.base)] + mult_packed
    committed = _sponge(cs, TAG_TIERS, elements)
    z = poseidon_gadget(cs, [lc_const(TAG_CHALLENGE), root, committed, beta, gamma])
    alpha = [poseidon_gadget(cs, [lc_const(TAG_CHALLENGE), z])]
    for _ in range(4):
        alpha.append(cs.mul(alpha[-1], alpha[0]))

    def compress(asset: LC, values: Sequence[LC]) -> LC:
        return lc_add(asset, *(_times(cs, a, v) for a, v in zip(alpha, values, strict=True)))

    cs.label("lookup: slot tuples")
    slot_terms = []
    for s in slots:
        f = compress(s.index, (s.lower, s.upper, s.ratio, s.price, s.base))
        slot_terms.append(cs.mul(s.used, _inverse(cs, _minus(z, f))))

    cs.label("lookup: registry rows")
    row_terms = []
    for a in range(n_assets):
        for j in range(tiers):
            t = compress(lc_const(a), public_row(a, j))
            row_terms.append(cs.mul({mult_w[a * tiers + j]: 1}, _inverse(cs, _minus(z, t))))

    cs.label("lookup: slot tuples in the registry table")
    cs.constrain(_sum(slot_terms), {ONE: 1}, _sum(row_terms))

    # -- the masked batch total ---------------------------------------------------------
    cs.label("batch total")
    terms = [{mask_w: 1}]
    for s in slots:
        weight = _inverse(cs, _minus(beta, s.index))
        terms.append(cs.mul(lc_add(s.equity, cs.mul(gamma, s.debt)), weight))
    cs.set_public(PUBLIC_TOTAL, _sum(terms))
    return Batch2Circuit(cs, shape)


def batch2_witness(shape: Batch2Shape, data: Batch2Input) -> list[int]:
    """Return the witness of one batch; raises ``ValueError`` on malformed inputs."""
    if len(data.accounts) != shape.batch_size or len(data.id_commitments) != shape.batch_size:
        raise ValueError(f"a batch holds exactly {shape.batch_size} accounts")
    if len(data.registry) != shape.registry_size:
        raise ValueError(f"the registry must have {shape.registry_size} assets")
    if (data.beta % R) < shape.registry_size:
        raise ValueError("β must not be an asset index")
    return build_batch2(shape).cs.witness(data.as_inputs())
