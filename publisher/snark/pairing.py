"""Pairing-product checks on BN254 with gmpy2, for the publisher's ceremony checks.

``py_ecc`` computes a pairing in ~0.4 s (its Fp12 is a generic polynomial ring); the
ceremony checks need hundreds. This module answers only "is prod e(P_i, Q_i) = 1?",
which is all a verifier ever asks, about 15x faster:

* Fp12 = Fp2[w]/(w^6 - xi), xi = 9 + u, elements as 6 Fp2 coefficients; products are
  accumulated unreduced and reduced once per coefficient;
* the optimal ate Miller loop over 6x + 2 on affine twist points, all pairs in lock step
  (one Fp12 squaring per step for the whole product). With the untwist
  ``(x, y) -> (x w^2, y w^3)`` the line through T with slope lambda (in Fp2), evaluated
  at P = (xP, yP), is ``yP - lambda xP w + (lambda xT - yT) w^3``: a sparse element;
  vertical lines lie in Fp6 and are dropped (the final exponentiation kills them);
* the final check without inversion: f^((p^12-1)/r) = 1 iff h^(p^6) = h for
  ``h = (f^(p^2) f)^((p^4 - p^2 + 1)/r)``, and ^(p^6) negates the odd coefficients.

``verifier.ceremony_crypto`` keeps the py_ecc version, which runs in Pyodide; the tests
check that both agree. Inputs must be valid (G1 on the curve, Q in G2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gmpy2 import mpz

from publisher.snark.curve import (
    G1,
    G2,
    P_MPZ,
    fp2_inv,
    fp2_mul,
    fp2_pow,
    g2_is_in_subgroup,
    g2_mul_unreduced,
    g2_neg,
    g2_psi,
)
from publisher.snark.curve import g1_mul as _g1_mul
from publisher.snark.msm import msm_g1
from verifier.ceremony_crypto import CurveOps
from verifier.field import P, R

Fp2 = tuple[Any, Any]
Fp12 = tuple[Fp2, Fp2, Fp2, Fp2, Fp2, Fp2]

#: 6x + 2, the optimal ate loop count of BN254 (its top bit is the initial T = Q).
ATE_LOOP_COUNT = 29793968203157093288
_XI: Fp2 = (9, 1)
_ZERO2: Fp2 = (mpz(0), mpz(0))
_ONE12: Fp12 = ((mpz(1), mpz(0)), _ZERO2, _ZERO2, _ZERO2, _ZERO2, _ZERO2)
#: w^(p^2) = gamma w: the p^2-power Frobenius multiplies coefficient i by gamma^i.
_GAMMA = fp2_pow(_XI, (P * P - 1) // 6)
_GAMMA_POWERS = [fp2_pow(_GAMMA, i) for i in range(6)]
_HARD = (P**4 - P**2 + 1) // R
if fp2_pow(_XI, (P**6 - 1) // 6) != (P - 1, 0):  # w^(p^6) = -w: checked once, at import
    raise ArithmeticError("unexpected Frobenius constant for BN254")


def _reduce(re: list[Any], im: list[Any]) -> Fp12:
    """Fold degrees 6..10 with w^6 = xi = 9 + u and reduce every coefficient mod p."""
    p = P_MPZ
    for d in range(len(re) - 1, 5, -1):
        r, i = re[d], im[d]
        re[d - 6] += 9 * r - i
        im[d - 6] += r + 9 * i
    c0, c1, c2, c3, c4, c5 = ((re[k] % p, im[k] % p) for k in range(6))
    return c0, c1, c2, c3, c4, c5


def f12_mul(a: Fp12, b: Fp12) -> Fp12:
    """Return a·b in Fp12 (36 Fp2 products, accumulated unreduced)."""
    re = [0] * 11
    im = [0] * 11
    for i, (a0, a1) in enumerate(a):
        if not (a0 or a1):
            continue
        for j, (b0, b1) in enumerate(b):
            re[i + j] += a0 * b0 - a1 * b1
            im[i + j] += a0 * b1 + a1 * b0
    return _reduce(re, im)


def f12_sqr(a: Fp12) -> Fp12:
    """Return a^2 in Fp12 (21 Fp2 products)."""
    re = [0] * 11
    im = [0] * 11
    for i, (a0, a1) in enumerate(a):
        re[2 * i] += a0 * a0 - a1 * a1
        im[2 * i] += 2 * a0 * a1
        for j in range(i + 1, 6):
            b0, b1 = a[j]
            re[i + j] += 2 * (a0 * b0 - a1 * b1)
            im[i + j] += 2 * (a0 * b1 + a1 * b0)
    return _reduce(re, im)


def _mul_line(f: Fp12, l0: Any, l1: Fp2, l3: Fp2) -> Fp12:
    """Return f·(l0 + l1 w + l3 w^3) with l0 in Fp."""
    re = [0] * 11
    im = [0] * 11
    for i, (a0, a1) in enumerate(f):
        re[i] += a0 * l0
        im[i] += a1 * l0
        re[i + 1] += a0 * l1[0] - a1 * l1[1]
        im[i + 1] += a0 * l1[1] + a1 * l1[0]
        re[i + 3] += a0 * l3[0] - a1 * l3[1]
        im[i + 3] += a0 * l3[1] + a1 * l3[0]
    return _reduce(re, im)


def _frobenius_p2(f: Fp12) -> Fp12:
    c0, c1, c2, c3, c4, c5 = (fp2_mul(c, g) for c, g in zip(f, _GAMMA_POWERS, strict=True))
    return c0, c1, c2, c3, c4, c5


def _f12_pow(f: Fp12, e: int) -> Fp12:
    result = _ONE12
    for bit in bin(e)[2:]:
        result = f12_sqr(result)
        if bit == "1":
            result = f12_mul(result, f)
    return result


def _final_exponentiation_is_one(f: Fp12) -> bool:
    """Return whether f^((p^12 - 1)/r) = 1 (see the module docstring)."""
    h = _f12_pow(f12_mul(_frobenius_p2(f), f), _HARD)
    conj = tuple(c if i % 2 == 0 else ((-c[0]) % P_MPZ, (-c[1]) % P_MPZ) for i, c in enumerate(h))
    return conj == h


class _Pair:
    """One pair's state in the lock-step Miller loop: P, Q and the running point T.

    ``t`` becomes None when T + q is vertical (T = -q): only after the last line.
    """

    def __init__(self, xp: Any, yp: Any, q: tuple[Fp2, Fp2]) -> None:
        self.xp, self.yp, self.q = xp, yp, q
        self.t: tuple[Fp2, Fp2] | None = q

    def _line(self, lam: Fp2, xt: Fp2, yt: Fp2) -> tuple[Any, Fp2, Fp2]:
        p = P_MPZ
        l1 = ((-lam[0] * self.xp) % p, (-lam[1] * self.xp) % p)
        lx = fp2_mul(lam, xt)
        return self.yp, l1, ((lx[0] - yt[0]) % p, (lx[1] - yt[1]) % p)

    def _step(self, lam: Fp2, t: tuple[Fp2, Fp2], x2: Fp2) -> tuple[Any, Fp2, Fp2]:
        """Return the line of slope lam through T and set T to the third point's negation."""
        (x1, y1) = t
        p = P_MPZ
        line = self._line(lam, x1, y1)
        ll = fp2_mul(lam, lam)
        x3 = ((ll[0] - x1[0] - x2[0]) % p, (ll[1] - x1[1] - x2[1]) % p)
        ly = fp2_mul(lam, ((x1[0] - x3[0]) % p, (x1[1] - x3[1]) % p))
        self.t = (x3, ((ly[0] - y1[0]) % p, (ly[1] - y1[1]) % p))
        return line

    def double(self, t: tuple[Fp2, Fp2]) -> tuple[Any, Fp2, Fp2]:
        """Return the tangent line at T (at P) and set T = 2T."""
        (x0, x1), (y0, y1) = t
        p = P_MPZ
        num = (3 * (x0 + x1) * (x0 - x1) % p, 6 * x0 * x1 % p)
        return self._step(fp2_mul(num, fp2_inv((2 * y0, 2 * y1))), t, t[0])

    def add(self, t: tuple[Fp2, Fp2], q: tuple[Fp2, Fp2]) -> tuple[Any, Fp2, Fp2] | None:
        """Return the line through T and q (None if vertical) and set T = T + q."""
        (x1, y1), (x2, y2) = t, q
        p = P_MPZ
        dx = ((x2[0] - x1[0]) % p, (x2[1] - x1[1]) % p)
        if not (dx[0] or dx[1]):
            if y1 == y2:
                return self.double(t)
            self.t = None  # T = -q: a vertical line, in Fp6, killed by the exponentiation
            return None
        lam = fp2_mul(((y2[0] - y1[0]) % p, (y2[1] - y1[1]) % p), fp2_inv(dx))
        return self._step(lam, t, x2)


