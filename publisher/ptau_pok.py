"""snarkjs's phase-1 contribution record, so that a file zkpor writes verifies in snarkjs.

A snarkjs Powers of Tau file lists its contributions in section 7. Each record holds the
points after it (``[tau]_1``, ``[tau]_2``, ``[alpha]_1``, ``[beta]_1``, ``[beta]_2``), a
public key proving knowledge of each secret x in (tau, alpha, beta), and a hash chain:

* key (snarkjs ``keypair.js``): ``g1_s`` (any point), ``g1_sx = x·g1_s`` and
  ``g2_spx = x·g2_sp`` with ``g2_sp = hashToG2(blake2b(k || challenge || g1_s || g1_sx))``,
  k = 0, 1, 2 for tau, alpha, beta: ``e(g1_s, g2_spx) = e(g1_sx, g2_sp)`` holds only for
  someone who knew x, and ``g2_sp`` is fixed by the challenge, so nobody chose it;
* the first challenge is the blake2b of a fresh ``powersoftau new`` file's points
  (``first_challenge``); ``partialHash`` is a blake2b state that, fed the key in
  uncompressed form, gives the response hash; the next challenge is the blake2b of the
  response hash and every point of sections 2..6, uncompressed.

``hashToG2`` is ffjavascript's ``G2.fromRng`` over its ChaCha20 generator seeded with the
first 32 bytes of the hash: draw x in Fp2 (each coordinate a 254-bit value read as a
Montgomery form), a sign bit, retry until x^3 + b is a square, take the root whose sign
matches, multiply by the G2 cofactor. Reproduced here bit for bit, since the proof is
only checkable with snarkjs's own base points.

Encodings: LEM (in the file) is little-endian Montgomery ``x || y`` (G2 ``x.c0 || x.c1 ||
y.c0 || y.c1``); uncompressed (hashed) is big-endian plain ``x || y``, with G2
coordinates as ``c1 || c0``. This module is called with the secrets and never keeps them.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from publisher.curve import G1, G1_GEN, G2, G2_GEN, g1_mul, g2_mul, g2_mul_unreduced
from verifier.ceremony_crypto import G2_COFACTOR, TWIST_B, fp2_sqrt
from verifier.field import P, R

_MONT = (1 << 256) % P
_MONT_INV = pow(1 << 256, -1, P)
_MASK_254 = (1 << P.bit_length()) - 1
_HALF_P = (P - 1) // 2
_U32 = 0xFFFFFFFF
#: blake2b-512's initial state (h_0..h_7), h_0 with the parameter block of a 64-byte digest.
_BLAKE2B_IV = (
    0x6A09E667F3BCC908 ^ 0x01010040,
    0xBB67AE8584CAA73B,
    0x3C6EF372FE94F82B,
    0xA54FF53A5F1D36F1,
    0x510E527FADE682D1,
    0x9B05688C2B3E6C1F,
    0x1F83D9ABFB41BD6B,
    0x5BE0CD19137E2179,
)
#: Each try finds a square with probability 1/2 (ffjavascript loops until one does).
_MAX_TRIES = 256
_CHACHA_CONSTANTS = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)


# --- encodings ----------------------------------------------------------------------


def _lem(value: int) -> bytes:
    return (value * _MONT % P).to_bytes(32, "little")


def g1_lem(point: G1) -> bytes:
    """Return a G1 point as stored in a ptau file (64 zero bytes for infinity)."""
    if point is None:
        return bytes(64)
    return _lem(point[0]) + _lem(point[1])


def g2_lem(point: G2) -> bytes:
    """Return a G2 point as stored in a ptau file (128 zero bytes for infinity)."""
    if point is None:
        return bytes(128)
    (x0, x1), (y0, y1) = point
    return _lem(x0) + _lem(x1) + _lem(y0) + _lem(y1)


def g1_uncompressed(point: G1) -> bytes:
    """Return a G1 point as snarkjs hashes it: big-endian ``x || y``."""
    if point is None:
        return bytes(64)
    return point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")


def g2_uncompressed(point: G2) -> bytes:
    """Return a G2 point as snarkjs hashes it: big-endian ``x.c1 || x.c0 || y.c1 || y.c0``."""
    if point is None:
        return bytes(128)
    (x0, x1), (y0, y1) = point
    return b"".join(v.to_bytes(32, "big") for v in (x1, x0, y1, y0))


# --- ffjavascript's ChaCha and G2.fromRng ------------------------------------------------


def _rotl(v: int, n: int) -> int:
    return ((v << n) | (v >> (32 - n))) & _U32


def _quarter(s: list[int], a: int, b: int, c: int, d: int) -> None:
    s[a] = (s[a] + s[b]) & _U32
    s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & _U32
    s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & _U32
    s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & _U32
    s[b] = _rotl(s[b] ^ s[c], 7)


class ChaCha:
    """ffjavascript's ChaCha20 generator: 8 seed words, a 4-word counter, no nonce."""

    def __init__(self, seed: Sequence[int]) -> None:
        if len(seed) != 8:
            raise ValueError("a ChaCha seed is 8 32-bit words")
        self.state = [*_CHACHA_CONSTANTS, *(w & _U32 for w in seed), 0, 0, 0, 0]
        self.block: list[int] = []
        self.index = 16

    def next_u32(self) -> int:
        """Return the next 32-bit word of the stream."""
        if self.index == 16:
            self._refill()
        word = self.block[self.index]
        self.index += 1
        return word

    def next_u64(self) -> int:
        """Return two words as one 64-bit value, the first as its high half."""
        high = self.next_u32()
        return (high << 32) + self.next_u32()

    def _refill(self) -> None:
        s = list(self.state)
        for _ in range(10):
            for a, b, c, d in (
                (0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14),
            ):  # fmt: skip
                _quarter(s, a, b, c, d)
        self.block = [(x + y) & _U32 for x, y in zip(s, self.state, strict=True)]
        self.index = 0
        for k in range(12, 16):  # the counter, with carry
            self.state[k] = (self.state[k] + 1) & _U32
            if self.state[k]:
                break


