"""Reserves: wallets the custodian proves it controls, and their coverage of liabilities.

A reserve wallet is ``(chain, asset, address, balance, as_of, signature, role)``. The
signature is over a message fixed by zkpor/1 (``reserve_message``) that names the
attestation id, the wallet's role (``verifier.segregation``), the chain, the asset, the
address and the as-of point (block height or UTC time), so a signature made for one
attestation, or one role, cannot be replayed in another::

    zkpor/1 reserves
    attestation: <attestation id>
    role: <role>
    chain: <chain>
    asset: <asset symbol>
    address: <address as written in reserves.csv>
    as of: <block height, or YYYY-MM-DDTHH:MM:SSZ>

(UTF-8, every line ending in ``\\n``, the last one too.) Attestations made before roles
existed have no ``role`` line: their wallets all count as customer reserves.

Ownership proofs per chain:

``ethereum``  EIP-191 ``personal_sign``: ``0x`` + 65 bytes ``r || s || v`` in hex (v 27/28
              or 0/1). The public key is recovered (secp256k1, ``py_ecc``) from
              ``keccak256("\\x19Ethereum Signed Message:\\n" + len + message)``; its address is
              the last 20 bytes of ``keccak256(x || y)``. A mixed-case address must carry a
              valid EIP-55 checksum.
``bitcoin``   Bitcoin Core ``signmessage`` / BIP-137: 65 bytes in base64, header byte
              27..30 (uncompressed key) or 31..42 (compressed key; 35..42 are the BIP-137
              segwit headers, accepted with any compressed-key address). Covered address
              types: legacy P2PKH (``1...``, compressed or uncompressed key), P2SH-P2WPKH
              (``3...``) and native P2WPKH (``bc1q...``, 20-byte program). Not covered:
              Taproot (``bc1p``), P2WSH and multisig P2SH, which need BIP-322.
``solana``    Ed25519 over the message bytes: address and signature in base58 (32 and 64
              bytes), checked by the injected ``SignatureBackend`` (PyNaCl in CPython,
              libsodium.js in the browser).

A wallet may appear once: the same wallet twice is a duplicate, and one wallet for two
assets is rejected, so no asset stands in for another. "The same wallet" is decided on a
canonical form (``canonical_address``), never on the text, since one wallet has several
spellings that all verify: per chain, the scriptPubKey a Bitcoin address pays to (every
standard type decoded; ``BC1Q...`` is ``bc1q...``, mixed-case bech32 is refused per
BIP-173), the 20 bytes of an EVM address (any case), the 32-byte Ed25519 key of a Solana
address (a non-canonical encoding refused). Coverage is per asset: ``reserves >=
liabilities``.

This module is pure Python (stdlib + ``py_ecc.secp256k1``) and must never import PyNaCl,
touch the file system or the network.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from py_ecc.secp256k1 import secp256k1

from verifier.encodings import b58check_decode, b58decode, hash160, segwit_decode, sha256d
from verifier.errors import MalformedInput, VerificationError
from verifier.keccak import keccak256
from verifier.manifest import (
    MANIFEST,
    RESERVES,
    AssetLiability,
    Manifest,
    _Doc,
    backing_ratio,
    coverage_ratio,
    format_units,
)
from verifier.protocol import FORMAT
from verifier.segregation import (
    CUSTOMER,
    RoleTotals,
    check_segregation,
    role_problem,
    wrapped_shortfalls,
)
from verifier.strict_json import show
from verifier.text_fields import printable

CHAINS = ("ethereum", "bitcoin", "solana")
#: What two addresses of one chain share when they are one wallet (``canonical_address``).
_IDENTITY = {
    "ethereum": "same 20-byte address",
    "bitcoin": "same scriptPubKey",
    "solana": "same Ed25519 key",
}
MESSAGE_HEADER = "zkpor/1 reserves"
#: A wallet balance is below 2^128 units; coverage sums stay exact Python ints anyway.
MAX_BALANCE = 1 << 128
MAX_BLOCK = 1 << 63
#: ``wrapped:`` and a 12-character symbol fit; longer is never a role.
MAX_ROLE = 32
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_BLOCK = re.compile(r"0|[1-9][0-9]{0,18}")
_EVM_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_EVM_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
_N = secp256k1.N
_ED25519_P = (1 << 255) - 19


class InvalidReserve(VerificationError):
    """A reserve wallet is malformed, not proven to be controlled, or counted twice."""


class SignatureBackend(Protocol):
    """Ed25519 verification, injected: PyNaCl in CPython, libsodium.js in the browser."""

    def ed25519_verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` (64 bytes) is valid for ``message`` under the
        32-byte ``public_key``; never raise for a bad signature."""
        ...