def _mpz2(q: G2) -> tuple[Fp2, Fp2]:
    if q is None:
        raise ValueError("the point at infinity has no affine coordinates")
    (x0, x1), (y0, y1) = q
    return (mpz(x0), mpz(x1)), (mpz(y0), mpz(y1))


def _plain(q: tuple[Fp2, Fp2]) -> G2:
    return (int(q[0][0]), int(q[0][1])), (int(q[1][0]), int(q[1][1]))


def miller_product(pairs: Sequence[tuple[G1, G2]]) -> Fp12:
    """Return the product of the optimal ate Miller loops f_(6x+2,Q)(P) with the two
    Frobenius lines, before the final exponentiation; pairs with infinity count as 1."""
    states = [
        _Pair(mpz(p1[0]), mpz(p1[1]), _mpz2(q2))
        for p1, q2 in pairs
        if p1 is not None and q2 is not None
    ]
    f = _ONE12
    for i in range(ATE_LOOP_COUNT.bit_length() - 2, -1, -1):
        f = f12_sqr(f)
        for s in states:
            if s.t is not None:
                f = _mul_line(f, *s.double(s.t))
        if (ATE_LOOP_COUNT >> i) & 1:
            for s in states:
                line = None if s.t is None else s.add(s.t, s.q)
                if line is not None:
                    f = _mul_line(f, *line)
    for s in states:
        q1 = g2_psi(_plain(s.q))
        for q in (q1, g2_neg(g2_psi(q1))):
            line = None if s.t is None or q is None else s.add(s.t, _mpz2(q))
            if line is not None:
                f = _mul_line(f, *line)
    return f


def product_is_one(pairs: Sequence[tuple[G1, G2]]) -> bool:
    """Return whether prod e(P_i, Q_i) = 1 (P_i on G1's curve, Q_i in G2)."""
    return _final_exponentiation_is_one(miller_product(pairs))


def weighted_product_is_one(weighted: Sequence[tuple[int, G1, G2]]) -> bool:
    """Return whether prod e(w_i P_i, Q_i) = 1, summing the w_i P_i of equal Q_i first."""
    groups: dict[G2, tuple[list[G1], list[int]]] = {}
    for weight, p1, q2 in weighted:
        points, weights = groups.setdefault(q2, ([], []))
        points.append(p1)
        weights.append(weight)
    return product_is_one([(msm_g1(ps, ws), q2) for q2, (ps, ws) in groups.items()])


#: The curve operations of ``verifier.ceremony_crypto`` with the publisher's fast code.
FAST_OPS = CurveOps(
    weighted_product_is_one=weighted_product_is_one,
    g2_in_subgroup=g2_is_in_subgroup,
    g1_mul=_g1_mul,
    g2_mul_unreduced=g2_mul_unreduced,
)
