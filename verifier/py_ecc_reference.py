"""py_ecc's BN254 pairing and point conversions: the reference the fast code is tested
against (``PY_ECC_OPS``, ~0.4 s a pairing), and conversions for vector makers.

Imported only on first use (``verifier.ceremony_crypto.__getattr__``): the verifier's own
checks never need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.fields import optimized_bn128_FQ12 as FQ12
from py_ecc.optimized_bn128.optimized_curve import Z1, Z2, add, is_inf, multiply, normalize
from py_ecc.optimized_bn128.optimized_pairing import final_exponentiate, pairing

from verifier.bn254 import CurveOps
from verifier.groth16 import G1Point, G2Point, _g2_in_subgroup, _g2_on_curve

_Ecc: TypeAlias = Any


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
