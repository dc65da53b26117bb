"""Phase-2 contributions to a snarkjs ``.zkey``: ``snarkjs zkey contribute`` and
``snarkjs zkey beacon`` in Python, producing exactly snarkjs's structures.

A contribution draws, from a ChaCha generator, a secret d (``Fr.fromRng``) and a point
g1_s (``G1.fromRng``), then publishes the record of ``verifier.mpc`` and updates the key:
delta_1, delta_2 times d; the C (L) and H sections times 1/d; everything else unchanged.

* ``contribute``: the generator is seeded, as snarkjs's ``getRandomRng`` does, by
  blake2b-512(64 bytes of OS randomness || the contributor's entropy): the entropy only
  adds to the OS randomness. d lives in a local variable of ``_apply`` and is never
  printed, logged, returned or written.
* ``beacon``: the generator is ``rng_from_beacon_params(hash, exp)``, public: the same
  inputs give the same file as ``snarkjs zkey beacon``, byte for byte.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import replace

from publisher.ceremony.points import scale_g1
from publisher.ceremony.zkey import Zkey, ZkeyError
from publisher.snark.curve import G1, g1_mul, g2_mul
from publisher.snark.pairing import FAST_OPS
from verifier.ceremony_crypto import MAX_BEACON_EXP
from verifier.field import R
from verifier.mpc import Contribution, Kind, expected_transcript
from verifier.mpc_primitives import (
    ChaCha,
    fr_from_rng,
    g1_from_rng,
    hash_to_g2,
    rng_from_beacon_params,
)

Log = Callable[[str], None]
#: snarkjs writes ``name.substring(0, 64)``: longer names would not survive its rewrites.
MAX_NAME_UNITS = 64
#: ``snarkjs zkey beacon`` refuses exponents outside [10, 63]; a verifier runs 2^exp hashes.
MIN_BEACON_EXP = 10


def _check_name(name: str) -> None:
    if len(name.encode("utf-16-le")) // 2 > MAX_NAME_UNITS:
        raise ZkeyError(f"a contributor name has at most {MAX_NAME_UNITS} characters (UTF-16)")


def _apply(
    zkey: Zkey,
    rng: ChaCha,
    name: str,
    kind: Kind,
    beacon: tuple[bytes, int] | None,
    log: Log | None,
    g1_s: G1 | None = None,
) -> Zkey:
    """Return ``zkey`` after the contribution whose secret ``rng`` gives (and whose
    ``g1_s`` it gives too, unless one is imposed: a ceremony's anchor point)."""
    d = fr_from_rng(rng)
    if d == 0:  # probability 2^-254; snarkjs would publish a broken key
        raise ZkeyError("the contribution's secret came out 0: contribute again")
    drawn = g1_from_rng(rng)
    g1_s = drawn if g1_s is None else g1_s
    g1_sx = g1_mul(g1_s, d)
    transcript = expected_transcript(zkey.cs_hash, zkey.contributions, g1_s, g1_sx)
    g2_spx = g2_mul(hash_to_g2(transcript, FAST_OPS), d)
    delta_g1, delta_g2 = g1_mul(zkey.delta_g1, d), g2_mul(zkey.delta_g2, d)
    if log:
        log(f"dividing {len(zkey.c_g1)} L and {len(zkey.h_g1)} H points by the secret")
    d_inv = pow(d, -1, R)
    record = Contribution(
        delta_after=delta_g1,
        g1_s=g1_s,
        g1_sx=g1_sx,
        g2_spx=g2_spx,
        transcript=transcript,
        kind=kind,
        name=name,
        beacon_hash=beacon[0] if beacon else None,
        num_iterations_exp=beacon[1] if beacon else None,
    )
    return replace(
        zkey,
        delta_g1=delta_g1,
        delta_g2=delta_g2,
        c_g1=tuple(scale_g1(zkey.c_g1, d_inv)),
        h_g1=tuple(scale_g1(zkey.h_g1, d_inv)),
        contributions=(*zkey.contributions, record),
    )


def contribute(
    zkey: Zkey,
    name: str,
    entropy: str | bytes = b"",
    log: Log | None = None,
    g1_s: G1 | None = None,
) -> Zkey:
    """Return ``zkey`` after a fresh secret contribution named ``name`` (as ``snarkjs zkey
    contribute --name=NAME -e=ENTROPY``); the secret comes from the OS, mixed with
    ``entropy``. ``g1_s``, if given, replaces the random point of the proof of knowledge
    (any point works for snarkjs's check; a zkpor ceremony's first contribution uses the
    header's anchor, ``verifier.ceremony_format.header_anchor``)."""
    _check_name(name)
    extra = entropy.encode() if isinstance(entropy, str) else entropy
    seed = hashlib.blake2b(secrets.token_bytes(64) + extra, digest_size=64).digest()
    return _apply(zkey, ChaCha.from_digest(seed), name, "contribution", None, log, g1_s)


def beacon(
    zkey: Zkey, name: str, beacon_hash: bytes, num_iterations_exp: int, log: Log | None = None
) -> Zkey:
    """Return ``zkey`` after the public beacon contribution ``snarkjs zkey beacon IN OUT
    HASH EXP --name=NAME`` makes (same bytes)."""
    _check_name(name)
    if not 1 <= len(beacon_hash) <= 255:
        raise ZkeyError(f"a beacon hash has 1 to 255 bytes, got {len(beacon_hash)}")
    if not MIN_BEACON_EXP <= num_iterations_exp <= MAX_BEACON_EXP:
        raise ZkeyError(
            f"the beacon iteration exponent must be in [{MIN_BEACON_EXP}, {MAX_BEACON_EXP}] "
            f"(snarkjs wants at least {MIN_BEACON_EXP}; verifiers run 2^exp hashes), "
            f"got {num_iterations_exp}"
        )
    if log:
        log(f"2^{num_iterations_exp} SHA-256 iterations of the beacon")
    rng = rng_from_beacon_params(beacon_hash, num_iterations_exp)
    return _apply(zkey, rng, name, "beacon", (beacon_hash, num_iterations_exp), log)