def _fp_from_rng(rng: ChaCha) -> int:
    """Return ffjavascript's ``F.fromRng``: 254 random bits below p, as a Montgomery form."""
    while True:
        v = 0
        for i in range(4):
            v += rng.next_u64() << (64 * i)
        v &= _MASK_254
        if v < P:
            return v * _MONT_INV % P


def _fp2_is_negative(y: tuple[int, int]) -> bool:
    """Return wasmcurves' sign of an Fp2 element: that of c1, or of c0 if c1 is 0."""
    return (y[1] if y[1] else y[0]) > _HALF_P


def hash_to_g2(digest: bytes) -> G2:
    """Return snarkjs's ``hashToG2(digest)``: a G2 point seeded by 32 bytes of ``digest``."""
    rng = ChaCha(struct.unpack(">8I", digest[:32]))
    for _ in range(_MAX_TRIES):
        x = (_fp_from_rng(rng), _fp_from_rng(rng))
        greatest = rng.next_u32() & 1
        x0, x1 = x
        xx = ((x0 * x0 - x1 * x1) % P, 2 * x0 * x1 % P)
        x3 = ((xx[0] * x0 - xx[1] * x1) % P, (xx[0] * x1 + xx[1] * x0) % P)
        y = fp2_sqrt(((x3[0] + TWIST_B[0]) % P, (x3[1] + TWIST_B[1]) % P))
        if y is None:
            continue
        if greatest ^ _fp2_is_negative(y):
            y = (-y[0] % P, -y[1] % P)
        return g2_mul_unreduced((x, y), G2_COFACTOR)
    raise ArithmeticError(f"no square in {_MAX_TRIES} tries")  # probability 2^-256


def g2_sp(personalization: int, challenge: bytes, g1_s: G1, g1_sx: G1) -> G2:
    """Return the base of one proof of knowledge (snarkjs ``getG2sp``)."""
    digest = hashlib.blake2b(
        bytes([personalization]) + challenge + g1_uncompressed(g1_s) + g1_uncompressed(g1_sx),
        digest_size=64,
    ).digest()
    return hash_to_g2(digest)


# --- the record ---------------------------------------------------------------------


