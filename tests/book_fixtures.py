"""A small real zkpor/2 attestation (a book of equity and debt) for the site's tests.

Three assets (BTC, ETH, USDT) priced in USD by a registry with a two-tier table and a
price source that holds Markdown punctuation (``*``, ``_``, ``[``, ``]``, ``(``, ``)``,
``|``, ``#``: the pages must show it literally); seven accounts, one of them a margin
account owing USDT against BTC, and one holding all three assets; two shapes, so that every
per-shape page and step has two of everything: 2 slots in batches of 2 and 4 slots in
batches of 1 (arity 2), each a 2^12 domain. Signed reserves cover every asset's net
liability (BTC on Bitcoin, ETH on Ethereum, USDT on Solana: the browser checks an Ed25519
signature too).

The keys come from a real ceremony per shape (``publisher.ceremony.book.setup_book_keys``:
the demo phase-1 file, two contributions, a beacon), about a minute each on one core, so
that the trusted-setup steps can pass: like ``tests.ceremony_fixtures``, the phase 1 is
the demo's own, so the build is told to accept it (``allow_unknown_phase1``) and the
browser's worker lists its blake2b (``site_knowing_phase1``).
``ZKPOR_TEST_BOOK_CEREMONY=DIR`` keeps the ceremonies in DIR across runs (reused only if
their keys still load and check); by default they live in the session's temporary folder.
"""

from __future__ import annotations

import csv
import fcntl
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from publisher.attest.ingest2 import read_liabilities2
from publisher.attest.pipeline import CODES
from publisher.attest.pipeline2 import BookShape, book_shapes, prove_book
from publisher.attest.registry import load_registry
from publisher.ceremony.book import load_book_keys, setup_book_keys
from publisher.ceremony.demo_ptau import demo_ptau
from publisher.config import load_config2
from publisher.reserves.sign import DemoWallet, sign_test_wallets
from publisher.site.build import BuildOptions, build_site
from publisher.snark.batch2 import build_batch2
from publisher.snark.keys import Keys
from tests.ceremony_fixtures import site_knowing_phase1
from verifier.ceremony import parse_transcript
from verifier.errors import ZkporError
from verifier.manifest2 import Manifest2

#: Markdown punctuation in a registry text field: shown literally, never as markup.
PRICE_SOURCE = "Close of 2026-11-21 on *Example* Index [x](y) | _z_ #1"

REGISTRY = f"""\
[quote]
symbol = "USD"
decimals = 2
price_source = "{PRICE_SOURCE}"

[[tier_tables]]
name = "major"
tiers = [[0, 100], [10000, 90]]

[[assets]]
symbol = "BTC"
decimals = 8
price = "50000"
table = "major"

[[assets]]
symbol = "ETH"
decimals = 8
price = "2000.5"
table = "major"

[[assets]]
symbol = "USDT"
decimals = 6
price = "1"
tiers = [[0, 100]]
"""

BOOK_ID = "book-site-2026-11-21"
CONFIG = f"""\
[issuer]
name = "Example Book Exchange"
url = "https://example.com"

[attestation]
id = "{BOOK_ID}"
as_of = "2026-11-21T00:00:00Z"

[tree]
arity = 2

[[shapes]]
slots = 2
batch_depth = 1

[[shapes]]
slots = 4
batch_depth = 0
"""

#: (account, asset, equity, debt). bob is a margin account: 0.5 BTC held, 15,000 USDT
#: owed (collateral 25,000 USD at 100% then 90% above 10,000: 23,500 USD); dave holds
#: all three assets (the 4-slot shape).
ROWS = [
    ("alice", "BTC", "0.25", "0"),
    ("alice", "USDT", "1000.5", "0"),
    ("bob", "BTC", "0.5", "0"),
    ("bob", "USDT", "0", "15000"),
    ("carol", "USDT", "20000", "0"),
    ("dave", "BTC", "0.01", "0"),
    ("dave", "ETH", "2", "0"),
    ("dave", "USDT", "5", "0"),
    ("eve", "ETH", "1.5", "0"),
    ("frank", "ETH", "0.25", "0"),
    ("frank", "BTC", "0.001", "0"),
    ("zoë", "USDT", "12.5", "0"),
]
DECIMALS = {"BTC": 8, "ETH": 8, "USDT": 6}
#: Each asset's reserves: above its net liability (USDT's net is 20,000 + 1,018 - 15,000).
RESERVES = {"BTC": 80_000_000, "ETH": 400_000_000, "USDT": 7_000_000_000}
MARGIN_ACCOUNT = "bob"


def units(text: str, decimals: int) -> int:
    whole, _, fraction = text.partition(".")
    return int(whole + fraction.ljust(decimals, "0"))


@dataclass(frozen=True)
class BookAttestation:
    """A proven zkpor/2 attestation: its folder, private folder, manifest and codes."""

    folder: Path
    private: Path
    manifest: Manifest2
    codes: dict[str, str]


@dataclass(frozen=True)
class BookCeremony:
    """The finalized keys of every shape (``keys/<circuit id>/``) and the phase 1's blake2b."""

    keys: Path
    phase1_blake2b: str

    def keys_for(self) -> Callable[[BookShape], Keys]:
        return lambda shape: load_book_keys(self.keys, shape.circuit_id)


