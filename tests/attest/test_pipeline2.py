"""``zkpor prove --registry``: a small zkpor/2 book proven end to end with the development
setup (6-asset registry with a 2-tier table, 10 accounts, a margin account, shapes of 2
and 8 slots in batches of 4 and 1), checked independently of the pipeline: totals from
the CSV, every proof against its key with the full public input vector, the challenges
and the totals identity, trees, every bundle opened with its code; and the refusals."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from publisher.attest import book_jobs, book_publish, pipeline2
from publisher.attest.ingest2 import read_liabilities2
from publisher.attest.pipeline import CODES
from publisher.attest.pipeline2 import BookShape, ProvenBook, dev_book_keys, prove_book
from publisher.attest.registry import load_registry
from publisher.config import load_config2
from publisher.crypto import NaclBackend
from publisher.errors import InputError, PipelineError
from publisher.snark.keys import Keys
from tests import peers
from verifier import book, protocol
from verifier.attestation import verify_attestation
from verifier.bundle import open_bundle2, parse_bundle_sums
from verifier.codes import derived_code, format_code, parse_code
from verifier.fetch import directory_reader
from verifier.field import R
from verifier.groth16 import Proof, VerifyingKey, verify
from verifier.manifest import MANIFEST, SETUP_INSECURE_DEV
from verifier.manifest2 import Manifest2
from verifier.report import passed

REGISTRY = """\
[quote]
symbol = "USD"
decimals = 2
price_source = "Test prices"

[[assets]]
symbol = "BTC"
decimals = 8
price = "50000"
tiers = [[0, 100], [1000000, 50]]

[[assets]]
symbol = "ETH"
decimals = 9
price = "2000"
tiers = [[0, 80]]

[[assets]]
symbol = "USDT"
decimals = 6
price = "1"
tiers = [[0, 100]]

[[assets]]
symbol = "SOL"
decimals = 9
price = "100"
tiers = [[0, 50]]

[[assets]]
symbol = "DOGE"
decimals = 8
price = "0.25"
tiers = [[0, 50]]

[[assets]]
symbol = "XRP"
decimals = 6
price = "0.5"
tiers = [[0, 50]]
"""

CONFIG = """\
[issuer]
name = "Example Exchange"
url = "https://example.com"

[attestation]
id = "book-test-2026-11-21"
as_of = "2026-11-21T00:00:00Z"

[tree]
arity = 4

[[shapes]]
slots = 2
batch_depth = 1

