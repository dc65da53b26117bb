"""A real, tiny zkpor/2 attestation, built for the verifier's tests (dev setup only).

Written file by file as docs/protocol.md §16 says, from ``verifier.book`` (leaves,
masks, totals, challenges), ``publisher.snark.batch2`` (the circuit),
``publisher.snark.dev_setup`` and ``publisher.snark.prove``, independently of the
prover pipeline: the manifest is written as plain JSON here, so a mistake in the
verifier's writer (``Manifest2.to_json``) is not mirrored.

Registry: BTC, ETH, USDT (quote USD, 2 decimals), T = 2. Tree arity 2. Shapes:
K = 2 with batches of 2 accounts (3 accounts, 2 batches), K = 3 with batches of one
(2 accounts, 2 batches). USDT's net is negative (more lent than held). Reserves are signed
test wallets covering every asset's net.

``build(folder, ...)`` returns a ``Built`` with every code; keyword arguments make the
variants the attack tests need (a prover who chooses β, a manifest that lies).
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from publisher.attest.bundles import UserEntry, build_buckets, sibling_path, subtree_levels
from publisher.attest.registry import Registry, load_registry
from publisher.crypto import NaclBackend
from publisher.reserves.sign import DemoWallet, sign_test_wallets
from publisher.snark.batch2 import (
    Batch2Input,
    Batch2Shape,
    batch2_witness,
    build_batch2,
    public_inputs,
)
from publisher.snark.dev_setup import dev_setup
from publisher.snark.keys import ProvingKey
from publisher.snark.prove import prove
from publisher.snark.r1cs import ConstraintSystem
from verifier.book import (
    batch_total,
    challenges,
    leaf2_hash,
    mask_commitment,
)
from verifier.bundle import Bundle2
from verifier.codes import format_code
from verifier.field import R
from verifier.groth16 import VerifyingKey
from verifier.manifest import coverage_ratio, format_units
from verifier.protocol import (
    id_commitment,
    subtree_root,
    top_depth_for,
    top_levels,
    user_id_to_field,
)
from verifier.reserves import reserves_to_json

AID = "book-2026-12"
ARITY = 2
REGISTRY_TOML = """\
[quote]
symbol = "USD"
decimals = 2
price_source = "Test prices of 2026-12-01"

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
Entry = tuple[int, int, int]
#: (slots K, batch depth d_b) -> accounts (user id, entries), in placement order.
ACCOUNTS: dict[tuple[int, int], list[tuple[str, list[Entry]]]] = {
    (2, 1): [
        ("alice", [(0, 100_000_000, 0)]),
        ("bob", [(0, 50_000_000, 0), (2, 0, 100_000)]),
        ("carol", [(1, 200_000_000, 0), (2, 50_000, 0)]),
    ],
    (3, 0): [
        ("dave", [(0, 10_000_000, 0), (1, 0, 10_000_000), (2, 10_000, 0)]),
        ("erin", [(0, 1, 0), (1, 1, 0), (2, 1, 0)]),
    ],
}
#: Reserves: 1.7 BTC, 2 ETH, no USDT (its net is negative: nothing to cover).
WALLETS = (
    DemoWallet("bitcoin", "BTC", "book-btc", 170_000_000, "930000", None),
    DemoWallet("ethereum", "ETH", "book-eth", 200_000_000, "21900000", None),
)


@dataclass
class Built:
    """What ``build`` wrote, and the secrets a test may need."""

    folder: Path
    codes: dict[str, str]
    registry: Registry
    #: slots -> the proofs' (root, c, s) per batch
    publics: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    beta: int = 0
    gamma: int = 0


@cache
def _keys(shape: Batch2Shape) -> tuple[ConstraintSystem, ProvingKey, VerifyingKey]:
    cs = build_batch2(shape).cs
    pk, vk = dev_setup(cs, shape.circuit_id)
    return cs, pk, vk


def registry(folder: Path) -> Registry:
    path = folder / "registry.toml"
    path.write_text(REGISTRY_TOML)
    reg = load_registry(path)
    path.unlink()
    return reg


def write_json(folder: Path, name: str, doc: object) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def asset_json(
    symbol: str, decimals: int, equity: int, debt: int, reserves: int | None
) -> dict[str, Any]:
    net = equity - debt
    doc: dict[str, Any] = {
        "symbol": symbol,
        "decimals": decimals,
        "equity": str(equity),
        "equity_amount": format_units(equity, decimals),
        "debt": str(debt),
        "debt_amount": format_units(debt, decimals),
        "net": str(net),
        "net_amount": ("-" if net < 0 else "") + format_units(abs(net), decimals),
    }
    if reserves is not None:
        doc["reserves"] = str(reserves)
        doc["reserves_amount"] = format_units(reserves, decimals)
        doc["ratio_net"] = coverage_ratio(reserves, net) if net > 0 else None
        doc["ratio_gross"] = coverage_ratio(reserves, equity)
    return doc


