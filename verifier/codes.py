"""Verification codes: the 16 bytes an account holder types to find and open their bundle.

A code is shown as 26 Crockford base32 symbols of the 128-bit big-endian integer, most
significant first, plus one Crockford check symbol (the integer mod 37), in groups of
four: ``0ABC-DEFG-...-XYZ``. The check symbol catches every single mistyped symbol and
every swap of two adjacent symbols (37 is a prime that divides neither 32^i nor 31·32^i),
so a typo is reported as such before anything is fetched.

This module must never log or store a code: it is the only key to a user's bundle.
"""

from __future__ import annotations

import hashlib
import secrets

from verifier.errors import InvalidCode

CODE_BYTES = 16
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Crockford's check alphabet: the 32 symbols, then five more for values 32 to 36.
CHECK_ALPHABET = ALPHABET + "*~$=U"
CHECK_MODULUS = len(CHECK_ALPHABET)
#: Enough base32 symbols for 128 bits (the first one carries only 3).
DATA_SYMBOLS = 26
GROUP = 4
#: Crockford decoding: lower case is upper case, I and L are 1, O is 0.
_NORMALIZE = str.maketrans("ILO", "110")
#: A code derivation key shorter than this could be guessed, and every code with it.
MIN_SECRET_BYTES = 16
_BLAKE2B_MAX_KEY = 64


def format_code(raw: bytes) -> str:
    """Return the display form of a 16-byte code: 27 symbols in groups of four."""
    if len(raw) != CODE_BYTES:
        raise ValueError(f"a code is {CODE_BYTES} bytes, got {len(raw)}")
    value = int.from_bytes(raw, "big")
    digits = [ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(DATA_SYMBOLS))]
    symbols = "".join(digits) + CHECK_ALPHABET[value % CHECK_MODULUS]
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


def _shown(text: str) -> str:
    """Return a short, printable quotation of what the user typed, for a message."""
    return repr(text) if len(text) <= 48 else repr(text[:45] + "...")


def parse_code(text: str) -> bytes:
    """Return the 16 bytes of a code as typed; raise ``InvalidCode`` naming the problem.

    Case, dashes and whitespace do not matter, and I, L and O read as 1, 1 and 0.
    """
    symbols = "".join(text.split()).replace("-", "").upper().translate(_NORMALIZE)
    expected = DATA_SYMBOLS + 1
    if len(symbols) != expected:
        raise InvalidCode(
            f"{_shown(text)} is not a zkpor code: it has {len(symbols)} symbols, "
            f"expected {expected}"
        )
    value = 0
    for symbol in symbols[:DATA_SYMBOLS]:
        digit = ALPHABET.find(symbol)
        if digit < 0:
            raise InvalidCode(
                f"{_shown(text)} is not a zkpor code: {symbol!r} is not one of its symbols "
                f"({ALPHABET})"
            )
        value = value << 5 | digit
    check = CHECK_ALPHABET.find(symbols[-1])
    if check < 0:
        raise InvalidCode(
            f"{_shown(text)} is not a zkpor code: its last symbol {symbols[-1]!r} is not a "
            f"check symbol ({CHECK_ALPHABET})"
        )
    # The check comes before the range test so that a typo in the first symbol is a typo.
    if value % CHECK_MODULUS != check:
        raise InvalidCode("the code has a typo: its check character does not match")
    if value >> (8 * CODE_BYTES):
        raise InvalidCode(f"{_shown(text)} is not a zkpor code: it is larger than 128 bits")
    return value.to_bytes(CODE_BYTES, "big")


def random_code() -> bytes:
    """Return a fresh random 16-byte code."""
    return secrets.token_bytes(CODE_BYTES)


def derived_code(secret: bytes, user_id: str) -> bytes:
    """Return the code of ``user_id`` under the custodian's ``secret``.

    ``blake2b(user_id utf-8, digest_size=16, key=secret, person="zkpor-code")``, so the
    custodian can recompute any user's code from the secret alone, and a user keeps their
    code from one attestation to the next, even across two runs of one attestation id. The
    bundle a code opens is still sealed under a fresh key and nonce in every run: they are
    derived with the run's public salt too (``verifier.bundle.derive``). BLAKE2b keys are at most
    64 bytes: a longer secret is first hashed to 64 bytes with
    ``blake2b(secret, digest_size=64, person="zkpor-codekey")``. A secret shorter than
    16 bytes is refused: whoever guessed it would have every user's code.
    """
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(
            f"the code secret is {len(secret)} bytes; at least {MIN_SECRET_BYTES} are needed"
        )
    if len(secret) > _BLAKE2B_MAX_KEY:
        secret = hashlib.blake2b(
            secret, digest_size=_BLAKE2B_MAX_KEY, person=b"zkpor-codekey"
        ).digest()
    return hashlib.blake2b(
        user_id.encode("utf-8"), digest_size=CODE_BYTES, key=secret, person=b"zkpor-code"
    ).digest()
