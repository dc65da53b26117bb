"""What ``zkpor demo`` makes: a synthetic zkpor/2 book (equity and debt) and its run.

(``zkpor demo --format zkpor/1`` runs the spot-balance demo of ``publisher.demo``.)

**Synthetic, never real data.** Every account, amount and price below comes from a seeded
random generator (``generate_book``): the same seed gives byte-identical files. Prices are
plausible for the demo's as-of date but made up, and the price source says so.

**The registry** (``registry.toml``, ``publisher.attest.registry``): quoted in USD to
10^-8, about 120 assets: majors, stablecoins, large and small alts with familiar symbols
(prices made up), then a long tail of synthetic tokens (``_synthetic_symbol``), among them
one delisted token at price 0. Decimals run from 2 to 18. The registry turns every price
into a *unit price* (value units per unit of the asset, value unit ``10^-(8+s)`` USD, ``s``
the smallest scale that makes every unit price an integer) that must fit 64 bits: each
asset's decimals are therefore capped at ``MAX_SCALE`` + the trailing zeros of its price in
10^-8 USD, so that ``s <= MAX_SCALE`` and the largest unit price stays far below 2^64
(about 2^53 for the demo's prices). Decimals are
also capped so that the largest position the generator writes stays below 2^63 units.
Shared tier tables, at most 4 tiers each (``TIER_TABLES``): majors, large alts, stables,
alts, a flat haircut and 0% for illiquid tokens.

**The book** (long CSV ``account,asset,equity,debt``, ``publisher.attest.ingest2``):

* how many assets an account holds is heavy-tailed: most hold 1 to 4, about 12% hold 5 to
  16, and a few whales (``whales``, 4 per 1,000 accounts) hold 100 or more;
* position values are Pareto distributed (alpha 1.16, the 80/20 rule), capped per asset;
* about 10% of accounts are margin accounts, with debts in 1 to 3 borrowable assets whose
  value is 20% to 99.9% of the account's *tiered* collateral (a few sit just below their
  limit). Every account is collateralised at the registry's prices and tiers: the
  generator checks each one with the circuit's own arithmetic (``verifier.book``) and
  ``write_book_inputs`` checks the written files again as ``zkpor prove`` reads them
  (``load_registry``, ``read_liabilities2``, ``Snapshot2.shortfalls``);
* ETH is kept to 9 decimals in the registry but written with 18 in the CSV, so the
  rounding paths run: equity rounds up, debt rounds down, to the units the generator
  counted;
* a few dormant accounts have only all-zero rows (they get a leaf, holding nothing),
  others carry an all-zero row for a closed position; a few accounts have one row at the
  end of the file instead of next to their others;
* account ids mix ASCII and non-ASCII, and some need CSV quoting (a comma).

**Reserves and co-signer**, as the zkpor/1 demo's customer wallets: ``reserves.csv`` holds
one wallet per asset with a positive net liability (equity minus debt), 105% of it
(``publisher.demo.COVERAGE``) rounded up, signed with TEST keys derived from labels
(``publisher.reserves.sign``: never for real funds; Bitcoin and Solana for their coins,
Ethereum for the rest); an asset that nets to zero or below gets none (nothing to cover).
The demo's auditor (``publisher.demo.demo_auditor_key``, a TEST key) is pinned in
zkpor.toml and co-signs the attestation, so ``zkpor verify`` checks all nine steps.

**The failure variant** (``under_collateralised=True``) raises the first debt of one
margin account just past its collateral: ``zkpor prove`` must refuse the file, naming the
account's first line (``Book.bad_line``).

**Shapes.** ``BOOK_SHAPES``, the configured defaults without the 1,024-slot shape (no
account holds more than 120 assets): 4 slots in batches of 16 (d_b = 2), 16 slots in
batches of 4 (d_b = 1), 128 slots in batches of 1 (d_b = 0), arity 4. With 120 assets and
4-tier tables (1,325 public inputs), every circuit's QAP domain is 2^16: 39,567, 33,314
and 55,940 constraints. The 1,000 accounts of seed 1 fill 53, 39 and 4 batches (841,
155 and 4 accounts: margin accounts' debts push some past 4 slots).

**Ceremonies**, one per shape (``publisher.ceremony.book.setup_book_keys``: the steps of
``publisher.demo.run_demo_ceremony``): each is single-threaded, so they run in worker
processes, one per core, the largest first. Measured on a 2-core machine (2026-12-06,
load average 1.3 to 2.9 from other jobs), 1,000 accounts, first run (no cached initial
zkey): per ceremony 92 to 127 CPU-seconds (init, the initial zkey from phase 1, 50 to
80 s of it; each contribution 8 to 16 s); all three 192 s wall-clock, 318 CPU-s; proving
96 batches 76 s (147 CPU-s, 2 processes); ``zkpor verify`` 0.9 s; the whole run 4.5
minutes. One ceremony at a time took 6 minutes (301 s of setup). A cached initial zkey
saves little: ``finalize`` recomputes it (as ``snarkjs zkey verify`` does) unless
``init`` derived it in the same process. The whole ``zkpor demo --out DIR`` as the CLI
runs it (reserves, co-signature and site included; 2026-12-06, 2 cores, load average 3.5
to 4 from other jobs, phase 1 cached): 5 minutes 19 s wall-clock, 467 CPU-s, 1.8 GB peak;
inputs with the 120 signed reserve wallets 1.5 s, the ceremonies 230 s (333 CPU-s),
proving 83 s (127 CPU-s), verify 1.7 s; the site 25 MB. Arity 2 (batches of 8, 2, 1) would put two
shapes at 2^15 (23,731 and 19,157 constraints): about a quarter less ceremony work for
about a sixth more proving.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from publisher.attest.cosign import cosign
from publisher.attest.executors import open_executor
from publisher.attest.ingest2 import read_liabilities2
from publisher.attest.pipeline import StageProgress, _no_stage
from publisher.attest.pipeline2 import BookShape, assign_shapes, dev_book_keys, prove_book
from publisher.attest.registry import Registry, load_registry, reserves_config
from publisher.ceremony.book import load_book_keys, setup_book_keys
from publisher.ceremony.demo_ptau import demo_ptau
from publisher.config import Config2, load_config2
from publisher.crypto import NaclBackend
from publisher.demo import (
    CEREMONY_DIR,
    COVERAGE,
    DEMO_AS_OF,
    DEMO_AUDITOR,
    DEMO_BEACON_EXP,
    DEMO_BEACON_NAME,
    DEMO_BLOCKS,
    DEMO_CONTRIBUTORS,
    KEYS_DIR,
    Log,
    StageRunner,
    demo_auditor_key,
    demo_beacon_value,
)
from publisher.errors import InputError, PipelineError
from publisher.files import write_atomic
from publisher.reserves.ingest import read_reserves
from publisher.reserves.sign import DemoWallet, reserves_csv, sign_test_wallets
from publisher.snark.batch import default_cache_dir
from publisher.snark.batch2 import build_batch2
from publisher.snark.keys import Keys
from publisher.snark.qap import domain_size
from verifier.attestation import verify_attestation
from verifier.book import (
    AMOUNT_LIMIT,
    PERCENT,
    TierTable,
    account_values,
    price_scale,
    tier_tables,
)
from verifier.fetch import directory_reader
from verifier.report import StepResult
from verifier.reserves import Wallet

T = TypeVar("T")

#: The quote every price is stated in, and its decimals.
QUOTE_SYMBOL, QUOTE_DECIMALS = "USD", 8
PRICE_SOURCE = f"Synthetic demo prices as of {DEMO_AS_OF[:10]} (made up, not market data)"
BOOK_AS_OF = DEMO_AS_OF
BOOK_ID = f"demo-book-{DEMO_AS_OF[:10]}"
BOOK_ISSUER = "Demo Exchange (synthetic book)"
#: Tree arity and the (slots, batch depth) of every shape the demo declares.
BOOK_ARITY = 4
BOOK_SHAPES = ((4, 2), (16, 1), (128, 0))
#: Assets in the demo registry, by default.
BOOK_ASSETS = 120
#: The scale ``s`` of the value unit is kept at or below this (see the module docstring).
MAX_SCALE = 12
#: The largest position the generator writes, in units: below 2^63 (half the circuit's range).
MAX_UNITS = (1 << 63) - 1
#: Share of margin accounts, and of dormant accounts (all-zero rows only).
MARGIN_SHARE, DORMANT_SHARE = 0.10, 0.04
#: A margin account holds at least this much tiered collateral (USD), so that every debt
#: share is worth at least one unit of its asset.
MARGIN_MIN_COLLATERAL = 1_000

#: Shared tier tables: ((boundary in USD, ratio %), ...), at most 4 tiers each.
TIER_TABLES: dict[str, tuple[tuple[int, int], ...]] = {
    "major": ((0, 100), (1_000_000, 95), (5_000_000, 80), (20_000_000, 50)),
    "large": ((0, 90), (500_000, 80), (2_000_000, 60), (10_000_000, 30)),
    "stable": ((0, 100), (10_000_000, 98), (50_000_000, 90)),
    "alt": ((0, 70), (100_000, 50), (1_000_000, 20)),
    "haircut": ((0, 40),),
    "illiquid": ((0, 0),),
}


@dataclass(frozen=True)
class BookAsset:
    """An asset of the demo registry and how the generator uses it.

    ``price`` is a plain decimal string (USD per whole token, at most 8 decimals);
    ``cap`` the largest position value written (USD); ``weight`` how often accounts hold
    it; ``input_decimals`` the digits written in the CSV (more than ``decimals`` to
    exercise rounding).
    """

    symbol: str
    decimals: int
    price: str
    table: str
    cap: int
    weight: float
    borrowable: bool = False
    input_decimals: int = 0

    @property
    def price_units(self) -> int:
        """Return the price in 10^-8 USD (exact)."""
        whole, _, fraction = self.price.partition(".")
        return int(whole + fraction.ljust(QUOTE_DECIMALS, "0"))


# symbol, decimals, price (made up), table, cap (USD), weight, borrowable
_LISTED: tuple[tuple[str, int, str, str, int, float, bool], ...] = (
    ("BTC", 8, "96412.35", "major", 60_000_000, 30, True),
    ("ETH", 9, "3471.82", "major", 40_000_000, 25, True),
    ("USDT", 6, "1.0002", "stable", 80_000_000, 35, True),
    ("USDC", 6, "0.9999", "stable", 60_000_000, 20, True),
    ("SOL", 9, "171.42", "large", 10_000_000, 12, True),
    ("BNB", 8, "642.18", "large", 10_000_000, 8, True),
    ("XRP", 6, "2.2841", "large", 10_000_000, 8, True),
    ("DAI", 8, "1.0003", "stable", 20_000_000, 4, True),
    ("FDUSD", 8, "0.9996", "stable", 20_000_000, 3, True),
    ("DOGE", 8, "0.31712", "large", 5_000_000, 6, False),
    ("ADA", 6, "0.8124", "large", 5_000_000, 5, False),
    ("TRX", 6, "0.2411", "large", 5_000_000, 3, False),
    ("TON", 9, "5.412", "large", 5_000_000, 3, False),
    ("AVAX", 9, "36.81", "large", 5_000_000, 3, False),
    ("LINK", 8, "18.742", "large", 5_000_000, 3, False),
    ("DOT", 8, "6.913", "large", 5_000_000, 2, False),
    ("LTC", 8, "98.14", "large", 5_000_000, 2, False),
    ("BCH", 8, "452.6", "large", 5_000_000, 1.5, False),
    ("CBBTC", 18, "96388.1", "major", 400_000, 1, False),
    ("SHIB", 2, "0.00002214", "alt", 2_000_000, 2, False),
    ("PEPE", 2, "0.00001812", "alt", 2_000_000, 2, False),
    ("XLM", 7, "0.3712", "alt", 2_000_000, 1.5, False),
    ("NEAR", 8, "5.214", "alt", 2_000_000, 1.5, False),
    ("APT", 8, "9.871", "alt", 2_000_000, 1.2, False),
    ("ARB", 8, "0.7814", "alt", 2_000_000, 1.2, False),
    ("OP", 8, "1.8412", "alt", 2_000_000, 1.2, False),
    ("FIL", 8, "4.912", "alt", 2_000_000, 1, False),
    ("ETC", 8, "26.41", "alt", 2_000_000, 1, False),
    ("ATOM", 6, "6.712", "alt", 2_000_000, 1, False),
    ("UNI", 8, "11.24", "alt", 2_000_000, 1, False),
    ("AAVE", 8, "284.5", "alt", 2_000_000, 1, False),
    ("MKR", 10, "1712.4", "alt", 2_000_000, 0.6, False),
    ("INJ", 8, "24.18", "alt", 2_000_000, 0.6, False),
    ("SUI", 9, "3.918", "alt", 2_000_000, 1, False),
    ("SEI", 6, "0.4812", "haircut", 1_000_000, 0.5, False),
    ("WLD", 8, "2.614", "haircut", 1_000_000, 0.5, False),
)
#: The token the CSV writes with 18 decimals against the registry's 9 (rounding).
ROUNDED = ("ETH", 18)
#: Syllables of the synthetic long-tail symbols.
_ONSETS = ("B", "D", "F", "G", "K", "L", "M", "N", "P", "R", "S", "T", "V", "Z", "QU", "X")
_VOWELS = ("A", "E", "I", "O", "U", "Y")
#: Account id stems: a third or so non-ASCII, one needing CSV quoting.
_NAMES = (
    "jörg.müller",
    "李雷",
    "ålesund",
    "Zoë",
    "Δημήτρης",
    "أحمد",
    "trader",
    "ñandú",
    "fund",
    "desk",
    "bob, jr.",
    "user",
)


def _synthetic_symbol(rng: random.Random, taken: set[str]) -> str:
    """Return a new pronounceable symbol of 3 to 6 letters, not in ``taken``."""
    while True:
        text = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(rng.randint(2, 3)))
        symbol = text[: rng.randint(3, 6)]
        if symbol not in taken:
            taken.add(symbol)
            return symbol


def _synthetic_price(rng: random.Random) -> str:
    """Return a price from 10^-6 to 80 USD (log-uniform), 4 significant digits, <= 8 decimals."""
    value = 10 ** rng.uniform(-6, math.log10(80))
    places = min(QUOTE_DECIMALS, max(0, 3 - math.floor(math.log10(value))))
    units = max(1, round(value * 10**places))
    text = str(units).rjust(places + 1, "0")
    return f"{text[:-places]}.{text[-places:]}".rstrip("0").rstrip(".") if places else text


def _trailing_zeros(value: int) -> int:
    return len(str(value)) - len(str(value).rstrip("0")) if value else 0


def _fit_decimals(preferred: int, price_units: int, cap: int) -> int:
    """Return the decimals closest to ``preferred`` (at least 2) at which the unit price
    fits (``d <= MAX_SCALE + trailing zeros of the price``) and a position worth ``cap``
    USD stays below ``MAX_UNITS``."""
    fit = MAX_SCALE + _trailing_zeros(price_units)
    if price_units:
        # cap / price tokens, in units of 10^-d, below 2^63
        fit = min(fit, math.floor(math.log10(MAX_UNITS * price_units / (cap * 10**QUOTE_DECIMALS))))
    return max(2, min(preferred, fit))


def book_assets(seed: int, count: int = BOOK_ASSETS) -> tuple[BookAsset, ...]:
    """Return the demo registry's assets: the listed ones, then synthetic tokens up to
    ``count`` (at least 40), one of them delisted at price 0."""
    if not len(_LISTED) < count <= 1024:
        raise ValueError(f"the demo registry holds {len(_LISTED) + 1}..1024 assets")
    rng = random.Random(f"zkpor demo book assets|{seed}")
    assets = [
        BookAsset(
            symbol,
            decimals,
            price,
            table,
            cap,
            weight,
            borrowable,
            ROUNDED[1] if symbol == ROUNDED[0] else 0,
        )
        for symbol, decimals, price, table, cap, weight, borrowable in _LISTED
    ]
    taken = {a.symbol for a in assets}
    delisted = len(_LISTED) + rng.randrange(count - len(_LISTED))
    for i in range(len(_LISTED), count):
        symbol = _synthetic_symbol(rng, taken)
        weight = 1.6 / (i - len(_LISTED) + 2) ** 0.7
        if i == delisted:
            assets.append(BookAsset(symbol, 8, "0", "illiquid", 50_000, weight))
            continue
        price = _synthetic_price(rng)
        table = rng.choices(("alt", "haircut", "illiquid"), (4, 3, 3))[0]
        cap = rng.choice((200_000, 500_000, 1_000_000))
        preferred = rng.choice((4, 6, 8, 8, 9, 10, 12, 18))
        probe = BookAsset(symbol, 0, price, table, cap, weight)
        decimals = _fit_decimals(preferred, probe.price_units, cap)
        assets.append(BookAsset(symbol, decimals, price, table, cap, weight))
    return tuple(assets)


def _table_names(assets: Sequence[BookAsset]) -> list[str]:
    """Return the shared tables the assets use, in order of first use."""
    return list(dict.fromkeys(a.table for a in assets))


def registry_toml(assets: Sequence[BookAsset]) -> str:
    """Return ``registry.toml`` for ``assets`` with the shared ``TIER_TABLES`` they use."""
    out = [
        "# zkpor demo registry: SYNTHETIC prices, made up for the demo (not market data)\n",
        f'[quote]\nsymbol = "{QUOTE_SYMBOL}"\ndecimals = {QUOTE_DECIMALS}\n'
        f'price_source = "{PRICE_SOURCE}"\n',
    ]
    for name in _table_names(assets):
        tiers = ", ".join(f"[{bound}, {ratio}]" for bound, ratio in TIER_TABLES[name])
        out.append(f'\n[[tier_tables]]\nname = "{name}"\ntiers = [{tiers}]\n')
    for a in assets:
        out.append(
            f'\n[[assets]]\nsymbol = "{a.symbol}"\ndecimals = {a.decimals}\n'
            f'price = "{a.price}"\ntable = "{a.table}"\n'
        )
    return "".join(out)


def book_tables(assets: Sequence[BookAsset]) -> tuple[list[TierTable], int]:
    """Return each asset's tier table in equity units and the value scale ``s``, as the
    verifier derives them from the published registry (``verifier.book.tier_tables``)."""
    scale_of = 10**QUOTE_DECIMALS
    rows = [
        (
            a.price_units,
            a.decimals,
            [bound * scale_of for bound, _ in TIER_TABLES[a.table]],
            [ratio for _, ratio in TIER_TABLES[a.table]],
        )
        for a in assets
    ]
    return tier_tables(rows), price_scale([(a.price_units, a.decimals) for a in assets])


# -- the accounts -------------------------------------------------------------------------


@dataclass
class BookAccount:
    """One synthetic account: ``positions[asset] = [equity, debt]`` in units, and the
    assets it has an all-zero row for."""

    account: str
    positions: dict[int, list[int]] = field(default_factory=dict)
    zero_rows: list[int] = field(default_factory=list)

    @property
    def entries(self) -> list[tuple[int, int, int]]:
        """Return the sorted ``(asset, equity, debt)`` entries, all-zero ones dropped."""
        return sorted((a, e, d) for a, (e, d) in self.positions.items() if e or d)

    def values(self, tables: Sequence[TierTable]) -> tuple[int, int]:
        """Return (collateral x 100, debt value x 100) in value units, as the circuit."""
        return account_values(self.entries, tables)


@dataclass(frozen=True)
class Book:
    """A generated book: the registry's assets, the accounts, the CSV and its rows' lines.

    ``bad_line`` is the first line of the under-collateralised account of the failure
    variant (None otherwise); ``margin`` the indexes of the margin accounts.
    """

    assets: tuple[BookAsset, ...]
    accounts: tuple[BookAccount, ...]
    margin: tuple[int, ...]
    csv_text: str
    first_lines: tuple[int, ...]
    bad_line: int | None

    @property
    def registry_toml(self) -> str:
        return registry_toml(self.assets)


_HOLDINGS = tuple(range(1, 17))
_HOLDING_WEIGHTS = (36, 24, 16, 12, 2.6, 2, 1.6, 1.3, 1, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2)


def _account_id(rng: random.Random, i: int) -> str:
    return f"{rng.choice(_NAMES)}-{i:06d}"


def _pick(rng: random.Random, weights: Sequence[float], count: int) -> list[int]:
    """Return ``count`` distinct indexes drawn with ``weights`` (without replacement)."""
    # Efraimidis-Spirakis: the largest keys u^(1/w) are a weighted sample without replacement.
    keys = sorted(range(len(weights)), key=lambda i: rng.random() ** (1 / weights[i]))
    return keys[-count:]


def _units(value_usd: float, asset: BookAsset) -> int:
    """Return ``value_usd`` of ``asset`` in units (at least 1, at most ``MAX_UNITS``)."""
    price = asset.price_units / 10**QUOTE_DECIMALS or 0.001  # the delisted token: any count
    value = min(value_usd, asset.cap)
    return max(1, min(MAX_UNITS, int(value / price * 10**asset.decimals)))


def _holdings(
    rng: random.Random, book: BookAccount, assets: Sequence[BookAsset], count: int, scale: float
) -> None:
    """Give ``book`` positions in ``count`` assets, Pareto-distributed values around ``scale``."""
    weights = [a.weight for a in assets]
    for index in _pick(rng, weights, count):
        stable = assets[index].table == "stable"
        value = scale * (3 if stable else 1) * rng.paretovariate(1.16)
        book.positions[index] = [_units(value, assets[index]), 0]


def _borrow(
    rng: random.Random,
    book: BookAccount,
    assets: Sequence[BookAsset],
    tables: Sequence[TierTable],
    ltv: float,
) -> None:
    """Give ``book`` debts in 1 to 3 borrowable assets worth ``ltv`` of its collateral."""
    collateral, _ = book.values(tables)
    borrowable = [i for i, a in enumerate(assets) if a.borrowable]
    chosen = rng.sample(borrowable, rng.choices((1, 2, 3), (6, 3, 1))[0])
    shares = [rng.uniform(0.2, 1.0) for _ in chosen]
    budget = int(collateral * ltv)
    for index, share in zip(chosen, shares, strict=True):
        # debt value x 100 = 100 d p <= the share of the budget: round the units down
        units = int(budget * share / sum(shares)) // (PERCENT * tables[index].price)
        if units:
            book.positions.setdefault(index, [0, 0])[1] = units


def _accounts(
    rng: random.Random,
    users: int,
    whales: int,
    assets: Sequence[BookAsset],
    tables: Sequence[TierTable],
    value_unit: int,
) -> tuple[list[BookAccount], list[int]]:
    """Return the accounts and the indexes of the margin accounts."""
    accounts = [BookAccount(_account_id(rng, i)) for i in range(users)]
    whale_set = set(rng.sample(range(users), whales))
    dormant = set(rng.sample(sorted(set(range(users)) - whale_set), round(users * DORMANT_SHARE)))
    for i, book in enumerate(accounts):
        if i in whale_set:
            count = rng.randint(min(100, len(assets) - 1), min(128, len(assets) - 1))
            _holdings(rng, book, assets, count, 20_000 * rng.uniform(0.5, 2))
        elif i not in dormant:
            count = rng.choices(_HOLDINGS, _HOLDING_WEIGHTS)[0]
            _holdings(rng, book, assets, count, 120 * rng.paretovariate(1.5))
        # dormant accounts and some others: an all-zero row (a closed position)
        if i in dormant or (i not in whale_set and rng.random() < 0.05):
            free = [a for a in range(len(assets)) if a not in book.positions]
            book.zero_rows = rng.sample(free, 1 if i not in dormant else rng.randint(1, 2))
    threshold = PERCENT * MARGIN_MIN_COLLATERAL * value_unit
    # Up to 3 new entries must not move an account to a larger shape (16 slots to 128).
    eligible = [
        i
        for i, b in enumerate(accounts)
        if b.values(tables)[0] >= threshold and (len(b.entries) <= 13 or i in whale_set)
    ]
    margin = sorted(rng.sample(eligible, min(len(eligible), round(users * MARGIN_SHARE))))
    for i in margin:
        near_limit = rng.random() < 0.1
        ltv = rng.uniform(0.98, 0.999) if near_limit else rng.uniform(0.2, 0.9)
        _borrow(rng, accounts[i], assets, tables, ltv)
    for i, book in enumerate(accounts):
        collateral, debt = book.values(tables)
        amounts = [x for _, e, d in book.entries for x in (e, d)]
        if debt > collateral or not all(0 <= x < AMOUNT_LIMIT for x in amounts):
            raise RuntimeError(f"the generator broke its own rule on account {i}")
    return accounts, margin


def _undercollateralise(book: BookAccount, tables: Sequence[TierTable]) -> None:
    """Raise the first debt of ``book`` just past what its collateral covers."""
    collateral, debt = book.values(tables)
    index = next(a for a, _, d in book.entries if d)
    step = PERCENT * tables[index].price
    book.positions[index][1] += (collateral - debt) // step + 1


# -- the CSV ------------------------------------------------------------------------------


def _amount_text(rng: random.Random, units: int, asset: BookAsset, up: bool) -> str:
    """Return ``units`` as a decimal string; with more input decimals than the asset's,
    with extra digits that round (up for equity, down for debt) back to ``units``."""
    if asset.input_decimals <= asset.decimals or not units:
        return _plain(units, asset.decimals)
    extra_places = asset.input_decimals - asset.decimals
    extra = rng.randrange(1, 10**extra_places)
    exact = (units - 1 if up else units) * 10**extra_places + extra
    return _plain(exact, asset.input_decimals)


def _plain(units: int, decimals: int) -> str:
    digits = str(units).rjust(decimals + 1, "0")
    whole, fraction = digits[: len(digits) - decimals], digits[len(digits) - decimals :].rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def _rows(
    rng: random.Random, accounts: Sequence[BookAccount], assets: Sequence[BookAsset]
) -> tuple[list[tuple[str, str, str, str]], list[int]]:
    """Return the CSV rows (grouped by account, a few moved to the end) and each
    account's first line (the header is line 1)."""
    body: list[tuple[int, tuple[str, str, str, str]]] = []
    late: list[tuple[int, tuple[str, str, str, str]]] = []
    for i, book in enumerate(accounts):
        rows = [
            (
                book.account,
                assets[a].symbol,
                _amount_text(rng, e, assets[a], up=True),
                _amount_text(rng, d, assets[a], up=False),
            )
            for a, (e, d) in book.positions.items()
        ]
        rows += [(book.account, assets[a].symbol, "0", "0") for a in book.zero_rows]
        rng.shuffle(rows)
        if len(rows) > 1 and rng.random() < 0.03:
            late.append((i, rows.pop()))
        body += [(i, row) for row in rows]
    first = [0] * len(accounts)
    for line, (i, _) in reversed(list(enumerate(body + late, start=2))):
        first[i] = line
    return [row for _, row in body + late], first


