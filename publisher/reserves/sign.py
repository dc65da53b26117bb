"""Sign reserve messages with TEST keys, for the demo and the tests: never for real funds.

A test key is derived from a label (``sha256("zkpor test key" || chain || label)``), so
the demo's addresses and signatures are the same on every run. Real custodians sign
``verifier.reserves.reserve_message`` with their own wallets (``personal_sign``, Bitcoin
Core ``signmessage``, a Solana wallet's ``signMessage``) and put the result in
``reserves.csv``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from nacl.signing import SigningKey
from py_ecc.secp256k1 import secp256k1

from publisher.reserves.ingest import COLUMNS
from verifier.encodings import b58check_encode, b58encode, hash160
from verifier.manifest import format_units
from verifier.reserves import (
    Wallet,
    bitcoin_message_hash,
    eip55,
    eip191_hash,
    evm_address,
    reserve_message,
)
from verifier.segregation import CUSTOMER


@dataclass(frozen=True)
class DemoWallet:
    """A wallet to sign for: its chain, asset, key label, balance (units), as-of point and
    role (``verifier.segregation``; None signs the message of attestations made before
    roles, for tests of those)."""

    chain: str
    asset: str
    label: str
    balance: int
    as_of: str
    role: str | None = CUSTOMER


def demo_private_key(chain: str, label: str) -> bytes:
    """Return the 32-byte test private key (secp256k1 scalar or Ed25519 seed) of ``label``."""
    seed = hashlib.sha256(f"zkpor test key\0{chain}\0{label}".encode()).digest()
    if chain == "solana":
        return seed
    return (int.from_bytes(seed, "big") % (secp256k1.N - 1) + 1).to_bytes(32, "big")


def demo_address(chain: str, label: str) -> str:
    """Return the address of the test key ``label`` on ``chain``."""
    key = demo_private_key(chain, label)
    if chain == "solana":
        return b58encode(bytes(SigningKey(key).verify_key))
    point = secp256k1.privtopub(key)
    if chain == "ethereum":
        return eip55(evm_address((int(point[0]), int(point[1]))))
    compressed = bytes([2 + (int(point[1]) & 1)]) + int(point[0]).to_bytes(32, "big")
    return b58check_encode(b"\x00" + hash160(compressed))


def sign_message(chain: str, label: str, message: bytes) -> str:
    """Return the signature of ``message`` by test key ``label``, encoded as for ``chain``."""
    key = demo_private_key(chain, label)
    if chain == "solana":
        return b58encode(SigningKey(key).sign(message).signature)
    digest = eip191_hash(message) if chain == "ethereum" else bitcoin_message_hash(message)
    v, r, s = secp256k1.ecdsa_raw_sign(digest, key)
    rs = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if chain == "ethereum":
        return "0x" + (rs + bytes([v])).hex()
    # Bitcoin: header 31/32 = compressed-key P2PKH, recovery id v - 27.
    return base64.b64encode(bytes([31 + v - 27]) + rs).decode()


def sign_test_wallets(attestation_id: str, wallets: Sequence[DemoWallet]) -> list[Wallet]:
    """Return the wallets with test addresses and signatures for ``attestation_id``."""
    out = []
    for w in wallets:
        address = demo_address(w.chain, w.label)
        message = reserve_message(attestation_id, w.chain, w.asset, address, w.as_of, role=w.role)
        signature = sign_message(w.chain, w.label, message)
        out.append(Wallet(w.chain, w.asset, address, w.balance, w.as_of, signature, w.role))
    return out


def reserves_csv(wallets: Sequence[Wallet], decimals: dict[str, int]) -> bytes:
    """Return ``reserves.csv`` holding ``wallets`` (balances in whole tokens)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for w in wallets:
        if w.role is None:
            raise ValueError("reserves.csv holds wallets with roles only")
        amount = format_units(w.balance, decimals[w.asset])
        writer.writerow([w.chain, w.asset, w.address, amount, w.as_of, w.signature, w.role])
    return buffer.getvalue().encode()
