"""RIPEMD-160 in pure Python, for Pythons whose ``hashlib`` has none.

Bitcoin addresses need ``ripemd160(sha256(public key))``. CPython gets RIPEMD-160 from
OpenSSL, and OpenSSL 3 moved it to the "legacy" provider, which many builds do not load;
Pyodide's Python is built without OpenSSL at all. ``verifier.encodings.hash160`` tries
``hashlib`` first (fast) and falls back to this module.

It follows the specification of H. Dobbertin, A. Bosselaers and B. Preneel,
"RIPEMD-160: A Strengthened Version of RIPEMD" (1996): MD4-style padding, little-endian
32-bit words, and two parallel lines of five rounds of 16 steps each, combined at the end
of every 64-byte block. Only the one-shot ``ripemd160(data)`` is offered: hash160 inputs
are short (33 or 65 bytes of public key, 22 bytes of P2SH-P2WPKH script).
"""

from __future__ import annotations

import struct

_MASK = 0xFFFFFFFF
_INITIAL = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0)

# Per round j // 16: the added constant of the left (K) and right (K') line.
_K_LEFT = (0x00000000, 0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xA953FD4E)
_K_RIGHT = (0x50A28BE6, 0x5C4DD124, 0x6D703EF3, 0x7A6D76E9, 0x00000000)

# Per step j: which message word is added (r, r') and by how much to rotate (s, s').
_R_LEFT = (
    *range(16),
    *(7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8),
    *(3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12),
    *(1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2),
    *(4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13),
)
_R_RIGHT = (
    *(5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12),
    *(6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2),
    *(15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13),
    *(8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14),
    *(12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11),
)
_S_LEFT = (
    *(11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8),
    *(7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12),
    *(11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5),
    *(11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12),
    *(9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6),
)
_S_RIGHT = (
    *(8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6),
    *(9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11),
    *(9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5),
    *(15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8),
    *(8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11),
)


#: Per step of each line: (round, message word, rotation, constant). The right line runs
#: the round functions in reverse order (f4..f0), so its "round" counts down.
_LEFT_STEPS = tuple((j // 16, _R_LEFT[j], _S_LEFT[j], _K_LEFT[j // 16]) for j in range(80))
_RIGHT_STEPS = tuple((4 - j // 16, _R_RIGHT[j], _S_RIGHT[j], _K_RIGHT[j // 16]) for j in range(80))


def _line(
    state: tuple[int, ...], words: tuple[int, ...], steps: tuple[tuple[int, int, int, int], ...]
) -> tuple[int, int, int, int, int]:
    """Return (A, B, C, D, E) after the 80 steps of one line over one block.

    Step: ``T = rol_s(A + f(B, C, D) + X[r] + K) + E; A, E, D, C, B = E, D, rol_10(C), B, T``
    with, by round, ``f`` = x^y^z, (x&y)|(~x&z), (x|~y)^z, (x&z)|(y&~z), x^(y|~z). The
    functions are inlined: this loop is all the work. Negative intermediate values (``~``)
    are harmless, every sum is masked to 32 bits before rotating.
    """
    a, b, c, d, e = state
    for round_, r, s, k in steps:
        if round_ == 0:
            f = b ^ c ^ d
        elif round_ == 1:
            f = (b & c) | (~b & d)
        elif round_ == 2:
            f = (b | ~c) ^ d
        elif round_ == 3:
            f = (b & d) | (c & ~d)
        else:
            f = b ^ (c | ~d)
        t = (a + f + words[r] + k) & _MASK
        t = (((t << s) | (t >> (32 - s))) + e) & _MASK
        a, e, d, c, b = e, d, ((c << 10) | (c >> 22)) & _MASK, b, t
    return a, b, c, d, e


def _compress(state: tuple[int, ...], block: bytes) -> tuple[int, ...]:
    """Return the chaining value after one 64-byte ``block``."""
    words = struct.unpack("<16I", block)
    al, bl, cl, dl, el = _line(state, words, _LEFT_STEPS)
    ar, br, cr, dr, er = _line(state, words, _RIGHT_STEPS)
    h0, h1, h2, h3, h4 = state
    return (
        (h1 + cl + dr) & _MASK,
        (h2 + dl + er) & _MASK,
        (h3 + el + ar) & _MASK,
        (h4 + al + br) & _MASK,
        (h0 + bl + cr) & _MASK,
    )


def ripemd160(data: bytes) -> bytes:
    """Return the 20-byte RIPEMD-160 digest of ``data``."""
    # Padding as in MD4: a 1 bit, zeros up to 56 mod 64 bytes, the bit length (LE, 64-bit).
    bits = (len(data) * 8) & 0xFFFFFFFFFFFFFFFF
    padded = data + b"\x80" + b"\0" * ((55 - len(data)) % 64) + struct.pack("<Q", bits)
    state: tuple[int, ...] = _INITIAL
    for offset in range(0, len(padded), 64):
        state = _compress(state, padded[offset : offset + 64])
    return struct.pack("<5I", *state)