def generate_book(
    users: int = 1000,
    seed: int = 1,
    assets: int = BOOK_ASSETS,
    whales: int | None = None,
    under_collateralised: bool = False,
) -> Book:
    """Return the synthetic book of ``users`` accounts (deterministic in ``seed``).

    ``whales`` accounts hold 100 or more assets (default 4 per 1,000 accounts, at least
    1; 0 leaves out the 128-slot shape, for quick tests). ``under_collateralised``
    makes one margin account's debt exceed its collateral (``Book.bad_line``).
    """
    if users < 1:
        raise ValueError("the book needs at least one account")
    if whales is not None and whales < 0:
        raise ValueError("whales must be 0 or more")
    registry = book_assets(seed, assets)
    tables, scale = book_tables(registry)
    value_unit = 10 ** (QUOTE_DECIMALS + scale)
    rng = random.Random(f"zkpor demo book accounts|{seed}")
    whales = max(1, round(users * 0.004)) if whales is None else whales
    accounts, margin = _accounts(rng, users, min(whales, users), registry, tables, value_unit)
    bad = None
    if under_collateralised:
        if not margin:
            raise ValueError("the failure variant needs a margin account: give more users")
        # Its own random stream: the file is the good one but for that account's debt row.
        bad = random.Random(f"zkpor demo book failure|{seed}").choice(margin)
        _undercollateralise(accounts[bad], tables)
    rows, first = _rows(rng, accounts, registry)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("account", "asset", "equity", "debt"))
    writer.writerows(rows)
    return Book(
        registry,
        tuple(accounts),
        tuple(margin),
        text.getvalue(),
        tuple(first),
        None if bad is None else first[bad],
    )