@dataclass(frozen=True)
class Wallet:
    """One reserve wallet as declared: ``balance`` in units of the asset's decimals."""

    chain: str
    asset: str
    address: str
    balance: int
    as_of: str
    signature: str
    #: ``verifier.segregation``'s role; None in attestations made before roles (customer).
    role: str | None = None

    def key(self) -> tuple[str, bytes]:
        """Return what identifies the wallet: (chain, canonical form of its address).

        Raises ValueError for an address that is not well formed for its chain.
        """
        return self.chain, canonical_address(self.chain, self.address)

    def describe(self) -> str:
        """Return a short name of the wallet for messages."""
        role = "" if self.role is None else f", {self.role}"
        return f"{self.chain} {self.address} ({self.asset}{role})"


# --- the message -------------------------------------------------------------------------


def check_as_of(as_of: str) -> str:
    """Return ``as_of`` once it is a block height or a UTC time ``YYYY-MM-DDTHH:MM:SSZ``."""
    if _BLOCK.fullmatch(as_of) and int(as_of) < MAX_BLOCK:
        return as_of
    if _TIMESTAMP.fullmatch(as_of):
        return as_of
    raise ValueError(
        "as_of must be a block height (decimal, no leading zeros) or a UTC time such as "
        "2026-11-21T00:00:00Z"
    )


def reserve_message(
    attestation_id: str, chain: str, asset: str, address: str, as_of: str, *, role: str | None
) -> bytes:
    """Return the exact bytes a reserve wallet signs (see the module docstring); ``role``
    None is the message of attestations made before roles, which has no role line."""
    fields = {
        "attestation": attestation_id,
        **({} if role is None else {"role": role}),
        "chain": chain,
        "asset": asset,
        "address": address,
        "as of": as_of,
    }
    for name, value in fields.items():
        if not value or not printable(value):
            raise ValueError(f"the {name} of a reserve message must be non-empty printable text")
    lines = [MESSAGE_HEADER, *(f"{name}: {value}" for name, value in fields.items())]
    return ("\n".join(lines) + "\n").encode()


def wallet_message(attestation_id: str, wallet: Wallet) -> bytes:
    """Return the message ``wallet`` must have signed in attestation ``attestation_id``."""
    return reserve_message(
        attestation_id, wallet.chain, wallet.asset, wallet.address, wallet.as_of, role=wallet.role
    )


# --- EVM: EIP-191 personal_sign ----------------------------------------------------------


def eip191_hash(message: bytes) -> bytes:
    """Return the EIP-191 (version 0x45) hash ``personal_sign`` signs."""
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)


def evm_address(public_key: tuple[int, int]) -> str:
    """Return the lowercase ``0x`` address of a secp256k1 public key."""
    x, y = public_key
    return "0x" + keccak256(x.to_bytes(32, "big") + y.to_bytes(32, "big"))[12:].hex()


def eip55(address: str) -> str:
    """Return ``address`` with its EIP-55 mixed-case checksum."""
    body = address[2:].lower()
    digest = keccak256(body.encode()).hex()
    return "0x" + "".join(
        c.upper() if int(h, 16) >= 8 else c for c, h in zip(body, digest[:40], strict=True)
    )


