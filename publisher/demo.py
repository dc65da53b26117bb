"""What ``zkpor demo`` makes: a synthetic snapshot and a local multi-party setup ceremony.

**Snapshot.** No real customer data, ever. Balances are heavy-tailed (a few whales, many
small accounts), many accounts hold nothing of an asset and some hold nothing at all,
user ids mix ASCII and non-ASCII, and ETH amounts carry 18 decimals against a configured
precision of 9, so the rounding-up path runs on every demo.

**Shape.** Arity 4, batch depth 2: 16 accounts per proof, 11,789 constraints, a domain
of 2^14. Batches of 64 (depth 3, 43,373 constraints, 2^16) take ~10% less CPU per
account to prove, but a phase-1 file, ceremony and proving key four times larger:
measured on 2 cores with the pure-Python arithmetic, the ceremony's ``init`` alone took
~820 CPU-seconds and 5 GB at 2^16 against ~165 s at 2^14 (with the native kernels: ~20 s at
2^14, bench/README.md). A user checks only the one proof of their batch either way.

**Ceremony** (``run_demo_ceremony``): the real ``zkpor ceremony`` steps, run locally:
a phase-1 file of the domain's power (``publisher.ceremony.demo_ptau``: single party, made once
and cached, the demo's one shortcut), ``init``, one contribution each by
``DEMO_CONTRIBUTORS`` with fresh OS randomness, a ``beacon`` whose value is stated
(``demo_beacon_value``: sha256 of the as-of time and the seed, public and predictable,
where a real ceremony takes a future block hash), ``verify`` and ``finalize``.

**Segregated reserves** (``segregated=True``, what ``zkpor demo`` writes): besides the
customer wallets (105% of each asset), a wrapped token ``ZBTC`` issued on Ethereum and
backed 100.5% by a dedicated Bitcoin wallet of role ``wrapped:ZBTC``, a ``protection-fund``
wallet (USDT) and a ``corporate`` wallet (ETH), neither counted as coverage; and one
auditor, pinned in ``zkpor.toml`` as co-signer, whose Ed25519 key is derived from a label
(``demo_auditor_key``: a TEST key anyone can derive, never for real use). The failure
variant backs ZBTC at only 97% and declares a customer wallet a second time, as ZBTC
collateral (``two_roles``): the row that would hide the shortfall.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from publisher.attest.cosign import SigningKeyFile
from publisher.attest.ingest import read_liabilities
from publisher.ceremony.directory import beacon, contribute, finalize, init_ceremony
from publisher.config import load_config
from publisher.files import write_atomic
from publisher.reserves.sign import DemoWallet, reserves_csv, sign_test_wallets
from publisher.snark.circuit import CircuitShape, build_batch_circuit
from publisher.snark.qap import domain_size
from verifier.segregation import CORPORATE, PROTECTION_FUND, wrapped_role

DEMO_AS_OF = "2026-11-21T00:00:00Z"
#: Tree arity and batch depth of the demo: 4^2 = 16 accounts per batch proof.
DEMO_ARITY, DEMO_BATCH_DEPTH = 4, 2
#: The local phase-2 contributors, each with fresh OS randomness.
DEMO_CONTRIBUTORS = ("alice", "bob", "carol")
DEMO_BEACON_NAME = "demo beacon: sha256 of the as-of time and seed"
DEMO_BEACON_EXP = 10
#: Where the demo keeps the ceremony and its finalized keys, under its --out folder.
CEREMONY_DIR, KEYS_DIR = "ceremony", "keys"
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
class DemoWrapped:
    """The demo's wrapped token: an ERC-20 whose supply is backed by a dedicated wallet
    of its origin asset (synthetic: no such contract is deployed)."""

    symbol: str
    origin: str
    chain: str
    contract: str
    decimals: int
    #: The issued supply in whole tokens, at ``DEMO_BLOCKS[chain]``.
    supply: str
    #: The chain and key label of its collateral wallet, which holds the origin asset.
    vault_chain: str
    vault_label: str


DEMO_WRAPPED = DemoWrapped(
    symbol="ZBTC",
    origin="BTC",
    chain="ethereum",
    contract="0xdDe4Db6428FE24205c2B71edDacBd19658bB0233",
    decimals=8,
    supply="12.5",
    vault_chain="bitcoin",
    vault_label="zbtc-vault",
)
#: The wrapped token's collateral, in per mille of its supply: 100.5%, or 97% when under-backed.
BACKING, UNDER_BACKED = 1005, 970
#: The customer wallet the failure variant declares again as the wrapped token's collateral,
#: and how much of the supply (per mille) that row would add: enough to hide the shortfall.
TWO_ROLES_LABEL, TWO_ROLES_TOP_UP = "cold-2", 40
#: Wallets outside customer coverage: (role, chain, asset, key label, balance in % of the
#: asset's liabilities).
SEGREGATED_WALLETS = (
    (PROTECTION_FUND, "ethereum", "USDT", "protection-fund", 10),
    (CORPORATE, "ethereum", "ETH", "corporate-treasury", 25),
)
#: The auditor who co-signs the demo's attestation, and the label its TEST key comes from.
DEMO_AUDITOR, DEMO_AUDITOR_LABEL = "Demo Audit LLP (test key)", "demo-auditor"


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


def demo_auditor_key(label: str = DEMO_AUDITOR_LABEL) -> SigningKeyFile:
    """Return the demo auditor's Ed25519 co-signing key, derived from ``label``.

    A TEST key, never for real use: anyone who reads this function can derive it and sign
    as the demo's auditor. A real co-signer makes its key with ``zkpor attest keygen``.
    """
    seed = hashlib.sha256(f"zkpor test key\0ed25519 co-signer\0{label}".encode()).digest()
    return SigningKeyFile("ed25519", seed)


def segregation_toml() -> str:
    """Return the ``[[wrapped]]`` and ``[[cosigners]]`` sections of the demo's zkpor.toml."""
    w = DEMO_WRAPPED
    return (
        f'\n[[wrapped]]\nsymbol = "{w.symbol}"\norigin = "{w.origin}"\nchain = "{w.chain}"\n'
        f'contract = "{w.contract}"\ndecimals = {w.decimals}\nsupply = "{w.supply}"\n'
        f"block = {DEMO_BLOCKS[w.chain]}\n"
        f'\n[[cosigners]]\nname = "{DEMO_AUDITOR}"\nscheme = "ed25519"\n'
        f'key = "{demo_auditor_key().public_key()}"\n'
    )