def config_toml(shapes: Sequence[tuple[int, int]] = BOOK_SHAPES) -> str:
    """Return the demo's zkpor.toml for zkpor/2 (``load_config2``): issuer, attestation,
    arity, the shapes and the demo's auditor pinned as co-signer (a TEST key,
    ``publisher.demo.demo_auditor_key``)."""
    listed = "".join(f"\n[[shapes]]\nslots = {k}\nbatch_depth = {d}\n" for k, d in shapes)
    return (
        f'[issuer]\nname = "{BOOK_ISSUER}"\nurl = "https://example.com"\n\n'
        f'[attestation]\nid = "{BOOK_ID}"\nas_of = "{BOOK_AS_OF}"\n\n'
        f"[tree]\narity = {BOOK_ARITY}\n"
        + listed
        + f'\n[[cosigners]]\nname = "{DEMO_AUDITOR}"\nscheme = "ed25519"\n'
        f'key = "{demo_auditor_key().public_key()}"\n'
    )


@dataclass(frozen=True)
class BookInputs:
    """The files ``write_book_inputs`` wrote, and the book they hold."""

    registry: Path
    liabilities: Path
    config: Path
    book: Book


def write_book_inputs(
    folder: Path,
    users: int = 1000,
    seed: int = 1,
    assets: int = BOOK_ASSETS,
    whales: int | None = None,
    under_collateralised: bool = False,
    shapes: Sequence[tuple[int, int]] = BOOK_SHAPES,
) -> BookInputs:
    """Write ``registry.toml``, ``liabilities.csv`` (long format) and ``zkpor.toml`` into
    ``folder`` (the failure variant: ``liabilities-under-collateralised.csv``)."""
    book = generate_book(users, seed, assets, whales, under_collateralised)
    name = "liabilities-under-collateralised.csv" if under_collateralised else "liabilities.csv"
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / "registry.toml", folder / name, folder / "zkpor.toml")
    write_atomic(paths[0], book.registry_toml.encode())
    write_atomic(paths[1], book.csv_text.encode())
    write_atomic(paths[2], config_toml(shapes).encode())
    _check_written(paths[0], paths[1], book)
    return BookInputs(*paths, book)