def check_evm_address(address: str) -> None:
    """Raise ValueError unless ``address`` is ``0x`` + 40 hex digits with a valid checksum
    when it is mixed case."""
    if not _EVM_ADDRESS.fullmatch(address):
        raise ValueError("an EVM address is 0x followed by 40 hex digits")
    body = address[2:]
    if body != body.lower() and body != body.upper() and eip55(address) != address:
        raise ValueError(f"bad EIP-55 checksum (expected {eip55(address)})")


def _recover(msghash: bytes, recovery: int, r: int, s: int) -> tuple[int, int]:
    """Return the secp256k1 public key that signed ``msghash`` as (r, s) with ``recovery``."""
    if not (1 <= r < _N and 1 <= s < _N):
        raise ValueError("r and s must be in [1, n)")
    if recovery not in (0, 1):
        raise ValueError(f"unsupported recovery id {recovery}")
    try:
        x, y = secp256k1.ecdsa_raw_recover(msghash, (27 + recovery, r, s))
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError("no public key can be recovered from this signature") from exc
    # Recovery computes r^-1 (s R - z G), the point at infinity when s R = z G: anyone can
    # choose such an (r, s) for any message without a key, and py_ecc then returns (0, 0),
    # whose "address" nobody controls. Only a point of the curve is a public key.
    x, y = int(x), int(y)
    if (x, y) == (0, 0) or (y * y - x * x * x - secp256k1.B) % secp256k1.P:
        raise ValueError("the signature recovers no public key (the point at infinity)")
    return x, y


def recover_evm_signer(message: bytes, signature: str) -> str:
    """Return the lowercase address whose key signed ``message`` with ``personal_sign``."""
    if not _EVM_SIGNATURE.fullmatch(signature):
        raise ValueError("an EIP-191 signature is 0x followed by 130 hex digits (r, s, v)")
    raw = bytes.fromhex(signature[2:])
    v = raw[64]
    if v not in (0, 1, 27, 28):
        raise ValueError(f"v must be 27 or 28 (or 0 or 1), got {v}")
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
    return evm_address(_recover(eip191_hash(message), v % 27, r, s))


# --- Bitcoin: signmessage / BIP-137 ------------------------------------------------------