def build(
    folder: Path,
    *,
    choose_challenges: Callable[[int, int], tuple[int, int]] | None = None,
    wallets: Sequence[DemoWallet] = WALLETS,
    seed: int = 1,
) -> Built:
    """Write the attestation into ``folder``. ``choose_challenges(β, γ)`` replaces the
    derived challenges by the prover's own (an attack)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    reg = registry(folder)
    tables = [a.tiers for a in reg.assets]
    n_assets, tiers = len(reg.assets), max(len(t.ratios) for t in reg.tables)
    shapes = {key: Batch2Shape.of(key[0], key[1], ARITY, n_assets, tiers) for key in ACCOUNTS}
    codes: dict[str, str] = {}
    # -- phase 1: leaves, roots, masks, commitments, totals --------------------------------
    layout: dict[tuple[int, int], dict[str, Any]] = {}
    equity, debt = [0] * n_assets, [0] * n_assets
    mask_sum = 0
    for key, accounts in ACCOUNTS.items():
        slots, depth = key
        size = ARITY**depth
        batches = -(-len(accounts) // size)
        padded: list[tuple[str | None, list[Entry]]] = [*accounts]
        padded += [(None, [])] * (batches * size - len(accounts))
        salts = [rng.randrange(1, 1 << 248) for _ in padded]
        idcs = [
            id_commitment(user_id_to_field(uid) if uid else 0, salt)
            for (uid, _), salt in zip(padded, salts, strict=True)
        ]
        leaves = [leaf2_hash(i, e, slots) for i, (_, e) in zip(idcs, padded, strict=True)]
        roots = [subtree_root(leaves[j * size : (j + 1) * size], ARITY) for j in range(batches)]
        masks = [rng.randrange(R) for _ in range(batches)]
        commitments = [mask_commitment(r, m) for r, m in zip(roots, masks, strict=True)]
        for _, entries in accounts:
            for a, e, d in entries:
                equity[a] += e
                debt[a] += d
        mask_sum = (mask_sum + sum(masks)) % R
        layout[key] = dict(
            padded=padded,
            salts=salts,
            idcs=idcs,
            leaves=leaves,
            roots=roots,
            masks=masks,
            commitments=commitments,
            size=size,
            batches=batches,
        )
    beta, gamma = challenges(
        AID,
        bytes.fromhex(reg.digest()),
        [(k[0], list(zip(v["roots"], v["commitments"], strict=True))) for k, v in layout.items()],
        equity,
        debt,
        mask_sum,
    )
    if choose_challenges is not None:
        beta, gamma = choose_challenges(beta, gamma)
    built = Built(folder, codes, reg, beta=beta, gamma=gamma)
    # -- phase 2: proofs, trees, bundles ----------------------------------------------------
    files: list[str] = []
    shapes_json = []
    user_entries = []
    for key, v in layout.items():
        slots, depth = key
        shape = shapes[key]
        cs, pk, vk = _keys(shape)
        size, batches = v["size"], v["batches"]
        proofs, publics = [], []
        for j in range(batches):
            part = slice(j * size, (j + 1) * size)
            data = Batch2Input(
                v["idcs"][part],
                [e for _, e in v["padded"][part]],
                tables,
                beta,
                gamma,
                v["masks"][j],
            )
            s = batch_total(data.entries, beta, gamma, v["masks"][j])
            statement = public_inputs(shape, data)
            assert statement[:3] == [v["roots"][j], v["commitments"][j], s]
            proof = prove(pk, cs, batch2_witness(shape, data))
            proofs.append(
                {"batch": j, "public": [str(x) for x in statement[:3]], "proof": proof.to_json()}
            )
            publics.append((statement[0], statement[1], statement[2]))
        built.publics[slots] = publics
        top_depth = top_depth_for(batches, ARITY)
        top = top_levels(v["roots"], ARITY, top_depth)
        write_json(folder, f"vk-s{slots}.json", vk.to_json())
        write_json(folder, f"proofs-s{slots}.json", proofs)
        write_json(
            folder,
            f"tree-s{slots}.json",
            {"arity": ARITY, "levels": [[str(x) for x in lv] for lv in top]},
        )
        files += [f"vk-s{slots}.json", f"proofs-s{slots}.json", f"tree-s{slots}.json"]
        for i, (uid, entries) in enumerate(v["padded"]):
            if uid is None:
                continue
            j = i // size
            batch_levels = subtree_levels(v["leaves"][j * size : (j + 1) * size], ARITY)
            path = sibling_path(batch_levels, i % size, ARITY) + sibling_path(top, j, ARITY)
            bundle = Bundle2(
                AID, uid, v["salts"][i], tuple(entries), slots, i, j, v["leaves"][i], tuple(path)
            )
            code = secrets.token_bytes(16)
            codes[uid] = format_code(code)
            user_entries.append(UserEntry(code, bundle))
        shapes_json.append(
            {
                "slots": slots,
                "batch_depth": depth,
                "batch_size": size,
                "batches": batches,
                "leaves": batches * size,
                "top_depth": top_depth,
                "root": str(top[-1][0]),
                "circuit": {"id": shape.circuit_id, "constraints": len(cs.constraints)},
            }
        )
    box = NaclBackend()
    info, buckets = build_buckets(AID, user_entries, box.secretbox_seal, bytes(32))
    sums = []
    for name, data in sorted(buckets.items()):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        sums.append(f"{hashlib.sha256(data).hexdigest()}  {name.removeprefix('bundles/')}\n")
    (folder / "bundles/SHA256SUMS").write_text("".join(sums))
    files.append("bundles/SHA256SUMS")
    signed = sign_test_wallets(AID, list(wallets))
    decimals = {a.symbol: a.decimals for a in reg.assets}
    write_json(folder, "reserves.json", reserves_to_json(AID, signed, decimals))
    files.append("reserves.json")
    held = {a.symbol: 0 for a in reg.assets}
    for w in signed:
        held[w.asset] += w.balance
    manifest = {
        "format": "zkpor/2",
        "id": AID,
        "issuer": {"name": "Book Exchange", "url": "https://book.example"},
        "as_of": "2026-12-01T00:00:00Z",
        "registry": reg.to_json(),
        "assets": [
            asset_json(a.symbol, a.decimals, equity[i], debt[i], held[a.symbol])
            for i, a in enumerate(reg.assets)
        ],
        "tree": {"arity": ARITY},
        "shapes": shapes_json,
        "totals": {"mask_sum": str(mask_sum), "beta": str(beta), "gamma": str(gamma)},
        "setup": {"kind": "insecure-dev", "statement": "single-party development setup (tests)"},
        "software": {"name": "zkpor", "version": "0.0.0-test"},
        "files": {name: sha256_of(folder / name) for name in sorted(files)},
        "bundles": info.to_json(),
    }
    write_json(folder, "attestation.json", manifest)
    return built


def read_json(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text())


def reseal(folder: Path, *, rederive: bool = False) -> None:
    """Rewrite the manifest's file hashes after a test changed files (as an adversary who
    writes every file can); ``rederive`` also recomputes totals.beta/gamma the way the
    verifier derives them, from the files as they now are."""
    manifest = read_json(folder, "attestation.json")
    if rederive:
        from verifier.attestation import AttestationFiles
        from verifier.attestation2 import batch_entries2, derived_challenges, read_manifest2
        from verifier.fetch import directory_reader

        files = AttestationFiles(directory_reader(folder))
        parsed, _ = read_manifest2(files)
        entries = {s.slots: batch_entries2(files, s) for s in parsed.shapes}
        beta, gamma = derived_challenges(parsed, entries)
        manifest["totals"]["beta"], manifest["totals"]["gamma"] = str(beta), str(gamma)
    manifest["files"] = {name: sha256_of(folder / name) for name in sorted(manifest["files"])}
    write_json(folder, "attestation.json", manifest)


def copy_of(built: Built, folder: Path) -> Path:
    """Return a fresh copy of the attestation ``built`` wrote, at ``folder``."""
    import shutil

    shutil.copytree(built.folder, folder)
    return folder


def check(folder: Path, *, allow_dev: bool = True) -> list[Any]:
    """Return the reviewer's results on ``folder`` (dev setup accepted by default)."""
    from verifier.attestation import verify_attestation
    from verifier.fetch import directory_reader

    return verify_attestation(directory_reader(folder), NaclBackend(), allow_dev_setup=allow_dev)


def outcome(results: Sequence[Any]) -> dict[str, tuple[str, str]]:
    """Return step name -> (status, detail)."""
    return {r.name: (r.status, r.detail) for r in results}


def check_user(folder: Path, code: str, **options: Any) -> Any:
    """Return the account holder's report for ``code`` on ``folder``."""
    from verifier.fetch import directory_reader
    from verifier.user import UserOptions, verify_user

    return verify_user(directory_reader(folder), code, NaclBackend(), UserOptions(**options))