def first_challenge(power: int) -> bytes:
    """Return the challenge of a fresh ``snarkjs powersoftau new`` file of ``power``:
    blake2b of the empty blake2b, then every generator point it holds, uncompressed."""
    n = 1 << power
    one, two = g1_uncompressed(G1_GEN), g2_uncompressed(G2_GEN)
    h = hashlib.blake2b(digest_size=64)
    h.update(hashlib.blake2b(digest_size=64).digest())
    h.update(one * (2 * n - 1))
    h.update(two * n)
    h.update(one * n)
    h.update(one * n)
    h.update(two)
    return h.digest()


@dataclass(frozen=True)
class Phase1Contribution:
    """One public phase-1 contribution record (no secret in it)."""

    name: str
    #: ``[tau]_1, [tau]_2, [alpha]_1, [beta]_1, [beta]_2``.
    points: tuple[G1, G2, G1, G1, G2]
    #: ``(g1_s, g1_sx)`` for tau, alpha, beta.
    g1_keys: tuple[tuple[G1, G1], ...]
    #: ``g2_spx`` for tau, alpha, beta.
    g2_keys: tuple[G2, ...]

    def key_uncompressed(self) -> bytes:
        """Return the public key as snarkjs hashes it (after the partial hash)."""
        g1 = b"".join(g1_uncompressed(p) for pair in self.g1_keys for p in pair)
        return g1 + b"".join(map(g2_uncompressed, self.g2_keys))

    def key_lem(self) -> bytes:
        """Return the public key as the file stores it."""
        g1 = b"".join(g1_lem(p) for pair in self.g1_keys for p in pair)
        return g1 + b"".join(map(g2_lem, self.g2_keys))

    @property
    def response_hash(self) -> bytes:
        """Return the response hash: blake2b of the key, from an empty partial hash."""
        return hashlib.blake2b(self.key_uncompressed(), digest_size=64).digest()


def phase1_contribution(
    power: int, tau: int, alpha: int, beta: int, name: str
) -> Phase1Contribution:
    """Return the record of the one contribution taking a fresh file of ``power`` to the
    secrets ``tau, alpha, beta`` (proofs of knowledge with fresh random ``s``)."""
    challenge = first_challenge(power)
    g1_keys, g2_keys = [], []
    for personalization, x in enumerate((tau, alpha, beta)):
        s = 1 + secrets.randbelow(R - 1)
        g1_s, g1_sx = g1_mul(G1_GEN, s), g1_mul(G1_GEN, s * x % R)
        g1_keys.append((g1_s, g1_sx))
        g2_keys.append(g2_mul(g2_sp(personalization, challenge, g1_s, g1_sx), x))
    points = (
        g1_mul(G1_GEN, tau),
        g2_mul(G2_GEN, tau),
        g1_mul(G1_GEN, alpha),
        g1_mul(G1_GEN, beta),
        g2_mul(G2_GEN, beta),
    )
    return Phase1Contribution(name, points, tuple(g1_keys), tuple(g2_keys))


def _empty_partial_hash() -> bytes:
    """Return snarkjs's 216-byte serialization of a blake2b-512 state that read nothing:
    a 128-byte buffer, h_0..h_7 as (low, high) u32 pairs, then length and position."""
    words = [half for h in _BLAKE2B_IV for half in (h & _U32, h >> 32)] + [0] * 6
    return bytes(128) + struct.pack("<22I", *words)


def contribution_section(record: Phase1Contribution, next_challenge: bytes) -> bytes:
    """Return the body of section 7 holding ``record`` alone (snarkjs ``writeContributions``)."""
    tau1, tau2, alpha1, beta1, beta2 = record.points
    name = record.name.encode()
    if not 1 <= len(name) <= 64:
        raise ValueError("a phase-1 contributor name is 1 to 64 bytes of UTF-8")
    params = bytes([1, len(name)]) + name
    return b"".join(
        (
            struct.pack("<I", 1),
            g1_lem(tau1),
            g2_lem(tau2),
            g1_lem(alpha1),
            g1_lem(beta1),
            g2_lem(beta2),
            record.key_lem(),
            _empty_partial_hash(),
            next_challenge,
            struct.pack("<II", 0, len(params)),
            params,
        )
    )
