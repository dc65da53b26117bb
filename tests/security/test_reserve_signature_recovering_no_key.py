"""Attack: "prove" control of a reserve wallet with a signature that needs no key.

ECDSA public-key recovery computes ``Q = r^-1 (s R - z G)``. Choosing ``R = (z / s) G``
for any ``s`` makes ``Q`` the point at infinity, which py_ecc returns as ``(0, 0)``; hashed
like a key, that point has an Ethereum address (``0x3f17f1962b36e491b30a40b2405849e597ba5fb5``)
and Bitcoin addresses that nobody holds a key for. A custodian could list such an address,
with whatever balance sits there, as a reserve wallet "proven by signature". The verifier
must accept only signatures that recover a point of the curve.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from py_ecc.secp256k1 import secp256k1

from tests.security.vector_attestation import (
    ALLOW,
    copy_vectors,
    read_json,
    steps_of,
    verify,
    write_json,
)
from verifier.encodings import b58check_encode, hash160
from verifier.reserves import (
    Wallet,
    bitcoin_message_hash,
    eip55,
    eip191_hash,
    evm_address,
    wallet_message,
)

N = secp256k1.N
RESERVES = "reserves.json"


def keyless_signature(msghash: bytes) -> tuple[int, int, int]:
    """Return (recovery id, r, s) whose recovered "key" is the point at infinity."""
    z = int.from_bytes(msghash, "big") % N
    while True:
        s = secrets.randbelow(N - 1) + 1
        x, y = secp256k1.multiply(secp256k1.G, z * pow(s, -1, N) % N)
        if x < N:  # r must be R's x coordinate itself
            return y & 1, x, s


def _wallet(doc: dict[str, str]) -> Wallet:
    return Wallet(
        chain=doc["chain"],
        asset=doc["asset"],
        address=doc["address"],
        balance=int(doc["balance"]),
        as_of=doc["as_of"],
        signature=doc["signature"],
    )


def _forge(folder: Path, chain: str, address: str, sign: Callable[[bytes], str]) -> None:
    """Replace the first wallet of ``chain`` by ``address``, signed without a key."""
    doc = read_json(folder, RESERVES)
    entry = next(w for w in doc["wallets"] if w["chain"] == chain)
    entry["address"] = address
    entry["signature"] = sign(wallet_message(doc["attestation_id"], _wallet(entry)))
    write_json(folder, RESERVES, doc)


def _evm_signature(message: bytes) -> str:
    recovery, r, s = keyless_signature(eip191_hash(message))
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + recovery])
    return "0x" + raw.hex()


def _bitcoin_signature(message: bytes) -> str:
    recovery, r, s = keyless_signature(bitcoin_message_hash(message))
    raw = bytes([31 + recovery]) + r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return base64.b64encode(raw).decode()


#: What hashing the point at infinity as py_ecc returns it, (0, 0), gives.
NOBODYS_EVM_ADDRESS = eip55(evm_address((0, 0)))
NOBODYS_BITCOIN_ADDRESS = b58check_encode(b"\x00" + hash160(b"\x02" + bytes(32)))


def _reserves_step(report: dict[str, Any]) -> tuple[str, bool]:
    """Return step 8's status, and whether it names the keyless signature."""
    status, detail = steps_of(report)[8]
    return status, "recovers no public key" in detail


def test_the_forgery_recovers_the_point_at_infinity() -> None:
    """The attack is real: py_ecc recovers (0, 0) from such a signature."""
    msghash = eip191_hash(b"any message")
    recovery, r, s = keyless_signature(msghash)
    assert secp256k1.ecdsa_raw_recover(msghash, (27 + recovery, r, s)) == (0, 0)
    assert NOBODYS_EVM_ADDRESS.lower() == "0x3f17f1962b36e491b30a40b2405849e597ba5fb5"


def test_a_keyless_ethereum_signature_fails_the_reserves_step(tmp_path: Path) -> None:
    folder = copy_vectors(tmp_path / "forged")
    _forge(folder, "ethereum", NOBODYS_EVM_ADDRESS, _evm_signature)
    result, report = verify(folder, ALLOW)
    assert result.exit_code == 1, result.output
    assert _reserves_step(report) == ("FAIL", True), result.output


def test_a_keyless_bitcoin_signature_fails_the_reserves_step(tmp_path: Path) -> None:
    folder = copy_vectors(tmp_path / "forged")
    _forge(folder, "bitcoin", NOBODYS_BITCOIN_ADDRESS, _bitcoin_signature)
    result, report = verify(folder, ALLOW)
    assert result.exit_code == 1, result.output
    assert _reserves_step(report) == ("FAIL", True), result.output
