"""Regenerate the zkpor/2 protocol vectors of this folder (see README.md, docs/protocol.md §16).

Run from the repository root: ``python -m tests.vectors.protocol2.make_vectors``.

Deterministic: every salt, mask and amount comes from a seeded ``random.Random`` or is
written out below, so a rerun writes the same bytes. The values are computed with the
project's own code (``verifier.book`` for every zkpor/2 formula, ``verifier.protocol`` for
zkpor/1's id commitment and nodes, ``publisher.attest.registry`` for the registry section),
and each chained hash is also spelled out link by link with ``verifier.poseidon`` so that an
independent implementation can find where it first differs.
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from publisher.attest.registry import load_registry
from verifier import book, protocol
from verifier.field import R
from verifier.poseidon import poseidon

HERE = Path(__file__).resolve().parent

#: The registry of the vectors: rounding at a boundary (BTC, ETH), a tier too narrow to
#: hold a whole unit (BAR), a tier beyond 2^64 units (PEPE), price 0 (DEAD).
REGISTRY_TOML = """\
[quote]
symbol = "USD"
decimals = 6
price_source = "Vectors: fixed prices"

[[tier_tables]]
name = "major"
tiers = [[0, 100], [1000000, 95], [5000000, 80]]

[[assets]]
symbol = "BTC"
decimals = 8
price = "97000.12"
table = "major"

[[assets]]
symbol = "ETH"
decimals = 9
price = "3000"
table = "major"

[[assets]]
symbol = "BAR"
decimals = 0
price = "25000"
tiers = [[0, 90], [1000000, 70], [3000000, 50], ["3000000.01", 40]]

[[assets]]
symbol = "PEPE"
decimals = 8
price = "0.000012"
tiers = [[0, 50], [1000, 20], [5000000, 0]]