def _varint(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    return b"\xfe" + n.to_bytes(4, "little")


def bitcoin_message_hash(message: bytes) -> bytes:
    """Return the double sha256 that Bitcoin's ``signmessage`` signs."""
    prefix = b"Bitcoin Signed Message:\n"
    return sha256d(_varint(len(prefix)) + prefix + _varint(len(message)) + message)


def _public_key_bytes(point: tuple[int, int], compressed: bool) -> bytes:
    x, y = point
    if compressed:
        return bytes([2 + (y & 1)]) + x.to_bytes(32, "big")
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


#: The longest bech32 string BIP-173 allows.
_BECH32_MAX = 90
#: Script opcodes of standard outputs.
_OP_DUP, _OP_HASH160, _OP_EQUAL, _OP_EQUALVERIFY, _OP_CHECKSIG = 0x76, 0xA9, 0x87, 0x88, 0xAC
#: OP_1 .. OP_16 push witness versions 1 to 16 (version 0 is OP_0, 0x00).
_OP_1_MINUS_1 = 0x50


def _push(data: bytes) -> bytes:
    """Return a direct push of ``data`` (at most 75 bytes) in a script."""
    return bytes([len(data)]) + data


def bitcoin_script(address: str) -> bytes:
    """Return the scriptPubKey a mainnet address pays to, for every standard type:
    P2PKH and P2SH (base58check), P2WPKH and P2WSH (bech32), P2TR and later witness
    versions (bech32m). This is the wallet's identity: two spellings of one address (upper-
    and lower-case bech32) give the same script. Mixed-case bech32 is refused (BIP-173)."""
    if address[:3].lower() == "bc1":
        if len(address) > _BECH32_MAX:
            raise ValueError(f"a bech32 address has at most {_BECH32_MAX} characters")
        version, program = segwit_decode("bc", address)
        if version == 0 and len(program) not in (20, 32):
            raise ValueError("a version 0 witness program is 20 (P2WPKH) or 32 (P2WSH) bytes")
        return bytes([_OP_1_MINUS_1 + version if version else 0]) + _push(program)
    payload = b58check_decode(address)
    if len(payload) != 21 or payload[0] not in (0x00, 0x05):
        raise ValueError("not a mainnet P2PKH (1...) or P2SH (3...) address")
    version, digest = payload[0], payload[1:]
    if version == 0x00:
        tail = bytes([_OP_EQUALVERIFY, _OP_CHECKSIG])
        return bytes([_OP_DUP, _OP_HASH160]) + _push(digest) + tail
    return bytes([_OP_HASH160]) + _push(digest) + bytes([_OP_EQUAL])


def bitcoin_address_hash(address: str) -> tuple[str, bytes]:
    """Return (type, 20-byte hash) of a covered mainnet address: p2pkh, p2sh-p2wpkh, p2wpkh."""
    script = bitcoin_script(address)
    if script[0] == _OP_DUP:
        return "p2pkh", script[3:23]
    if script[0] == _OP_HASH160:
        return "p2sh-p2wpkh", script[2:22]
    if script[:2] == b"\x00\x14":
        return "p2wpkh", script[2:]
    raise ValueError(
        "only P2WPKH (bc1q, 20-byte program) segwit addresses are covered; Taproot "
        "and P2WSH need BIP-322 signatures"
    )


def check_bitcoin_signature(message: bytes, address: str, signature: str) -> None:
    """Raise ValueError unless ``signature`` (base64) by ``address``'s key signs ``message``."""
    kind, expected = bitcoin_address_hash(address)
    try:
        raw = base64.b64decode(signature, validate=True)
    except binascii.Error as exc:
        raise ValueError("a Bitcoin message signature is base64") from exc
    if len(raw) != 65:
        raise ValueError(f"a Bitcoin message signature is 65 bytes, got {len(raw)}")
    header = raw[0]
    if not 27 <= header <= 42:
        raise ValueError(f"signature header byte must be 27..42, got {header}")
    compressed = header >= 31
    if not compressed and kind != "p2pkh":
        raise ValueError(f"a {kind} address needs a compressed-key signature (header 31..42)")
    r, s = int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:65], "big")
    point = _recover(bitcoin_message_hash(message), (header - 27) & 3, r, s)
    key_hash = hash160(_public_key_bytes(point, compressed))
    if kind == "p2sh-p2wpkh":
        key_hash = hash160(b"\x00\x14" + key_hash)
    if key_hash != expected:
        raise ValueError("the signature was made by another key than the address's")


# --- Solana: Ed25519 ---------------------------------------------------------------------


def solana_public_key(address: str) -> bytes:
    """Return the 32-byte Ed25519 public key of a base58 Solana address."""
    key = b58decode(address)
    if len(key) != 32:
        raise ValueError(f"a Solana address is 32 bytes in base58, got {len(key)} bytes")
    # y >= p would be a second encoding of the key of y - p: one key, two wallets.
    if int.from_bytes(key, "little") & ((1 << 255) - 1) >= _ED25519_P:
        raise ValueError("not a canonical Ed25519 public key encoding (y >= 2^255 - 19)")
    return key


def check_ed25519_signature(
    message: bytes, address: str, signature: str, backend: SignatureBackend
) -> None:
    """Raise ValueError unless ``signature`` (base58) by ``address`` signs ``message``."""
    key = solana_public_key(address)
    raw = b58decode(signature)
    if len(raw) != 64:
        raise ValueError(f"an Ed25519 signature is 64 bytes in base58, got {len(raw)} bytes")
    if not backend.ed25519_verify(key, message, raw):
        raise ValueError("the Ed25519 signature does not verify for this address")


# --- one wallet, all wallets -------------------------------------------------------------


