"""A realistic synthetic snapshot for ``zkpor demo``: no real customer data, ever.

Balances are heavy-tailed (a few whales, many small accounts), many accounts hold
nothing of an asset and some hold nothing at all, user ids mix ASCII and non-ASCII, and
ETH amounts carry 18 decimals against a configured precision of 9, so the rounding-up
path runs on every demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from publisher.config import load_config
from publisher.files import write_atomic
from publisher.ingest import read_liabilities
from publisher.reserves_sign import DemoWallet, reserves_csv, sign_test_wallets

DEMO_AS_OF = "2026-11-21T00:00:00Z"
#: Block heights of the demo's reserve balances (synthetic, near the as-of date).
DEMO_BLOCKS = {"ethereum": "23850000", "bitcoin": "924000", "solana": DEMO_AS_OF}
#: Demo reserve wallets: (chain, asset, key label, share of the asset's reserves in %).
DEMO_WALLETS = (
    ("bitcoin", "BTC", "cold-1", 70),
    ("bitcoin", "BTC", "cold-2", 30),
    ("ethereum", "ETH", "eth-cold", 80),
    ("ethereum", "ETH", "eth-hot", 20),
    ("ethereum", "USDT", "usdt-treasury", 100),
    ("solana", "SOL", "sol-cold", 100),
)
#: Reserves per asset, in % of liabilities; the under-covered variant lacks 7% of ETH.
COVERAGE, UNDER_COVERED = 105, ("ETH", 93)


@dataclass(frozen=True)
class DemoAsset:
    """An asset of the demo: its symbol, configured decimals, decimals written in the CSV,
    and the median holding of an account that holds it, in whole tokens."""

    symbol: str
    decimals: int
    input_decimals: int
    median: float


DEMO_ASSETS = (
    DemoAsset("BTC", 8, 8, 0.05),
    DemoAsset("ETH", 9, 18, 1.2),
    DemoAsset("USDT", 6, 6, 800.0),
    DemoAsset("SOL", 9, 9, 25.0),
)

_NAMES = ["jörg.müller", "李雷", "ålesund", "Zoë", "Δημήτρης", "أحمد", "user", "trader", "ñandú"]


def _user_id(rng: random.Random, i: int) -> str:
    """Return a unique user id; about a third are non-ASCII."""
    return f"{rng.choice(_NAMES)}-{i:06d}"


def _amount(rng: random.Random, asset: DemoAsset) -> str:
    """Return a heavy-tailed amount (Pareto, alpha 1.16: the 80/20 rule) as a decimal string."""
    tokens = asset.median * 0.55 * rng.paretovariate(1.16)
    units = int(tokens * 10**asset.input_decimals)
    whole, frac = divmod(units, 10**asset.input_decimals)
    if asset.input_decimals == 0:
        return str(whole)
    return f"{whole}.{frac:0{asset.input_decimals}d}".rstrip("0").rstrip(".")


def liabilities_csv(users: int, seed: int) -> str:
    """Return the demo snapshot as CSV text."""
    rng = random.Random(seed)
    lines = ["user_id," + ",".join(a.symbol for a in DEMO_ASSETS)]
    for i in range(users):
        empty = rng.random() < 0.05  # dormant accounts: nothing at all
        cells = [
            "0" if empty or rng.random() < 0.35 else _amount(rng, asset) for asset in DEMO_ASSETS
        ]
        lines.append(",".join([_user_id(rng, i), *cells]))
    return "\n".join(lines) + "\n"


def config_toml(users: int, attestation_id: str) -> str:
    """Return the demo's zkpor.toml: arity 4, 64 accounts per batch, padded to a round size."""
    pad_to = 1 << max(6, (users - 1).bit_length())
    assets = "".join(
        f'\n[[assets]]\nsymbol = "{a.symbol}"\ndecimals = {a.decimals}\n' for a in DEMO_ASSETS
    )
    return (
        '[issuer]\nname = "Demo Exchange (synthetic data)"\nurl = "https://example.com"\n\n'
        f'[attestation]\nid = "{attestation_id}"\nas_of = "{DEMO_AS_OF}"\n\n'
        f"[tree]\narity = 4\nbatch_depth = 3\npad_to = {pad_to}\n" + assets
    )


def write_demo_inputs(folder: Path, users: int, seed: int) -> tuple[Path, Path]:
    """Write ``liabilities.csv`` and ``zkpor.toml`` into ``folder``; return their paths."""
    csv_path, toml_path = folder / "liabilities.csv", folder / "zkpor.toml"
    write_atomic(csv_path, liabilities_csv(users, seed).encode())
    write_atomic(toml_path, config_toml(users, f"demo-{DEMO_AS_OF[:10]}").encode())
    return csv_path, toml_path


def write_demo_reserves(
    folder: Path, liabilities: Path, config: Path, under_covered: bool = False
) -> Path:
    """Write ``reserves.csv``, signed with test keys, covering each asset at 105%
    (ETH at only 93% when ``under_covered``); return its path."""
    cfg = load_config(config)
    totals = dict(
        zip((a.symbol for a in cfg.assets), read_liabilities(liabilities, cfg).totals, strict=True)
    )
    wallets = []
    for chain, asset, label, share in DEMO_WALLETS:
        percent = UNDER_COVERED[1] if under_covered and asset == UNDER_COVERED[0] else COVERAGE
        # Round the reserves up to a whole unit per wallet: the demo covers what it claims.
        balance = -(-totals[asset] * percent * share // 10_000)
        wallets.append(DemoWallet(chain, asset, label, balance, DEMO_BLOCKS[chain]))
    signed = sign_test_wallets(cfg.attestation_id, wallets)
    path = folder / "reserves.csv"
    write_atomic(path, reserves_csv(signed, {a.symbol: a.decimals for a in cfg.assets}))
    return path