[[shapes]]
slots = 8
batch_depth = 0
"""

#: (account, asset, equity, debt): bob owes USDT against ETH (a margin account), dave
#: holds all 6 assets and judy 3 (the 8-slot shape), grace holds nothing (a leaf anyway).
ROWS = [
    ("alice", "BTC", "0.5", "0"),
    ("alice", "USDT", "1000.25", "0"),
    ("bob", "ETH", "12", "0"),
    ("bob", "USDT", "0", "15000"),
    ("carol", "USDT", "10", "0"),
    ("dave", "BTC", "1", "0"),
    ("dave", "ETH", "1", "0"),
    ("dave", "USDT", "1", "0"),
    ("dave", "SOL", "1", "0"),
    ("dave", "DOGE", "100", "0"),
    ("dave", "XRP", "100", "0"),
    ("eve", "BTC", "0.001", "0"),
    ("frank", "ETH", "0.5", "0"),
    ("grace", "USDT", "0", "0"),
    ("heidi", "SOL", "3", "0"),
    ("ivan", "DOGE", "1000", "0"),
    ("judy", "XRP", "10", "0"),
    ("judy", "BTC", "0.01", "0"),
    ("zoë", "ETH", "0.1", "0.01"),
    ("judy", "ETH", "0.1", "0"),
]
DECIMALS = {"BTC": 8, "ETH": 9, "USDT": 6, "SOL": 9, "DOGE": 8, "XRP": 6}
SYMBOLS = list(DECIMALS)


def write_inputs(folder: Path, rows: list[tuple[str, str, str, str]] = ROWS) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "registry": folder / "registry.toml",
        "config": folder / "zkpor.toml",
        "book": folder / "book.csv",
    }
    paths["registry"].write_text(REGISTRY, encoding="utf-8")
    paths["config"].write_text(CONFIG, encoding="utf-8")
    with paths["book"].open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["account", "asset", "equity", "debt"])
        out.writerows(rows)
    return paths


def units(text: str, decimals: int) -> int:
    whole, _, fraction = text.partition(".")
    return int(whole + fraction.ljust(decimals, "0"))


def dev_keys(cache: Path) -> Callable[[BookShape], Keys]:
    return lambda shape: dev_book_keys(shape, cache)


def prove_inputs(
    paths: dict[str, Path],
    out: Path,
    private: Path,
    keys_for: Callable[[BookShape], Keys],
    workers: int = 2,
    threads: bool = False,
    code_secret: bytes | None = None,
) -> ProvenBook:
    """Prove the inputs as ``zkpor prove --registry`` does (threads: so that a test can
    patch what the workers run)."""
    registry = load_registry(paths["registry"])
    config = load_config2(paths["config"])
    private.mkdir(parents=True, exist_ok=True)
    pool = ThreadPoolExecutor(workers) if threads else ProcessPoolExecutor(workers)
    with read_liabilities2(paths["book"], registry, workdir=private) as snapshot, pool:
        return prove_book(
            snapshot,
            registry,
            config,
            out,
            private,
            keys_for,
            pool,
            2 * workers,
            code_secret=code_secret,
        )


@pytest.fixture(scope="module")
def proven(
    tmp_path_factory: pytest.TempPathFactory, key_cache: Path
) -> tuple[Path, Path, ProvenBook]:
    root = tmp_path_factory.mktemp("book")
    paths = write_inputs(root / "input")
    result = prove_inputs(paths, root / "attestation", root / "private", dev_keys(key_cache))
    return root / "attestation", root / "private", result


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_directory_holds_every_file_and_nothing_else(
    proven: tuple[Path, Path, ProvenBook],
) -> None:
    attestation, _, _ = proven
    names = {p.relative_to(attestation).as_posix() for p in attestation.rglob("*") if p.is_file()}
    expected = {
        MANIFEST,
        "vk-s2.json",
        "vk-s8.json",
        "proofs-s2.json",
        "proofs-s8.json",
        "tree-s2.json",
        "tree-s8.json",
        "bundles/SHA256SUMS",
    }
    assert expected <= names
    assert all(n in expected or n.startswith("bundles/") for n in names)
    manifest = _json(attestation / MANIFEST)
    listed = manifest["files"]
    assert set(listed) == expected - {MANIFEST}
    for name, digest in listed.items():
        assert hashlib.sha256((attestation / name).read_bytes()).hexdigest() == digest
    sums = parse_bundle_sums((attestation / "bundles/SHA256SUMS").read_bytes())
    assert {n for n in names if n.endswith(".bin")} == set(sums)
    assert not list(attestation.parent.glob(".attestation.partial-*"))


def test_manifest_is_strict_and_its_totals_are_the_csv_sums(
    proven: tuple[Path, Path, ProvenBook],
) -> None:
    attestation, _, result = proven
    text = (attestation / MANIFEST).read_text(encoding="utf-8")
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    manifest = Manifest2.from_json(doc)
    assert manifest.to_json() == doc == result.manifest.to_json()
    assert list(doc) == [
        "format",
        "id",
        "issuer",
        "as_of",
        "registry",
        "assets",
        "tree",
        "shapes",
        "totals",
        "setup",
        "software",
        "files",
        "bundles",
    ]
    assert doc["registry"] == load_registry(attestation.parent / "input/registry.toml").to_json()
    equity = dict.fromkeys(SYMBOLS, 0)
    debt = dict.fromkeys(SYMBOLS, 0)
    for _, symbol, e, d in ROWS:
        equity[symbol] += units(e, DECIMALS[symbol])
        debt[symbol] += units(d, DECIMALS[symbol])
    assert [a["symbol"] for a in doc["assets"]] == SYMBOLS
    for asset in doc["assets"]:
        symbol = asset["symbol"]
        assert int(asset["equity"]) == equity[symbol]
        assert int(asset["debt"]) == debt[symbol]
        assert int(asset["net"]) == equity[symbol] - debt[symbol]
    usdt = doc["assets"][2]
    assert (usdt["equity_amount"], usdt["debt_amount"], usdt["net_amount"]) == (
        "1011.25",
        "15000",
        "-13988.75",
    )
    assert "reserves" not in usdt
    assert doc["tree"] == {"arity": 4}
    # 9 accounts of at most 2 assets in batches of 4; dave (6) and judy (3) one per batch.
    assert [
        (s["slots"], s["batches"], s["batch_size"], s["leaves"], s["top_depth"])
        for s in doc["shapes"]
    ] == [
        (2, 3, 4, 12, 1),
        (8, 2, 1, 2, 1),
    ]
    assert [s["circuit"]["id"] for s in doc["shapes"]] == [
        "zkpor2-a6-t2-s2-k4-d1",
        "zkpor2-a6-t2-s8-k4-d0",
    ]
    assert doc["setup"]["kind"] == SETUP_INSECURE_DEV


def test_every_proof_verifies_with_the_full_public_inputs_and_the_totals_hold(
    proven: tuple[Path, Path, ProvenBook],
) -> None:
    attestation, _, _ = proven
    manifest = Manifest2.from_json(_json(attestation / MANIFEST))
    registry = manifest.registry
    tables = book.tier_tables(
        [
            (a.price, a.decimals, registry.tables[a.table].bounds, registry.tables[a.table].ratios)
            for a in registry.assets
        ]
    )
    registry_part = book.registry_public_inputs(tables, registry.tiers)
    assert registry.tiers == 2
    sums, committed = [], []
    for shape in manifest.shapes:
        vk = VerifyingKey.from_json(_json(attestation / f"vk-s{shape.slots}.json"))
        assert len(vk.ic) == 1 + 5 + 6 * (3 * 2 - 1)
        entries = _json(attestation / f"proofs-s{shape.slots}.json")
        assert [e["batch"] for e in entries] == list(range(shape.batches))
        for entry in entries:
            root, c, s = (int(v) for v in entry["public"])
            public = [root, c, s, manifest.beta, manifest.gamma, *registry_part]
            verify(vk, public, Proof.from_json(entry["proof"]))
            sums.append(s)
        roots = [int(e["public"][0]) for e in entries]
        committed.append(
            (shape.slots, [(int(e["public"][0]), int(e["public"][1])) for e in entries])
        )
        tree = _json(attestation / f"tree-s{shape.slots}.json")
        levels = [[int(v) for v in level] for level in tree["levels"]]
        assert levels == protocol.top_levels(roots, 4, shape.top_depth)
        assert levels[-1] == [shape.root]
    beta, gamma = book.challenges(
        manifest.attestation_id,
        registry.digest,
        committed,
        manifest.equity,
        manifest.debt,
        manifest.mask_sum,
    )
    assert (beta, gamma) == (manifest.beta, manifest.gamma)
    assert book.totals_identity_holds(
        sums, manifest.mask_sum, manifest.equity, manifest.debt, beta, gamma
    )
    # one unit more BTC equity than proven breaks the identity
    wrong = [manifest.equity[0] + 1, *manifest.equity[1:]]
    assert not book.totals_identity_holds(
        sums, manifest.mask_sum, wrong, manifest.debt, beta, gamma
    )


def _codes(private: Path) -> dict[str, str]:
    with (private / CODES).open(encoding="utf-8", newline="") as f:
        return {row["user_id"]: row["code"] for row in csv.DictReader(f)}


def test_each_bundle_opens_with_its_code_and_leads_to_its_root(
    proven: tuple[Path, Path, ProvenBook],
) -> None:
    attestation, private, _ = proven
    manifest = Manifest2.from_json(_json(attestation / MANIFEST))
    assert manifest.bundles is not None
    codes = _codes(private)
    accounts = sorted({row[0] for row in ROWS})
    assert sorted(codes) == accounts
    index = {s: i for i, s in enumerate(SYMBOLS)}
    expected: dict[str, list[tuple[int, int, int]]] = {a: [] for a in accounts}
    for account, symbol, e, d in ROWS:
        entry = (index[symbol], units(e, DECIMALS[symbol]), units(d, DECIMALS[symbol]))
        if entry[1] or entry[2]:
            expected[account].append(entry)
    read = directory_reader(attestation)
    roots = {
        s.slots: [int(e["public"][0]) for e in _json(attestation / f"proofs-s{s.slots}.json")]
        for s in manifest.shapes
    }
    for account, code in codes.items():
        bundle = open_bundle2(
            read, manifest.bundles, manifest.attestation_id, parse_code(code), NaclBackend()
        )
        assert bundle.user_id == account
        assert list(bundle.entries) == sorted(expected[account])
        shape = manifest.shape(bundle.slots)
        assert shape is not None
        assert bundle.slots == (8 if len(expected[account]) > 2 else 2)
        idc = protocol.id_commitment(protocol.user_id_to_field(account), bundle.salt)
        assert book.leaf2_hash(idc, bundle.entries, bundle.slots) == bundle.leaf_hash
        assert len(bundle.path) == shape.batch_depth + shape.top_depth
        assert bundle.batch == bundle.leaf // shape.batch_size
        node, position = bundle.leaf_hash, bundle.leaf
        for level, siblings in enumerate(bundle.path):
            if level == shape.batch_depth:
                assert node == roots[bundle.slots][bundle.batch]
            assert len(siblings) == 3
            at = position % 4
            node = protocol.node_hash([*siblings[:at], node, *siblings[at:]])
            position //= 4
        if shape.batch_depth == len(bundle.path):
            assert node == roots[bundle.slots][bundle.batch]
        assert node == shape.root


def test_no_secret_or_account_reaches_the_directory(
    proven: tuple[Path, Path, ProvenBook],
) -> None:
    attestation, private, _ = proven
    # the buckets are ciphertext: a 3-letter name may occur in them by chance
    public = b"".join(
        p.read_bytes() for p in sorted(_iter_files(attestation)) if p.suffix != ".bin"
    )
    for account in {row[0] for row in ROWS}:  # as a JSON string ("eve" is in "levels")
        assert json.dumps(account, ensure_ascii=False).encode() not in public
    for code in _codes(private).values():
        assert code.encode() not in public
    assert sorted(p.name for p in private.iterdir()) == [CODES]
    assert oct(attestation.stat().st_mode & 0o777) == "0o755"


# -- refusals: nothing is proven, nothing is written ------------------------------------------


def test_refuses_an_under_collateralised_account_with_its_line(
    tmp_path: Path, key_cache: Path
) -> None:
    rows = [*ROWS, ("mallory", "ETH", "1", "0"), ("mallory", "USDT", "0", "1601")]
    paths = write_inputs(tmp_path / "input", rows)
    with pytest.raises(InputError) as caught:
        prove_inputs(paths, tmp_path / "out", tmp_path / "private", dev_keys(key_cache), 1)
    assert (caught.value.file, caught.value.line, caught.value.field) == (
        str(paths["book"]),
        len(ROWS) + 2,
        "account",
    )
    assert "under-collateralised" in str(caught.value)
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out*"))


def test_refuses_an_account_larger_than_the_largest_shape(tmp_path: Path, key_cache: Path) -> None:
    paths = write_inputs(tmp_path / "input")
    paths["config"].write_text(CONFIG.replace("slots = 8", "slots = 5"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        prove_inputs(paths, tmp_path / "out", tmp_path / "private", dev_keys(key_cache), 1)
    # dave's first row is on line 7 (after the header)
    assert (caught.value.line, caught.value.field) == (7, "account")
    assert "holds 6 assets, more than the 5 slots of the largest shape" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_a_failure_while_writing_leaves_nothing_behind(
    tmp_path: Path, key_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_inputs(tmp_path / "input")
    real = book_publish.shape_files

    def failing(runs: Any) -> dict[str, bytes]:
        real(runs)
        raise OSError("disk full")

    monkeypatch.setattr(book_publish, "shape_files", failing)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk full"):
        prove_inputs(paths, out, tmp_path / "private", dev_keys(key_cache), 1)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input", "private"]
    assert list((tmp_path / "private").iterdir()) == []


def test_refuses_keys_of_another_circuit(tmp_path: Path, key_cache: Path) -> None:
    paths = write_inputs(tmp_path / "input")
    other = BookShape(5, 2, 2, 4, 1)

    def wrong(shape: BookShape) -> Keys:
        return dev_book_keys(other, key_cache)

    with pytest.raises(PipelineError, match="public inputs"):
        prove_inputs(paths, tmp_path / "out", tmp_path / "private", wrong, 1)
    assert not (tmp_path / "out").exists()


def test_refuses_an_existing_directory(
    proven: tuple[Path, Path, ProvenBook], tmp_path: Path, key_cache: Path
) -> None:
    attestation, _, _ = proven
    paths = write_inputs(tmp_path / "input")
    before = (attestation / MANIFEST).read_bytes()
    with pytest.raises(PipelineError, match="already exists"):
        prove_inputs(paths, attestation, tmp_path / "private", dev_keys(key_cache), 1)
    assert (attestation / MANIFEST).read_bytes() == before


def _iter_files(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())


def test_public_files_are_world_readable(proven: tuple[Path, Path, ProvenBook]) -> None:
    attestation, _, _ = proven
    for path in _iter_files(attestation):
        assert path.stat().st_mode & 0o777 == 0o644, path
    assert os.access(attestation, os.R_OK)


def test_zkpor_verify_passes_every_step(proven: tuple[Path, Path, ProvenBook]) -> None:
    attestation, _, _ = proven
    results = verify_attestation(directory_reader(attestation), NaclBackend(), allow_dev_setup=True)
    assert passed(results), [(r.name, r.status, r.detail) for r in results]


# -- the pipeline's own checks: each one fails when its condition is broken ---------------


def test_a_proof_whose_outputs_are_not_phase_1s_is_refused(
    tmp_path: Path, key_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_inputs(tmp_path / "input")
    real = book_jobs.batch_input

    def other_mask(*args: Any) -> Any:
        data = real(*args)
        return replace(data, mask=data.mask + 1)

    monkeypatch.setattr(book_jobs, "batch_input", other_mask)
    out = tmp_path / "out"
    with pytest.raises(PipelineError, match="the proof's outputs are not phase 1's"):
        prove_inputs(paths, out, tmp_path / "private", dev_keys(key_cache), 1, threads=True)
    assert not out.exists() and not (tmp_path / "private" / CODES).exists()


def test_a_proof_that_does_not_verify_is_refused(
    tmp_path: Path, key_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_inputs(tmp_path / "input")
    real = pipeline2.run_prove_job

    def bad_proof(job: Any) -> Any:
        index, batch, outputs, proof = real(job)
        return index, batch, outputs, {**proof, "pi_c": proof["pi_a"]}

    monkeypatch.setattr(pipeline2, "run_prove_job", bad_proof)
    out = tmp_path / "out"
    with pytest.raises(PipelineError, match="does not verify under its key"):
        prove_inputs(paths, out, tmp_path / "private", dev_keys(key_cache), 1, threads=True)
    assert not out.exists()


def test_shapes_with_keys_of_different_setups_are_refused(tmp_path: Path, key_cache: Path) -> None:
    paths = write_inputs(tmp_path / "input")

    def mixed(shape: BookShape) -> Keys:
        keys = dev_book_keys(shape, key_cache)
        return replace(keys, setup_kind="ceremony") if shape.slots == 8 else keys

    with pytest.raises(PipelineError, match="different setups"):
        prove_inputs(paths, tmp_path / "out", tmp_path / "private", mixed, 1)


def test_codes_come_from_the_code_secret(tmp_path: Path, key_cache: Path) -> None:
    paths = write_inputs(tmp_path / "input", ROWS[:5])
    secret = bytes(range(32))
    private = tmp_path / "private"
    prove_inputs(paths, tmp_path / "out", private, dev_keys(key_cache), 1, code_secret=secret)
    codes = _codes(private)
    assert sorted(codes) == ["alice", "bob", "carol"]
    for account, code in codes.items():
        assert code == format_code(derived_code(secret, account))


def test_the_setup_statement_names_each_circuit_when_they_differ(key_cache: Path) -> None:
    shapes = [BookShape(6, 2, 2, 4, 1), BookShape(6, 2, 8, 4, 0)]
    keys = [dev_book_keys(shape, key_cache) for shape in shapes]
    same = [pipeline2.ShapeRun(s, k, [], []) for s, k in zip(shapes, keys, strict=True)]
    assert pipeline2.setup_statement(same) == keys[0].setup_statement
    texts = ["ceremony A", "ceremony B"]
    runs = [
        pipeline2.ShapeRun(s, replace(k, setup_statement=t), [], [])
        for s, k, t in zip(shapes, keys, texts, strict=True)
    ]
    assert pipeline2.setup_statement(runs) == (
        "zkpor2-a6-t2-s2-k4-d1: ceremony A; zkpor2-a6-t2-s8-k4-d0: ceremony B"
    )
    long = [pipeline2.ShapeRun(r.shape, replace(r.keys, setup_statement=t * 3000), [], [])
            for r, t in zip(runs, texts, strict=True)]  # fmt: skip
    statement = pipeline2.setup_statement(long)
    assert len(statement) < 10_000 and "zkpor2-a6-t2-s8-k4-d0" in statement


SNARKJS_VERIFY = ("groth16", "verify", "vk.json", "public.json", "proof.json")


@pytest.mark.interop
def test_snarkjs_verifies_every_proof_of_the_attestation(
    proven: tuple[Path, Path, ProvenBook], tmp_path: Path
) -> None:
    """snarkjs, an independent Groth16 verifier, accepts every published proof of every
    shape under the published vk-s{K}.json, with the full public-input vector a reader
    rebuilds from the manifest (docs/reproducing.md), and rejects one with s_j + 1."""
    attestation, _, _ = proven
    manifest = Manifest2.from_json(_json(attestation / MANIFEST))
    checked = 0
    for shape in manifest.shapes:
        folder = tmp_path / f"s{shape.slots}"
        folder.mkdir()
        (folder / "vk.json").write_bytes((attestation / f"vk-s{shape.slots}.json").read_bytes())
        for entry in _json(attestation / f"proofs-s{shape.slots}.json"):
            root, c, s = (int(v) for v in entry["public"])
            public = [root, c, s, manifest.beta, manifest.gamma, *manifest.registry.public_inputs]
            (folder / "proof.json").write_text(json.dumps(entry["proof"]))
            (folder / "public.json").write_text(json.dumps([str(x) for x in public]))
            run = peers.snarkjs(*SNARKJS_VERIFY, cwd=folder)
            assert run.code == 0 and "OK" in run.output, run.output
            checked += 1
        public[2] = (public[2] + 1) % R
        (folder / "public.json").write_text(json.dumps([str(x) for x in public]))
        run = peers.snarkjs(*SNARKJS_VERIFY, cwd=folder)
        assert run.code != 0 and "Invalid proof" in run.output, run.output
    assert checked == sum(shape.batches for shape in manifest.shapes) > 0
