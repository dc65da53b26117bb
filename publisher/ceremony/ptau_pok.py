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

The encodings (LEM in the file, uncompressed when hashed), the ChaCha generator and
``hashToG2`` live in ``verifier.mpc_primitives``, shared with phase 2 (``.zkey``). This
module is called with the secrets and never keeps them.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from dataclasses import dataclass

from publisher.snark.curve import G1, G1_GEN, G2, G2_GEN, g1_mul, g2_mul
from publisher.snark.pairing import FAST_OPS
from verifier.field import R
from verifier.mpc_primitives import (
    ChaCha,
    g1_lem,
    g1_uncompressed,
    g2_lem,
    g2_uncompressed,
)
from verifier.mpc_primitives import hash_to_g2 as _hash_to_g2

__all__ = [
    "ChaCha",
    "Phase1Contribution",
    "contribution_section",
    "first_challenge",
    "g1_lem",
    "g1_uncompressed",
    "g2_lem",
    "g2_sp",
    "g2_uncompressed",
    "hash_to_g2",
    "phase1_contribution",
]

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


def hash_to_g2(digest: bytes) -> G2:
    """Return snarkjs's ``hashToG2(digest)`` (``verifier.mpc_primitives``, fast curve ops)."""
    return _hash_to_g2(digest, FAST_OPS)


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
