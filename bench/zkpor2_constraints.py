"""Constraint counts of the zkpor/2 account gadget (``publisher.snark.account2``, issue 13).

Run from the repository root::

    python bench/zkpor2_constraints.py [--sizes 1,4,50,500] [--tiers 8]
    python bench/zkpor2_constraints.py --batch [--tiers 8]
    python bench/zkpor2_constraints.py --shapes 4:2,16:1,128:0,1024:0 [--assets 1024]
                                       [--arity 4] [--tiers 8]

Counts constraints, not time: nothing is proven.

``--batch`` counts the batch circuit instead (``publisher.snark.batch2``, see its
docstring; see also "zkpor/2 batch circuit: constraints" in bench/README.md): per registry
asset per batch at A = 8, 64, 1024, and per account at K = 1, 4, 50, 500 held assets,
each as the difference between two whole circuits, so that every part is counted.

``--shapes K:d_b,...`` counts whole batch circuits of the given shapes (slots ``K``,
batch depth ``d_b``) at ``--assets`` registry assets: the constraints an attestation's
circuits have, the registry's part and the per-account figure.

Without ``--batch``: For each account size K (held-asset slots) it builds the gadget alone in an
empty constraint system and reports:

* ``gadget``: the account gadget, its per-slot asset parameters (price, T ratios,
  T - 1 tier bounds, T - 1 cumulative collaterals) being free private wires, as the
  caller's will be in the full circuit (a parameter wire costs no constraint; every
  selection from it costs one);
* ``gadget, constant tables``: the same with the tables as circuit constants, for
  comparison (the selections are then free);
* ``leaf hash (estimate)``: a Poseidon leaf over ``[tag, idc, entry_0..entry_{K-1}]``,
  one packed entry (``idx + 2^10 e + 2^74 d``) per field element; up to 14 entries in
  one hash of 16 inputs, beyond that a chain ``h = H(h, 15 more entries)``: the layout of
  ``verifier.book.leaf2_hash`` (its tag is a constant input, whatever its value);
* the marginal cost per additional held asset, between the two largest sizes.

Not counted here: binding each slot's parameters to the registry (batch2's lookup), the
batch totals, the tree above the leaves; ``--batch`` counts them.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from publisher.snark.account2 import (  # noqa: E402
    SENTINEL,
    AccountShape,
    SlotAsset,
    account_gadget,
)
from publisher.snark.batch2 import Batch2Shape, _sponge, build_batch2  # noqa: E402
from publisher.snark.gadgets import poseidon_gadget, private_value  # noqa: E402
from publisher.snark.r1cs import LC, ConstraintSystem, lc_const  # noqa: E402

LEAF_TAG = 5  # verifier.book.TAG_LEAF2 (a constant input: its value costs nothing)
MAX_INPUTS = 16


def _zero(_: Mapping[str, object]) -> int:
    return 0


def gadget(k: int, tiers: int, constant_tables: bool) -> ConstraintSystem:
    """Return a constraint system holding one account gadget of ``k`` slots only."""
    cs = ConstraintSystem(n_public=0)

    def param(value: int) -> LC:
        return lc_const(value) if constant_tables else private_value(cs, _zero)

    assets = [
        SlotAsset(
            price=param(1),
            ratios=tuple(param(100) for _ in range(tiers)),
            lower=tuple(param(SENTINEL) for _ in range(tiers - 1)),
            cumulative=tuple(param(0) for _ in range(tiers - 1)),
        )
        for _ in range(k)
    ]
    account_gadget(cs, AccountShape(k, tiers), assets, lc_const(1024), lambda _: [])
    return cs


def leaf_hash(k: int) -> int:
    """Return the constraints of a leaf hash over ``k`` packed entries (see above)."""
    cs = ConstraintSystem(n_public=0)
    idc, *entries = [private_value(cs, _zero) for _ in range(k + 1)]
    first = MAX_INPUTS - 2
    h = poseidon_gadget(cs, [lc_const(LEAF_TAG), idc, *entries[:first]])
    for start in range(first, k, MAX_INPUTS - 1):
        h = cs.materialize(h)
        h = poseidon_gadget(cs, [h, *entries[start : start + MAX_INPUTS - 1]])
    return len(cs.constraints)


def by_label(cs: ConstraintSystem) -> Counter[str]:
    """Return the constraints of each label (summed over the slots)."""
    counts: Counter[str] = Counter()
    bounds = [*cs.labels, (len(cs.constraints), "")]
    for (first, text), (end, _) in pairwise(bounds):
        counts[text] += end - first
    return counts


def batch_count(
    batch: int, k: int, assets: int, tiers: int, arity: int, mult_bits: int
) -> tuple[int, int]:
    """Return (constraints, of which the batch subtree) of one batch2 circuit."""
    shape = Batch2Shape(batch, k, assets, tiers, arity, mult_bits)
    cs = build_batch2.__wrapped__(shape).cs
    return len(cs.constraints), by_label(cs)["batch subtree"]


def sponge_per_element(elements: int = 15 * 40) -> float:
    """Return the constraints per element absorbed by the batch2 sponge (rate 15)."""
    cs = ConstraintSystem(n_public=0)
    _sponge(cs, 0, [private_value(cs, _zero) for _ in range(elements)])
    return len(cs.constraints) / elements


def batch_main(tiers: int) -> None:
    print(f"zkpor/2 batch circuit (publisher/snark/batch2.py), T = {tiers} tiers\n")
    print("Per registry asset per batch (B = 4 accounts of K = 4 slots, arity 4):\n")
    print(
        "| registry assets A | constraints (multiplicities in 3 bits) | per registry asset "
        "vs A = 8, multiplicities in 3 / 7 / 11 bits (B <= 7 / 127 / 2,047) |"
    )
    print("|---:|---:|---:|")
    base = {b: batch_count(4, 4, 8, tiers, 4, b)[0] for b in (3, 7, 11)}
    for assets in (8, 64, 1024):
        counts = {b: batch_count(4, 4, assets, tiers, 4, b)[0] for b in (3, 7, 11)}
        extra = " / ".join(f"{(counts[b] - base[b]) / max(assets - 8, 1):,.1f}" for b in (3, 7, 11))
        print(f"| {assets:,} | {counts[3]:,} | {extra if assets > 8 else ''} |")

    print(
        "\nPer account (A = 1,024, arity 2: the difference between B = 4 and B = 2, "
        "multiplicities in 3 bits for both):\n"
    )
    print(
        "| held assets K | per account, without the tree | tree share (arity 2) "
        "| per held asset | marginal per additional held asset |"
    )
    print("|---:|---:|---:|---:|---:|")
    previous = None
    for k in (1, 4, 50, 500):
        (n2, t2), (n4, t4) = (batch_count(b, k, 1024, tiers, 2, 3) for b in (2, 4))
        account = (n4 - t4 - n2 + t2) / 2
        marginal = "" if previous is None else f"{(account - previous[1]) / (k - previous[0]):,.1f}"
        previous = (k, account)
        print(f"| {k} | {account:,.0f} | {(t4 - t2) / 2:,.0f} | {account / k:,.0f} | {marginal} |")

    n, _ = batch_count(4, 4, 8, tiers, 4, 3)
    cs = build_batch2.__wrapped__(Batch2Shape(4, 4, 8, tiers, 4, 3)).cs
    print(f"\nB = 4, K = 4, A = 8, arity 4 ({n:,} constraints), by label (all accounts):\n")
    print("| label | constraints |")
    print("|---|---:|")
    merged: Counter[str] = Counter()
    for text, count in by_label(cs).items():
        merged[text.split(": ", 1)[1] if text.startswith("account ") else text] += count
    for text, count in merged.items():
        print(f"| {text} | {count:,} |")
    print(f"\nsponge: {sponge_per_element():.1f} constraints per absorbed element")


def shapes_main(shapes: str, assets: int, tiers: int, arity: int) -> None:
    print(f"zkpor/2 batch circuits at A = {assets:,}, T = {tiers}, arity {arity}\n")
    print(
        "| shape (circuit id) | B | constraints | registry part | per account, with the registry |"
    )
    print("|---|---:|---:|---:|---:|")
    for item in shapes.split(","):
        k, depth = (int(x) for x in item.split(":"))
        shape = Batch2Shape.of(k, depth, arity, assets, tiers)
        cs = build_batch2.__wrapped__(shape).cs
        labels = by_label(cs)
        registry = sum(
            labels.get(text, 0)
            for text in ("lookup: multiplicities in range", "lookup: registry rows")
        )
        n = len(cs.constraints)
        print(
            f"| {shape.circuit_id} | {shape.batch_size} | {n:,} | {registry:,} "
            f"| {n / shape.batch_size:,.0f} |"
        )
        del cs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,4,50,500")
    parser.add_argument("--tiers", type=int, default=8)
    parser.add_argument("--batch", action="store_true", help="count the batch2 circuit")
    parser.add_argument("--shapes", help="K:d_b,... whole batch circuits to count")
    parser.add_argument("--assets", type=int, default=1024)
    parser.add_argument("--arity", type=int, default=4)
    args = parser.parse_args()
    if args.shapes:
        shapes_main(args.shapes, args.assets, args.tiers, args.arity)
        return
    if args.batch:
        batch_main(args.tiers)
        return
    sizes = [int(s) for s in args.sizes.split(",")]

    rows = []
    for k in sizes:
        wires = len(gadget(k, args.tiers, constant_tables=False).constraints)
        constant = len(gadget(k, args.tiers, constant_tables=True).constraints)
        rows.append((k, wires, constant, leaf_hash(k)))

    print(f"zkpor/2 account gadget, T = {args.tiers} tiers per table\n")
    print(
        "| held assets K | gadget | gadget, constant tables | leaf hash (estimate) "
        "| gadget + leaf | per held asset |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for k, wires, constant, leaf in rows:
        total = wires + leaf
        print(f"| {k} | {wires:,} | {constant:,} | {leaf:,} | {total:,} | {total / k:,.0f} |")
    if len(rows) >= 2:
        (k0, w0, c0, l0), (k1, w1, c1, l1) = rows[-2], rows[-1]
        span = k1 - k0
        print(
            f"\nmarginal per additional held asset (K = {k0} -> {k1}): gadget "
            f"{(w1 - w0) / span:.1f}, constant tables {(c1 - c0) / span:.1f}, "
            f"leaf {(l1 - l0) / span:.1f}, gadget + leaf {(w1 + l1 - w0 - l0) / span:.1f}"
        )

    k = 4 if 4 in sizes else sizes[0]
    print(f"\nK = {k}, by label (summed over slots):\n")
    print("| label | constraints |")
    print("|---|---:|")
    for text, n in by_label(gadget(k, args.tiers, constant_tables=False)).items():
        print(f"| {text} | {n:,} |")


if __name__ == "__main__":
    main()
