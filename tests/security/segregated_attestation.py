"""The vectors' attestation republished with wallet roles, a wrapped token and co-signers.

The protocol vectors are the pre-roles form (``tests/vectors/protocol``). Here the
"custodian", who holds the test keys, republishes that attestation with a ``segregation``
section: every asset covered by customer wallets as in the vectors, a wrapped token ZBTC
backed by a dedicated BTC wallet, a protection fund and a corporate wallet, every wallet
signing its role. ``publish`` rewrites reserves.json and the manifest consistently (as an
adversary who writes every file can), so a test changes one thing and sees which check
catches it. Every check runs with ``--allow-unknown-phase1`` (``vector_attestation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from publisher.attest.cosign import SigningKeyFile, cosign
from publisher.reserves.sign import DemoWallet, sign_test_wallets
from tests.security.vector_attestation import copy_vectors, read_json, write_json
from verifier.manifest import MANIFEST, RESERVES, AssetLiability, Cosigner, Manifest, WrappedToken
from verifier.reserves import Wallet, reserves_to_json
from verifier.segregation import CUSTOMER, RoleTotals, segregation_of

AID = "vectors-2026-01"
ETH_BLOCK = "21900000"
BTC_BLOCK = "930000"
#: Declared supply of ZBTC, 5 BTC at 8 decimals; its vault holds 5.1 BTC.
ZBTC = WrappedToken(
    "ZBTC",
    "BTC",
    "ethereum",
    "0x00000000000000000000000000000000000b7c01",
    8,
    500_000_000,
    int(ETH_BLOCK),
    0,
)
CUSTOMER_WALLETS = (
    DemoWallet("bitcoin", "BTC", "vectors-btc", 18_446_744_073_859_551_616, BTC_BLOCK),
    DemoWallet("ethereum", "ETH", "vectors-eth", 3_000_000_000, ETH_BLOCK),
    DemoWallet("ethereum", "USDC", "vectors-usdc", 251_000_003, ETH_BLOCK),
    DemoWallet("solana", "SOL", "vectors-sol", 7_000_000_003, "2026-01-31T00:00:00Z"),
)
VAULT = DemoWallet("bitcoin", "BTC", "zbtc-vault", 510_000_000, BTC_BLOCK, "wrapped:ZBTC")
FUND = DemoWallet("ethereum", "USDC", "protection-fund", 100_000_000, ETH_BLOCK, "protection-fund")
CORPORATE = DemoWallet("ethereum", "ETH", "corporate", 2_000_000_000, ETH_BLOCK, "corporate")
ALL_WALLETS = (*CUSTOMER_WALLETS, VAULT, FUND, CORPORATE)
#: Test co-signing keys (never for real use).
AUDITOR = SigningKeyFile("ed25519", bytes(range(32)))
SECOND_AUDITOR = SigningKeyFile("eip191", bytes(range(1, 33)))


def signed(wallets: Sequence[DemoWallet] = ALL_WALLETS) -> list[Wallet]:
    """Return ``wallets`` signed by their test keys for the vectors' attestation."""
    return sign_test_wallets(AID, list(wallets))


def totals_of(wallets: Sequence[Wallet]) -> RoleTotals:
    """Return what the wallets claim per (role, asset), unchecked (the custodian's sums)."""
    totals: RoleTotals = {}
    for w in wallets:
        slot = (w.role or CUSTOMER, w.asset)
        totals[slot] = totals.get(slot, 0) + w.balance
    return totals


def publish(
    folder: Path,
    wallets: Sequence[Wallet],
    wrapped: Sequence[WrappedToken] = (ZBTC,),
    cosigners: Sequence[Cosigner] = (),
) -> Manifest:
    """Rewrite reserves.json and the manifest of ``folder`` for ``wallets``, with the
    figures zkpor would publish for them (customer reserves, segregation, pins)."""
    manifest = Manifest.from_json(read_json(folder, MANIFEST))
    write_json(folder, RESERVES, reserves_to_json(AID, wallets, manifest.decimals))
    totals = totals_of(wallets)
    assets = tuple(
        AssetLiability(a.symbol, a.decimals, a.liabilities, totals.get((CUSTOMER, a.symbol), 0))
        for a in manifest.assets
    )
    files = read_json(folder, MANIFEST)["files"]
    manifest = replace(
        manifest,
        assets=assets,
        segregation=segregation_of(totals, assets, list(wrapped)),
        cosigners=tuple(cosigners),
        files=files,
    )
    write_json(folder, MANIFEST, manifest.to_json())
    return manifest


def segregated(out: Path, cosigners: Sequence[Cosigner] = ()) -> Path:
    """Return a fresh, valid segregated copy of the vectors' attestation at ``out``."""
    publish(copy_vectors(out), signed(), cosigners=cosigners)
    return out


def pin(key: SigningKeyFile, name: str) -> Cosigner:
    """Return the manifest's pin of ``key`` under ``name``."""
    return Cosigner(name, key.scheme, key.public_key())


def cosigned(out: Path, pins: Sequence[Cosigner], *signers: tuple[SigningKeyFile, str]) -> Path:
    """Return a segregated attestation pinning ``pins``, co-signed by each (key, name)."""
    segregated(out, pins)
    for key, name in signers:
        cosign(out, key, name)
    return out