def _check_written(registry_path: Path, liabilities: Path, book: Book) -> None:
    """Read the files back as ``zkpor prove`` does; raise ``PipelineError`` unless every
    account is collateralised but the failure variant's one (at ``book.bad_line``)."""
    registry = load_registry(registry_path)
    with read_liabilities2(liabilities, registry) as snapshot:
        short = [s.account.line for s in snapshot.shortfalls()]
        count = len(snapshot)
    expected = [] if book.bad_line is None else [book.bad_line]
    if short != expected or count != len(book.accounts):
        raise PipelineError(
            f"the generated book does not read back as generated: {count} accounts, "
            f"under-collateralised on lines {short} (expected {expected})"
        )


# -- the reserves -------------------------------------------------------------------------

#: The chain of an asset's reserve wallet: Bitcoin and Solana for their own coins, Ethereum
#: (as an ERC-20 token) for every other asset.
RESERVE_CHAINS = {"BTC": "bitcoin", "SOL": "solana"}


def book_wallets(
    registry: Registry, equity: Sequence[int], debt: Sequence[int]
) -> list[DemoWallet]:
    """Return one customer wallet per asset whose net liability (equity minus debt) is
    positive, holding ``COVERAGE`` % of it rounded up to a whole unit (the demo covers what
    it claims); none for an asset that nets to zero or below: there is nothing to cover,
    and zkpor/2 never nets one asset against another."""
    wallets = []
    for asset, owed, lent in zip(registry.assets, equity, debt, strict=True):
        net = owed - lent
        if net <= 0:
            continue
        chain = RESERVE_CHAINS.get(asset.symbol, "ethereum")
        balance = -(-net * COVERAGE // 100)
        label = f"book-{asset.symbol.lower()}"
        wallets.append(DemoWallet(chain, asset.symbol, label, balance, DEMO_BLOCKS[chain]))
    return wallets


def write_book_reserves(
    folder: Path, config: Config2, registry: Registry, equity: Sequence[int], debt: Sequence[int]
) -> tuple[Path, list[Wallet]]:
    """Write ``reserves.csv`` (``book_wallets``, signed with TEST keys: never for real
    funds) into ``folder``; return its path and its wallets as ``zkpor prove --reserves``
    reads them (every signature checked). ``PipelineError`` if it does not read back as
    written."""
    signed = sign_test_wallets(config.attestation_id, book_wallets(registry, equity, debt))
    path = folder / "reserves.csv"
    write_atomic(path, reserves_csv(signed, {a.symbol: a.decimals for a in registry.assets}))
    wallets, rounded = read_reserves(path, reserves_config(config, registry))
    if wallets != signed or any(rounded.values()):
        raise PipelineError(f"{path} does not read back as written")
    return path, wallets


def cosign_as_demo_auditor(attestation: Path) -> str:
    """Co-sign ``attestation`` as the demo's auditor, whom the demo's zkpor.toml pins (a
    TEST key anyone can derive, ``publisher.demo.demo_auditor_key``); return the file."""
    written, _ = cosign(attestation, demo_auditor_key(), DEMO_AUDITOR)
    return written


# -- the run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShapeFigures:
    """What one shape of the demo cost: its circuit, accounts, batches and setup time."""

    circuit_id: str
    slots: int
    batch_size: int
    accounts: int
    batches: int
    constraints: int
    domain: int
    setup_seconds: float
    setup_cpu_seconds: float


@dataclass(frozen=True)
class BookDemo:
    """What ``run_book_demo`` made: the inputs, the attestation, the keys, the reviewer's
    report, the failure variant's refusal, and the figures: per stage (inputs, setup,
    prove, verify) its wall-clock ``seconds`` and its ``cpu_seconds`` (this process and
    the prover processes, which a busy machine does not inflate)."""

    inputs: BookInputs
    attestation: Path
    private: Path
    keys: Path | None
    shapes: tuple[ShapeFigures, ...]
    seconds: dict[str, float]
    cpu_seconds: dict[str, float]
    results: tuple[StepResult, ...]
    refusal: InputError | None = None
    reserves: Path | None = None

    @property
    def passed(self) -> bool:
        """Return whether every step of ``zkpor verify`` passed."""
        return all(r.status == "OK" for r in self.results)


class _Clock:
    """Wall-clock and CPU seconds of consecutive laps (CPU: this process and its
    children once they have exited, as the prover's worker processes have when their
    executor closes)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.last = self.now()

    @staticmethod
    def now() -> tuple[float, float]:
        t = os.times()
        return time.monotonic(), t.user + t.system + t.children_user + t.children_system

    def lap(self, name: str) -> tuple[float, float]:
        """Record and return the lap ``name``: (wall, CPU) seconds since the last lap."""
        now = self.now()
        wall, cpu = now[0] - self.last[0], now[1] - self.last[1]
        self.wall[name], self.cpu[name], self.last = wall, cpu, now
        return wall, cpu


def _quiet_stage(title: str, work: Callable[[Log], T]) -> T:
    return work(lambda message: None)


def _ignore(message: str) -> None:
    """The default log: say nothing."""


def _making_dev_keys(shape: BookShape, cache: Path) -> str:
    return f"making the development keys of {shape.circuit_id} (once, cached in {cache})"


def _cached_phase1(power: int) -> Path:
    return demo_ptau(power)


def _refuse_under_collateralised(
    folder: Path,
    users: int,
    seed: int,
    assets: int,
    whales: int | None,
    shapes: Sequence[tuple[int, int]],
    out: Path,
) -> InputError:
    """Write the failure variant and return the error ``prove_book`` refuses it with (no
    keys are asked for, nothing is written); ``PipelineError`` if it is accepted."""
    bad = write_book_inputs(folder, users, seed, assets, whales, True, shapes)
    registry = load_registry(bad.registry)

    def no_keys(shape: BookShape) -> Keys:
        raise PipelineError(f"the failure variant asked for the keys of {shape.circuit_id}")

    private = out.parent / (out.name + "-refused-private")
    try:
        with (
            read_liabilities2(bad.liabilities, registry) as snapshot,
            ThreadPoolExecutor(1) as executor,
        ):
            prove_book(
                snapshot, registry, load_config2(bad.config), out, private, no_keys, executor, 1
            )
    except InputError as refused:
        if out.exists() or private.exists():
            raise PipelineError("the refused failure variant left files behind") from refused
        if (refused.file, refused.line) != (str(bad.liabilities), bad.book.bad_line):
            raise PipelineError(
                f"the failure variant was refused for another reason: {refused}"
            ) from refused
        return refused
    raise PipelineError("prove accepted an under-collateralised account")


@dataclass(frozen=True)
class _CeremonyJob:
    """One shape's local ceremony, to run in a worker process."""

    shape: BookShape
    ceremonies: Path
    keys: Path
    ptau: Path
    beacon: bytes
    params_cache: Path


def _ceremony(job: _CeremonyJob, run: StageRunner) -> None:
    """Run the ceremony of ``job`` (``setup_book_keys``: init, a contribution each by
    ``DEMO_CONTRIBUTORS``, the demo beacon, verify and finalize)."""
    cs = build_batch2(job.shape.batch2()).cs
    setup_book_keys(
        [(job.shape.circuit_id, cs)],
        job.ceremonies,
        job.keys,
        lambda power: job.ptau,
        DEMO_CONTRIBUTORS,
        run,
        job.beacon,
        DEMO_BEACON_EXP,
        DEMO_BEACON_NAME,
        job.params_cache,
    )


def run_ceremony_job(job: _CeremonyJob) -> tuple[list[tuple[str, float]], float, float]:
    """In a worker process: run ``job``; return each stage's (title, seconds) and the
    ceremony's wall-clock and CPU seconds."""
    clock = _Clock()
    stages: list[tuple[str, float]] = []

    def run(title: str, work: Callable[[Log], T]) -> T:
        start = time.monotonic()
        result = work(_ignore)
        stages.append((title, time.monotonic() - start))
        return result

    _ceremony(job, run)
    wall, cpu = clock.lap("setup")
    return stages, wall, cpu


def _ceremonies(
    jobs: Sequence[_CeremonyJob], parallel: int, run: StageRunner, log: Log
) -> dict[str, tuple[float, float]]:
    """Run every ceremony, ``parallel`` at a time; return each one's (wall, CPU) seconds
    by circuit id."""
    times: dict[str, tuple[float, float]] = {}
    if parallel <= 1 or len(jobs) == 1:
        clock = _Clock()
        for job in jobs:
            circuit = job.shape.circuit_id
            log(f"setup ceremony for {circuit} in {job.ceremonies / circuit}")
            _ceremony(job, run)
            times[job.shape.circuit_id] = clock.lap(job.shape.circuit_id)
        return times
    processes = min(parallel, len(jobs))
    log(
        f"setup ceremonies for {len(jobs)} circuits in {jobs[0].ceremonies}, {processes} at "
        "a time (each in its own process; its stages are listed when it ends)"
    )
    with open_executor(processes) as (executor, _):
        futures = {executor.submit(run_ceremony_job, job): job for job in jobs}
        for future in as_completed(futures):
            stages, wall, cpu = future.result()
            for title, seconds in stages:
                log(f"  done: {title} ({seconds:.1f} s)")
            times[futures[future].shape.circuit_id] = (wall, cpu)
    return times


def run_book_demo(
    out: Path,
    users: int = 1000,
    seed: int = 1,
    insecure_dev_setup: bool = False,
    *,
    under_collateralised: bool = False,
    assets: int = BOOK_ASSETS,
    whales: int | None = None,
    workers: int | None = None,
    parallel_setup: int | None = None,
    shapes: Sequence[tuple[int, int]] = BOOK_SHAPES,
    phase1: Callable[[int], Path] = _cached_phase1,
    run: StageRunner = _quiet_stage,
    stage: StageProgress = _no_stage,
    log: Log = _ignore,
    cache: Path | None = None,
) -> BookDemo:
    """Run the whole zkpor/2 job on a synthetic book in ``out``: inputs (``input/``: the
    registry, the book, zkpor.toml pinning the demo's auditor, and ``reserves.csv``
    covering each asset's positive net liability at 105%, ``write_book_reserves``), a
    local ceremony per circuit shape (``ceremony/<id>/``, keys to ``keys/<id>/``; with
    ``insecure_dev_setup`` the cached single-party development keys instead), proofs
    (``attestation/`` with ``reserves.json``, secrets to ``private/``), the auditor's
    co-signature (``cosign_as_demo_auditor``) and the reviewer's check (all nine steps;
    the setup step accepts the demo's own phase 1, and with ``insecure_dev_setup`` the
    development setup).

    ``under_collateralised`` first writes the failure variant and shows ``prove``
    refusing it (``BookDemo.refusal``: file and line). ``workers`` prover processes
    (default: one per core); the ceremonies, single-threaded, run ``parallel_setup`` at a
    time in their own processes (default ``workers``; with 1, in this process, each stage
    through ``run(title, work)`` as it runs; else each stage's time is logged when its
    ceremony ends). ``shapes`` are the (slots, batch depth) of the config (tests: smaller
    circuits). ``phase1(power)`` returns a phase-1 file (default: the demo's cached
    single-party one), ``stage`` gets the prover's progress, ``log`` one line per step.
    ``cache`` keeps development keys and initial zkeys (default: zkpor's cache folder).
    Raises ``PipelineError`` if an output folder already exists, ``ValueError`` for a
    failure variant of a book without margin accounts (too few users).
    """
    attestation, private = out / "attestation", out / "private"
    ceremonies, keys_dir = out / CEREMONY_DIR, out / KEYS_DIR
    for taken in (attestation, ceremonies, keys_dir):
        if taken.exists():
            raise PipelineError(f"{taken} already exists; choose another folder")
    cache = cache or default_cache_dir()
    clock = _Clock()
    cores = workers or os.cpu_count() or 1
    inputs = write_book_inputs(out / "input", users, seed, assets, whales, shapes=shapes)
    log(f"wrote a synthetic book of {users} accounts and {assets} assets to {out / 'input'}")
    refusal = None
    if under_collateralised:
        refusal = _refuse_under_collateralised(
            out / "input", users, seed, assets, whales, shapes, attestation
        )
        log(f"the failure variant is refused, as it must be: {refusal}")
    config, registry = load_config2(inputs.config), load_registry(inputs.registry)
    private.mkdir(parents=True, exist_ok=True, mode=0o700)
    with read_liabilities2(inputs.liabilities, registry, workdir=private) as snapshot:
        reserves, wallets = write_book_reserves(
            out / "input", config, registry, snapshot.equity_totals, snapshot.debt_totals
        )
        log(
            f"wrote {reserves}: {len(wallets)} customer wallets signed with TEST keys, each "
            f"covering {COVERAGE}% of an asset's net liability (equity - debt; "
            f"{len(registry) - len(wallets)} assets net to zero or below)"
        )
        clock.lap("inputs")
        placed = assign_shapes(snapshot, registry, config)
        circuits = {p.shape: build_batch2(p.shape.batch2()).cs for p in placed}
        if insecure_dev_setup:
            setup = _Clock()
            for shape in circuits:
                dev_book_keys(shape, cache, on_setup=partial(log, _making_dev_keys(shape, cache)))
                setup.lap(shape.circuit_id)
            setup_times = {i: (setup.wall[i], setup.cpu[i]) for i in setup.wall}
        else:
            jobs = [
                _CeremonyJob(
                    shape,
                    ceremonies,
                    keys_dir,
                    phase1(domain_size(cs).bit_length() - 1),
                    demo_beacon_value(config.as_of, seed),
                    cache / "ceremony",
                )
                # the largest first, so that the others fill in around it
                for shape, cs in sorted(circuits.items(), key=lambda c: -len(c[1].constraints))
            ]
            setup_times = _ceremonies(jobs, parallel_setup or cores, run, log)
        clock.lap("setup")

        def keys_for(shape: BookShape) -> Keys:
            if insecure_dev_setup:
                return dev_book_keys(shape, cache)
            return load_book_keys(keys_dir, shape.circuit_id)

        with open_executor(cores) as (executor, processes):
            proven = prove_book(
                snapshot,
                registry,
                config,
                attestation,
                private,
                keys_for,
                executor,
                2 * processes,
                reserves=wallets,
                stage=stage,
            )
        clock.lap("prove")
    log(f"wrote {attestation}")
    signature = cosign_as_demo_auditor(attestation)
    log(
        f"co-signed as {DEMO_AUDITOR}: {attestation / signature} (ed25519 key derived from a "
        "label: a TEST key, never for real use)"
    )
    log("verifying it as a reviewer would")
    results = verify_attestation(
        directory_reader(attestation),
        NaclBackend(),
        allow_dev_setup=insecure_dev_setup,
        # the demo's phase 1 is its own single-party file: accepted, and the setup step
        # says so; a real attestation needs a pinned public one
        allow_unknown_phase1=True,
    )
    clock.lap("verify")
    by_slots = {s.slots: s for s in proven.manifest.shapes}
    figures = tuple(
        ShapeFigures(
            shape.circuit_id,
            shape.slots,
            shape.batch_size,
            len(p.accounts),
            by_slots[shape.slots].batches,
            len(circuits[shape].constraints),
            domain_size(circuits[shape]),
            *setup_times[shape.circuit_id],
        )
        for p in placed
        for shape in [p.shape]
    )
    return BookDemo(
        inputs,
        attestation,
        private,
        None if insecure_dev_setup else keys_dir,
        figures,
        clock.wall,
        clock.cpu,
        tuple(results),
        refusal,
        reserves,
    )


def summary_lines(demo: BookDemo) -> list[str]:
    """Return what the demo measured, one line per shape, then the stages' times."""
    lines = []
    for f in demo.shapes:
        setup = "development keys" if demo.keys is None else "ceremony"
        power = f.domain.bit_length() - 1
        lines.append(
            f"  {f.circuit_id}: {f.accounts} accounts in {f.batches} batches of "
            f"{f.batch_size}; {f.constraints:,} constraints (domain 2^{power}); "
            f"{setup} {f.setup_seconds:.1f} s ({f.setup_cpu_seconds:.1f} CPU-s)"
        )
    times = ", ".join(
        f"{stage} {seconds:.1f} s ({demo.cpu_seconds[stage]:.1f} CPU-s)"
        for stage, seconds in demo.seconds.items()
    )
    lines.append(f"  times: {times}")
    return lines
