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
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nacl.secret import SecretBox

from publisher.attest.bundles import UserEntry, build_buckets, sibling_path, subtree_levels
from publisher.attest.registry import load_registry
from publisher.reserves.sign import DemoWallet, sign_test_wallets
from publisher.snark.batch2 import Batch2Input, Batch2Shape, batch2_witness, build_batch2
from publisher.snark.dev_setup import ToxicWaste, dev_setup
from publisher.snark.prove import prove
from verifier import book, protocol
from verifier.bundle import Bundle2, bucket_index, bucket_name, derive
from verifier.codes import derived_code, format_code
from verifier.field import R
from verifier.manifest import coverage_ratio, format_units
from verifier.manifest2 import Manifest2
from verifier.poseidon import poseidon
from verifier.reserves import reserves_to_json

HERE = Path(__file__).resolve().parent
ATTESTATION_DIR = HERE / "attestation"

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


# --- a tiny complete zkpor/2 attestation (INSECURE development setup) ---------------------

ATT_ID = "vectors2-book-2026-12"
ATT_REGISTRY_TOML = """\
[quote]
symbol = "USD"
decimals = 2
price_source = "Vectors: fixed prices of 2026-12-01"

[[assets]]
symbol = "BTC"
decimals = 8
price = "50000"
tiers = [[0, 100], [1000000, 90]]

[[assets]]
symbol = "ETH"
decimals = 8
price = "2000"
tiers = [[0, 90], [500000, 80]]

[[assets]]
symbol = "USDT"
decimals = 2
price = "1"
tiers = [[0, 100]]
"""
ATT_ARITY = 2
#: (slots K, batch depth d_b) -> accounts (user id, entries). USDT's net is negative.
ATT_ACCOUNTS: dict[tuple[int, int], list[tuple[str, list[book.Entry]]]] = {
    (2, 1): [
        ("alice", [(0, 100_000_000, 0)]),
        ("bob", [(0, 50_000_000, 0), (2, 0, 2_000_000)]),
        ("carol-ü", [(1, 200_000_000, 0), (2, 50_000, 0)]),
    ],
    (3, 0): [
        ("dave", [(0, 10_000_000, 0), (1, 0, 10_000_000), (2, 10_000, 0)]),
        ("erin", [(0, 1, 0), (1, 1, 0), (2, 1, 0)]),
    ],
}
#: Customer reserves without roles: 1.7 BTC, 2 ETH, no USDT wallet (net < 0).
ATT_WALLETS = (
    DemoWallet("bitcoin", "BTC", "vectors2-btc", 170_000_000, "930000", role=None),
    DemoWallet("ethereum", "ETH", "vectors2-eth", 200_000_000, "21900000", role=None),
)
CODE_SECRET = hashlib.sha256(b"zkpor protocol2 vectors: code secret").digest()
BUNDLE_SEED = hashlib.sha256(b"zkpor protocol2 vectors: bundle seed").digest()
DEV_STATEMENT = (
    "INSECURE single-party development setup of the zkpor/2 test vectors: its secrets are "
    "published in attestation_expected.json, so anyone can forge these proofs"
)


def public_json(doc: Any) -> bytes:
    """Return ``doc`` as the publisher writes public JSON files (indent 1, UTF-8)."""
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()