def config_toml(
    users: int,
    attestation_id: str,
    arity: int = DEMO_ARITY,
    batch_depth: int = DEMO_BATCH_DEPTH,
    segregated: bool = False,
) -> str:
    """Return the demo's zkpor.toml: by default arity 4, 16 accounts per batch; the tree
    padded to a power of two of at least 64 leaves (fewer for batches under 16, which
    only tests use: 4 batches). ``segregated`` adds the wrapped token and the pinned
    auditor (``segregation_toml``)."""
    batch = arity**batch_depth
    least = max(batch, min(64, 4 * batch))
    pad_to = 1 << max((least - 1).bit_length(), (users - 1).bit_length())
    assets = "".join(
        f'\n[[assets]]\nsymbol = "{a.symbol}"\ndecimals = {a.decimals}\n' for a in DEMO_ASSETS
    )
    return (
        '[issuer]\nname = "Demo Exchange (synthetic data)"\nurl = "https://example.com"\n\n'
        f'[attestation]\nid = "{attestation_id}"\nas_of = "{DEMO_AS_OF}"\n\n'
        f"[tree]\narity = {arity}\nbatch_depth = {batch_depth}\npad_to = {pad_to}\n"
        + assets
        + (segregation_toml() if segregated else "")
    )


def write_demo_inputs(
    folder: Path,
    users: int,
    seed: int,
    arity: int = DEMO_ARITY,
    batch_depth: int = DEMO_BATCH_DEPTH,
    segregated: bool = False,
) -> tuple[Path, Path]:
    """Write ``liabilities.csv`` and ``zkpor.toml`` into ``folder``; return their paths.

    ``arity`` and ``batch_depth`` choose another batch shape (benchmarks, tests);
    ``segregated`` declares the wrapped token and pins the auditor (``zkpor demo``).
    """
    csv_path, toml_path = folder / "liabilities.csv", folder / "zkpor.toml"
    write_atomic(csv_path, liabilities_csv(users, seed).encode())
    toml = config_toml(users, f"demo-{DEMO_AS_OF[:10]}", arity, batch_depth, segregated)
    write_atomic(toml_path, toml.encode())
    return csv_path, toml_path