def canonical_address(chain: str, address: str) -> bytes:
    """Return the canonical form of a well-formed address of ``chain``, which identifies
    the wallet whatever its spelling; raise ValueError for anything else.

    Bitcoin: the scriptPubKey (any standard type, covered or not). EVM: the 20 address
    bytes (a mixed-case address must carry its EIP-55 checksum). Solana: the 32-byte key.
    """
    # Every address format is ASCII; str.lower() would fold look-alikes such as U+212A
    # KELVIN SIGN into "k" and let a signed message carry a second spelling of an address.
    if not address.isascii():
        raise ValueError("an address is ASCII text")
    if chain == "ethereum":
        check_evm_address(address)
        return bytes.fromhex(address[2:])
    if chain == "bitcoin":
        return bitcoin_script(address)
    if chain == "solana":
        return solana_public_key(address)
    raise ValueError(f"unknown chain {show(chain)} (zkpor/1 knows {', '.join(CHAINS)})")


def check_address(chain: str, address: str) -> None:
    """Raise ValueError unless ``address`` is a well-formed, covered address of ``chain``."""
    canonical_address(chain, address)
    if chain == "bitcoin":
        bitcoin_address_hash(address)


def check_ownership(attestation_id: str, wallet: Wallet, backend: SignatureBackend | None) -> None:
    """Raise ValueError unless the wallet's signature proves control of its address."""
    check_address(wallet.chain, wallet.address)
    message = wallet_message(attestation_id, wallet)
    if wallet.chain == "ethereum":
        signer = recover_evm_signer(message, wallet.signature)
        if signer != wallet.address.lower():
            raise ValueError(
                f"the signature is by {signer}, not by the declared address (a signature for "
                "another address, attestation, role, asset or time?)"
            )
    elif wallet.chain == "bitcoin":
        check_bitcoin_signature(message, wallet.address, wallet.signature)
    else:
        if backend is None:
            raise ValueError("no Ed25519 backend was given to check this signature")
        check_ed25519_signature(message, wallet.address, wallet.signature, backend)


def check_wallets(
    attestation_id: str,
    assets: Sequence[AssetLiability],
    wallets: Sequence[Wallet],
    backend: SignatureBackend | None,
) -> dict[str, int]:
    """Return the per-asset reserve totals of an attestation made before roles, once every
    wallet is proven and counted once (``wallet_totals`` with ``wrapped=None``: a wallet
    that carries a role is refused; for wallets with roles call ``wallet_totals``).

    Raises ``InvalidReserve`` naming the first wallet (1-based) that is wrong.
    """
    totals = wallet_totals(attestation_id, assets, wallets, backend, None)
    return {a.symbol: totals.get((CUSTOMER, a.symbol), 0) for a in assets}


def wallet_totals(
    attestation_id: str,
    assets: Sequence[AssetLiability],
    wallets: Sequence[Wallet],
    backend: SignatureBackend | None,
    wrapped: Mapping[str, str] | None,
) -> RoleTotals:
    """Return what the wallets of each role hold of each asset once every wallet is
    proven, has a role it may have, and is counted once in one role.

    ``wrapped`` maps each wrapped token to its origin asset when wallets carry roles
    (None: an attestation made before roles, where no wallet may carry one). Raises
    ``InvalidReserve`` naming the first wallet (1-based) that is wrong.
    """
    symbols = {asset.symbol for asset in assets}
    totals: RoleTotals = {}
    seen: dict[tuple[str, bytes], tuple[int, Wallet]] = {}
    for number, wallet in enumerate(wallets, 1):
        where = f"reserve wallet {number}, {show(wallet.describe())}"
        if wallet.asset not in symbols:
            raise InvalidReserve(f"{where}: asset {show(wallet.asset)} is not in the attestation")
        if (problem := _role_problem(wallet, wrapped)) is not None:
            raise InvalidReserve(f"{where}: {problem}")
        try:
            key = wallet.key()
        except ValueError as exc:
            raise InvalidReserve(f"{where}: {exc}") from exc
        # Refused, not merged: a second spelling of one wallet would count its coins twice.
        if key in seen:
            raise InvalidReserve(_counted_twice(number, wallet, *seen[key]))
        seen[key] = (number, wallet)
        try:
            check_ownership(attestation_id, wallet, backend)
        except ValueError as exc:
            raise InvalidReserve(f"{where}: {exc}") from exc
        slot = (wallet.role or CUSTOMER, wallet.asset)
        totals[slot] = totals.get(slot, 0) + wallet.balance
    return totals