def attestation() -> dict[str, Any]:
    """Write ``attestation/`` and return what ``attestation_expected.json`` records."""
    rng = random.Random("zkpor protocol2 vectors: attestation")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registry.toml"
        path.write_text(ATT_REGISTRY_TOML, encoding="utf-8")
        registry = load_registry(path)
    section = registry.to_json()
    digest = book.registry_digest(registry.canonical_json())
    tables = [a.tiers for a in registry.assets]
    n_assets, tiers = len(tables), max(len(t["ratios"]) for t in section["tables"])
    files: dict[str, bytes] = {}

    # Phase 1: placement, salts, leaves, roots, masks, commitments, totals.
    runs: list[dict[str, Any]] = []
    equity, debt = [0] * n_assets, [0] * n_assets
    mask_sum = 0
    for (slots, depth), accounts in ATT_ACCOUNTS.items():
        size = ATT_ARITY**depth
        batches = -(-len(accounts) // size)
        placed: list[tuple[str | None, list[book.Entry]]] = [*accounts]
        placed += [(None, [])] * (batches * size - len(accounts))
        rng.shuffle(placed)
        salts = [rng.getrandbits(248) for _ in placed]
        uids = [protocol.user_id_to_field(u) if u is not None else 0 for u, _ in placed]
        idcs = [protocol.id_commitment(u, salt) for u, salt in zip(uids, salts, strict=True)]
        leaves = [book.leaf2_hash(i, e, slots) for i, (_, e) in zip(idcs, placed, strict=True)]
        roots = [
            protocol.subtree_root(leaves[j * size : (j + 1) * size], ATT_ARITY)
            for j in range(batches)
        ]
        masks = [rng.randrange(R) for _ in range(batches)]
        commitments = [book.mask_commitment(r, m) for r, m in zip(roots, masks, strict=True)]
        for _, entries in accounts:
            for a, e, d in entries:
                equity[a] += e
                debt[a] += d
        mask_sum = (mask_sum + sum(masks)) % R
        runs.append(
            {
                "slots": slots,
                "depth": depth,
                "size": size,
                "batches": batches,
                "placed": placed,
                "salts": salts,
                "idcs": idcs,
                "leaves": leaves,
                "roots": roots,
                "masks": masks,
                "commitments": commitments,
            }
        )
    shapes_arg = [
        (run["slots"], list(zip(run["roots"], run["commitments"], strict=True))) for run in runs
    ]
    beta, gamma = book.challenges(ATT_ID, digest, shapes_arg, equity, debt, mask_sum)

    # Phase 2: keys (development setup from seeded secrets), proofs, trees, bundles.
    shapes_json, shapes_expected, user_entries, users = [], [], [], []
    for run in runs:
        slots, depth, size = run["slots"], run["depth"], run["size"]
        shape = Batch2Shape.of(slots, depth, ATT_ARITY, n_assets, tiers)
        cs = build_batch2(shape).cs
        toxic = ToxicWaste(*(rng.randrange(1, R) for _ in range(5)))
        pk, vk = dev_setup(cs, shape.circuit_id, toxic)
        proofs, sums, prover = [], [], []
        for j in range(run["batches"]):
            part = slice(j * size, (j + 1) * size)
            data = Batch2Input(
                run["idcs"][part],
                [e for _, e in run["placed"][part]],
                tables,
                beta,
                gamma,
                run["masks"][j],
            )
            witness = batch2_witness(shape, data)
            public = witness[1 : 1 + shape.n_public]
            s = book.batch_total(data.entries, beta, gamma, run["masks"][j])
            expected = [run["roots"][j], run["commitments"][j], s, beta, gamma]
            expected += book.registry_public_inputs(tables, tiers)
            if public != expected:
                raise AssertionError("the circuit's public inputs differ from verifier.book's")
            r_s = (rng.randrange(1, R), rng.randrange(1, R))
            proof = prove(pk, cs, witness, r=r_s[0], s=r_s[1])
            proofs.append({"batch": j, "public": dec(public[:3]), "proof": proof.to_json()})
            sums.append(s)
            prover.append({"prover_r": str(r_s[0]), "prover_s": str(r_s[1])})
        run["sums"] = sums
        top_depth = protocol.top_depth_for(run["batches"], ATT_ARITY)
        levels = protocol.top_levels(run["roots"], ATT_ARITY, top_depth)
        files[f"vk-s{slots}.json"] = public_json(vk.to_json())
        files[f"proofs-s{slots}.json"] = public_json(proofs)
        files[f"tree-s{slots}.json"] = public_json(
            {"arity": ATT_ARITY, "levels": [dec(level) for level in levels]}
        )
        for i, (user_id, entries) in enumerate(run["placed"]):
            if user_id is None:
                continue
            j = i // size
            inside = subtree_levels(run["leaves"][j * size : (j + 1) * size], ATT_ARITY)
            path = sibling_path(inside, i % size, ATT_ARITY) + sibling_path(levels, j, ATT_ARITY)
            bundle = Bundle2(
                ATT_ID,
                user_id,
                run["salts"][i],
                tuple(entries),
                slots,
                i,
                j,
                run["leaves"][i],
                tuple(path),
            )
            code = derived_code(CODE_SECRET, user_id)
            user_entries.append(UserEntry(code, bundle))
            col, dv = book.account_values(entries, tables)
            users.append(
                {
                    "user_id": user_id,
                    "code": format_code(code),
                    "slots": slots,
                    "leaf": i,
                    "batch": j,
                    "collateral_x100": str(col),
                    "debt_x100": str(dv),
                }
            )
        shapes_json.append(
            {
                "slots": slots,
                "batch_depth": depth,
                "batch_size": size,
                "batches": run["batches"],
                "leaves": run["batches"] * size,
                "top_depth": top_depth,
                "root": str(levels[-1][0]),
                "circuit": {"id": shape.circuit_id, "constraints": len(cs.constraints)},
            }
        )
        shapes_expected.append(
            {
                "slots": slots,
                "circuit_id": shape.circuit_id,
                "n_public": shape.n_public,
                "toxic_waste": {
                    "tau": str(toxic.tau),
                    "alpha": str(toxic.alpha),
                    "beta": str(toxic.beta),
                    "gamma": str(toxic.gamma),
                    "delta": str(toxic.delta),
                },
                "leaves": [
                    {
                        "user_id": user_id,
                        "salt": str(salt),
                        "idc": str(idc),
                        "entries": entries_json(entries),
                        "leaf": str(leaf),
                    }
                    for (user_id, entries), salt, idc, leaf in zip(
                        run["placed"], run["salts"], run["idcs"], run["leaves"], strict=True
                    )
                ],
                "batches": [
                    {"root": str(r), "mask": str(m), "c": str(c), "s": str(s), **rs}
                    for r, m, c, s, rs in zip(
                        run["roots"], run["masks"], run["commitments"], sums, prover, strict=True
                    )
                ],
                "top_levels": [dec(level) for level in levels],
            }
        )

    def seal(plaintext: bytes, nonce: bytes, key: bytes) -> bytes:
        return bytes(SecretBox(key).encrypt(plaintext, nonce).ciphertext)

    info, buckets = build_buckets(ATT_ID, user_entries, seal, BUNDLE_SEED)
    sums_lines = []
    for name, data in sorted(buckets.items()):
        files[name] = data
        sums_lines.append(f"{hashlib.sha256(data).hexdigest()}  {name.removeprefix('bundles/')}\n")
    files["bundles/SHA256SUMS"] = "".join(sums_lines).encode()
    for user, entry in zip(users, user_entries, strict=True):
        derived = derive(entry.code, ATT_ID, info.run_salt)
        user["lookup"] = derived.lookup.hex()
        user["bucket"] = bucket_name(
            bucket_index(derived.lookup, info.bucket_bits), info.bucket_bits
        )
        user["plaintext_sha256"] = hashlib.sha256(
            entry.bundle.to_plaintext(info.record_size - 32)
        ).hexdigest()

    signed = sign_test_wallets(ATT_ID, list(ATT_WALLETS))
    decimals = {a.symbol: a.decimals for a in registry.assets}
    files["reserves.json"] = public_json(reserves_to_json(ATT_ID, signed, decimals))
    held = {a.symbol: 0 for a in registry.assets}
    for wallet in signed:
        held[wallet.asset] += wallet.balance

    assets = []
    for a, asset in enumerate(registry.assets):
        d, net, reserves = asset.decimals, equity[a] - debt[a], held[asset.symbol]
        assets.append(
            {
                "symbol": asset.symbol,
                "decimals": d,
                "equity": str(equity[a]),
                "equity_amount": format_units(equity[a], d),
                "debt": str(debt[a]),
                "debt_amount": format_units(debt[a], d),
                "net": str(net),
                "net_amount": ("-" if net < 0 else "") + format_units(abs(net), d),
                "reserves": str(reserves),
                "reserves_amount": format_units(reserves, d),
                "ratio_net": coverage_ratio(reserves, net) if net > 0 else None,
                "ratio_gross": coverage_ratio(reserves, equity[a]),
            }
        )
    manifest = {
        "format": "zkpor/2",
        "id": ATT_ID,
        "issuer": {"name": "Vector Book Exchange", "url": "https://book.example"},
        "as_of": "2026-12-01T00:00:00Z",
        "registry": section,
        "assets": assets,
        "tree": {"arity": ATT_ARITY},
        "shapes": shapes_json,
        "totals": {"mask_sum": str(mask_sum), "beta": str(beta), "gamma": str(gamma)},
        "setup": {"kind": "insecure-dev", "statement": DEV_STATEMENT},
        "software": {"name": "zkpor", "version": "0.0.0-vectors"},
        "files": {
            name: hashlib.sha256(data).hexdigest()
            for name, data in sorted(files.items())
            if not name.endswith(".bin")
        },
        "bundles": info.to_json(),
    }
    if Manifest2.from_json(manifest).to_json() != manifest:
        raise AssertionError("the manifest is not what verifier.manifest2 writes back")
    files["attestation.json"] = public_json(manifest)
    if ATTESTATION_DIR.exists():
        shutil.rmtree(ATTESTATION_DIR)
    for name, data in files.items():
        target = ATTESTATION_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return {
        "setup": "INSECURE development setup: the toxic waste of every shape is below",
        "attestation_id": ATT_ID,
        "manifest_sha256": hashlib.sha256(files["attestation.json"]).hexdigest(),
        "registry_digest": digest.hex(),
        "T": tiers,
        "registry_public_inputs": dec(book.registry_public_inputs(tables, tiers)),
        "equity": dec(equity),
        "debt": dec(debt),
        "mask_sum": str(mask_sum),
        "challenge_preimage_hex": challenge_preimage(
            ATT_ID, digest, shapes_arg, equity, debt, mask_sum
        ).hex(),
        "beta": str(beta),
        "gamma": str(gamma),
        "code_secret": CODE_SECRET.hex(),
        "bundle_seed": BUNDLE_SEED.hex(),
        "shapes": shapes_expected,
        "users": users,
    }


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
    (HERE / "attestation_expected.json").write_bytes(public_json(attestation()))


if __name__ == "__main__":
    main()
