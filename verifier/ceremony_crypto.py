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

from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.fields import optimized_bn128_FQ12 as FQ12
from py_ecc.optimized_bn128.optimized_curve import Z1, Z2, add, is_inf, multiply, normalize
from py_ecc.optimized_bn128.optimized_pairing import final_exponentiate, pairing

from verifier.bn254 import PURE_OPS as PURE_OPS
from verifier.bn254 import CurveOps as CurveOps
from verifier.field import P, R
from verifier.groth16 import G1Point, G2Point, _g2_in_subgroup, _g2_on_curve

_Ecc: TypeAlias = Any

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


# --- hashing to G2 ----------------------------------------------------------------


def _g2_ecc(point: G2Point) -> _Ecc:
    """Return ``point`` as a py_ecc projective point over Fp2."""
    if point is None:
        return Z2
    (x0, x1), (y0, y1) = point
    return FQ2([x0, x1]), FQ2([y0, y1]), FQ2.one()


def _g1_ecc(point: G1Point) -> _Ecc:
    """Return ``point`` as a py_ecc projective point over Fp."""
    return Z1 if point is None else (FQ(point[0]), FQ(point[1]), FQ.one())


def g2_from_ecc(point: _Ecc) -> G2Point:
    """Return the affine integer form of a py_ecc point over Fp2."""
    if is_inf(point):
        return None
    x, y = normalize(point)
    return (int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1]))


def g1_from_ecc(point: _Ecc) -> G1Point:
    """Return the affine integer form of a py_ecc point over Fp."""
    if is_inf(point):
        return None
    x, y = normalize(point)
    return int(x.n), int(y.n)


# --- pairing checks ---------------------------------------------------------------

#: A named equation prod_i e(P_i, Q_i) = 1 over pairs (P_i in G1, Q_i in G2).
PairingCheck: TypeAlias = tuple[str, Sequence[tuple[G1Point, G2Point]]]


def _product_is_one(pairs: Sequence[tuple[_Ecc, _Ecc]]) -> bool:
    """Return whether prod e(P, Q) over py_ecc (P, Q) pairs is 1, with one exponentiation."""
    f = FQ12.one()
    for p1, q2 in pairs:
        f = f * pairing(q2, p1, final_exponentiate=False)
    return bool(final_exponentiate(f) == FQ12.one())


def _merged(weighted: Sequence[tuple[int, G1Point, G2Point]]) -> list[tuple[_Ecc, _Ecc]]:
    """Return the pairs (sum of weight·P over equal Q, Q): one Miller loop per distinct Q."""
    sums: dict[G2Point, _Ecc] = {}
    for weight, p1, q2 in weighted:
        sums[q2] = add(sums.get(q2, Z1), multiply(_g1_ecc(p1), weight))
    return [(p1, _g2_ecc(q2)) for q2, p1 in sums.items()]


def _py_ecc_g2_in_subgroup(point: G2Point) -> bool:
    return _g2_on_curve(point) and _g2_in_subgroup(point)


#: py_ecc's pairing and curve arithmetic (~0.4 s a pairing): a reference for tests.
PY_ECC_OPS = CurveOps(
    weighted_product_is_one=lambda weighted: _product_is_one(_merged(weighted)),
    g2_in_subgroup=_py_ecc_g2_in_subgroup,
    g1_mul=lambda point, k: g1_from_ecc(multiply(_g1_ecc(point), k)),
    g2_mul_unreduced=lambda point, k: g2_from_ecc(multiply(_g2_ecc(point), k)),
)


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
