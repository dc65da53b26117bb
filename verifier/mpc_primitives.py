"""snarkjs's point encodings and ffjavascript's deterministic randomness, bit for bit.

snarkjs's ceremony records (phase-1 ``.ptau`` contributions, phase-2 ``.zkey``
contributions) are only checkable with snarkjs's own derivations, so these are
reproduced exactly:

* encodings: LEM (in the files) is little-endian Montgomery ``x || y`` (G2 ``x.c0 ||
  x.c1 || y.c0 || y.c1``), all zeros for infinity; uncompressed (what snarkjs hashes) is
  big-endian plain ``x || y`` with G2 coordinates as ``c1 || c0``, all zeros for infinity;
* ``ChaCha``: ffjavascript's ChaCha20 generator (8 seed words, a 4-word counter, no nonce);
* ``fr_from_rng`` / ``fp_from_rng``: ffjavascript's ``F.fromRng``: 254 random bits below
  the modulus, *read as a Montgomery form* (so the value is v / 2^256);
* ``g1_from_rng`` / ``g2_from_rng`` (``hash_to_g2``): ``G.fromRng``: x from the rng, a
  sign bit, retry until x^3 + b is a square, take the root of that sign, times the G2
  cofactor (G1's is 1);
* ``rng_from_beacon_params``: the beacon's ChaCha, seeded by 2^exp iterated SHA-256.

Pure Python (stdlib, the curve through ``CurveOps``: ``verifier.bn254`` by default),
importable in Pyodide. It never holds a contributor's secret: callers draw secrets from an
rng they own.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

from verifier.ceremony_crypto import G2_COFACTOR, PURE_OPS, TWIST_B, CurveOps, fp2_sqrt
from verifier.field import P, R
from verifier.groth16 import G1Point, G2Point

_MONT_P = (1 << 256) % P
_MONT_INV_P = pow(1 << 256, -1, P)
_MONT_INV_R = pow(1 << 256, -1, R)
_MASK_254 = (1 << 254) - 1
_HALF_P = (P - 1) // 2
_U32 = 0xFFFFFFFF
#: Each try finds a square with probability 1/2 (ffjavascript loops until one does).
_MAX_TRIES = 256
_CHACHA_CONSTANTS = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)
G1_BYTES, G2_BYTES = 64, 128


class EncodingError(ValueError):
    """Bytes that are not a valid point encoding (coordinate >= p, or off the curve)."""


# --- encodings --------------------------------------------------------------------


def _lem(value: int) -> bytes:
    return (value * _MONT_P % P).to_bytes(32, "little")


def g1_lem(point: G1Point) -> bytes:
    """Return a G1 point as snarkjs files store it (64 zero bytes for infinity)."""
    if point is None:
        return bytes(G1_BYTES)
    return _lem(point[0]) + _lem(point[1])


def g2_lem(point: G2Point) -> bytes:
    """Return a G2 point as snarkjs files store it (128 zero bytes for infinity)."""
    if point is None:
        return bytes(G2_BYTES)
    (x0, x1), (y0, y1) = point
    return _lem(x0) + _lem(x1) + _lem(y0) + _lem(y1)


def _unlem(data: bytes | memoryview, offset: int) -> int:
    value = int.from_bytes(data[offset : offset + 32], "little")
    if value >= P:
        raise EncodingError("a coordinate is not below p")
    return value * _MONT_INV_P % P


def g1_from_lem(data: bytes | memoryview, offset: int = 0) -> G1Point:
    """Return the G1 point of 64 LEM bytes at ``offset``, checked on the curve."""
    x, y = _unlem(data, offset), _unlem(data, offset + 32)
    if x == y == 0:
        return None
    if (y * y - x * x * x - 3) % P:
        raise EncodingError("a G1 point is not on the curve")
    return (x, y)


def g2_from_lem(data: bytes | memoryview, offset: int = 0) -> G2Point:
    """Return the twist point of 128 LEM bytes at ``offset``, checked on the twist
    (subgroup membership is the caller's check: it is costly)."""
    x0, x1, y0, y1 = (_unlem(data, offset + 32 * k) for k in range(4))
    if not (x0 or x1 or y0 or y1):
        return None
    if _fp2_cube_plus_b((x0, x1)) != ((y0 * y0 - y1 * y1) % P, 2 * y0 * y1 % P):
        raise EncodingError("a G2 point is not on the twist")
    return ((x0, x1), (y0, y1))


def g1_uncompressed(point: G1Point) -> bytes:
    """Return a G1 point as snarkjs hashes it: big-endian ``x || y``."""
    if point is None:
        return bytes(G1_BYTES)
    return point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")


def g2_uncompressed(point: G2Point) -> bytes:
    """Return a G2 point as snarkjs hashes it: big-endian ``x.c1 || x.c0 || y.c1 || y.c0``."""
    if point is None:
        return bytes(G2_BYTES)
    (x0, x1), (y0, y1) = point
    return b"".join(v.to_bytes(32, "big") for v in (x1, x0, y1, y0))


# --- ffjavascript's ChaCha ------------------------------------------------------------


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

    @classmethod
    def from_digest(cls, digest: bytes) -> ChaCha:
        """Return the generator seeded, as snarkjs does, by 32 bytes read as big-endian words."""
        if len(digest) < 32:
            raise ValueError("a ChaCha seed digest has at least 32 bytes")
        return cls(struct.unpack(">8I", digest[:32]))

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

    def next_bool(self) -> bool:
        """Return the low bit of the next word."""
        return bool(self.next_u32() & 1)

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


def _montgomery_draw(rng: ChaCha, modulus: int) -> int:
    """Return 254 random bits below ``modulus`` (both BN254 moduli have 254 bits)."""
    while True:
        v = 0
        for i in range(4):
            v += rng.next_u64() << (64 * i)
        v &= _MASK_254
        if v < modulus:
            return v


def fp_from_rng(rng: ChaCha) -> int:
    """Return ffjavascript's ``Fq.fromRng``: the draw read as a Montgomery form."""
    return _montgomery_draw(rng, P) * _MONT_INV_P % P


def fr_from_rng(rng: ChaCha) -> int:
    """Return ffjavascript's ``Fr.fromRng`` (snarkjs's secret keys): a Montgomery form."""
    return _montgomery_draw(rng, R) * _MONT_INV_R % R


# --- points from the rng ----------------------------------------------------------------


def _fp_sqrt(a: int) -> int | None:
    root = pow(a, (P + 1) // 4, P)
    return root if root * root % P == a % P else None


def _fp2_cube_plus_b(x: tuple[int, int]) -> tuple[int, int]:
    x0, x1 = x
    xx = ((x0 * x0 - x1 * x1) % P, 2 * x0 * x1 % P)
    x3 = ((xx[0] * x0 - xx[1] * x1) % P, (xx[0] * x1 + xx[1] * x0) % P)
    return ((x3[0] + TWIST_B[0]) % P, (x3[1] + TWIST_B[1]) % P)


def g1_from_rng(rng: ChaCha) -> G1Point:
    """Return ffjavascript's ``G1.fromRng`` (cofactor 1: no multiplication)."""
    for _ in range(_MAX_TRIES):
        x = fp_from_rng(rng)
        greatest = rng.next_bool()
        y = _fp_sqrt((x * x * x + 3) % P)
        if y is None:
            continue
        if greatest ^ (y > _HALF_P):
            y = -y % P
        return (x, y)
    raise ArithmeticError(f"no square in {_MAX_TRIES} tries")  # probability 2^-256


def _fp2_is_negative(y: tuple[int, int]) -> bool:
    """Return wasmcurves' sign of an Fp2 element: that of c1, or of c0 if c1 is 0."""
    return (y[1] if y[1] else y[0]) > _HALF_P


def g2_from_rng(rng: ChaCha, ops: CurveOps = PURE_OPS) -> G2Point:
    """Return ffjavascript's ``G2.fromRng``: a twist point times the G2 cofactor."""
    for _ in range(_MAX_TRIES):
        x = (fp_from_rng(rng), fp_from_rng(rng))
        greatest = rng.next_bool()
        y = fp2_sqrt(_fp2_cube_plus_b(x))
        if y is None:
            continue
        if greatest ^ _fp2_is_negative(y):
            y = (-y[0] % P, -y[1] % P)
        return ops.g2_mul_unreduced((x, y), G2_COFACTOR)
    raise ArithmeticError(f"no square in {_MAX_TRIES} tries")  # probability 2^-256


def hash_to_g2(digest: bytes, ops: CurveOps = PURE_OPS) -> G2Point:
    """Return snarkjs's ``hashToG2(digest)``: ``G2.fromRng`` seeded by 32 bytes of it.

    Nobody chooses the result, so nobody knows its discrete logarithm: this is what makes
    ``d·hashToG2(transcript)`` a proof of knowledge of d.
    """
    return g2_from_rng(ChaCha.from_digest(digest), ops)


def rng_from_beacon_params(beacon_hash: bytes, num_iterations_exp: int) -> ChaCha:
    """Return snarkjs's beacon generator: SHA-256 iterated 2^exp times on the beacon hash,
    its 32 bytes as the seed. The caller bounds ``num_iterations_exp`` (cost 2^exp)."""
    digest = beacon_hash
    sha256 = hashlib.sha256
    for _ in range(1 << num_iterations_exp):
        digest = sha256(digest).digest()
    return ChaCha.from_digest(digest)
