"""Verification codes: the 16 bytes an account holder types to find and open their bundle.

A code is shown as 26 Crockford base32 symbols of the 128-bit big-endian integer, most
significant first, then two check symbols, in groups of four:
``0ABC-DEFG-HJKM-NPQR-STVW-XYZ0-12AB`` (28 symbols). The check symbols make the 28 symbols
a codeword of a distance-3 code over GF(32), so that a single mistyped symbol is not only
caught but located ("symbol 9 looks wrong"), and every swap of two different adjacent
symbols is caught and named too. Every symbol is a letter or digit: a code survives being
auto-linked, unlike zkpor's first format, whose check symbol could be ``*~$=`` and was cut
off the end of a link by chat and mail programs.

The first format (27 symbols: a Crockford mod-37 check symbol) is still read, so that the
codes of earlier attestations keep working; new attestations never show it.

This module must never log or store a code: it is the only key to a user's bundle.
"""

from __future__ import annotations

import hashlib
import secrets

from verifier.errors import InvalidCode

CODE_BYTES = 16
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Symbols of the 128-bit value (the first one carries only 3 bits).
DATA_SYMBOLS = 26
#: Symbols of a code: the value, then two check symbols.
CODE_SYMBOLS = DATA_SYMBOLS + 2
GROUP = 4
#: Crockford decoding: lower case is upper case, I and L are 1, O is 0.
_NORMALIZE = str.maketrans("ILO", "110")
#: A code derivation key shorter than this could be guessed, and every code with it.
MIN_SECRET_BYTES = 16
_BLAKE2B_MAX_KEY = 64

# --- GF(32) = GF(2)[x]/(x^5 + x^2 + 1), in which x (alpha) has order 31 ------------------

_GF_POLY = 0b100101
_EXP = [1] * 62
for _i in range(1, 62):
    _EXP[_i] = _EXP[_i - 1] << 1 ^ (_GF_POLY if _EXP[_i - 1] & 0b10000 else 0)
_LOG = {value: i for i, value in enumerate(_EXP[:31])}


def _times_alpha_power(value: int, power: int) -> int:
    """Return ``value * alpha^power`` in GF(32)."""
    return 0 if value == 0 else _EXP[_LOG[value] + power % 31]


def _syndromes(digits: list[int]) -> tuple[int, int]:
    """Return ``(sum c_i, sum c_i alpha^i)``: both 0 exactly for a codeword."""
    s0 = s1 = 0
    for i, digit in enumerate(digits):
        s0 ^= digit
        s1 ^= _times_alpha_power(digit, i)
    return s0, s1


def _check_symbols(data: list[int]) -> list[int]:
    """Return ``(c26, c27)`` making ``data + [c26, c27]`` a codeword.

    ``c26 + c27 = s0`` and ``c26 a^26 + c27 a^27 = s1``, so ``c27 (a^26 + a^27) = s1 +
    s0 a^26`` (characteristic 2: minus is plus).
    """
    s0, s1 = _syndromes(data)
    rhs = s1 ^ _times_alpha_power(s0, 26)
    c27 = 0 if rhs == 0 else _EXP[(_LOG[rhs] - _LOG[_EXP[26] ^ _EXP[27]]) % 31]
    return [s0 ^ c27, c27]


# --- display and parsing ----------------------------------------------------------------


def format_code(raw: bytes) -> str:
    """Return the display form of a 16-byte code: 28 symbols in groups of four."""
    if len(raw) != CODE_BYTES:
        raise ValueError(f"a code is {CODE_BYTES} bytes, got {len(raw)}")
    value = int.from_bytes(raw, "big")
    data = [(value >> (5 * i)) & 31 for i in reversed(range(DATA_SYMBOLS))]
    symbols = "".join(ALPHABET[d] for d in data + _check_symbols(data))
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


def normalize(text: str) -> str:
    """Return the symbols of ``text``: no whitespace or ``-``, upper case, I L O as 1 1 0."""
    return "".join(text.split()).replace("-", "").upper().translate(_NORMALIZE)


def _place(index: int) -> str:
    """Return where symbol ``index`` (0-based) is, in words a person can follow."""
    return f"symbol {index + 1} (group {index // GROUP + 1})"