def write_demo_reserves(
    folder: Path,
    liabilities: Path,
    config: Path,
    under_covered: bool = False,
    under_backed: bool = False,
    two_roles: bool = False,
) -> Path:
    """Write ``reserves.csv``, signed with test keys, covering each asset at 105% (ETH at
    only 93% when ``under_covered``); return its path.

    With the wrapped token of ``segregation_toml`` declared in ``config``, also its
    collateral wallet (100.5% of the supply, 97% when ``under_backed``) and the protection
    fund and corporate wallets; ``two_roles`` adds, last, a customer wallet declared again
    as collateral, which ``read_reserves`` refuses.
    """
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
    if cfg.wrapped:
        (token,) = cfg.wrapped
        origin_decimals = {a.symbol: a.decimals for a in cfg.assets}[token.origin]
        # The supply in units of the origin asset, rounded up (exact for ZBTC and BTC: 8
        # decimals each).
        supply = -(-token.supply * 10**origin_decimals // 10**token.decimals)
        wallets += _segregated_wallets(supply, totals, under_backed, two_roles)
    signed = sign_test_wallets(cfg.attestation_id, wallets)
    path = folder / "reserves.csv"
    write_atomic(path, reserves_csv(signed, {a.symbol: a.decimals for a in cfg.assets}))
    return path


def _segregated_wallets(
    supply: int, totals: dict[str, int], under_backed: bool, two_roles: bool
) -> list[DemoWallet]:
    """Return the wallets that are not customer coverage: the wrapped token's collateral
    (``supply`` in units of its origin asset), the protection fund and the corporate wallet."""
    w = DEMO_WRAPPED
    backing = UNDER_BACKED if under_backed else BACKING
    chain, role = w.vault_chain, wrapped_role(w.symbol)
    # Rounded up, as the customer reserves: 100.5% is at least 100.5%.
    collateral = -(-supply * backing // 1000)
    wallets = [DemoWallet(chain, w.origin, w.vault_label, collateral, DEMO_BLOCKS[chain], role)]
    for other_role, other_chain, asset, label, percent in SEGREGATED_WALLETS:
        balance = -(-totals[asset] * percent // 100)
        wallets.append(
            DemoWallet(other_chain, asset, label, balance, DEMO_BLOCKS[other_chain], other_role)
        )
    if two_roles:
        top_up = supply * TWO_ROLES_TOP_UP // 1000
        wallets.append(
            DemoWallet(chain, w.origin, TWO_ROLES_LABEL, top_up, DEMO_BLOCKS[chain], role)
        )
    return wallets


# --- the local ceremony ------------------------------------------------------------

Log = Callable[[str], None]
T = TypeVar("T")


class StageRunner(Protocol):
    """Runs one named ceremony stage, giving it a progress log; returns what it returns."""

    def __call__(self, title: str, work: Callable[[Log], T]) -> T: ...


def demo_beacon_value(as_of: str, seed: int) -> bytes:
    """Return the demo's beacon value: sha256 of ``"zkpor demo beacon|<as_of>|<seed>"``.

    Public and reproducible, so anyone re-derives it; but predictable, which a real
    beacon must not be (it should be, e.g., the hash of a block mined after the last
    contribution).
    """
    return hashlib.sha256(f"zkpor demo beacon|{as_of}|{seed}".encode()).digest()


@dataclass(frozen=True)
class DemoCeremony:
    """Where a finished demo ceremony put its files."""

    ptau: Path
    root: Path
    keys: Path


def run_demo_ceremony(
    folder: Path,
    shape: CircuitShape,
    beacon_value: bytes,
    phase1: Callable[[int], Path],
    run: StageRunner,
    params_cache: Path | None = None,
) -> DemoCeremony:
    """Run a whole ceremony for ``shape`` in ``folder``/ceremony, keys to ``folder``/keys.

    ``phase1(power)`` returns the phase-1 file to start from; ``run`` runs each stage;
    ``params_cache`` keeps the initial params for later runs (``init_ceremony``).
    """
    cs = build_batch_circuit(shape)
    ptau = phase1(domain_size(cs).bit_length() - 1)
    root, keys = folder / CEREMONY_DIR, folder / KEYS_DIR
    run(
        "init: initial params from phase 1",
        lambda log: init_ceremony(root, ptau, cs, shape.circuit_id, shape, log, params_cache),
    )
    for name in DEMO_CONTRIBUTORS:

        def step(log: Log, name: str = name) -> object:
            return contribute(root, name, log=log, ptau=ptau, cs=cs)

        run(f"contribution by {name} (checks the ceremony so far, then OS randomness)", step)
    run(
        f"beacon ({DEMO_BEACON_NAME}, 2^{DEMO_BEACON_EXP} hashes)",
        lambda log: beacon(root, DEMO_BEACON_NAME, beacon_value, DEMO_BEACON_EXP, log),
    )
    run(
        "verify (as snarkjs zkey verify, and the header) and finalize: keys, transcript",
        lambda log: finalize(root, ptau, keys, cs, log),
    )
    return DemoCeremony(ptau, root, keys)
