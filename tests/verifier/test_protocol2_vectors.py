"""The zkpor/2 vectors of docs/protocol.md §16 (tests/vectors/protocol2/), recomputed.

Each test recomputes a vector from the formulas §16 states (Poseidon over the listed
inputs, SHA-256 over the listed bytes, integer arithmetic for the tier tables) and checks
that ``verifier.book`` gives the same; every negative vector must be refused. Regenerate
the vectors with ``python -m tests.vectors.protocol2.make_vectors``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from verifier import book
from verifier.field import R
from verifier.poseidon import poseidon

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "protocol2"
DATA: dict[str, Any] = json.loads((VECTORS / "primitives2.json").read_text(encoding="utf-8"))
SENTINEL = 2**64


def ints(values: Sequence[str]) -> list[int]:
    return [int(v) for v in values]


def entries_of(rows: Sequence[Sequence[Any]]) -> list[book.Entry]:
    return [(int(a), int(e), int(d)) for a, e, d in rows]


def uid_of(user_id: str) -> int:
    """§5.2: ``uid = int_be(sha256(utf8(user_id))) mod r``."""
    return int.from_bytes(hashlib.sha256(user_id.encode()).digest(), "big") % R


def parse_quote(text: str, decimals: int) -> int:
    whole, _, fraction = text.partition(".")
    assert len(fraction) <= decimals
    return int(whole + fraction.ljust(decimals, "0"))


# -- constants and tags ------------------------------------------------------------------


def test_constants_and_tags() -> None:
    c = DATA["constants"]
    assert int(c["r"]) == R
    assert c["format"] == book.FORMAT2 == "zkpor/2"
    assert c["tags"] == {"ID": 1, "NODE": 3, "LEAF2": 5, "MASK": 6, "TIERS": 7, "CHALLENGE": 8}
    assert (book.TAG_LEAF2, book.TAG_MASK, book.TAG_TIERS, book.TAG_CHALLENGE) == (5, 6, 7, 8)
    assert (c["index_bits"], c["max_registry"], c["amount_bits"]) == (10, 1024, 64)
    assert int(c["total_limit"]) == 2**96 == book.TOTAL_LIMIT
    assert (c["max_tiers"], c["percent"], int(c["sentinel"])) == (8, 100, SENTINEL)
    assert (c["leaf_first"], c["leaf_next"]) == (book.LEAF_FIRST, book.LEAF_NEXT) == (14, 15)
    assert bytes.fromhex(c["challenge_prefix_hex"]) == b"zkpor/2 challenges\0"
    for case in c["circuit_ids"]:
        expected = (
            f"zkpor2-a{case['A']}-t{case['T']}-s{case['K']}-k{case['arity']}-d{case['batch_depth']}"
        )
        assert case["id"] == expected
        assert (
            book.circuit_id2(case["A"], case["T"], case["K"], case["arity"], case["batch_depth"])
            == expected
        )


# -- entries and leaves ------------------------------------------------------------------


@pytest.mark.parametrize("case", DATA["entries"]["pack_entry"], ids=lambda c: str(c["entry"]))
def test_pack_entry(case: dict[str, Any]) -> None:
    a, e, d = int(case["entry"][0]), int(case["entry"][1]), int(case["entry"][2])
    assert int(case["packed"]) == a + (e << 10) + (d << 74)
    assert book.pack_entry(a, e, d) == int(case["packed"])


@pytest.mark.parametrize("case", DATA["entries"]["pack_entry_fails"], ids=lambda c: c["field"])
def test_pack_entry_fails(case: dict[str, Any]) -> None:
    a, e, d = (int(x) for x in case["entry"])
    with pytest.raises(ValueError, match=case["field"]):
        book.pack_entry(a, e, d)


@pytest.mark.parametrize("case", DATA["entries"]["account_fails"], ids=lambda c: c["why"])
def test_account_fails(case: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        book.check_entries(entries_of(case["entries"]), case["slots"], case["registry_size"])


def spec_leaf_chain(idc: int, entries: Sequence[book.Entry], slots: int) -> list[int]:
    """§16: ``h = H(5, idc, q_0..q_13)``, then ``h = H(h, next 15)`` while slots remain."""
    packed = [a + (e << 10) + (d << 74) for a, e, d in entries] + [0] * (slots - len(entries))
    chain = [poseidon([5, idc, *packed[:14]])]
    for start in range(14, slots, 15):
        chain.append(poseidon([chain[-1], *packed[start : start + 15]]))
    return chain


@pytest.mark.parametrize("case", DATA["leaves"], ids=lambda c: f"K{c['slots']}-{len(c['entries'])}")
def test_leaf2(case: dict[str, Any]) -> None:
    slots, entries = case["slots"], entries_of(case["entries"])
    uid = 0 if case["user_id"] is None else uid_of(case["user_id"])
    assert int(case["uid"]) == uid
    idc = poseidon([1, uid, int(case["salt"])])
    assert int(case["idc"]) == idc
    book.check_entries(entries, slots, book.MAX_REGISTRY)
    chain = spec_leaf_chain(idc, entries, slots)
    assert ints(case["chain"]) == chain
    # The chain boundary: one hash up to 14 slots, then one more per 15.
    assert len(chain) == 1 + max(0, -(-(slots - 14) // 15))
    assert int(case["leaf"]) == chain[-1] == book.leaf2_hash(idc, entries, slots)


def test_leaf_slots_cover_14_15_20() -> None:
    assert {c["slots"] for c in DATA["leaves"]} >= {1, 4, 14, 15, 20}


@pytest.mark.parametrize("case", DATA["mask_commitment"], ids=lambda c: c["root"][:8])
def test_mask_commitment(case: dict[str, str]) -> None:
    root, mask = int(case["root"]), int(case["mask"])
    assert int(case["c"]) == poseidon([6, root, mask]) == book.mask_commitment(root, mask)


# -- the registry ------------------------------------------------------------------------

REG = DATA["registry"]


def test_registry_section_and_digest() -> None:
    section = REG["section"]
    canonical = json.dumps(section, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert canonical == REG["canonical_json"]
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    assert digest.hex() == REG["digest"] == book.registry_digest(canonical.encode()).hex()
    assert section["format"] == "zkpor/2 registry"


def test_registry_section_is_what_the_publisher_reads(tmp_path: Path) -> None:
    from publisher.attest.registry import load_registry

    path = tmp_path / "registry.toml"
    path.write_text(REG["toml"], encoding="utf-8")
    registry = load_registry(path)
    assert registry.to_json() == REG["section"]
    assert registry.digest() == REG["digest"]


def spec_scale(rows: Sequence[tuple[int, int]]) -> int:
    """The smallest s >= 0 with price · 10^s divisible by 10^decimals for every asset."""
    s = 0
    while any(price * 10**s % 10**decimals for price, decimals in rows):
        s += 1
    return s


def spec_table(price: int, decimals: int, bounds: Sequence[int], ratios: Sequence[int], s: int):
    """§16: L = bound · 10^s // unit price; equal bounds keep the later tier; bounds at or
    beyond 2^64 are dropped with everything after; price 0 keeps the first tier only."""
    unit = price * 10**s // 10**decimals
    kept: list[tuple[int, int]] = []
    for bound, ratio in zip(bounds, ratios, strict=True):
        # With price 0 every value is 0 units: only the first tier (from 0) is reachable.
        lower = (0 if bound == 0 else SENTINEL) if unit == 0 else bound * 10**s // unit
        if lower >= SENTINEL:
            break
        if kept and kept[-1][0] == lower:
            kept.pop()
        kept.append((lower, ratio))
    lower_bounds = [b for b, _ in kept[1:]]
    table_ratios = [r for _, r in kept]
    cumulative, total = [], 0
    edges = [0, *lower_bounds]
    for j in range(1, len(edges)):
        total += table_ratios[j - 1] * unit * (edges[j] - edges[j - 1])
        cumulative.append(total)
    return unit, lower_bounds, table_ratios, cumulative


def registry_rows() -> list[tuple[int, int, list[int], list[int]]]:
    section = REG["section"]
    q = section["quote"]["decimals"]
    return [
        (
            parse_quote(a["price"], q),
            a["decimals"],
            [parse_quote(b, q) for b in section["tables"][a["table"]]["bounds"]],
            list(section["tables"][a["table"]]["ratios"]),
        )
        for a in section["assets"]
    ]


def test_tier_tables_from_the_section() -> None:
    rows = registry_rows()
    s = spec_scale([(p, d) for p, d, _, _ in rows])
    assert s == REG["price_scale"] == book.price_scale([(p, d) for p, d, _, _ in rows])
    assert REG["value_decimals"] == REG["section"]["quote"]["decimals"] + s
    tables = book.tier_tables(rows)
    tiers = REG["T"]
    assert tiers == max(len(t["ratios"]) for t in REG["section"]["tables"])
    assert REG["T_derived"] == max(len(t.ratios) for t in tables) <= tiers
    for (price, decimals, bounds, ratios), table, want in zip(
        rows, tables, REG["tables"], strict=True
    ):
        unit, lower, table_ratios, cumulative = spec_table(price, decimals, bounds, ratios, s)
        assert (int(want["price"]), want["decimals"]) == (price, decimals)
        assert int(want["unit_price"]) == unit == table.price
        assert ints(want["lower"]) == lower == list(table.lower)
        assert want["table_ratios"] == table_ratios == list(table.ratios)
        assert ints(want["cumulative"]) == cumulative == list(table.cumulative)
        pad = tiers - len(table_ratios)
        padded = want["padded"]
        assert padded["ratios"] == [*table_ratios, *[0] * pad]
        assert ints(padded["lower"]) == [*lower, *[SENTINEL] * pad]
        assert ints(padded["cumulative"]) == [*cumulative, *[0] * pad]
        # Rows (L, U, r, p, C): U is the next lower bound, 2^64 for the last tier.
        lows, caps = [0, *ints(padded["lower"])], [*ints(padded["lower"]), SENTINEL]
        for j, row in enumerate(want["rows"]):
            expected = [
                lows[j],
                caps[j],
                padded["ratios"][j],
                unit,
                ([0] + cumulative + [0] * pad)[j],
            ]
            assert ints(row) == expected == list(book.table_row(table, j, tiers))


def test_the_dropping_and_rounding_cases_are_there() -> None:
    by_symbol = {
        a["symbol"]: t for a, t in zip(REG["section"]["assets"], REG["tables"], strict=True)
    }
    assert len(by_symbol["BAR"]["table_ratios"]) < len(by_symbol["BAR"]["ratios"])  # narrow tier
    assert len(by_symbol["PEPE"]["table_ratios"]) < len(by_symbol["PEPE"]["ratios"])  # beyond 2^64
    assert by_symbol["DEAD"]["unit_price"] == "0" and by_symbol["DEAD"]["table_ratios"] == [30]
    btc = by_symbol["BTC"]
    value = int(btc["bounds"][1]) * 10 ** REG["price_scale"]
    assert value % int(btc["unit_price"]) != 0  # the boundary falls inside a unit


def spec_collateral_x100(unit: int, lower: Sequence[int], ratios: Sequence[int], e: int) -> int:
    """The exact piecewise sum: each unit counts at the ratio of the tier it falls in."""
    edges = [0, *lower, SENTINEL]
    return sum(
        ratios[j] * unit * max(0, min(e, edges[j + 1]) - edges[j]) for j in range(len(ratios))
    )


def test_collateral_probes() -> None:
    tables = book.tier_tables(registry_rows())
    for probe, table in zip(REG["probes"], tables, strict=True):
        for e, tier, value in zip(
            ints(probe["equity"]), probe["tier"], ints(probe["collateral_x100"]), strict=True
        ):
            assert tier == table.tier_of(e) == sum(1 for b in table.lower if b <= e)
            exact = spec_collateral_x100(table.price, table.lower, table.ratios, e)
            assert value == exact == table.collateral_x100(e)
            assert value <= 100 * table.price * e


def test_registry_public_inputs() -> None:
    tables = book.tier_tables(registry_rows())
    tiers = REG["T"]
    expected: list[int] = []
    for want in REG["tables"]:
        padded = want["padded"]
        expected += [
            int(want["unit_price"]),
            *padded["ratios"],
            *ints(padded["lower"]),
            *ints(padded["cumulative"]),
        ]
    assert len(expected) == len(tables) * (3 * tiers - 1)
    assert ints(REG["registry_public_inputs"]) == expected
    assert book.registry_public_inputs(tables, tiers) == expected


@pytest.mark.parametrize("case", REG["from_values"], ids=lambda c: c["why"][:30])
def test_from_values(case: dict[str, Any]) -> None:
    price = int(case["unit_price"])
    tiers = [(int(v), r) for v, r in case["value_tiers"]]
    table = book.TierTable.from_values(price, tiers)
    bounds, ratios = [v for v, _ in tiers], [r for _, r in tiers]
    _, lower, table_ratios, cumulative = spec_table(price, 0, bounds, ratios, 0)
    assert ints(case["lower"]) == lower == list(table.lower)
    assert case["ratios"] == table_ratios == list(table.ratios)
    assert ints(case["cumulative"]) == cumulative == list(table.cumulative)


@pytest.mark.parametrize("case", REG["fails"], ids=lambda c: c["why"])
def test_tier_tables_refused(case: dict[str, Any]) -> None:
    assets = [
        (int(a["price"]), a["decimals"], ints(a["bounds"]), a["ratios"]) for a in case["assets"]
    ]
    with pytest.raises(ValueError):
        book.tier_tables(assets)


# -- a small book: leaves, roots, challenges, masked totals, the identity ----------------

BOOK = DATA["book"]


def node(children: Sequence[int]) -> int:
    return poseidon([3, *children])


def spec_subtree(leaves: Sequence[int], arity: int) -> int:
    level = list(leaves)
    while len(level) > 1:
        level = [node(level[i : i + arity]) for i in range(0, len(level), arity)]
    return level[0]


def test_book_leaves_roots_and_trees() -> None:
    tables = book.tier_tables(registry_rows())
    for shape in BOOK["shapes"]:
        k, size, slots = shape["arity"], shape["batch_size"], shape["slots"]
        assert size == k ** shape["batch_depth"]
        assert shape["n_public"] == 5 + len(tables) * (3 * REG["T"] - 1)
        assert shape["circuit_id"] == book.circuit_id2(
            len(tables), REG["T"], slots, k, shape["batch_depth"]
        )
        leaves = []
        for leaf in shape["leaves"]:
            entries = entries_of(leaf["entries"])
            book.check_entries(entries, slots, len(tables))
            uid = 0 if leaf["user_id"] is None else uid_of(leaf["user_id"])
            idc = poseidon([1, uid, int(leaf["salt"])])
            assert int(leaf["idc"]) == idc
            assert int(leaf["leaf"]) == spec_leaf_chain(idc, entries, slots)[-1]
            collateral, owed = book.account_values(entries, tables)
            assert (int(leaf["collateral_x100"]), int(leaf["debt_x100"])) == (collateral, owed)
            assert collateral >= owed  # every account is collateralised
            leaves.append(int(leaf["leaf"]))
        assert len(leaves) == shape["batches"] * size
        roots = []
        for j, batch in enumerate(shape["batch_list"]):
            root = spec_subtree(leaves[j * size : (j + 1) * size], k)
            assert int(batch["root"]) == root
            assert int(batch["c"]) == poseidon([6, root, int(batch["mask"])])
            roots.append(root)
        depth = 0
        while k**depth < len(roots):
            depth += 1
        assert shape["top_depth"] == depth
        level = roots + [0] * (k**depth - len(roots))
        levels = [level]
        while len(level) > 1:
            level = [node(level[i : i + k]) for i in range(0, len(level), k)]
            levels.append(level)
        assert [ints(x) for x in shape["tree_levels"]] == levels
        assert int(shape["root"]) == levels[-1][0]


def book_totals() -> tuple[list[int], list[int], int]:
    equity, debt = [0] * 5, [0] * 5
    masks = 0
    for shape in BOOK["shapes"]:
        for leaf in shape["leaves"]:
            for a, e, d in entries_of(leaf["entries"]):
                equity[a] += e
                debt[a] += d
        for batch in shape["batch_list"]:
            masks = (masks + int(batch["mask"])) % R
    return equity, debt, masks


def test_book_totals() -> None:
    equity, debt, masks = book_totals()
    assert ints(BOOK["equity"]) == equity and ints(BOOK["debt"]) == debt
    assert ints(BOOK["net"]) == [e - d for e, d in zip(equity, debt, strict=True)]
    assert any(e < d for e, d in zip(equity, debt, strict=True))  # a negative net is shown
    assert int(BOOK["mask_sum"]) == masks


def test_challenges_byte_by_byte() -> None:
    equity, debt, masks = book_totals()
    aid = BOOK["attestation_id"].encode("utf-8")
    digest = bytes.fromhex(BOOK["registry_digest"])
    assert digest.hex() == REG["digest"]

    def be(n: int, k: int) -> bytes:
        return n.to_bytes(k, "big")

    pre = b"zkpor/2 challenges\0" + be(len(aid), 4) + aid + digest
    pre += be(len(equity), 4) + be(len(BOOK["shapes"]), 4)
    shapes = []
    for shape in BOOK["shapes"]:
        pairs = [(int(b["root"]), int(b["c"])) for b in shape["batch_list"]]
        pre += be(shape["slots"], 4) + be(len(pairs), 4)
        pre += b"".join(be(root, 32) + be(c, 32) for root, c in pairs)
        shapes.append((shape["slots"], pairs))
    pre += b"".join(be(e, 32) + be(d, 32) for e, d in zip(equity, debt, strict=True))
    pre += be(masks, 32)
    assert pre.hex() == BOOK["challenge_preimage_hex"]
    seed = hashlib.sha256(pre).digest()
    assert seed.hex() == BOOK["challenge_seed_hex"]
    a = len(equity)
    beta = a + int.from_bytes(hashlib.sha256(seed + b"beta").digest(), "big") % (R - a)
    gamma = int.from_bytes(hashlib.sha256(seed + b"gamma").digest(), "big") % R
    assert (int(BOOK["beta"]), int(BOOK["gamma"])) == (beta, gamma)
    assert book.challenges(BOOK["attestation_id"], digest, shapes, equity, debt, masks) == (
        beta,
        gamma,
    )


def test_batch_totals_and_public_inputs() -> None:
    beta, gamma = int(BOOK["beta"]), int(BOOK["gamma"])
    sums = []
    for shape in BOOK["shapes"]:
        size = shape["batch_size"]
        for j, batch in enumerate(shape["batch_list"]):
            members = shape["leaves"][j * size : (j + 1) * size]
            entries = [e for leaf in members for e in entries_of(leaf["entries"])]
            mask = int(batch["mask"])
            s = (mask + sum((e + gamma * d) * pow(beta - a, -1, R) for a, e, d in entries)) % R
            assert int(batch["s"]) == s == book.batch_total(entries, beta, gamma, mask)
            assert ints(batch["public"]) == [int(batch["root"]), int(batch["c"]), s, beta, gamma]
            sums.append(s)
    assert ints(BOOK["sums"]) == sums


def spec_identity(
    sums: Sequence[int],
    masks: int,
    equity: Sequence[int],
    debt: Sequence[int],
    beta: int,
    gamma: int,
) -> bool:
    if not len(equity) <= beta < R:
        return False
    right = sum(
        (e + gamma * d) * pow(beta - a, -1, R)
        for a, (e, d) in enumerate(zip(equity, debt, strict=True))
    )
    return (sum(sums) - masks - right) % R == 0


def test_totals_identity_holds() -> None:
    args = (ints(BOOK["sums"]), int(BOOK["mask_sum"]), ints(BOOK["equity"]), ints(BOOK["debt"]))
    beta, gamma = int(BOOK["beta"]), int(BOOK["gamma"])
    assert BOOK["identity_holds"] is True
    assert spec_identity(*args, beta, gamma)
    assert book.totals_identity_holds(*args, beta, gamma)


@pytest.mark.parametrize("case", BOOK["identity_fails"], ids=lambda c: c["why"])
def test_totals_identity_fails(case: dict[str, Any]) -> None:
    args = (ints(case["sums"]), int(case["mask_sum"]), ints(case["equity"]), ints(case["debt"]))
    beta, gamma = int(case["beta"]), int(BOOK["gamma"])
    assert not spec_identity(*args, beta, gamma)
    assert not book.totals_identity_holds(*args, beta, gamma)


# -- a tiny complete attestation (INSECURE development setup) ------------------------------

ATTESTATION = VECTORS / "attestation"
EXPECTED: dict[str, Any] = json.loads(
    (VECTORS / "attestation_expected.json").read_text(encoding="utf-8")
)


def published(name: str) -> Any:
    return json.loads((ATTESTATION / name).read_text(encoding="utf-8"))


def test_attestation_passes_every_step_with_the_dev_setup_accepted() -> None:
    from publisher.crypto import NaclBackend
    from verifier.attestation import verify_attestation
    from verifier.fetch import directory_reader

    results = verify_attestation(directory_reader(ATTESTATION), NaclBackend(), allow_dev_setup=True)
    assert [(r.name, r.status) for r in results] == [
        (name, "OK")
        for name in (
            "manifest and file hashes",
            "verification keys",
            "batch proofs",
            "totals",
            "trees",
            "bundle files",
            "reserves",
            "trusted setup",
            "co-signatures",
        )
    ]
    strict = verify_attestation(directory_reader(ATTESTATION), NaclBackend())
    assert [r.name for r in strict if r.status != "OK"] == ["trusted setup"]


def test_attestation_recomputed_from_the_spec() -> None:
    manifest = published("attestation.json")
    assert manifest["format"] == "zkpor/2" and manifest["setup"]["kind"] == "insecure-dev"
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((ATTESTATION / name).read_bytes()).hexdigest() == digest
    section = manifest["registry"]
    canonical = json.dumps(section, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    assert digest.hex() == EXPECTED["registry_digest"]
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
    tiers = max(len(t["ratios"]) for t in section["tables"])
    registry_inputs = book.registry_public_inputs(tables, tiers)
    assert ints(EXPECTED["registry_public_inputs"]) == registry_inputs
    n_assets = len(section["assets"])

    equity, debt, masks = [0] * n_assets, [0] * n_assets, 0
    challenge_shapes, sums = [], []
    arity = manifest["tree"]["arity"]
    for shape, want in zip(manifest["shapes"], EXPECTED["shapes"], strict=True):
        slots, size = shape["slots"], shape["batch_size"]
        assert (
            shape["circuit"]["id"]
            == want["circuit_id"]
            == book.circuit_id2(n_assets, tiers, slots, arity, shape["batch_depth"])
        )
        vk = published(f"vk-s{slots}.json")
        assert vk["nPublic"] == 5 + n_assets * (3 * tiers - 1) == len(vk["IC"]) - 1
        leaves = []
        for leaf in want["leaves"]:
            entries = entries_of(leaf["entries"])
            uid = 0 if leaf["user_id"] is None else uid_of(leaf["user_id"])
            idc = poseidon([1, uid, int(leaf["salt"])])
            assert int(leaf["idc"]) == idc
            assert int(leaf["leaf"]) == spec_leaf_chain(idc, entries, slots)[-1]
            for a, e, d in entries:
                equity[a] += e
                debt[a] += d
            leaves.append(int(leaf["leaf"]))
        proofs = published(f"proofs-s{slots}.json")
        pairs = []
        for j, (entry, batch) in enumerate(zip(proofs, want["batches"], strict=True)):
            root = spec_subtree(leaves[j * size : (j + 1) * size], arity)
            c = poseidon([6, root, int(batch["mask"])])
            assert ints(entry["public"][:2]) == [root, c] == [int(batch["root"]), int(batch["c"])]
            pairs.append((root, c))
            sums.append(int(entry["public"][2]))
            masks = (masks + int(batch["mask"])) % R
        challenge_shapes.append((slots, pairs))
        tree = published(f"tree-s{slots}.json")
        assert [ints(level) for level in tree["levels"]] == [
            ints(level) for level in want["top_levels"]
        ]
        assert int(shape["root"]) == int(tree["levels"][-1][0])
    assert [int(a["equity"]) for a in manifest["assets"]] == equity == ints(EXPECTED["equity"])
    assert [int(a["debt"]) for a in manifest["assets"]] == debt == ints(EXPECTED["debt"])
    assert int(manifest["totals"]["mask_sum"]) == masks
    beta, gamma = book.challenges(manifest["id"], digest, challenge_shapes, equity, debt, masks)
    assert (int(manifest["totals"]["beta"]), int(manifest["totals"]["gamma"])) == (beta, gamma)
    assert spec_identity(sums, masks, equity, debt, beta, gamma)
    # Each s_j is the masked total of its batch's own entries.
    for shape, want in zip(manifest["shapes"], EXPECTED["shapes"], strict=True):
        size = shape["batch_size"]
        for j, batch in enumerate(want["batches"]):
            entries = [
                e
                for leaf in want["leaves"][j * size : (j + 1) * size]
                for e in entries_of(leaf["entries"])
            ]
            total = (
                int(batch["mask"])
                + sum((e + gamma * d) * pow(beta - a, -1, R) for a, e, d in entries)
            ) % R
            assert int(batch["s"]) == total


@pytest.mark.parametrize("user", EXPECTED["users"], ids=lambda u: u["user_id"])
def test_attestation_bundles_and_user_check(user: dict[str, Any]) -> None:
    from nacl.secret import SecretBox

    from publisher.crypto import NaclBackend
    from verifier.fetch import directory_reader
    from verifier.user import UserOptions, verify_user

    manifest = published("attestation.json")
    info = manifest["bundles"]
    code = bytes.fromhex(EXPECTED["code_secret"])  # derived codes (§11.2)
    key = hashlib.blake2b(
        user["user_id"].encode(), digest_size=16, key=code, person=b"zkpor-code"
    ).digest()
    run_salt = bytes.fromhex(info["run_salt"])
    aid = hashlib.blake2b(manifest["id"].encode(), digest_size=32, key=run_salt).digest()
    lookup = hashlib.blake2b(key, digest_size=16, key=aid, person=b"zkpor-lookup").digest()
    box_key = hashlib.blake2b(key, digest_size=32, key=aid, person=b"zkpor-bundlekey").digest()
    nonce = hashlib.blake2b(box_key, digest_size=24, key=aid, person=b"zkpor-nonce").digest()
    assert lookup.hex() == user["lookup"]
    bucket = (ATTESTATION / user["bucket"]).read_bytes()
    size = info["record_size"]
    records = [bucket[i : i + size] for i in range(0, len(bucket), size)]
    (record,) = [r for r in records if r[:16] == lookup]
    plaintext = SecretBox(box_key).decrypt(record[16:], nonce)
    assert hashlib.sha256(plaintext).hexdigest() == user["plaintext_sha256"]
    bundle = json.loads(plaintext.rstrip(b" "))
    assert bundle["v"] == 2 and bundle["user_id"] == user["user_id"]
    assert (bundle["slots"], bundle["leaf"], bundle["batch"]) == (
        user["slots"],
        user["leaf"],
        user["batch"],
    )
    canonical = json.dumps(bundle, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert plaintext == canonical.encode() + b" " * (len(plaintext) - len(canonical.encode()))

    report = verify_user(
        directory_reader(ATTESTATION), user["code"], NaclBackend(), UserOptions(check_all=True)
    )
    statuses = [(r.name, r.status) for r in report.results]
    # A development setup always fails the account holder's setup step (§12.2 step 7).
    assert statuses[:6] == [
        (name, "OK")
        for name in (
            "bundle",
            "leaf",
            "path to batch root",
            "batch root in the published tree",
            "batch proofs",
            "totals",
        )
    ]
    assert statuses[6] == ("trusted setup", "FAIL")
    tables = book.tier_tables(
        [
            (
                parse_quote(a["price"], manifest["registry"]["quote"]["decimals"]),
                a["decimals"],
                [
                    parse_quote(b, manifest["registry"]["quote"]["decimals"])
                    for b in manifest["registry"]["tables"][a["table"]]["bounds"]
                ],
                manifest["registry"]["tables"][a["table"]]["ratios"],
            )
            for a in manifest["registry"]["assets"]
        ]
    )
    col, dv = book.account_values(entries_of(bundle["entries"]), tables)
    assert (int(user["collateral_x100"]), int(user["debt_x100"])) == (col, dv)
    assert col >= dv
