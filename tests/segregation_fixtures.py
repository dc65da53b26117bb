"""A small attestation with segregated reserves and co-signatures, proven the way
``zkpor prove --reserves`` does and co-signed the way ``zkpor attest sign`` does.

``tests.snapshots.ACCOUNTS`` (10 accounts, 4 batches of 4 leaves), with ``zkpor.toml``
declaring a wrapped token ZBTC (backed by BTC, issued on Ethereum) and pinning two
co-signers (an Ed25519 auditor and an EIP-191 signer), and reserve wallets in every role:

- customer: BTC in a Bitcoin wallet (110% of liabilities unless told otherwise), USDT in a
  Solana wallet (110%);
- ``wrapped:ZBTC``: a dedicated Bitcoin vault of 5.1 BTC, for a declared supply of
  ``supply`` ZBTC (5: backed 102%; 5.25: under-backed, 97.14%);
- ``protection-fund``: 1,000 USDT in an Ethereum wallet (so an EIP-191 wallet signs a role);
- ``corporate``: 2 BTC in a Bitcoin wallet.

The signing keys are test keys derived from fixed labels, never for real use.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from publisher.attest.cosign import SigningKeyFile, cosign
from publisher.attest.ingest import read_liabilities
from publisher.attest.pipeline import CODES, inputs_digest, prove_attestation
from publisher.config import load_config
from publisher.reserves.ingest import read_reserves
from publisher.reserves.sign import DemoWallet, reserves_csv, sign_test_wallets
from publisher.snark.circuit import CircuitShape
from publisher.snark.keys import Keys
from tests.site_fixtures import SmallAttestation
from tests.snapshots import ACCOUNTS, dev_keys_for, write_inputs
from verifier.segregation import CORPORATE, PROTECTION_FUND, wrapped_role


def _test_key(scheme: str, label: str) -> SigningKeyFile:
    secret = hashlib.sha256(f"zkpor test co-signer\0{label}".encode()).digest()
    return SigningKeyFile(scheme, secret)


#: The co-signers ``zkpor.toml`` pins, with their test keys.
AUDITOR_NAME = "Example Audit LLP"
AUDITOR = _test_key("ed25519", "auditor")
SECOND_NAME = "Second Look GmbH"
SECOND = _test_key("eip191", "second")
#: A key no manifest pins: its signature is "by a key the manifest does not pin".
STRANGER_NAME = "Unexpected Signer"
STRANGER = _test_key("ed25519", "stranger")
PINNED: tuple[tuple[SigningKeyFile, str], ...] = ((AUDITOR, AUDITOR_NAME), (SECOND, SECOND_NAME))

WRAPPED = "ZBTC"
WRAPPED_CONTRACT = "0x00000000000000000000000000000000000b7c01"
WRAPPED_BLOCK = 23850000
#: The ZBTC vault's balance, in BTC units: 5.1 BTC.
VAULT_UNITS = 510_000_000
PROTECTION_FUND_UNITS = 1_000_000_000  # 1,000 USDT
CORPORATE_UNITS = 200_000_000  # 2 BTC


def segregated_toml(supply: str, pins: Sequence[tuple[SigningKeyFile, str]]) -> str:
    """Return the ``[[wrapped]]`` and ``[[cosigners]]`` tables appended to ``zkpor.toml``."""
    wrapped = (
        f'\n[[wrapped]]\nsymbol = "{WRAPPED}"\norigin = "BTC"\nchain = "ethereum"\n'
        f'contract = "{WRAPPED_CONTRACT}"\ndecimals = 8\nsupply = "{supply}"\n'
        f"block = {WRAPPED_BLOCK}\n"
    )
    cosigners = "".join(
        f'\n[[cosigners]]\nname = "{name}"\nscheme = "{key.scheme}"\nkey = "{key.public_key()}"\n'
        for key, name in pins
    )
    return wrapped + cosigners


def segregated_wallets(
    totals: dict[str, int], as_of: str, btc_coverage: int = 110
) -> list[DemoWallet]:
    """Return a wallet of every role (see the module docstring) for the liabilities, the
    customer BTC wallet holding ``btc_coverage`` percent of the BTC liabilities."""
    return [
        DemoWallet("bitcoin", "BTC", "cold-1", -(-totals["BTC"] * btc_coverage // 100), "924000"),
        DemoWallet("solana", "USDT", "sol-usdt", -(-totals["USDT"] * 110 // 100), as_of),
        DemoWallet("bitcoin", "BTC", "zbtc-vault", VAULT_UNITS, "924000", wrapped_role(WRAPPED)),
        DemoWallet(
            "ethereum", "USDT", "protection-fund", PROTECTION_FUND_UNITS, "1", PROTECTION_FUND
        ),
        DemoWallet("bitcoin", "BTC", "corporate", CORPORATE_UNITS, "924000", CORPORATE),
    ]


def make_segregated_attestation(
    root: Path,
    keys_for: Callable[[CircuitShape], Keys] = dev_keys_for,
    *,
    supply: str = "5",
    btc_coverage: int = 110,
    pins: Sequence[tuple[SigningKeyFile, str]] = PINNED,
    signers: Sequence[tuple[SigningKeyFile, str]] = PINNED,
) -> SmallAttestation:
    """Prove ``ACCOUNTS`` with segregated reserves (the module docstring; ``supply`` ZBTC
    issued, customer BTC at ``btc_coverage`` percent) and ``pins`` in ``zkpor.toml``, then
    co-sign the published folder by each of ``signers``."""
    csv_path, toml_path = write_inputs(root / "input", ACCOUNTS, pad_to=16)
    with toml_path.open("a", encoding="utf-8") as toml:
        toml.write(segregated_toml(supply, pins))
    config = load_config(toml_path)
    snapshot = read_liabilities(csv_path, config)
    totals = dict(zip((a.symbol for a in config.assets), snapshot.totals, strict=True))
    wallets = sign_test_wallets(
        config.attestation_id, segregated_wallets(totals, config.as_of, btc_coverage)
    )
    reserves_path = root / "input" / "reserves.csv"
    reserves_path.write_bytes(reserves_csv(wallets, {a.symbol: a.decimals for a in config.assets}))
    reserves, _ = read_reserves(reserves_path, config)
    folder, private = root / "attestation", root / "private"
    with ProcessPoolExecutor(2) as pool:
        manifest = prove_attestation(
            snapshot,
            config,
            inputs_digest(csv_path, toml_path),
            folder,
            private,
            keys_for,
            pool,
            in_flight=2,
            reserves=reserves,
        )
    for key, name in signers:
        cosign(folder, key, name)
    with (private / CODES).open(encoding="utf-8", newline="") as f:
        codes = {row["user_id"]: row["code"] for row in csv.DictReader(f)}
    return SmallAttestation(folder, private, manifest, codes)
