"""The publisher's pairing-product checks: ``verifier.bn254``'s code on gmpy2 integers.

The verifier's pairing (``verifier.bn254``: tower arithmetic, prepared-line Miller loop,
exact final exponentiation, G2 subgroup check) is written on plain ints so that it runs in
Pyodide. The publisher runs the same source once more as a private module whose integers
are gmpy2's ``mpz`` (``_INTEGER``, see ``verifier.bn254``): products and reductions cost
less there, so the same checks take about half the time in CPython, with no second
implementation to keep in step. ``FAST_OPS`` combines it with the publisher's own G1 sums
(native MSMs where built, ``publisher.snark.msm.msm_g1``) and gmpy2 scalar
multiplications; ``zkpor verify`` and the ceremony steps inject it into the verifier.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from gmpy2 import mpz

import verifier.bn254
from publisher.snark.curve import G1, G2, g1_mul, g2_mul_unreduced
from publisher.snark.msm import msm_g1
from verifier.bn254 import CurveOps

_MODULE = "publisher.snark._bn254_gmpy2"


def _gmpy2_bn254() -> ModuleType:
    """Return ``verifier.bn254`` executed anew with ``_INTEGER = mpz``, as ``_MODULE``."""
    spec = importlib.util.spec_from_file_location(_MODULE, verifier.bn254.__file__)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {verifier.bn254.__file__}")
    module = importlib.util.module_from_spec(spec)
    module.__dict__["_INTEGER"] = mpz
    sys.modules[_MODULE] = module  # the dataclasses of the module look themselves up here
    spec.loader.exec_module(module)
    if not isinstance(module.P, type(mpz(0))):
        raise ImportError("verifier.bn254 did not take gmpy2 integers")
    return module


#: ``verifier.bn254`` on mpz: same functions, same answers (booleans; its points are mpz).
BN254: Any = _gmpy2_bn254()


def _g1(point: G1) -> G1:
    """Plain-int coordinates (``verifier.bn254`` takes ints, and publisher code may hold mpz)."""
    return None if point is None else (int(point[0]), int(point[1]))


def _g2(point: G2) -> G2:
    if point is None:
        return None
    (x0, x1), (y0, y1) = point
    return (int(x0), int(x1)), (int(y0), int(y1))


def weighted_product_is_one(weighted: Sequence[tuple[int, G1, G2]]) -> bool:
    """Return whether prod e(w_i P_i, Q_i) = 1 (``verifier.bn254.weighted_product_is_one``
    on mpz, the weighted G1 sums by ``msm_g1``)."""
    plain = [(int(w), _g1(p1), _g2(q2)) for w, p1, q2 in weighted]
    return bool(BN254.weighted_product_is_one(plain, msm=msm_g1))


def product_is_one(pairs: Sequence[tuple[G1, G2]]) -> bool:
    """Return whether prod e(P_i, Q_i) = 1 (P_i on the curve, Q_i in G2)."""
    return weighted_product_is_one([(1, p1, q2) for p1, q2 in pairs])


def g2_in_subgroup(point: G2) -> bool:
    """Return whether ``point`` is on the twist and in G2 (``verifier.bn254``'s check)."""
    return bool(BN254.g2_in_subgroup(_g2(point)))


#: The curve operations of the verifier's checks with the publisher's fast code.
FAST_OPS = CurveOps(
    weighted_product_is_one=weighted_product_is_one,
    g2_in_subgroup=g2_in_subgroup,
    g1_mul=g1_mul,
    g2_mul_unreduced=g2_mul_unreduced,
)