def parse_code(text: str) -> bytes:
    """Return the 16 bytes of a code as typed; raise ``InvalidCode`` naming the problem
    in plain words (and where it is, when a single symbol or a swap explains it).

    Case, dashes and whitespace do not matter, and I, L and O read as 1, 1 and 0.
    """
    symbols = normalize(text)
    if not symbols:
        raise InvalidCode("no code was entered: paste or type the code the custodian gave you")
    v1_check = len(symbols) == CODE_SYMBOLS - 1  # the first format's last symbol
    for index, symbol in enumerate(symbols):
        if symbol not in ALPHABET and not (
            v1_check and index == DATA_SYMBOLS and symbol in V1_CHECKS
        ):
            raise InvalidCode(
                f"{_place(index)} is {_spoken(symbol)}, which is not used in codes: codes "
                "use the digits and the letters A to Z except I, L, O and U"
            )
    if len(symbols) == CODE_SYMBOLS - 1:
        return _parse_v1(symbols)
    if len(symbols) != CODE_SYMBOLS:
        raise InvalidCode(
            f"the code has {len(symbols)} symbols, but a code has {CODE_SYMBOLS} "
            f"(or {CODE_SYMBOLS - 1} for codes of earlier attestations): "
            + ("some are missing" if len(symbols) < CODE_SYMBOLS else "there are too many")
        )
    digits = [ALPHABET.index(s) for s in symbols]
    s0, s1 = _syndromes(digits)
    if s0 or s1:
        raise InvalidCode(f"the code has a typo: {_typo_place(digits, s0, s1)}")
    value = 0
    for digit in digits[:DATA_SYMBOLS]:
        value = value << 5 | digit
    if value >> (8 * CODE_BYTES):
        raise InvalidCode("this is not a zkpor code: its first symbol must be 0 to 7")
    return value.to_bytes(CODE_BYTES, "big")


def _spoken(symbol: str) -> str:
    """Return a character as words: a printable one quoted, any other by its code point."""
    return f'"{symbol}"' if symbol.isprintable() else f"the invisible character U+{ord(symbol):04X}"


def _typo_place(digits: list[int], s0: int, s1: int) -> str:
    """Return where the typo is, when one substitution or one swap explains it."""
    if s0:
        index = (_LOG[s1] - _LOG[s0]) % 31 if s1 else None
        if index is not None and index < CODE_SYMBOLS:
            return f"{_place(index)} looks wrong"
    swaps = [
        i
        for i in range(CODE_SYMBOLS - 1)
        if digits[i] != digits[i + 1]
        and _syndromes([*digits[:i], digits[i + 1], digits[i], *digits[i + 2 :]]) == (0, 0)
    ]
    if not swaps:
        return "more than one symbol looks wrong; check the whole code"
    # Two check symbols cannot always tell which neighbours were swapped: name each pair
    # whose swap would give a valid code (usually one or two).
    pairs = " or ".join(f"{i + 1} and {i + 2}" for i in swaps[:3])
    more = ", or others" if len(swaps) > 3 else ""
    return f"two neighbouring symbols look swapped: symbols {pairs}{more}"


# --- the first format (27 symbols), read for earlier attestations --------------------------

#: zkpor/1's check alphabet: the 32 symbols, then five more for the values 32 to 36.
V1_CHECK_ALPHABET = ALPHABET + "*~$=U"
V1_CHECKS = "*~$=U"


def _parse_v1(symbols: str) -> bytes:
    """Return the 16 bytes of a 27-symbol code (Crockford check symbol, value mod 37)."""
    value = 0
    for symbol in symbols[:DATA_SYMBOLS]:
        value = value << 5 | ALPHABET.index(symbol)
    # The check comes before the range test so that a typo in the first symbol is a typo.
    if value % len(V1_CHECK_ALPHABET) != V1_CHECK_ALPHABET.index(symbols[-1]):
        raise InvalidCode(
            f"the code has a typo, or its last symbol is missing: a code has {CODE_SYMBOLS} "
            f"symbols (codes of earlier attestations have {CODE_SYMBOLS - 1}, and their "
            "check symbol does not match)"
        )
    if value >> (8 * CODE_BYTES):
        raise InvalidCode("this is not a zkpor code: its first symbol must be 0 to 7")
    return value.to_bytes(CODE_BYTES, "big")


def format_code_v1(raw: bytes) -> str:
    """Return the first format's display form (27 symbols): for tests of old codes only."""
    if len(raw) != CODE_BYTES:
        raise ValueError(f"a code is {CODE_BYTES} bytes, got {len(raw)}")
    value = int.from_bytes(raw, "big")
    digits = [ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(DATA_SYMBOLS))]
    symbols = "".join(digits) + V1_CHECK_ALPHABET[value % len(V1_CHECK_ALPHABET)]
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


# --- making codes -------------------------------------------------------------------------


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
