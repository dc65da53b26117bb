"""The cryptography of the setup ceremony that both the publisher and the verifier need.

* ``fp2_sqrt`` and the G2 cofactor, for snarkjs's hash-to-G2 (``verifier.mpc_primitives``);
* ``failed_pairing_check``: named pairing-product equations checked together with one
  final exponentiation, then one by one to name the first that fails.
* ``CurveOps`` (defined in ``verifier.bn254``): the curve operations these need.
  ``PURE_OPS`` (the default) is ``verifier.bn254``: pure Python on plain ints, run
  unchanged in Pyodide; the publisher injects ``publisher.snark.pairing.FAST_OPS`` (the
  same pairing, native MSMs); ``PY_ECC_OPS`` is py_ecc's pairing, kept as a reference
  for tests.

This module must never hold or derive a contributor's secret.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from typing import Any, TypeAlias

from verifier.bn254 import PURE_OPS as PURE_OPS
from verifier.bn254 import CurveOps as CurveOps
from verifier.field import P, R
from verifier.groth16 import G1Point, G2Point

#: Coefficient b of the twist y^2 = x^3 + b over Fp2 = Fp[u]/(u^2 + 1): 3/(9 + u).
TWIST_B = (
    19485874751759354771024239261021720505790618469301721065564631296452457478373,
    266929791119991161246907387137283842545076965332900288569378510910307636690,
)
#: #E'(Fp2) = r * (2p - r): multiplying a twist point by 2p - r lands in G2.
G2_COFACTOR = 2 * P - R
#: Largest beacon iteration exponent accepted: 2^28 SHA-256 calls take minutes in a
#: browser already, and the verifier has to repeat them.
MAX_BEACON_EXP = 28
_BATCH_BITS = 128

Fp2: TypeAlias = tuple[int, int]


# --- Fp2 square roots -------------------------------------------------------------


def _fp_sqrt(a: int) -> int | None:
    """Return a square root of ``a`` mod p (p = 3 mod 4), or None if there is none."""
    root = pow(a, (P + 1) // 4, P)
    return root if root * root % P == a % P else None


def _fp2_mul(a: Fp2, b: Fp2) -> Fp2:
    """Return a·b in Fp2 (u^2 = -1)."""
    return ((a[0] * b[0] - a[1] * b[1]) % P, (a[0] * b[1] + a[1] * b[0]) % P)


def fp2_sqrt(a: Fp2) -> Fp2 | None:
    """Return a square root of ``a`` in Fp2, or None if ``a`` is not a square.

    ``a`` is a square iff its norm a0^2 + a1^2 is a square n^2 in Fp; then
    x0^2 = (a0 ± n)/2 for one of the signs and x1 = a1/(2 x0). With a1 = 0, a0 or
    -a0 is a square in Fp (-1 is not), giving x0 or x1·u.
    """
    a0, a1 = a[0] % P, a[1] % P
    if a1 == 0:
        root = _fp_sqrt(a0)
        if root is not None:
            return (root, 0)
        other = _fp_sqrt(-a0 % P)
        return None if other is None else (0, other)
    norm_root = _fp_sqrt((a0 * a0 + a1 * a1) % P)
    if norm_root is None:
        return None
    half = pow(2, -1, P)
    for t in ((a0 + norm_root) * half % P, (a0 - norm_root) * half % P):
        x0 = _fp_sqrt(t)
        if x0:
            x = (x0, a1 * pow(2 * x0, -1, P) % P)
            if _fp2_mul(x, x) == (a0, a1):
                return x
    return None


# --- pairing checks ---------------------------------------------------------------

#: A named equation prod_i e(P_i, Q_i) = 1 over pairs (P_i in G1, Q_i in G2).
PairingCheck: TypeAlias = tuple[str, Sequence[tuple[G1Point, G2Point]]]


#: py_ecc's pairing and its point conversions live in ``verifier.py_ecc_reference``,
#: loaded on first use: importing py_ecc's BN254 modules is a noticeable part of the
#: verifier's start-up in a browser, and only tests and vector makers need them.
_REFERENCE = frozenset({"PY_ECC_OPS", "g1_from_ecc", "g2_from_ecc"})


def __getattr__(name: str) -> Any:
    if name in _REFERENCE:
        from verifier import py_ecc_reference

        return getattr(py_ecc_reference, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _weights(count: int, rng: random.Random | None) -> list[int]:
    """Return ``count`` random weights in [1, 2^128), from ``secrets`` by default."""
    if rng is None:
        return [secrets.randbelow((1 << _BATCH_BITS) - 1) + 1 for _ in range(count)]
    return [rng.randrange(1, 1 << _BATCH_BITS) for _ in range(count)]


def pairing_checks_hold(
    checks: Sequence[PairingCheck],
    rng: random.Random | None = None,
    ops: CurveOps = PURE_OPS,
) -> bool:
    """Return whether every check holds, as one random combination of them all.

    Points must be valid (G1 on the curve, G2 in the order-r subgroup). With weights
    z_c in [1, 2^128), prod_c E_c^z_c = 1 while some E_c != 1 has probability below
    2^-128, as in ``verify_many``. Pairs with the same G2 point share one Miller loop.
    """
    combined = [
        (weight, p1, q2)
        for weight, (_, pairs) in zip(_weights(len(checks), rng), checks, strict=True)
        for p1, q2 in pairs
    ]
    return ops.weighted_product_is_one(combined)


def failed_pairing_check(
    checks: Sequence[PairingCheck],
    rng: random.Random | None = None,
    ops: CurveOps = PURE_OPS,
) -> str | None:
    """Return the name of the first check that does not hold, or None if all hold.

    All at once first (``pairing_checks_hold``); only if that fails, one by one.
    """
    if pairing_checks_hold(checks, rng, ops):
        return None
    for name, pairs in checks:
        if not ops.weighted_product_is_one([(1, p1, q2) for p1, q2 in pairs]):
            return name
    # Impossible for valid points (each E_c = 1 makes the product 1): never pass silently.
    return "the combined pairing check (every equation held alone: invalid points?)"