[[assets]]
symbol = "DEAD"
decimals = 6
price = "0"
tiers = [[0, 30], [100, 10]]
"""

ATTESTATION_ID = "vectors2-2026-12"


def dec(values: Any) -> Any:
    """Return ``values`` with every int as a decimal string (lists and tuples recursively)."""
    if isinstance(values, bool):
        return values
    if isinstance(values, int):
        return str(values)
    if isinstance(values, (list, tuple)):
        return [dec(v) for v in values]
    return values


def entries_json(entries: Sequence[book.Entry]) -> list[list[Any]]:
    """Entries as the bundle plaintext writes them: ``[a, "<equity>", "<debt>"]``."""
    return [[a, str(e), str(d)] for a, e, d in entries]


def parse_quote(text: str, decimals: int) -> int:
    """Return a registry decimal string in ``10^-decimals`` units (exact)."""
    whole, _, fraction = text.partition(".")
    return int(whole + fraction.ljust(decimals, "0"))


# --- constants and tags -------------------------------------------------------------------


def constants() -> dict[str, Any]:
    return {
        "r": str(R),
        "format": book.FORMAT2,
        "tags": {
            "ID": protocol.TAG_ID,
            "NODE": protocol.TAG_NODE,
            "LEAF2": book.TAG_LEAF2,
            "MASK": book.TAG_MASK,
            "TIERS": book.TAG_TIERS,
            "CHALLENGE": book.TAG_CHALLENGE,
        },
        "index_bits": book.INDEX_BITS,
        "max_registry": book.MAX_REGISTRY,
        "amount_bits": book.AMOUNT_BITS,
        "total_limit": str(book.TOTAL_LIMIT),
        "max_tiers": book.MAX_TIERS,
        "percent": book.PERCENT,
        "sentinel": str(book.SENTINEL),
        "leaf_first": book.LEAF_FIRST,
        "leaf_next": book.LEAF_NEXT,
        "challenge_prefix_hex": book.CHALLENGE_PREFIX.hex(),
        "circuit_ids": [
            {
                "A": a,
                "T": t,
                "K": k,
                "arity": n,
                "batch_depth": d,
                "id": book.circuit_id2(a, t, k, n, d),
            }
            for a, t, k, n, d in ((120, 4, 4, 4, 2), (5, 3, 1024, 4, 0), (1, 1, 1, 2, 0))
        ],
    }


# --- entries ------------------------------------------------------------------------------


def pack_vectors() -> dict[str, Any]:
    top = book.AMOUNT_LIMIT - 1
    good = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (5, 123, 456), (1023, top, top)]
    bad = [
        ((1024, 0, 0), "index"),
        ((-1, 0, 0), "index"),
        ((0, book.AMOUNT_LIMIT, 0), "equity"),
        ((0, 0, book.AMOUNT_LIMIT), "debt"),
        ((0, -1, 0), "equity"),
    ]
    for entry, _ in bad:
        try:
            book.pack_entry(*entry)
        except ValueError:
            continue
        raise AssertionError(f"pack_entry accepted {entry}")
    account_bad = [
        ("unsorted", [(2, 1, 0), (1, 1, 0)], 4, 5),
        ("repeated index", [(1, 1, 0), (1, 2, 0)], 4, 5),
        ("index not in the registry", [(0, 1, 0), (5, 1, 0)], 4, 5),
        ("more entries than slots", [(0, 1, 0), (1, 1, 0), (2, 1, 0)], 2, 5),
        ("debt of 64 bits", [(0, 1, book.AMOUNT_LIMIT)], 4, 5),
    ]
    for _, entries, slots, size in account_bad:
        try:
            book.check_entries(entries, slots, size)
        except ValueError:
            continue
        raise AssertionError(f"check_entries accepted {entries}")
    return {
        "pack_entry": [
            {"entry": [a, str(e), str(d)], "packed": str(book.pack_entry(a, e, d))}
            for a, e, d in good
        ],
        "pack_entry_fails": [
            {"entry": [a, str(e), str(d)], "field": field} for (a, e, d), field in bad
        ],
        "account_fails": [
            {"why": why, "entries": entries_json(entries), "slots": slots, "registry_size": size}
            for why, entries, slots, size in account_bad
        ],
    }


def leaf_chain(idc: int, entries: Sequence[book.Entry], slots: int) -> list[int]:
    """Return the leaf's chained hashes, link by link, from the spec's formula."""
    packed = [book.pack_entry(*e) for e in entries] + [0] * (slots - len(entries))
    chain = [poseidon([book.TAG_LEAF2, idc, *packed[:14]])]
    for start in range(14, slots, 15):
        chain.append(poseidon([chain[-1], *packed[start : start + 15]]))
    return chain


def leaf_vectors() -> list[dict[str, Any]]:
    rng = random.Random("zkpor protocol2 vectors: leaves")
    out = []
    for slots, held in ((1, 1), (4, 3), (4, 0), (14, 14), (15, 15), (15, 14), (20, 17)):
        indexes = sorted(rng.sample(range(book.MAX_REGISTRY), held))
        entries = [
            (a, rng.getrandbits(rng.choice((1, 30, 64))), rng.getrandbits(rng.choice((1, 20, 64))))
            for a in indexes
        ]
        user_id = "" if held == 0 else f"user-{slots}-{held}"
        uid = protocol.user_id_to_field(user_id) if held else 0
        salt = rng.getrandbits(248)
        idc = protocol.id_commitment(uid, salt)
        chain = leaf_chain(idc, entries, slots)
        leaf = book.leaf2_hash(idc, entries, slots)
        if chain[-1] != leaf:
            raise AssertionError("leaf2_hash differs from its spelled-out chain")
        out.append(
            {
                "slots": slots,
                "user_id": user_id if held else None,
                "uid": str(uid),
                "salt": str(salt),
                "idc": str(idc),
                "entries": entries_json(entries),
                "packed": dec([book.pack_entry(*e) for e in entries]),
                "chain": dec(chain),
                "leaf": str(leaf),
            }
        )
    return out


def mask_vectors() -> list[dict[str, str]]:
    rng = random.Random("zkpor protocol2 vectors: masks")
    out = []
    for _ in range(2):
        root, mask = rng.randrange(R), rng.randrange(R)
        out.append(
            {"root": str(root), "mask": str(mask), "c": str(book.mask_commitment(root, mask))}
        )
    out.append({"root": "0", "mask": "0", "c": str(book.mask_commitment(0, 0))})
    return out


# --- the registry -------------------------------------------------------------------------


def registry_vectors() -> tuple[dict[str, Any], list[book.TierTable], int, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registry.toml"
        path.write_text(REGISTRY_TOML, encoding="utf-8")
        registry = load_registry(path)
    section = registry.to_json()
    canonical = registry.canonical_json()
    digest = book.registry_digest(canonical)
    q = section["quote"]["decimals"]
    rows = [
        (
            parse_quote(a["price"], q),
            a["decimals"],
            [parse_quote(b, q) for b in section["tables"][a["table"]]["bounds"]],
            section["tables"][a["table"]]["ratios"],
        )
        for a in section["assets"]
    ]
    tables = book.tier_tables(rows)
    scale = book.price_scale([(p, d) for p, d, _, _ in rows])
    tiers = max(len(t["ratios"]) for t in section["tables"])
    derived_tiers = max(len(t.ratios) for t in tables)
    probes = []
    for asset, table in zip(section["assets"], tables, strict=True):
        points = sorted({0, 1, *[b + k for b in table.lower for k in (-1, 0, 1)], 10**12})
        probes.append(
            {
                "symbol": asset["symbol"],
                "equity": dec(points),
                "tier": [table.tier_of(e) for e in points],
                "collateral_x100": dec([table.collateral_x100(e) for e in points]),
            }
        )
    derived = []
    for (price, decimals, bounds, ratios), table in zip(rows, tables, strict=True):
        padded = table.padded(tiers)
        derived.append(
            {
                "price": str(price),
                "decimals": decimals,
                "bounds": dec(bounds),
                "ratios": list(ratios),
                "unit_price": str(table.price),
                "lower": dec(table.lower),
                "table_ratios": list(table.ratios),
                "cumulative": dec(table.cumulative),
                "padded": {
                    "ratios": padded[0],
                    "lower": dec(padded[1]),
                    "cumulative": dec(padded[2]),
                },
                "rows": [dec(book.table_row(table, j, tiers)) for j in range(tiers)],
            }
        )
    doc = {
        "toml": REGISTRY_TOML,
        "section": section,
        "canonical_json": canonical.decode("ascii"),
        "digest": digest.hex(),
        "price_scale": scale,
        "value_decimals": q + scale,
        "T": tiers,
        "T_derived": derived_tiers,
        "tables": derived,
        "probes": probes,
        "registry_public_inputs": dec(book.registry_public_inputs(tables, tiers)),
        "from_values": from_values_vectors(),
        "fails": tier_table_failures(),
    }
    return doc, tables, tiers, digest


def from_values_vectors() -> list[dict[str, Any]]:
    cases = [
        ("exact boundary", 10, [(0, 100), (1000, 50)]),
        ("boundary inside a unit: the unit counts at the later ratio", 7, [(0, 100), (1000, 50)]),
        ("a tier narrower than one unit is dropped", 1000, [(0, 100), (1500, 90), (1900, 80)]),
        ("a tier beyond 2^64 units is dropped", 1, [(0, 100), (2**64 - 1, 50), (2**64, 0)]),
        ("price 0: one tier", 0, [(0, 40), (5, 20)]),
    ]
    out = []
    for why, price, tiers in cases:
        table = book.TierTable.from_values(price, tiers)
        out.append(
            {
                "why": why,
                "unit_price": str(price),
                "value_tiers": [[str(v), r] for v, r in tiers],
                "lower": dec(table.lower),
                "ratios": list(table.ratios),
                "cumulative": dec(table.cumulative),
            }
        )
    return out


def tier_table_failures() -> list[dict[str, Any]]:
    """Registries ``tier_tables`` refuses (the verifier refuses the attestation)."""
    top = book.AMOUNT_LIMIT
    cases = [
        ("unit price of 2^64", [(top, 0, [0], [100])]),
        ("ratio above 100", [(1, 0, [0], [101])]),
        ("ratios increase", [(1, 0, [0, 10], [50, 60])]),
        ("first bound not 0", [(1, 0, [5], [100])]),
        ("bounds do not increase", [(1, 0, [0, 10, 10], [100, 90, 80])]),
        ("nine tiers", [(1, 0, list(range(9)), [100] * 9)]),
    ]
    out = []
    for why, assets in cases:
        try:
            book.tier_tables(assets)
        except ValueError:
            out.append(
                {
                    "why": why,
                    "assets": [
                        {"price": str(p), "decimals": d, "bounds": dec(b), "ratios": r}
                        for p, d, b, r in assets
                    ],
                }
            )
            continue
        raise AssertionError(f"tier_tables accepted: {why}")
    return out


# --- a small book: two shapes, challenges, masked totals, the identity --------------------


def book_vectors(tables: list[book.TierTable], tiers: int, digest: bytes) -> dict[str, Any]:
    rng = random.Random("zkpor protocol2 vectors: book")
    btc, eth, bar, pepe, dead = range(5)
    unit = 10**8
    # Accounts per shape: (user id, entries). Every one is collateralised.
    accounts = {
        4: [
            ("alice", [(btc, 2 * unit, 0), (eth, 0, 10 * 10**9)]),
            ("bob", [(eth, 5 * 10**9, 0)]),
            ("carol", [(btc, 20 * unit, unit), (bar, 50, 0), (pepe, 10**12, 0), (dead, 7, 0)]),
            ("dave", [(btc, unit, 0), (eth, 10**9, 10**9)]),
            ("erin", [(btc, unit // 100, 0), (pepe, 0, 10**10)]),
        ],
        16: [("whale", [(a, 10**6 + a, 0) for a in range(5)])],
    }
    shapes_cfg = {4: (4, 1), 16: (4, 0)}  # slots -> (arity, batch depth)
    shapes_out = []
    challenge_shapes: list[tuple[int, list[tuple[int, int]]]] = []
    all_batches: list[tuple[int, list[book.Entry], int]] = []  # (shape, entries, mask)
    equity, debt = [0] * len(tables), [0] * len(tables)
    masks_total = 0
    for slots, members in accounts.items():
        arity, depth = shapes_cfg[slots]
        size = arity**depth
        n_batches = -(-len(members) // size)
        leaves_n = n_batches * size
        # Leaves placed uniformly at random, padded with empty accounts (uid 0, fresh salt).
        order = list(range(leaves_n))
        rng.shuffle(order)
        placed: list[dict[str, Any]] = [
            {"user_id": None, "uid": 0, "salt": 0, "entries": []} for _ in range(leaves_n)
        ]
        for position, (user_id, entries) in zip(order, members, strict=False):
            placed[position] = {
                "user_id": user_id,
                "uid": protocol.user_id_to_field(user_id),
                "salt": 0,
                "entries": entries,
            }
        for leaf in placed:
            leaf["salt"] = rng.getrandbits(248)
        leaves = []
        for leaf in placed:
            leaf["idc"] = protocol.id_commitment(leaf["uid"], leaf["salt"])
            leaf["leaf"] = book.leaf2_hash(leaf["idc"], leaf["entries"], slots)
            collateral, owed = book.account_values(leaf["entries"], tables)
            if collateral < owed:
                raise AssertionError(f"{leaf['user_id']} is not collateralised")
            leaf["values"] = (collateral, owed)
            leaves.append(leaf["leaf"])
            for a, e, d in leaf["entries"]:
                equity[a] += e
                debt[a] += d
        batches = []
        roots = []
        for j in range(n_batches):
            root = protocol.subtree_root(leaves[j * size : (j + 1) * size], arity)
            mask = rng.randrange(R)
            masks_total = (masks_total + mask) % R
            c = book.mask_commitment(root, mask)
            roots.append(root)
            batch_entries = [
                e for leaf in placed[j * size : (j + 1) * size] for e in leaf["entries"]
            ]
            all_batches.append((slots, batch_entries, mask))
            batches.append({"root": str(root), "mask": str(mask), "c": str(c)})
        depth_top = protocol.top_depth_for(n_batches, arity)
        levels = protocol.top_levels(roots, arity, depth_top)
        challenge_shapes.append((slots, [(int(b["root"]), int(b["c"])) for b in batches]))
        shapes_out.append(
            {
                "slots": slots,
                "arity": arity,
                "batch_depth": depth,
                "batch_size": size,
                "batches": n_batches,
                "top_depth": depth_top,
                "root": str(levels[-1][0]),
                "circuit_id": book.circuit_id2(len(tables), tiers, slots, arity, depth),
                "n_public": book.PUBLIC_REGISTRY + len(tables) * (3 * tiers - 1),
                "leaves": [
                    {
                        "user_id": leaf["user_id"],
                        "uid": str(leaf["uid"]),
                        "salt": str(leaf["salt"]),
                        "idc": str(leaf["idc"]),
                        "entries": entries_json(leaf["entries"]),
                        "leaf": str(leaf["leaf"]),
                        "collateral_x100": str(leaf["values"][0]),
                        "debt_x100": str(leaf["values"][1]),
                    }
                    for leaf in placed
                ],
                "batch_list": batches,
                "tree_levels": dec(levels),
            }
        )
    beta, gamma = book.challenges(
        ATTESTATION_ID, digest, challenge_shapes, equity, debt, masks_total
    )
    preimage = challenge_preimage(
        ATTESTATION_ID, digest, challenge_shapes, equity, debt, masks_total
    )
    seed = hashlib.sha256(preimage).digest()
    sums = []
    index = 0
    for shape in shapes_out:
        for batch in shape["batch_list"]:
            _, entries, mask = all_batches[index]
            index += 1
            s = book.batch_total(entries, beta, gamma, mask)
            batch["s"] = str(s)
            batch["public"] = dec([int(batch["root"]), int(batch["c"]), s, beta, gamma])
            sums.append(s)
    if not book.totals_identity_holds(sums, masks_total, equity, debt, beta, gamma):
        raise AssertionError("the identity must hold for the honest book")
    failing = identity_failures(sums, masks_total, equity, debt, beta, gamma)
    return {
        "attestation_id": ATTESTATION_ID,
        "registry_digest": digest.hex(),
        "shapes": shapes_out,
        "equity": dec(equity),
        "debt": dec(debt),
        "net": dec([e - d for e, d in zip(equity, debt, strict=True)]),
        "mask_sum": str(masks_total),
        "challenge_preimage_hex": preimage.hex(),
        "challenge_seed_hex": seed.hex(),
        "beta": str(beta),
        "gamma": str(gamma),
        "sums": dec(sums),
        "identity_holds": True,
        "identity_fails": failing,
    }


def challenge_preimage(
    aid: str,
    digest: bytes,
    shapes: Sequence[tuple[int, Sequence[tuple[int, int]]]],
    equity: Sequence[int],
    debt: Sequence[int],
    masks_total: int,
) -> bytes:
    """The bytes hashed by ``challenges``, as the spec lays them out."""

    def be(n: int, k: int) -> bytes:
        return n.to_bytes(k, "big")

    out = book.CHALLENGE_PREFIX + be(len(aid.encode()), 4) + aid.encode() + digest
    out += be(len(equity), 4) + be(len(shapes), 4)
    for slots, batches in shapes:
        out += be(slots, 4) + be(len(batches), 4)
        out += b"".join(be(root, 32) + be(c, 32) for root, c in batches)
    out += b"".join(be(e, 32) + be(d, 32) for e, d in zip(equity, debt, strict=True))
    return out + be(masks_total, 32)


def identity_failures(
    sums: list[int], masks: int, equity: list[int], debt: list[int], beta: int, gamma: int
) -> list[dict[str, Any]]:
    """Edits of one value each; the identity must fail for every one."""
    out = []

    def case(why: str, **edit: Any) -> None:
        args = {"sums": sums, "mask_sum": masks, "equity": equity, "debt": debt}
        args.update(edit)
        args.setdefault("beta", beta)
        b = args.pop("beta")
        holds = book.totals_identity_holds(
            args["sums"], args["mask_sum"], args["equity"], args["debt"], b, gamma
        )
        if holds:
            raise AssertionError(f"the identity holds after: {why}")
        out.append({"why": why, **{k: dec(v) for k, v in args.items()}, "beta": str(b)})

    case("BTC equity total one unit higher", equity=[equity[0] + 1, *equity[1:]])
    case("ETH debt total one unit lower", debt=[debt[0], debt[1] - 1, *debt[2:]])
    case(
        "one unit of BTC moved from equity to debt",
        equity=[equity[0] - 1, *equity[1:]],
        debt=[debt[0] + 1, *debt[1:]],
    )
    case(
        "one unit moved between BTC and ETH equity",
        equity=[equity[0] - 1, equity[1] + 1, *equity[2:]],
    )
    case("mask sum one higher", mask_sum=(masks + 1) % R)
    case("a batch total left out", sums=sums[:-1])
    case("β an asset index", beta=len(equity) - 1)
    return out


def main() -> None:
    registry, tables, tiers, digest = registry_vectors()
    doc = {
        "constants": constants(),
        "entries": pack_vectors(),
        "leaves": leaf_vectors(),
        "mask_commitment": mask_vectors(),
        "registry": registry,
        "book": book_vectors(tables, tiers, digest),
    }
    (HERE / "primitives2.json").write_text(
        json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