def _role_problem(wallet: Wallet, wrapped: Mapping[str, str] | None) -> str | None:
    """Return why the wallet's role (or its lack of one) is wrong here, or None."""
    if wrapped is None:
        if wallet.role is not None:
            return "has a role, but this attestation declares no wallet roles (no segregation)"
        return None
    if wallet.role is None:
        return "has no role, but every wallet of this attestation must have one"
    return role_problem(wallet.role, wallet.asset, wrapped)


def _counted_twice(number: int, wallet: Wallet, first: int, other: Wallet) -> str:
    """Return why wallet ``number`` is refused: it is wallet ``first`` spelled again."""
    # Both addresses decoded, so they are plain ASCII: shown in full, not shortened.
    here = f"reserve wallet {number}, {wallet.describe()}"
    same = (
        f"the same wallet ({_IDENTITY[wallet.chain]}) as reserve wallet {first}, {other.describe()}"
    )
    if other.role != wallet.role:
        return (
            f"{here}: {same}, declared in two roles ({show(other.role or CUSTOMER)} there, "
            f"{show(wallet.role or CUSTOMER)} here): a wallet has exactly one role"
        )
    if other.asset == wallet.asset:
        return f"{here}: duplicated wallet: {same}"
    return (
        f"{here}: {same}, counted for two assets ({show(other.asset)} there, "
        f"{show(wallet.asset)} here): one asset cannot stand in for another"
    )


def shortfalls(assets: Sequence[AssetLiability]) -> list[str]:
    """Return one plain sentence per asset whose reserves are below its liabilities."""
    out = []
    for asset in assets:
        reserves = asset.reserves or 0
        if reserves < asset.liabilities:
            short = format_units(asset.liabilities - reserves, asset.decimals)
            held = format_units(reserves, asset.decimals)
            out.append(
                f"{asset.symbol} is under-covered: reserves {held}"
                f" < liabilities {asset.amount}, short by {short} {asset.symbol}"
                f" (ratio {coverage_ratio(reserves, asset.liabilities)})"
            )
    return out


# --- reserves.json -----------------------------------------------------------------------


def reserves_to_json(
    attestation_id: str, wallets: Sequence[Wallet], decimals: Mapping[str, int]
) -> dict[str, Any]:
    """Return the JSON object of ``reserves.json``."""
    return {
        "format": FORMAT,
        "attestation_id": attestation_id,
        "wallets": [
            {
                "chain": w.chain,
                "asset": w.asset,
                "address": w.address,
                "balance": str(w.balance),
                "balance_amount": format_units(w.balance, decimals[w.asset]),
                "as_of": w.as_of,
                "signature": w.signature,
                **({} if w.role is None else {"role": w.role}),
            }
            for w in wallets
        ],
    }


