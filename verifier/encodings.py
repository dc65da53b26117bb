"""The address and signature encodings of the reserve chains: base58(check), bech32, hash160.

Pure standard library, so it runs in Pyodide (RIPEMD-160 falls back to
``verifier.ripemd160`` where ``hashlib`` has none). Every decoder raises ``ValueError`` with a
plain reason for anything it does not fully accept; callers add which wallet it was.
"""

from __future__ import annotations

import hashlib

from verifier.ripemd160 import ripemd160 as pure_ripemd160

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
#: bech32 (BIP-173) for witness v0; bech32m (BIP-350) constant for v1+.
BECH32_CONST, BECH32M_CONST = 1, 0x2BC830A3


def sha256d(data: bytes) -> bytes:
    """Return sha256(sha256(data)), Bitcoin's double hash."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def ripemd160(data: bytes) -> bytes:
    """Return RIPEMD-160 of ``data``: ``hashlib``'s when it has one (fast), else the pure
    Python ``verifier.ripemd160`` (Pyodide, OpenSSL 3 builds without the legacy provider)."""
    try:
        return hashlib.new("ripemd160", data).digest()
    except ValueError:  # "unsupported hash type", including UnsupportedDigestmodError
        return pure_ripemd160(data)


def hash160(data: bytes) -> bytes:
    """Return ripemd160(sha256(data)), the 20-byte key hash of Bitcoin addresses."""
    return ripemd160(hashlib.sha256(data).digest())


def b58encode(data: bytes) -> str:
    """Return ``data`` in base58 (Bitcoin alphabet), one '1' per leading zero byte."""
    number = int.from_bytes(data, "big")
    digits = ""
    while number:
        number, digit = divmod(number, 58)
        digits = _B58[digit] + digits
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + digits


def b58decode(text: str) -> bytes:
    """Return the bytes of base58 ``text``."""
    if not text:
        raise ValueError("empty base58 string")
    number = 0
    for char in text:
        if char not in _B58_INDEX:
            raise ValueError(f"{char!r} is not a base58 character")
        number = number * 58 + _B58_INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def b58check_encode(payload: bytes) -> str:
    """Return base58check of ``payload`` (version byte included)."""
    return b58encode(payload + sha256d(payload)[:4])


def b58check_decode(text: str) -> bytes:
    """Return the payload of base58check ``text`` once its 4-byte checksum matches."""
    raw = b58decode(text)
    if len(raw) < 5 or sha256d(raw[:-4])[:4] != raw[-4:]:
        raise ValueError("bad base58check checksum (a typo in the address?)")
    return raw[:-4]


def _polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_BECH32_GEN):
            check ^= gen if (top >> i) & 1 else 0
    return check


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: list[int], source: int, target: int, pad: bool) -> list[int]:
    """Return ``data`` regrouped from ``source``-bit to ``target``-bit values."""
    acc = bits = 0
    out = []
    for value in data:
        acc = (acc << source) | value
        bits += source
        while bits >= target:
            bits -= target
            out.append((acc >> bits) & ((1 << target) - 1))
    if pad and bits:
        out.append((acc << (target - bits)) & ((1 << target) - 1))
    elif not pad and (bits >= source or (acc << (target - bits)) & ((1 << target) - 1)):
        raise ValueError("bad bech32 padding")
    return out


def segwit_decode(hrp: str, address: str) -> tuple[int, bytes]:
    """Return (witness version, program) of a segwit address with prefix ``hrp``."""
    if address.lower() != address and address.upper() != address:
        raise ValueError("mixed-case bech32 address")
    address = address.lower()
    prefix, sep, rest = address.rpartition("1")
    if prefix != hrp or not sep or len(rest) < 7 or any(c not in _BECH32 for c in rest):
        raise ValueError(f"not a bech32 address with prefix {hrp!r}")
    data = [_BECH32.index(c) for c in rest]
    version = data[0]
    const = BECH32_CONST if version == 0 else BECH32M_CONST
    if _polymod(_hrp_expand(hrp) + data) != const:
        raise ValueError("bad bech32 checksum (a typo in the address?)")
    program = bytes(_convert_bits(data[1:-6], 5, 8, pad=False))
    if version > 16 or not 2 <= len(program) <= 40:
        raise ValueError("invalid witness program")
    return version, program


def segwit_encode(hrp: str, version: int, program: bytes) -> str:
    """Return the segwit address of (``version``, ``program``)."""
    data = [version, *_convert_bits(list(program), 8, 5, pad=True)]
    const = BECH32_CONST if version == 0 else BECH32M_CONST
    check = _polymod([*_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ const
    checksum = [(check >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in data + checksum)
