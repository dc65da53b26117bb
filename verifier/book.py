"""zkpor/2, natively: the registry's tier tables, leaves, masked batch totals, challenges.

zkpor/2 attests an exchange's *book*: per account, per asset held, an ``equity`` (what
the exchange owes) and a ``debt`` (what the account owes), priced by a published registry
with tiered collateral ratios. This module is the out-of-circuit twin of the zkpor/2
batch circuit (``publisher.snark.batch2``): the publisher computes leaves, roots and
totals with it, the verifier the public inputs and the totals identity. Both sides must
agree bit for bit; docs/protocol.md §16 is normative.

Pure Python (stdlib + ``verifier.poseidon``): importable in Pyodide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256
from itertools import pairwise

from verifier.field import R
from verifier.poseidon import poseidon

FORMAT2 = "zkpor/2"

# Poseidon domain tags of zkpor/2 (zkpor/1's ID = 1 and NODE = 3 are shared).
TAG_LEAF2 = 5
TAG_MASK = 6
TAG_TIERS = 7
TAG_CHALLENGE = 8

#: Bits of an asset index: a registry holds at most 1,024 assets.
INDEX_BITS = 10
MAX_REGISTRY = 1 << INDEX_BITS
#: Bits of an equity, a debt and a unit price.
AMOUNT_BITS = 64
AMOUNT_LIMIT = 1 << AMOUNT_BITS
#: Published per-asset totals (equity, debt) are below this, as zkpor/1's totals.
TOTAL_LIMIT = 1 << 96
#: Tiers of a collateral table, at most.
MAX_TIERS = 8
#: A ratio is a whole percent; collateral and values are kept x 100.
PERCENT = 100
#: Lower bound of a padding tier, and upper bound of the last tier: never reached.
SENTINEL = AMOUNT_LIMIT
#: Packed entries in the first leaf hash (after tag and id commitment), then per link.
LEAF_FIRST, LEAF_NEXT = 14, 15
#: Public inputs of a batch proof before the registry's.
PUBLIC_ROOT, PUBLIC_COMMITMENT, PUBLIC_TOTAL, PUBLIC_BETA, PUBLIC_GAMMA = range(5)
PUBLIC_REGISTRY = 5
CHALLENGE_PREFIX = b"zkpor/2 challenges\0"

#: One held asset: (asset index, equity, debt).
Entry = tuple[int, int, int]


def circuit_id2(assets: int, tiers: int, slots: int, arity: int, batch_depth: int) -> str:
    """Return the name of one zkpor/2 batch circuit shape, e.g. ``zkpor2-a40-t4-s4-k4-d2``."""
    return f"zkpor2-a{assets}-t{tiers}-s{slots}-k{arity}-d{batch_depth}"


# -- entries and leaves ------------------------------------------------------------------


def pack_entry(index: int, equity: int, debt: int) -> int:
    """Return ``index + 2^10 equity + 2^74 debt``: one entry as one field element."""
    if not 0 <= index < MAX_REGISTRY:
        raise ValueError(f"asset index {index} does not fit {INDEX_BITS} bits")
    for name, value in (("equity", equity), ("debt", debt)):
        if not 0 <= value < AMOUNT_LIMIT:
            raise ValueError(f"{name} {value} does not fit {AMOUNT_BITS} bits")
    return index + (equity << INDEX_BITS) + (debt << (INDEX_BITS + AMOUNT_BITS))


def check_entries(entries: Sequence[Entry], max_assets: int, registry_size: int) -> None:
    """Raise ``ValueError`` unless ``entries`` fit an account of ``max_assets`` slots:
    at most that many, indexes in the registry, strictly increasing, amounts in range."""
    if len(entries) > max_assets:
        raise ValueError(f"{len(entries)} held assets in an account of {max_assets} slots")
    for index, equity, debt in entries:
        if not 0 <= index < registry_size:
            raise ValueError(f"asset index {index} is not in a registry of {registry_size}")
        pack_entry(index, equity, debt)
    if any(a >= b for a, b in pairwise(index for index, _, _ in entries)):
        raise ValueError("entries must be sorted by asset index, without repeats")


def leaf2_hash(idc: int, entries: Sequence[Entry], slots: int) -> int:
    """Return the zkpor/2 leaf of an account in a shape of ``slots`` slots.

    ``H(5, idc, q_0..q_13)``, then ``h = H(h, next 15)`` while entries remain, over the
    packed entries padded with zeros to ``slots`` (so the hash widths are the shape's).
    """
    packed = [pack_entry(*e) for e in entries] + [0] * (slots - len(entries))
    if len(packed) != slots:
        raise ValueError(f"{len(entries)} entries in a leaf of {slots} slots")
    h = poseidon([TAG_LEAF2, idc % R, *packed[:LEAF_FIRST]])
    for start in range(LEAF_FIRST, slots, LEAF_NEXT):
        h = poseidon([h, *packed[start : start + LEAF_NEXT]])
    return h


def mask_commitment(root: int, mask: int) -> int:
    """Return ``c = H(6, root, m)``: the batch's mask, committed with its root."""
    return poseidon([TAG_MASK, root % R, mask % R])


def batch_total(entries: Sequence[Entry], beta: int, gamma: int, mask: int) -> int:
    """Return ``s = m + Σ (equity + γ debt) / (β - asset)`` over a batch's entries."""
    total = mask % R
    for asset, equity, debt in entries:
        total += (equity + gamma * debt) * pow((beta - asset) % R, -1, R)
    return total % R


def totals_identity_holds(
    sums: Sequence[int],
    masks_total: int,
    equity: Sequence[int],
    debt: Sequence[int],
    beta: int,
    gamma: int,
) -> bool:
    """The verifier's check: ``Σ_j s_j - M = Σ_a (E_a + γ D_a) / (β - a)`` mod r.

    With ``β`` and ``γ`` drawn after every batch root, mask and published total is fixed
    (``challenges``), a published total other than the committed entries' sum passes
    with probability at most ``A / r``.
    """
    if len(equity) != len(debt) or not len(equity) <= beta % R < R:
        return False
    right = sum(
        (e + gamma * d) * pow((beta - a) % R, -1, R)
        for a, (e, d) in enumerate(zip(equity, debt, strict=True))
    )
    return (sum(sums) - masks_total - right) % R == 0


def _be32(value: int) -> bytes:
    return (value % R).to_bytes(32, "big")


def challenges(
    attestation_id: str,
    registry_digest: bytes,
    shapes: Sequence[tuple[int, Sequence[tuple[int, int]]]],
    equity: Sequence[int],
    debt: Sequence[int],
    masks_total: int,
) -> tuple[int, int]:
    """Return ``(β, γ)`` from everything the totals identity must not be able to adapt to.

    ``shapes`` is ``[(slots K, [(root_j, c_j) per batch]) ...]`` in manifest order.
    Every value is fixed before the challenges: the entries by the roots, the masks by
    the commitments ``c_j``, the published totals and ``M`` themselves. ``s_j`` is not
    hashed: it is computed from ``β`` and ``γ``. ``β`` is in ``[A, r)``: never an asset
    index, so every ``1 / (β - a)`` exists.
    """
    if len(registry_digest) != 32 or len(equity) != len(debt):
        raise ValueError("a 32-byte registry digest and one equity and debt total per asset")
    aid = attestation_id.encode("utf-8")
    parts = [CHALLENGE_PREFIX, len(aid).to_bytes(4, "big"), aid, registry_digest]
    parts.append(len(equity).to_bytes(4, "big"))
    parts.append(len(shapes).to_bytes(4, "big"))
    for slots, batches in shapes:
        parts.append(slots.to_bytes(4, "big") + len(batches).to_bytes(4, "big"))
        parts += [_be32(root) + _be32(c) for root, c in batches]
    parts += [_be32(e) + _be32(d) for e, d in zip(equity, debt, strict=True)]
    parts.append(_be32(masks_total))
    seed = sha256(b"".join(parts)).digest()
    assets = len(equity)
    beta = assets + int.from_bytes(sha256(seed + b"beta").digest(), "big") % (R - assets)
    gamma = int.from_bytes(sha256(seed + b"gamma").digest(), "big") % R
    return beta, gamma


# -- the registry: tier tables in equity units ---------------------------------------------


@dataclass(frozen=True)
class TierTable:
    """One asset's unit price and collateral tiers, in equity units (public registry data).

    ``lower`` holds ``L_1..L_{t-1}`` (``L_0 = 0`` is implicit), ``ratios`` ``r_0..r_{t-1}``.
    """

    price: int
    lower: tuple[int, ...]
    ratios: tuple[int, ...]

    def __post_init__(self) -> None:
        if not 0 <= self.price < AMOUNT_LIMIT:
            raise ValueError(f"price {self.price} does not fit {AMOUNT_BITS} bits")
        if not 1 <= len(self.ratios) <= MAX_TIERS or len(self.lower) != len(self.ratios) - 1:
            raise ValueError(f"a table has 1..{MAX_TIERS} tiers and one bound fewer")
        if any(not 0 <= r <= PERCENT for r in self.ratios):
            raise ValueError("ratios are whole percents in 0..100")
        if any(a < b for a, b in pairwise(self.ratios)):
            raise ValueError("ratios must not increase with the tier")
        bounds = (0, *self.lower)
        if any(a >= b for a, b in pairwise(bounds)):
            raise ValueError("tier bounds must strictly increase from 0")
        if bounds[-1] >= AMOUNT_LIMIT:
            raise ValueError(f"tier bounds must be below 2^{AMOUNT_BITS}")

    @classmethod
    def from_values(cls, price: int, tiers: Sequence[tuple[int, int]]) -> TierTable:
        """Return the table of ``tiers``: (lower bound in value, ratio %), from value 0.

        A value bound ``V`` becomes ``L = V // price`` units: the unit that straddles
        ``V`` counts at the lower (later) ratio, so rounding never adds collateral.
        Tiers that start at or beyond ``2^64`` units, or that are empty in whole units,
        are dropped. With price 0 everything is worth 0 and one tier remains.
        """
        if not tiers or tiers[0][0] != 0:
            raise ValueError("the first tier starts at value 0")
        if any(a >= b for (a, _), (b, _) in pairwise(tiers)):
            raise ValueError("value bounds must strictly increase")
        units: list[tuple[int, int]] = []
        for value, ratio in tiers:
            bound = value // price if price else (0 if value == 0 else AMOUNT_LIMIT)
            if bound >= AMOUNT_LIMIT:
                break
            if units and units[-1][0] == bound:
                units.pop()  # the earlier tier holds no whole unit
            units.append((bound, ratio))
        return cls(price, tuple(b for b, _ in units[1:]), tuple(r for _, r in units))

    @property
    def cumulative(self) -> tuple[int, ...]:
        """Return ``C_1..C_{t-1}``: collateral x 100 of ``L_j`` units."""
        out, total, bounds = [], 0, (0, *self.lower)
        for j in range(1, len(bounds)):
            total += self.ratios[j - 1] * self.price * (bounds[j] - bounds[j - 1])
            out.append(total)
        return tuple(out)

    def tier_of(self, equity: int) -> int:
        """Return the tier ``equity`` units fall in."""
        return sum(1 for bound in self.lower if bound <= equity)

    def collateral_x100(self, equity: int) -> int:
        """Return 100 x the collateral value of ``equity`` units."""
        j = self.tier_of(equity)
        base = self.cumulative[j - 1] if j else 0
        start = self.lower[j - 1] if j else 0
        return base + self.ratios[j] * self.price * (equity - start)

    def padded(self, tiers: int) -> tuple[list[int], list[int], list[int]]:
        """Return (ratios, lower bounds L_1.., cumulative C_1..) padded to ``tiers``."""
        pad = tiers - len(self.ratios)
        if pad < 0:
            raise ValueError(f"table of {len(self.ratios)} tiers in a {tiers}-tier circuit")
        return (
            [*self.ratios, *[0] * pad],
            [*self.lower, *[SENTINEL] * pad],
            [*self.cumulative, *[0] * pad],
        )


def price_scale(prices: Sequence[tuple[int, int]]) -> int:
    """Return the smallest ``s >= 0`` at which every ``price · 10^s / 10^decimals`` is an
    integer; ``prices`` are (price in ``10^-q`` quote units per whole asset, decimals)."""
    scale = 0
    for price, decimals in prices:
        if price:
            trailing = len(str(price)) - len(str(price).rstrip("0"))
            scale = max(scale, decimals - trailing)
    return scale


def unit_price(price: int, decimals: int, scale: int) -> int:
    """Return value units (``10^-(q+s)`` quote) per unit (``10^-decimals``) of an asset."""
    value, rest = divmod(price * int(10**scale), int(10**decimals))
    if rest:
        raise ValueError("the scale does not make this unit price an integer")
    return value


def tier_tables(
    assets: Sequence[tuple[int, int, Sequence[int], Sequence[int]]],
) -> list[TierTable]:
    """Return each asset's table in equity units, as the circuit takes them.

    ``assets`` are ``(price, decimals, bounds, ratios)``: the price in ``10^-q`` quote per
    whole asset, bounds in ``10^-q`` quote (``bounds[0] = 0``), as the registry publishes
    them. Raises ``ValueError`` when a unit price does not fit 64 bits.
    """
    scale = price_scale([(price, decimals) for price, decimals, _, _ in assets])
    tables = []
    for price, decimals, bounds, ratios in assets:
        per_unit = unit_price(price, decimals, scale)
        value_tiers = [(b * 10**scale, r) for b, r in zip(bounds, ratios, strict=True)]
        tables.append(TierTable.from_values(per_unit, value_tiers))
    return tables


def table_row(table: TierTable, tier: int, tiers: int) -> tuple[int, int, int, int, int]:
    """Return ``(L, U, r, p, C)`` of ``tier`` of ``table`` padded to ``tiers``."""
    ratios, lower, cumulative = table.padded(tiers)
    low = lower[tier - 1] if tier else 0
    high = lower[tier] if tier < tiers - 1 else SENTINEL
    base = cumulative[tier - 1] if tier else 0
    return low, high, ratios[tier], table.price, base


def registry_public_inputs(tables: Sequence[TierTable], tiers: int) -> list[int]:
    """Return the registry part of a batch's public inputs: per asset ``p``, ``r_0..``,
    ``L_1..``, ``C_1..``, each padded to ``tiers`` (``3 tiers - 1`` values per asset)."""
    out: list[int] = []
    for table in tables:
        ratios, lower, cumulative = table.padded(tiers)
        out += [table.price, *ratios, *lower, *cumulative]
    return out


def account_values(entries: Sequence[Entry], tables: Sequence[TierTable]) -> tuple[int, int]:
    """Return (Σ collateral x 100, 100 Σ debt x price) of an account; ``tables`` is the
    whole registry, indexed by each entry's asset."""
    collateral = sum(tables[a].collateral_x100(e) for a, e, _ in entries)
    debt = sum(PERCENT * d * tables[a].price for a, _, d in entries)
    return collateral, debt


def registry_digest(canonical: bytes) -> bytes:
    """Return the SHA-256 of the registry's canonical JSON (sorted keys, no spaces)."""
    return sha256(canonical).digest()