def parse_reserves(obj: object, decimals: Mapping[str, int]) -> tuple[str, list[Wallet]]:
    """Return (attestation id, wallets) of a parsed ``reserves.json``, strictly: it must be
    exactly what ``reserves_to_json`` writes from the wallets it holds."""
    doc = _Doc(obj, RESERVES)
    if doc.str("format") != FORMAT:
        raise MalformedInput(f"{RESERVES}: format must be {FORMAT!r}")
    wallets = []
    for item in doc.subs("wallets"):
        asset = item.str("asset")
        if asset not in decimals:
            raise MalformedInput(f"{item.where}: asset {show(asset)} is not in the attestation")
        balance = item._decimal("balance", item._get("balance"), MAX_BALANCE)
        try:
            as_of = check_as_of(item.str("as_of"))
        except ValueError as exc:
            raise MalformedInput(f"{item.where}.as_of: {exc}") from exc
        role = item.str("role") if "role" in item.obj else None
        if role is not None and not (0 < len(role) <= MAX_ROLE and printable(role)):
            raise MalformedInput(f"{item.where}.role must be 1 to {MAX_ROLE} printable characters")
        wallets.append(
            Wallet(
                item.str("chain"),
                asset,
                item.str("address"),
                balance,
                as_of,
                item.str("signature"),
                role,
            )
        )
    if len({w.role is None for w in wallets}) > 1:
        raise MalformedInput(f"{RESERVES}: either every wallet has a role or none has")
    attestation_id = doc.str("attestation_id")
    if reserves_to_json(attestation_id, wallets, decimals) != obj:
        raise MalformedInput(
            f"{RESERVES} is not as zkpor/1 writes it (an unknown field, or a balance_amount "
            "that differs from the balance in units)"
        )
    return attestation_id, wallets


def check_reserves(manifest: Manifest, doc: object, backend: SignatureBackend | None) -> str:
    """Return a detail once ``reserves.json`` proves the manifest's reserves (per role when
    wallets have roles), every asset is covered and every wrapped token is backed 1:1;
    raise ``VerificationError`` with the reason otherwise."""
    attestation_id, wallets = parse_reserves(doc, manifest.decimals)
    if attestation_id != manifest.attestation_id:
        raise InvalidReserve(
            f"{RESERVES} is for attestation {show(attestation_id)}, not "
            f"{show(manifest.attestation_id)}"
        )
    segregation = manifest.segregation
    has_roles = bool(wallets) and wallets[0].role is not None
    if has_roles != (segregation is not None):
        raise InvalidReserve(
            f"{RESERVES} has wallet roles but {MANIFEST} has no segregation section"
            if has_roles
            else f"{MANIFEST} has a segregation section but the wallets of {RESERVES} have no roles"
        )
    wrapped = None if segregation is None else {w.symbol: w.origin for w in segregation.wrapped}
    totals = wallet_totals(manifest.attestation_id, manifest.assets, wallets, backend, wrapped)
    for asset in manifest.assets:
        proven_units = totals.get((CUSTOMER, asset.symbol), 0)
        if asset.reserves != proven_units:
            proven = format_units(proven_units, asset.decimals)
            published = format_units(asset.reserves or 0, asset.decimals)
            whose = "customer " if segregation is not None else ""
            raise InvalidReserve(
                f"asset {show(asset.symbol)}: the manifest publishes reserves of {published}, "
                f"but the signed {whose}wallets of {RESERVES} add up to {proven}"
            )
    if segregation is not None:
        check_segregation(manifest, segregation, totals)
    if problems := shortfalls(manifest.assets) + wrapped_shortfalls(manifest):
        raise VerificationError("; ".join(problems))
    covered = ", ".join(
        f"{a.symbol} {coverage_ratio(a.reserves or 0, a.liabilities)}" for a in manifest.assets
    )
    detail = f"{len(wallets)} wallets proven by signature; every asset covered ({covered})"
    if segregation is not None and segregation.wrapped:
        origin = manifest.decimals
        backing = ", ".join(
            f"{w.symbol} {backing_ratio(w.collateral, origin[w.origin], w.supply, w.decimals)}"
            for w in segregation.wrapped
        )
        detail += f"; every wrapped token backed 1:1 ({backing})"
    if segregation is not None:
        for label, held in (
            ("protection fund", segregation.protection_fund),
            ("corporate funds", segregation.corporate),
        ):
            if held:
                amounts = ", ".join(
                    f"{format_units(h.balance, manifest.decimals[h.asset])} {h.asset}" for h in held
                )
                detail += f"; {label} {amounts} (not counted as coverage)"
    return detail