def write_inputs(folder: Path) -> dict[str, Path]:
    """Write registry.toml, zkpor.toml and the long CSV of ``ROWS`` into ``folder``."""
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
        out.writerows(ROWS)
    return paths


def book_circuits(folder: Path) -> list[BookShape]:
    """Return the shapes of the book's config (both are used by ``ROWS``)."""
    paths = write_inputs(folder)
    return book_shapes(load_registry(paths["registry"]), load_config2(paths["config"]))


def _finished(folder: Path, shapes: list[BookShape]) -> BookCeremony | None:
    keys = folder / "keys"
    try:
        loaded = [load_book_keys(keys, shape.circuit_id) for shape in shapes]
    except (OSError, ValueError, ZkporError):
        return None
    [transcript] = (loaded[0].published or {}).values()
    return BookCeremony(keys, parse_transcript(transcript).header.ptau.blake2b)


def make_book_ceremony(folder: Path) -> BookCeremony:
    """Run one ceremony per shape of the book in ``folder`` (or reuse it), under a lock."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            shapes = book_circuits(folder / "input")
            if (done := _finished(folder, shapes)) is not None:
                return done
            for stale in (folder / "ceremonies", folder / "keys"):  # an unfinished run
                shutil.rmtree(stale, ignore_errors=True)
            setup_book_keys(
                [(s.circuit_id, build_batch2(s.batch2()).cs) for s in shapes],
                folder / "ceremonies",
                folder / "keys",
                lambda power: demo_ptau(power, folder / "ptau-cache"),
                ["Alice", "Bob"],
                lambda _title, work: work(lambda _message: None),
                beacon_value=b"tests book beacon",
                beacon_exp=10,
            )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    done = _finished(folder, shapes)
    if done is None:
        raise AssertionError(f"the ceremonies in {folder} finished but their keys do not check")
    return done


def make_book_attestation(
    root: Path, keys_for: Callable[[BookShape], Keys], reserves: dict[str, int] | None = None
) -> BookAttestation:
    """Prove ``ROWS`` with signed reserves (``RESERVES`` unless given), as ``zkpor prove
    --registry`` does."""
    held = RESERVES if reserves is None else reserves
    paths = write_inputs(root / "input")
    registry = load_registry(paths["registry"])
    config = load_config2(paths["config"])
    wallets = sign_test_wallets(
        config.attestation_id,
        [
            DemoWallet("bitcoin", "BTC", "book-btc", held["BTC"], "924000"),
            DemoWallet("ethereum", "ETH", "book-eth", held["ETH"], "21000000"),
            DemoWallet("solana", "USDT", "book-usdt", held["USDT"], config.as_of),
        ],
    )
    folder, private = root / "attestation", root / "private"
    private.mkdir(parents=True, exist_ok=True)
    with (
        read_liabilities2(paths["book"], registry, workdir=private) as snapshot,
        ProcessPoolExecutor(2) as pool,
    ):
        proven = prove_book(
            snapshot, registry, config, folder, private, keys_for, pool, 4, reserves=wallets
        )
    with (private / CODES).open(encoding="utf-8", newline="") as f:
        codes = {row["user_id"]: row["code"] for row in csv.DictReader(f)}
    return BookAttestation(folder, private, proven.manifest, codes)


def make_book_site(attestation: BookAttestation, ceremony: BookCeremony, out: Path) -> Path:
    """Build the site (the demo phase 1 accepted), its worker knowing that phase 1."""
    site = build_site(attestation.folder, out, BuildOptions(allow_unknown_phase1=True))
    site_knowing_phase1(site, ceremony.phase1_blake2b)
    return site


# --- pytest fixtures: one ceremony, attestation and site per process -------------------

_MADE: dict[str, object] = {}


def _shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    kept = os.environ.get("ZKPOR_TEST_BOOK_CEREMONY")
    if kept:
        return Path(kept)
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "book-ceremony"


@pytest.fixture(scope="session")
def book_ceremony(tmp_path_factory: pytest.TempPathFactory) -> BookCeremony:
    if "ceremony" not in _MADE:
        _MADE["ceremony"] = make_book_ceremony(_shared(tmp_path_factory))
    made = _MADE["ceremony"]
    assert isinstance(made, BookCeremony)
    return made


@pytest.fixture(scope="session")
def book_attestation(
    book_ceremony: BookCeremony, tmp_path_factory: pytest.TempPathFactory
) -> BookAttestation:
    """The book proven with the ceremonies' keys. Shared: tamper with a copy."""
    if "attestation" not in _MADE:
        _MADE["attestation"] = make_book_attestation(
            tmp_path_factory.mktemp("book-attestation"), book_ceremony.keys_for()
        )
    made = _MADE["attestation"]
    assert isinstance(made, BookAttestation)
    return made


@pytest.fixture(scope="session")
def book_site(
    book_ceremony: BookCeremony,
    book_attestation: BookAttestation,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The site of ``book_attestation``. Shared: tamper with a copy."""
    if "site" not in _MADE:
        _MADE["site"] = make_book_site(
            book_attestation, book_ceremony, tmp_path_factory.mktemp("book-site") / "site"
        )
    made = _MADE["site"]
    assert isinstance(made, Path)
    return made
