"""BN254 pairings and curve arithmetic in pure Python on plain ints, for the verifier.

``verifier/`` runs in CPython and in Pyodide, so this module uses nothing but the standard
library: every field element is a Python ``int`` (or a tuple of them), never an object.
In CPython a 254-bit product costs about as much as 6-9 additions and a reduction ``% p``
of a product more than a product, so the code is written to do few of both: Karatsuba
products at every level of the tower, sums of unreduced products reduced once per
output coefficient (Python's ints do not overflow), operands that are sums of a few
reduced values (still 9 30-bit digits), and flat functions on tuples.

* Fp2 = Fp[u]/(u^2 + 1); Fp6 = Fp2[v]/(v^3 - xi), xi = 9 + u; Fp12 = Fp6[w]/(w^2 - v).
  An Fp12 element is a flat 12-tuple ``(g0, g1, g2, h0, h1, h2)`` of Fp2 pairs for
  ``g + h w``, ``g = g0 + g1 v + g2 v^2``; in powers of w its coefficients are
  g0, h0, g1, h1, g2, h2 for w^0 .. w^5.
* The optimal ate pairing e(P, Q) = (f_{6x+2,Q}(P) l_{T,psi(Q)}(P) l_{T',-psi^2(Q)}(P))
  ^((p^12-1)/r), with the untwist ``(x, y) -> (x w^2, y w^3)`` (py_ecc's: the values are
  equal to py_ecc's ``pairing``). The Miller loop runs over the NAF of 6x + 2 in
  homogeneous projective coordinates on the twist (no inversion); each line is
  ``c0 (-yP) + c1 xP w + c3 w^3``, three Fp2 coefficients that depend on Q alone, so a G2
  point is ``prepare``d once into its list of line coefficients and a Miller loop then
  costs Fp12 squarings and sparse products only. ``miller_loop`` runs any number of
  pairs in lock step, one f and one squaring per step for the whole product.
  Factors in proper subfields (vertical lines, Fp2 scalings of a line) are dropped: the
  final exponentiation maps them to 1.
* The final exponentiation: the easy part (p^6 - 1)(p^2 + 1) with one inversion and
  Frobenius maps; the hard part (p^4 - p^2 + 1)/r exactly (not a multiple of it), as
  l0 + l1 p + l2 p^2 + l3 p^3 with the l_i polynomials in x (Scott, Benger, Charlemagne,
  Dominguez Perez, Kachisa, "On the final exponentiation for calculating pairings on
  ordinary elliptic curves", 2009): three exponentiations by x (width-4 NAF, Granger-Scott
  cyclotomic squarings), Frobenius maps and 13 more products.
* G1 and G2 arithmetic in Jacobian coordinates (wNAF scalar multiplication, tables made
  affine with one shared inversion), a Straus multi-scalar multiplication for the
  weighted sums of a batched check, and the G2 subgroup check
  [x+1]Q + psi([x]Q) + psi^2([x]Q) = psi^3([2x]Q) of Dai, Lin, Zhao and Zhou (eprint
  2022/348, section 5.1; valid for BN254 since x != 4 mod 13 and x != 92 mod 97):
  one 63-bit multiplication.
* ``PURE_OPS``: these operations as ``CurveOps``, the default of ``verifier.groth16`` and
  of the ceremony checks. Prepared lines of recently used G2 points are kept (a small
  LRU keyed by the point), so a verifying key's beta, gamma and delta are prepared once
  and reused by every proof and every chunk of a check; points found to be in G2 are
  remembered too.

Inputs and outputs are plain ints (affine points as ``verifier.groth16`` stores them).

Soundness: the pairing is bilinear only on G1 x G2, so ``weighted_product_is_one``
refuses (``ValueError``) a G1 point off the curve or a G2 point outside the subgroup,
even though its callers check them first; G1 has cofactor 1, so on the curve is enough.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

from verifier.field import P as _P
from verifier.field import R

#: The integer type the arithmetic runs on: Python's ``int`` here. The publisher runs this
#: module's code a second time on gmpy2's ``mpz`` (faster products and reductions in
#: CPython) by setting ``_INTEGER`` in the module's namespace before executing it
#: (``publisher.snark.pairing``); everything below then computes in that type, since
#: every value passes through ``% P``. The verifier itself never does.
_INTEGER: Callable[[int], int] = globals().get("_INTEGER", int)
#: The base field modulus p, as ``_INTEGER``.
P = _INTEGER(_P)

G1Point: TypeAlias = tuple[int, int] | None
G2Point: TypeAlias = tuple[tuple[int, int], tuple[int, int]] | None
Fp2: TypeAlias = tuple[int, int]
Fp6: TypeAlias = tuple[int, int, int, int, int, int]
Fp12: TypeAlias = tuple[int, int, int, int, int, int, int, int, int, int, int, int]
#: One line's coefficients (c0, c1, c3) as 6 ints; the line at P is
#: ``c0 (-yP) + c1 xP w + c3 w^3``. Lines scaled to c3 = 1 (``_unit_lines``) keep 4 ints.
Line: TypeAlias = tuple[int, ...]
Lines: TypeAlias = tuple[Line, ...]
_Jac: TypeAlias = tuple[int, int, int]
_Jac2: TypeAlias = tuple[int, int, int, int, int, int]

#: The BN parameter x (often called u): p = 36x^4 + 36x^3 + 24x^2 + 6x + 1.
X = 4965661367192848881
#: The optimal ate loop count.
ATE_LOOP_COUNT = 6 * X + 2
#: The twist's coefficient b' = 3/(9 + u): E'(Fp2): y^2 = x^3 + b'.
TWIST_B: Fp2 = (
    19485874751759354771024239261021720505790618469301721065564631296452457478373,
    266929791119991161246907387137283842545076965332900288569378510910307636690,
)
G1_GENERATOR: tuple[int, int] = (1, 2)
G2_GENERATOR: tuple[tuple[int, int], tuple[int, int]] = (
    (
        10857046999023057135944570762232829481370756359578518086990519993285655852781,
        11559732032986387107991004021392285783925812861821192530917403151452391805634,
    ),
    (
        8495653923123431417604973247489272438418190587263600148770280649306958101930,
        4082367875863433681332203403145435568316851327593401208105741076214120093531,
    ),
)

ONE: Fp12 = (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


# --- Fp2 on pairs (reduced), for the code that is not hot ---------------------------------


def _f2_mul(a: Fp2, b: Fp2) -> Fp2:
    m0, m1 = a[0] * b[0], a[1] * b[1]
    return (m0 - m1) % P, ((a[0] + a[1]) * (b[0] + b[1]) - m0 - m1) % P


def _f2_sqr(a: Fp2) -> Fp2:
    return (a[0] + a[1]) * (a[0] - a[1]) % P, 2 * a[0] * a[1] % P


def _f2_inv(a: Fp2) -> Fp2:
    """1/(a0 + a1 u) = (a0 - a1 u)/(a0^2 + a1^2); -1 is not a square mod p, so the norm
    vanishes only at 0."""
    norm = (a[0] * a[0] + a[1] * a[1]) % P
    if not norm:
        raise ZeroDivisionError("inverse of 0 in Fp2")
    t = pow(norm, -1, P)
    return a[0] * t % P, -a[1] * t % P


def _f2_pow(a: Fp2, e: int) -> Fp2:
    result: Fp2 = (1, 0)
    while e:
        if e & 1:
            result = _f2_mul(result, a)
        a = _f2_sqr(a)
        e >>= 1
    return result


_XI: Fp2 = (9, 1)
#: psi(x, y) = (conj(x) PSI_X, conj(y) PSI_Y): untwist, Frobenius, twist.
PSI_X = _f2_pow(_XI, (P - 1) // 3)
PSI_Y = _f2_pow(_XI, (P - 1) // 2)
#: w^(p^n) = w xi^((p^n - 1)/6): the p^n-power Frobenius multiplies the coefficient of
#: w^k by _FROB[n][k] (after conjugating it for odd n).
_FROB = {n: tuple(_f2_pow(_XI, k * (P**n - 1) // 6) for k in range(6)) for n in (1, 2, 3)}
if _f2_mul(TWIST_B, _XI) != (3, 0) or _f2_pow(_XI, (P**6 - 1) // 6) != (P - 1, 0):
    raise ArithmeticError("unexpected BN254 constants")  # checked once, at import


# --- Fp6 and Fp12 -------------------------------------------------------------------------


def _f6_mul(a: Fp6, b: Fp6) -> Fp6:
    """Return the unreduced product of two Fp6 elements (Karatsuba over Fp2, 18 products).

    With t_i = a_i b_i: c0 = t0 + xi((a1 + a2)(b1 + b2) - t1 - t2),
    c1 = (a0 + a1)(b0 + b1) - t0 - t1 + xi t2, c2 = (a0 + a2)(b0 + b2) - t0 - t2 + t1;
    xi (x + y u) = (9x - y) + (x + 9y) u.
    """
    a0, a1, a2, a3, a4, a5 = a
    b0, b1, b2, b3, b4, b5 = b
    m0 = a0 * b0
    m1 = a1 * b1
    t0r = m0 - m1
    t0i = (a0 + a1) * (b0 + b1) - m0 - m1
    m0 = a2 * b2
    m1 = a3 * b3
    t1r = m0 - m1
    t1i = (a2 + a3) * (b2 + b3) - m0 - m1
    m0 = a4 * b4
    m1 = a5 * b5
    t2r = m0 - m1
    t2i = (a4 + a5) * (b4 + b5) - m0 - m1
    x0 = a2 + a4
    x1 = a3 + a5
    y0 = b2 + b4
    y1 = b3 + b5
    m0 = x0 * y0
    m1 = x1 * y1
    sr = m0 - m1 - t1r - t2r
    si = (x0 + x1) * (y0 + y1) - m0 - m1 - t1i - t2i
    c0r = t0r + 9 * sr - si
    c0i = t0i + sr + 9 * si
    x0 = a0 + a2
    x1 = a1 + a3
    y0 = b0 + b2
    y1 = b1 + b3
    m0 = x0 * y0
    m1 = x1 * y1
    c1r = m0 - m1 - t0r - t1r + 9 * t2r - t2i
    c1i = (x0 + x1) * (y0 + y1) - m0 - m1 - t0i - t1i + t2r + 9 * t2i
    x0 = a0 + a4
    x1 = a1 + a5
    y0 = b0 + b4
    y1 = b1 + b5
    m0 = x0 * y0
    m1 = x1 * y1
    c2r = m0 - m1 - t0r - t2r + t1r
    c2i = (x0 + x1) * (y0 + y1) - m0 - m1 - t0i - t2i + t1i
    return c0r, c0i, c1r, c1i, c2r, c2i


def fp12_mul(a: Fp12, b: Fp12) -> Fp12:
    """Return a b: (g + h w)(g' + h' w) = (g g' + v h h') + ((g + h)(g' + h') - g g' - h h') w,
    three Fp6 products (54 Fp products), 12 reductions."""
    a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 = a
    b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11 = b
    g0, g1, g2, g3, g4, g5 = _f6_mul((a0, a1, a2, a3, a4, a5), (b0, b1, b2, b3, b4, b5))
    h0, h1, h2, h3, h4, h5 = _f6_mul((a6, a7, a8, a9, a10, a11), (b6, b7, b8, b9, b10, b11))
    s0, s1, s2, s3, s4, s5 = _f6_mul(
        (a0 + a6, a1 + a7, a2 + a8, a3 + a9, a4 + a10, a5 + a11),
        (b0 + b6, b1 + b7, b2 + b8, b3 + b9, b4 + b10, b5 + b11),
    )
    # v (h0 + h1 v + h2 v^2) = xi h2 + h0 v + h1 v^2
    return (
        (g0 + 9 * h4 - h5) % P,
        (g1 + h4 + 9 * h5) % P,
        (g2 + h0) % P,
        (g3 + h1) % P,
        (g4 + h2) % P,
        (g5 + h3) % P,
        (s0 - g0 - h0) % P,
        (s1 - g1 - h1) % P,
        (s2 - g2 - h2) % P,
        (s3 - g3 - h3) % P,
        (s4 - g4 - h4) % P,
        (s5 - g5 - h5) % P,
    )


def fp12_sqr(a: Fp12) -> Fp12:
    """Return a^2 = (g + h w)^2 = ((g + h)(g + v h) - gh - v gh) + 2 gh w: two Fp6
    products (36 Fp products)."""
    a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 = a
    m0, m1, m2, m3, m4, m5 = _f6_mul((a0, a1, a2, a3, a4, a5), (a6, a7, a8, a9, a10, a11))
    # g + v h = (g0 + xi h2, g1 + h0, g2 + h1)
    s0, s1, s2, s3, s4, s5 = _f6_mul(
        (a0 + a6, a1 + a7, a2 + a8, a3 + a9, a4 + a10, a5 + a11),
        (a0 + 9 * a10 - a11, a1 + a10 + 9 * a11, a2 + a6, a3 + a7, a4 + a8, a5 + a9),
    )
    return (
        (s0 - m0 - 9 * m4 + m5) % P,
        (s1 - m1 - m4 - 9 * m5) % P,
        (s2 - m2 - m0) % P,
        (s3 - m3 - m1) % P,
        (s4 - m4 - m2) % P,
        (s5 - m5 - m3) % P,
        2 * m0 % P,
        2 * m1 % P,
        2 * m2 % P,
        2 * m3 % P,
        2 * m4 % P,
        2 * m5 % P,
    )


def fp12_conj(a: Fp12) -> Fp12:
    """Return a^(p^6) = g - h w: the inverse of an element of the cyclotomic subgroup."""
    a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 = a
    return a0, a1, a2, a3, a4, a5, -a6 % P, -a7 % P, -a8 % P, -a9 % P, -a10 % P, -a11 % P


def _f6_reduce(a: Fp6) -> Fp6:
    a0, a1, a2, a3, a4, a5 = a
    return a0 % P, a1 % P, a2 % P, a3 % P, a4 % P, a5 % P


def _f6_inv(a: Fp6) -> Fp6:
    """1/(a0 + a1 v + a2 v^2) = (t0 + t1 v + t2 v^2)/N with t0 = a0^2 - xi a1 a2,
    t1 = xi a2^2 - a0 a1, t2 = a1^2 - a0 a2 and N = a0 t0 + xi (a2 t1 + a1 t2)."""
    x0, x1, x2 = (a[0], a[1]), (a[2], a[3]), (a[4], a[5])

    def sub(u: Fp2, v: Fp2) -> Fp2:
        return (u[0] - v[0]) % P, (u[1] - v[1]) % P

    def add(u: Fp2, v: Fp2) -> Fp2:
        return (u[0] + v[0]) % P, (u[1] + v[1]) % P

    t0 = sub(_f2_sqr(x0), _f2_mul(_XI, _f2_mul(x1, x2)))
    t1 = sub(_f2_mul(_XI, _f2_sqr(x2)), _f2_mul(x0, x1))
    t2 = sub(_f2_sqr(x1), _f2_mul(x0, x2))
    norm = add(_f2_mul(x0, t0), _f2_mul(_XI, add(_f2_mul(x2, t1), _f2_mul(x1, t2))))
    n = _f2_inv(norm)
    c0, c1, c2 = _f2_mul(t0, n), _f2_mul(t1, n), _f2_mul(t2, n)
    return c0[0], c0[1], c1[0], c1[1], c2[0], c2[1]


def fp12_inv(a: Fp12) -> Fp12:
    """Return 1/a = (g - h w)/(g^2 - v h^2); ``ZeroDivisionError`` for 0."""
    g, h = a[:6], a[6:]
    gg = _f6_mul(g, g)
    hh = _f6_mul(h, h)
    # g^2 - v h^2, v (h0, h1, h2) = (xi h2, h0, h1)
    t = _f6_reduce(
        (
            gg[0] - 9 * hh[4] + hh[5],
            gg[1] - hh[4] - 9 * hh[5],
            gg[2] - hh[0],
            gg[3] - hh[1],
            gg[4] - hh[2],
            gg[5] - hh[3],
        )
    )
    ti = _f6_inv(t)
    c = _f6_reduce(_f6_mul(g, ti))
    d = _f6_reduce(_f6_mul(h, ti))
    return (
        c[0],
        c[1],
        c[2],
        c[3],
        c[4],
        c[5],
        -d[0] % P,
        -d[1] % P,
        -d[2] % P,
        -d[3] % P,
        -d[4] % P,
        -d[5] % P,
    )


#: Position in the flat tuple of the Fp2 coefficient of w^k, k = 0 .. 5.
_W_SLOT = (0, 6, 2, 8, 4, 10)


def fp12_frobenius(a: Fp12, n: int) -> Fp12:
    """Return a^(p^n) for n in 1, 2, 3: the coefficient c_k of w^k becomes
    conj^n(c_k) xi^(k (p^n - 1)/6)."""
    constants = _FROB[n]
    out = list(a)
    for k in range(1, 6):
        i = _W_SLOT[k]
        c0, c1 = a[i], a[i + 1] if n % 2 == 0 else -a[i + 1]
        g0, g1 = constants[k]
        m0, m1 = c0 * g0, c1 * g1
        out[i] = (m0 - m1) % P
        out[i + 1] = ((c0 + c1) * (g0 + g1) - m0 - m1) % P
    if n % 2:
        out[1] = -a[1] % P
    return tuple(out)  # type: ignore[return-value]


def cyclotomic_sqr(a: Fp12) -> Fp12:
    """Return a^2 for a in the cyclotomic subgroup (a^(p^6 + 1)... = 1 after the easy part).

    Granger-Scott: viewing Fp12 as Fp4^3 with Fp4 = Fp2[y]/(y^2 - xi), the pairs
    (g0, h1), (h0, g2), (g1, h2) are squared in Fp4, (z0 + z1 y)^2 = t0 + t1 y with
    t1 = 2 z0 z1, t0 = (z0 + z1)(z0 + xi z1) - z0 z1 - xi z0 z1; then
    g0 = 3 t0 - 2 g0, h1 = 3 t1 + 2 h1 (first pair), h0 = 3 xi t5 + 2 h0,
    g2 = 3 t4 - 2 g2 (third pair: t4, t5), g1 = 3 t2 - 2 g1, h2 = 3 t3 + 2 h2 (second
    pair: t2, t3). 18 Fp products.
    """
    g0r, g0i, g1r, g1i, g2r, g2i, h0r, h0i, h1r, h1i, h2r, h2i = a
    # (g0 + h1 y)^2 -> (t0, t1)
    m0 = g0r * h1r
    m1 = g0i * h1i
    pr = m0 - m1
    pi = (g0r + g0i) * (h1r + h1i) - m0 - m1
    x0 = g0r + h1r
    x1 = g0i + h1i
    y0 = g0r + 9 * h1r - h1i
    y1 = g0i + h1r + 9 * h1i
    m0 = x0 * y0
    m1 = x1 * y1
    t0r = m0 - m1 - pr - 9 * pr + pi
    t0i = (x0 + x1) * (y0 + y1) - m0 - m1 - pi - pr - 9 * pi
    t1r = 2 * pr
    t1i = 2 * pi
    # (h0 + g2 y)^2 -> (t2, t3)
    m0 = h0r * g2r
    m1 = h0i * g2i
    pr = m0 - m1
    pi = (h0r + h0i) * (g2r + g2i) - m0 - m1
    x0 = h0r + g2r
    x1 = h0i + g2i
    y0 = h0r + 9 * g2r - g2i
    y1 = h0i + g2r + 9 * g2i
    m0 = x0 * y0
    m1 = x1 * y1
    t2r = m0 - m1 - pr - 9 * pr + pi
    t2i = (x0 + x1) * (y0 + y1) - m0 - m1 - pi - pr - 9 * pi
    t3r = 2 * pr
    t3i = 2 * pi
    # (g1 + h2 y)^2 -> (t4, t5)
    m0 = g1r * h2r
    m1 = g1i * h2i
    pr = m0 - m1
    pi = (g1r + g1i) * (h2r + h2i) - m0 - m1
    x0 = g1r + h2r
    x1 = g1i + h2i
    y0 = g1r + 9 * h2r - h2i
    y1 = g1i + h2r + 9 * h2i
    m0 = x0 * y0
    m1 = x1 * y1
    t4r = m0 - m1 - pr - 9 * pr + pi
    t4i = (x0 + x1) * (y0 + y1) - m0 - m1 - pi - pr - 9 * pi
    t5r = 2 * pr
    t5i = 2 * pi
    return (
        (3 * t0r - 2 * g0r) % P,
        (3 * t0i - 2 * g0i) % P,
        (3 * t2r - 2 * g1r) % P,
        (3 * t2i - 2 * g1i) % P,
        (3 * t4r - 2 * g2r) % P,
        (3 * t4i - 2 * g2i) % P,
        (3 * (9 * t5r - t5i) + 2 * h0r) % P,
        (3 * (t5r + 9 * t5i) + 2 * h0i) % P,
        (3 * t1r + 2 * h1r) % P,
        (3 * t1i + 2 * h1i) % P,
        (3 * t3r + 2 * h2r) % P,
        (3 * t3i + 2 * h2i) % P,
    )


def _mul_by_line(f: Fp12, l0r: int, l0i: int, l1r: int, l1i: int, l3r: int, l3i: int) -> Fp12:
    """Return f (L0 + L1 w + L3 w^3): in the tower the line is (L0, 0, 0) + (L1, L3, 0) w.

    f l = (g L0 + v h B) + ((g + h) C - g L0 - h B) w with B = L1 + L3 v and
    C = L0 + L1 + L3 v: an Fp6-by-Fp2 product and two Fp6-by-(b0 + b1 v) products
    (Karatsuba, 5 Fp2 products each): 13 Fp2 products, 39 Fp products.
    """
    g0r, g0i, g1r, g1i, g2r, g2i, h0r, h0i, h1r, h1i, h2r, h2i = f
    # A = g L0
    s0 = l0r + l0i
    m0 = g0r * l0r
    m1 = g0i * l0i
    a0r = m0 - m1
    a0i = (g0r + g0i) * s0 - m0 - m1
    m0 = g1r * l0r
    m1 = g1i * l0i
    a1r = m0 - m1
    a1i = (g1r + g1i) * s0 - m0 - m1
    m0 = g2r * l0r
    m1 = g2i * l0i
    a2r = m0 - m1
    a2i = (g2r + g2i) * s0 - m0 - m1
    # B = h (L1 + L3 v): aa = h0 L1, bb = h1 L3, B0 = aa + xi ((h1 + h2) L3 - bb),
    # B1 = (h0 + h1)(L1 + L3) - aa - bb, B2 = (h0 + h2) L1 - aa + bb
    s1 = l1r + l1i
    s3 = l3r + l3i
    m0 = h0r * l1r
    m1 = h0i * l1i
    aar = m0 - m1
    aai = (h0r + h0i) * s1 - m0 - m1
    m0 = h1r * l3r
    m1 = h1i * l3i
    bbr = m0 - m1
    bbi = (h1r + h1i) * s3 - m0 - m1
    x0 = h1r + h2r
    x1 = h1i + h2i
    m0 = x0 * l3r
    m1 = x1 * l3i
    tr = m0 - m1 - bbr
    ti = (x0 + x1) * s3 - m0 - m1 - bbi
    b0r = aar + 9 * tr - ti
    b0i = aai + tr + 9 * ti
    x0 = h0r + h1r
    x1 = h0i + h1i
    y0 = l1r + l3r
    y1 = l1i + l3i
    m0 = x0 * y0
    m1 = x1 * y1
    b1r = m0 - m1 - aar - bbr
    b1i = (x0 + x1) * (y0 + y1) - m0 - m1 - aai - bbi
    x0 = h0r + h2r
    x1 = h0i + h2i
    m0 = x0 * l1r
    m1 = x1 * l1i
    b2r = m0 - m1 - aar + bbr
    b2i = (x0 + x1) * s1 - m0 - m1 - aai + bbi
    # C = (g + h)(K + L3 v), K = L0 + L1: the same product shape as B
    e0r = g0r + h0r
    e0i = g0i + h0i
    e1r = g1r + h1r
    e1i = g1i + h1i
    e2r = g2r + h2r
    e2i = g2i + h2i
    kr = l0r + l1r
    ki = l0i + l1i
    sk = kr + ki
    m0 = e0r * kr
    m1 = e0i * ki
    aar = m0 - m1
    aai = (e0r + e0i) * sk - m0 - m1
    m0 = e1r * l3r
    m1 = e1i * l3i
    bbr = m0 - m1
    bbi = (e1r + e1i) * s3 - m0 - m1
    x0 = e1r + e2r
    x1 = e1i + e2i
    m0 = x0 * l3r
    m1 = x1 * l3i
    tr = m0 - m1 - bbr
    ti = (x0 + x1) * s3 - m0 - m1 - bbi
    c0r = aar + 9 * tr - ti
    c0i = aai + tr + 9 * ti
    x0 = e0r + e1r
    x1 = e0i + e1i
    y0 = kr + l3r
    y1 = ki + l3i
    m0 = x0 * y0
    m1 = x1 * y1
    c1r = m0 - m1 - aar - bbr
    c1i = (x0 + x1) * (y0 + y1) - m0 - m1 - aai - bbi
    x0 = e0r + e2r
    x1 = e0i + e2i
    m0 = x0 * kr
    m1 = x1 * ki
    c2r = m0 - m1 - aar + bbr
    c2i = (x0 + x1) * sk - m0 - m1 - aai + bbi
    return (
        (a0r + 9 * b2r - b2i) % P,
        (a0i + b2r + 9 * b2i) % P,
        (a1r + b0r) % P,
        (a1i + b0i) % P,
        (a2r + b1r) % P,
        (a2i + b1i) % P,
        (c0r - a0r - b0r) % P,
        (c0i - a0i - b0i) % P,
        (c1r - a1r - b1r) % P,
        (c1i - a1i - b1i) % P,
        (c2r - a2r - b2r) % P,
        (c2i - a2i - b2i) % P,
    )


def _mul_by_unit_line(f: Fp12, l0r: int, l0i: int, l1r: int, l1i: int) -> Fp12:
    """Return f (L0 + L1 w + w^3): ``_mul_by_line`` with L3 = 1, whose products by L3
    vanish: h (L1 + v) = (h0 L1 + xi h2, h0 + h1 L1, h1 + h2 L1), the same for
    (g + h)(L0 + L1 + v): 9 Fp2 products, 27 Fp products."""
    g0r, g0i, g1r, g1i, g2r, g2i, h0r, h0i, h1r, h1i, h2r, h2i = f
    s0 = l0r + l0i
    m0 = g0r * l0r
    m1 = g0i * l0i
    a0r = m0 - m1
    a0i = (g0r + g0i) * s0 - m0 - m1
    m0 = g1r * l0r
    m1 = g1i * l0i
    a1r = m0 - m1
    a1i = (g1r + g1i) * s0 - m0 - m1
    m0 = g2r * l0r
    m1 = g2i * l0i
    a2r = m0 - m1
    a2i = (g2r + g2i) * s0 - m0 - m1
    s1 = l1r + l1i
    m0 = h0r * l1r
    m1 = h0i * l1i
    b0r = m0 - m1 + 9 * h2r - h2i
    b0i = (h0r + h0i) * s1 - m0 - m1 + h2r + 9 * h2i
    m0 = h1r * l1r
    m1 = h1i * l1i
    b1r = m0 - m1 + h0r
    b1i = (h1r + h1i) * s1 - m0 - m1 + h0i
    m0 = h2r * l1r
    m1 = h2i * l1i
    b2r = m0 - m1 + h1r
    b2i = (h2r + h2i) * s1 - m0 - m1 + h1i
    e0r = g0r + h0r
    e0i = g0i + h0i
    e1r = g1r + h1r
    e1i = g1i + h1i
    e2r = g2r + h2r
    e2i = g2i + h2i
    kr = l0r + l1r
    ki = l0i + l1i
    sk = kr + ki
    m0 = e0r * kr
    m1 = e0i * ki
    c0r = m0 - m1 + 9 * e2r - e2i
    c0i = (e0r + e0i) * sk - m0 - m1 + e2r + 9 * e2i
    m0 = e1r * kr
    m1 = e1i * ki
    c1r = m0 - m1 + e0r
    c1i = (e1r + e1i) * sk - m0 - m1 + e0i
    m0 = e2r * kr
    m1 = e2i * ki
    c2r = m0 - m1 + e1r
    c2i = (e2r + e2i) * sk - m0 - m1 + e1i
    return (
        (a0r + 9 * b2r - b2i) % P,
        (a0i + b2r + 9 * b2i) % P,
        (a1r + b0r) % P,
        (a1i + b0i) % P,
        (a2r + b1r) % P,
        (a2i + b1i) % P,
        (c0r - a0r - b0r) % P,
        (c0i - a0i - b0i) % P,
        (c1r - a1r - b1r) % P,
        (c1i - a1i - b1i) % P,
        (c2r - a2r - b2r) % P,
        (c2i - a2i - b2i) % P,
    )


# --- final exponentiation -----------------------------------------------------------------


def _naf(k: int) -> list[int]:
    """Return the non-adjacent form of k > 0, most significant digit first."""
    digits = []
    while k:
        if k & 1:
            d = 2 - (k & 3)
            k -= d
        else:
            d = 0
        digits.append(d)
        k >>= 1
    return digits[::-1]


def _cyclotomic_exp_x(a: Fp12) -> Fp12:
    """Return a^x for a in the cyclotomic subgroup: width-4 NAF of x (a, a^3, a^5, a^7
    and their inverses, which are conjugates), 63 squarings and 16 products."""
    a2 = cyclotomic_sqr(a)
    table = [a]
    for _ in range(3):
        table.append(fp12_mul(table[-1], a2))
    inverses = [fp12_conj(t) for t in table]
    digits = _X_WNAF
    result = table[digits[0] >> 1]
    for d in digits[1:]:
        result = cyclotomic_sqr(result)
        if d > 0:
            result = fp12_mul(result, table[d >> 1])
        elif d < 0:
            result = fp12_mul(result, inverses[-d >> 1])
    return result


def final_exponentiation(f: Fp12) -> Fp12:
    """Return f^((p^12 - 1)/r), the pairing value in GT; ``ZeroDivisionError`` for f = 0.

    (p^12 - 1)/r = (p^6 - 1)(p^2 + 1)(p^4 - p^2 + 1)/r. The hard part is exactly
    l0 + l1 p + l2 p^2 + l3 p^3 with l3 = 1, l2 = 6x^2 + 1, l1 = -36x^3 - 18x^2 - 12x + 1,
    l0 = -36x^3 - 30x^2 - 18x - 2, computed as y0 y1^2 y2^6 y3^12 y4^18 y5^30 y6^36 from
    f^x, f^(x^2), f^(x^3) and Frobenius maps (Scott et al. 2009, section 4).
    """
    f = fp12_mul(fp12_conj(f), fp12_inv(f))  # f^(p^6 - 1)
    f = fp12_mul(fp12_frobenius(f, 2), f)  # ^(p^2 + 1): now in the cyclotomic subgroup
    fx = _cyclotomic_exp_x(f)
    fx2 = _cyclotomic_exp_x(fx)
    fx3 = _cyclotomic_exp_x(fx2)
    y0 = fp12_mul(fp12_mul(fp12_frobenius(f, 1), fp12_frobenius(f, 2)), fp12_frobenius(f, 3))
    y1 = fp12_conj(f)
    y2 = fp12_frobenius(fx2, 2)
    y3 = fp12_conj(fp12_frobenius(fx, 1))
    y4 = fp12_conj(fp12_mul(fx, fp12_frobenius(fx2, 1)))
    y5 = fp12_conj(fx2)
    y6 = fp12_conj(fp12_mul(fx3, fp12_frobenius(fx3, 1)))
    t0 = fp12_mul(fp12_mul(cyclotomic_sqr(y6), y4), y5)
    t1 = fp12_mul(fp12_mul(y3, y5), t0)
    t0 = fp12_mul(t0, y2)
    t1 = cyclotomic_sqr(fp12_mul(cyclotomic_sqr(t1), t0))
    t0 = fp12_mul(t1, y1)
    t1 = fp12_mul(t1, y0)
    return fp12_mul(cyclotomic_sqr(t0), t1)


def gt_pow(a: Fp12, e: int) -> Fp12:
    """Return a^e for a in GT (or any element of the cyclotomic subgroup), e >= 0."""
    result = ONE
    for bit in bin(e)[2:] if e else "":
        result = cyclotomic_sqr(result)
        if bit == "1":
            result = fp12_mul(result, a)
    return result


# --- the Miller loop ----------------------------------------------------------------------

#: The NAF of 6x + 2 below its leading 1: one doubling per digit, one addition per
#: non-zero digit, then the two Frobenius additions.
_ATE_NAF = _naf(ATE_LOOP_COUNT)[1:]
#: For each line of a prepared point, in order: True if f is squared before it.
_SQUARE_BEFORE = tuple(
    [flag for digit in _ATE_NAF for flag in ([True] if digit == 0 else [True, False])]
    + [False, False]
)
_B3 = (3 * TWIST_B[0] % P, 3 * TWIST_B[1] % P)


def _double_step(t: _Jac2) -> tuple[Line, _Jac2]:
    """Return the tangent line at T and 2T, T in homogeneous coordinates on the twist.

    Costello-Lange-Naehrig / Aranha et al. 2011 (D-type twist), scaled by 4 to avoid
    halves: B = Y^2, C = Z^2, E = 3b'C, F = 3E, H = 2YZ, J = X^2;
    2T = (2XY(B - F), (B + F)^2 - 12E^2, 4BH); line = -H yP + 3J xP w + (E - B) w^3.
    """
    x0, x1, y0, y1, z0, z1 = t
    m0 = x0 * y0
    m1 = x1 * y1
    ar = (m0 - m1) % P  # XY
    ai = ((x0 + x1) * (y0 + y1) - m0 - m1) % P
    br = (y0 + y1) * (y0 - y1) % P  # Y^2
    bi = 2 * y0 * y1 % P
    cr = (z0 + z1) * (z0 - z1) % P  # Z^2
    ci = 2 * z0 * z1 % P
    m0 = cr * _B3[0]
    m1 = ci * _B3[1]
    er = (m0 - m1) % P  # 3b'Z^2
    ei = ((cr + ci) * (_B3[0] + _B3[1]) - m0 - m1) % P
    fr = 3 * er
    fi = 3 * ei
    m0 = y0 * z0
    m1 = y1 * z1
    hr = 2 * (m0 - m1) % P  # 2YZ
    hi = 2 * ((y0 + y1) * (z0 + z1) - m0 - m1) % P
    jr = (x0 + x1) * (x0 - x1) % P  # X^2
    ji = 2 * x0 * x1 % P
    ur = br - fr
    ui = bi - fi
    m0 = ar * ur
    m1 = ai * ui
    nx0 = 2 * (m0 - m1) % P
    nx1 = 2 * ((ar + ai) * (ur + ui) - m0 - m1) % P
    ur = br + fr
    ui = bi + fi
    ny0 = ((ur + ui) * (ur - ui) - 12 * (er + ei) * (er - ei)) % P
    ny1 = (2 * ur * ui - 24 * er * ei) % P
    m0 = br * hr
    m1 = bi * hi
    nz0 = 4 * (m0 - m1) % P
    nz1 = 4 * ((br + bi) * (hr + hi) - m0 - m1) % P
    return (hr, hi, 3 * jr, 3 * ji, er - br, ei - bi), (nx0, nx1, ny0, ny1, nz0, nz1)


def _add_step(t: _Jac2, qx0: int, qx1: int, qy0: int, qy1: int) -> tuple[Line, _Jac2]:
    """Return the line through T (homogeneous) and the affine twist point q, and T + q.

    theta = Y - yq Z, lam = X - xq Z, C = theta^2, D = lam^2, E = lam D, F = Z C, G = X D,
    H = E + F - 2G: T + q = (lam H, theta (G - H) - Y E, Z E);
    line = -lam yP + theta xP w + (lam yq - theta xq) w^3. T must not be +-q.
    """
    x0, x1, y0, y1, z0, z1 = t
    m0 = qy0 * z0
    m1 = qy1 * z1
    th0 = (y0 - m0 + m1) % P
    th1 = (y1 - (qy0 + qy1) * (z0 + z1) + m0 + m1) % P
    m0 = qx0 * z0
    m1 = qx1 * z1
    la0 = (x0 - m0 + m1) % P
    la1 = (x1 - (qx0 + qx1) * (z0 + z1) + m0 + m1) % P
    c0 = (th0 + th1) * (th0 - th1) % P
    c1 = 2 * th0 * th1 % P
    d0 = (la0 + la1) * (la0 - la1) % P
    d1 = 2 * la0 * la1 % P
    m0 = la0 * d0
    m1 = la1 * d1
    e0 = (m0 - m1) % P
    e1 = ((la0 + la1) * (d0 + d1) - m0 - m1) % P
    m0 = z0 * c0
    m1 = z1 * c1
    f0 = m0 - m1
    f1 = (z0 + z1) * (c0 + c1) - m0 - m1
    m0 = x0 * d0
    m1 = x1 * d1
    g0 = (m0 - m1) % P
    g1 = ((x0 + x1) * (d0 + d1) - m0 - m1) % P
    h0 = (e0 + f0 - 2 * g0) % P
    h1 = (e1 + f1 - 2 * g1) % P
    m0 = la0 * h0
    m1 = la1 * h1
    nx0 = (m0 - m1) % P
    nx1 = ((la0 + la1) * (h0 + h1) - m0 - m1) % P
    u0 = g0 - h0
    u1 = g1 - h1
    m0 = th0 * u0
    m1 = th1 * u1
    n0 = y0 * e0
    n1 = y1 * e1
    ny0 = (m0 - m1 - n0 + n1) % P
    ny1 = ((th0 + th1) * (u0 + u1) - m0 - m1 - (y0 + y1) * (e0 + e1) + n0 + n1) % P
    m0 = z0 * e0
    m1 = z1 * e1
    nz0 = (m0 - m1) % P
    nz1 = ((z0 + z1) * (e0 + e1) - m0 - m1) % P
    # lam yq - theta xq
    m0 = la0 * qy0
    m1 = la1 * qy1
    n0 = th0 * qx0
    n1 = th1 * qx1
    l30 = (m0 - m1 - n0 + n1) % P
    l31 = ((la0 + la1) * (qy0 + qy1) - m0 - m1 - (th0 + th1) * (qx0 + qx1) + n0 + n1) % P
    return (la0, la1, th0, th1, l30, l31), (nx0, nx1, ny0, ny1, nz0, nz1)


def g2_psi(q: G2Point) -> G2Point:
    """Return psi(q) = (conj(x) PSI_X, conj(y) PSI_Y), which is [p] = [6x^2] on G2."""
    if q is None:
        return None
    (x0, x1), (y0, y1) = q
    return _f2_mul((x0, -x1), PSI_X), _f2_mul((y0, -y1), PSI_Y)


def _prepare_unchecked(q: tuple[Fp2, Fp2]) -> Lines:
    (x0, x1), (y0, y1) = q
    ny0, ny1 = -y0 % P, -y1 % P
    t: _Jac2 = (x0, x1, y0, y1, 1, 0)
    lines = []
    for digit in _ATE_NAF:
        line, t = _double_step(t)
        lines.append(line)
        if digit == 1:
            line, t = _add_step(t, x0, x1, y0, y1)
            lines.append(line)
        elif digit == -1:
            line, t = _add_step(t, x0, x1, ny0, ny1)
            lines.append(line)
    q1 = g2_psi(q)
    q2 = g2_psi(q1)
    assert q1 is not None and q2 is not None
    line, t = _add_step(t, q1[0][0], q1[0][1], q1[1][0], q1[1][1])
    lines.append(line)
    line, t = _add_step(t, q2[0][0], q2[0][1], -q2[1][0] % P, -q2[1][1] % P)
    lines.append(line)
    return tuple(lines)


def prepare(q: G2Point) -> Lines:
    """Return the line coefficients of the Miller loop of ``q``, which must be in G2 (a
    point on the twist outside G2 raises ``ValueError``, infinity too: it has no lines).

    ``miller_loop([(p, prepare(q))])`` is the Miller loop of e(p, q).
    """
    if q is None or not g2_in_subgroup(q):
        raise ValueError("only a point of G2 other than infinity can be prepared")
    return _prepare_unchecked(q)


def _unit_lines(lines: Lines) -> Lines | None:
    """Return the lines scaled by 1/c3 (a factor in Fp2, which the final exponentiation
    removes) as (c0, c1) with c3 = 1 implied, or None if some c3 is 0. One shared
    inversion; pays off for a point paired more than once (``prepared``)."""
    norms = [(c3r * c3r + c3i * c3i) % P for _, _, _, _, c3r, c3i in lines]
    if not all(norms):
        return None
    out = []
    for (c0r, c0i, c1r, c1i, c3r, c3i), n in zip(lines, _batch_inverse(norms), strict=True):
        ir, ii = c3r * n % P, -c3i * n % P
        m0, m1 = c0r * ir, c0i * ii
        k0, k1 = c1r * ir, c1i * ii
        out.append(
            (
                (m0 - m1) % P,
                ((c0r + c0i) * (ir + ii) - m0 - m1) % P,
                (k0 - k1) % P,
                ((c1r + c1i) * (ir + ii) - k0 - k1) % P,
            )
        )
    return tuple(out)


def miller_loop(pairs: Sequence[tuple[G1Point, Lines]]) -> Fp12:
    """Return the product of the Miller loops of the (P, prepared Q) pairs, before the
    final exponentiation: one f for all pairs, squared once per doubling step.

    P must be on the curve (affine, or None for infinity, whose pairs count as 1); the
    lines are ``prepare``'s (or scaled to c3 = 1, 4 ints each).
    """
    evals = [(P - p1[1], p1[0], lines, len(lines[0]) == 4) for p1, lines in pairs if p1 is not None]
    if not evals:
        return ONE
    f: Fp12 | None = None
    for step, square in enumerate(_SQUARE_BEFORE):
        if square and f is not None:
            f = fp12_sqr(f)
        for nyp, xp, lines, unit in evals:
            if unit:
                c0r, c0i, c1r, c1i = lines[step]
                c3r, c3i = 1, 0
            else:
                c0r, c0i, c1r, c1i, c3r, c3i = lines[step]
            l0r = c0r * nyp % P
            l0i = c0i * nyp % P
            l1r = c1r * xp % P
            l1i = c1i * xp % P
            if f is None:  # 1 times the first line
                f = (l0r, l0i, 0, 0, 0, 0, l1r, l1i, c3r % P, c3i % P, 0, 0)
            elif unit:
                f = _mul_by_unit_line(f, l0r, l0i, l1r, l1i)
            else:
                f = _mul_by_line(f, l0r, l0i, l1r, l1i, c3r, c3i)
    assert f is not None
    return f


def pairing(p1: G1Point, q2: G2Point) -> Fp12:
    """Return e(p1, q2) in GT (p1 on the curve, q2 in G2; ``ONE`` if either is infinity)."""
    if p1 is None or q2 is None:
        return ONE
    return final_exponentiation(miller_loop([(p1, prepare(q2))]))


# --- G1: y^2 = x^3 + 3 over Fp, Jacobian (X, Y, Z) = (X/Z^2, Y/Z^3), Z = 0 at infinity ----


def _is_fp(values: Sequence[object]) -> bool:
    """Return whether every value is an int (not a bool) in [0, p)."""
    return all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < P for v in values)


def g1_on_curve(point: G1Point) -> bool:
    """Return whether ``point`` is infinity or a point of y^2 = x^3 + 3 with coordinates
    in [0, p) (every such point is in G1: the curve has prime order r)."""
    if point is None:
        return True
    return _is_fp(point) and (point[1] * point[1] - point[0] ** 3 - 3) % P == 0


_G1_INF: _Jac = (1, 1, 0)


def _g1_double(t: _Jac) -> _Jac:
    """dbl-2009-l: A = X^2, B = Y^2, C = B^2, D = 2((X + B)^2 - A - C), E = 3A;
    2T = (E^2 - 2D, E(D - X3) - 8C, 2YZ)."""
    x, y, z = t
    a = x * x % P
    b = y * y % P
    c = b * b
    d = 2 * ((x + b) ** 2 - a - c) % P
    e = 3 * a
    x3 = (e * e - 2 * d) % P
    return x3, (e * (d - x3) - 8 * c) % P, 2 * y * z % P


def _g1_add_affine(t: _Jac, qx: int, qy: int) -> _Jac:
    """madd-2007-bl: T + (qx, qy), with the doubling and opposite cases."""
    x1, y1, z1 = t
    if not z1:
        return qx, qy, 1
    zz = z1 * z1 % P
    h = (qx * zz - x1) % P
    r = 2 * (qy * (z1 * zz % P) - y1) % P
    if not h:
        return _g1_double((qx, qy, 1)) if not r else _G1_INF
    hh = h * h % P
    i = 4 * hh
    j = h * i % P
    v = x1 * i % P
    x3 = (r * r - j - 2 * v) % P
    return x3, (r * (v - x3) - 2 * y1 * j) % P, 2 * z1 * h % P


def _batch_inverse(values: Sequence[int]) -> list[int]:
    """Return the inverses mod p of non-zero values with one inversion (Montgomery)."""
    prefix = []
    acc = 1
    for v in values:
        prefix.append(acc)
        acc = acc * v % P
    inv = pow(acc, -1, P)
    out = [0] * len(values)
    for i in range(len(values) - 1, -1, -1):
        out[i] = prefix[i] * inv % P
        inv = inv * values[i] % P
    return out


def _g1_to_affine(points: Sequence[_Jac]) -> list[G1Point]:
    """Return the affine forms of Jacobian points, with one shared inversion."""
    finite = [i for i, t in enumerate(points) if t[2] % P]
    inverses = _batch_inverse([points[i][2] for i in finite])
    out: list[G1Point] = [None] * len(points)
    for i, zi in zip(finite, inverses, strict=True):
        x, y, _ = points[i]
        zi2 = zi * zi % P
        out[i] = (x * zi2 % P, y * zi2 * zi % P)
    return out


def _wnaf(k: int, width: int) -> list[int]:
    """Return the width-w NAF of k >= 0, least significant digit first (odd digits of
    absolute value below 2^(w-1), at most one non-zero in any w consecutive)."""
    digits = []
    full = 1 << width
    half = full >> 1
    while k:
        if k & 1:
            d = k & (full - 1)
            if d >= half:
                d -= full
            k -= d
        else:
            d = 0
        digits.append(d)
        k >>= 1
    return digits


_WIDTH = 4  # tables of P, 3P, 5P, 7P
_X_WNAF = _wnaf(X, _WIDTH)[::-1]  # most significant first (for ``_cyclotomic_exp_x``)


def _g1_tables(points: Sequence[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Return [P, 3P, 5P, 7P] in affine form for each point (on the curve: G1 has odd
    prime order, so none of these is infinity), with two shared inversions."""
    twice = _g1_to_affine([_g1_double((x, y, 1)) for x, y in points])
    jac = []
    for (x, y), t2 in zip(points, twice, strict=True):
        assert t2 is not None
        t = _g1_add_affine((x, y, 1), *t2)
        jac.append(t)
        t = _g1_add_affine(t, *t2)
        jac.append(t)
        jac.append(_g1_add_affine(t, *t2))
    odd = _g1_to_affine(jac)
    tables = []
    for i, point in enumerate(points):
        table = [point]
        for entry in odd[3 * i : 3 * i + 3]:
            assert entry is not None
            table.append(entry)
        tables.append(table)
    return tables


def _g1_straus(points: Sequence[tuple[int, int]], scalars: Sequence[int]) -> _Jac:
    """Return sum k_i P_i (k_i >= 0) in Jacobian form: one doubling per bit for all
    points, one mixed addition per non-zero wNAF digit."""
    tables = _g1_tables(points)
    naf = [_wnaf(k, _WIDTH) for k in scalars]
    acc = _G1_INF
    for bit in range(max(map(len, naf), default=0) - 1, -1, -1):
        acc = _g1_double(acc) if acc[2] else acc
        for digits, table in zip(naf, tables, strict=True):
            if bit < len(digits) and (d := digits[bit]):
                x, y = table[abs(d) >> 1]
                acc = _g1_add_affine(acc, x, y if d > 0 else P - y)
    return acc


def g1_msm(points: Sequence[G1Point], scalars: Sequence[int]) -> G1Point:
    """Return sum scalars[i] points[i] (points on the curve, scalars taken mod r)."""
    terms = [(point, k % R) for point, k in zip(points, scalars, strict=True) if point and k % R]
    if not terms:
        return None
    return _g1_to_affine([_g1_straus([p for p, _ in terms], [k for _, k in terms])])[0]


def g1_mul_many(points: Sequence[G1Point], scalars: Sequence[int]) -> list[G1Point]:
    """Return [k_i P_i] (points on the curve, scalars taken mod r), the independent
    products sharing their inversions."""
    todo = [
        (i, point, k % R)
        for i, (point, k) in enumerate(zip(points, scalars, strict=True))
        if point is not None and k % R
    ]
    tables = _g1_tables([point for _, point, _ in todo])
    results = []
    for (_, _, k), table in zip(todo, tables, strict=True):
        acc = _G1_INF
        for d in reversed(_wnaf(k, _WIDTH)):
            acc = _g1_double(acc) if acc[2] else acc
            if d:
                x, y = table[abs(d) >> 1]
                acc = _g1_add_affine(acc, x, y if d > 0 else P - y)
        results.append(acc)
    out: list[G1Point] = [None] * len(points)
    for (i, _, _), value in zip(todo, _g1_to_affine(results), strict=True):
        out[i] = value
    return out


def g1_mul(point: G1Point, k: int) -> G1Point:
    """Return [k] point for a point on the curve (``ValueError`` otherwise)."""
    if not g1_on_curve(point):
        raise ValueError("not a point of the BN254 curve")
    return g1_mul_many([point], [k])[0]


def g1_add(a: G1Point, b: G1Point) -> G1Point:
    """Return a + b for points on the curve."""
    if a is None:
        return b
    if b is None:
        return a
    return _g1_to_affine([_g1_add_affine((a[0], a[1], 1), b[0], b[1])])[0]


# --- G2: the twist y^2 = x^3 + b' over Fp2, Jacobian, Z = 0 at infinity ------------------


def g2_on_curve(point: G2Point) -> bool:
    """Return whether ``point`` is infinity or a point of the twist y^2 = x^3 + 3/(9 + u)
    with coordinates in [0, p)."""
    if point is None:
        return True
    (x0, x1), (y0, y1) = point
    if not _is_fp((x0, x1, y0, y1)):
        return False
    xx = _f2_sqr((x0, x1))
    xxx = _f2_mul(xx, (x0, x1))
    yy = _f2_sqr((y0, y1))
    return (yy[0] - xxx[0] - TWIST_B[0]) % P == 0 and (yy[1] - xxx[1] - TWIST_B[1]) % P == 0


_G2_INF: _Jac2 = (1, 0, 1, 0, 0, 0)


def _g2_double(t: _Jac2) -> _Jac2:
    """dbl-2009-l over Fp2 (see ``_g1_double``)."""
    x0, x1, y0, y1, z0, z1 = t
    a0 = (x0 + x1) * (x0 - x1) % P
    a1 = 2 * x0 * x1 % P
    b0 = (y0 + y1) * (y0 - y1) % P
    b1 = 2 * y0 * y1 % P
    c0 = (b0 + b1) * (b0 - b1)
    c1 = 2 * b0 * b1
    s0 = x0 + b0
    s1 = x1 + b1
    d0 = 2 * ((s0 + s1) * (s0 - s1) - a0 - c0) % P
    d1 = 2 * (2 * s0 * s1 - a1 - c1) % P
    e0 = 3 * a0
    e1 = 3 * a1
    nx0 = ((e0 + e1) * (e0 - e1) - 2 * d0) % P
    nx1 = (2 * e0 * e1 - 2 * d1) % P
    u0 = d0 - nx0
    u1 = d1 - nx1
    m0 = e0 * u0
    m1 = e1 * u1
    ny0 = (m0 - m1 - 8 * c0) % P
    ny1 = ((e0 + e1) * (u0 + u1) - m0 - m1 - 8 * c1) % P
    m0 = y0 * z0
    m1 = y1 * z1
    nz0 = 2 * (m0 - m1) % P
    nz1 = 2 * ((y0 + y1) * (z0 + z1) - m0 - m1) % P
    return nx0, nx1, ny0, ny1, nz0, nz1


def _g2_add_affine(t: _Jac2, qx0: int, qx1: int, qy0: int, qy1: int) -> _Jac2:
    """madd-2007-bl over Fp2 (see ``_g1_add_affine``)."""
    x0, x1, y0, y1, z0, z1 = t
    if not (z0 or z1):
        return qx0, qx1, qy0, qy1, 1, 0
    zz0 = (z0 + z1) * (z0 - z1) % P
    zz1 = 2 * z0 * z1 % P
    m0 = qx0 * zz0
    m1 = qx1 * zz1
    h0 = (m0 - m1 - x0) % P
    h1 = ((qx0 + qx1) * (zz0 + zz1) - m0 - m1 - x1) % P
    m0 = z0 * zz0
    m1 = z1 * zz1
    w0 = (m0 - m1) % P  # Z^3
    w1 = ((z0 + z1) * (zz0 + zz1) - m0 - m1) % P
    m0 = qy0 * w0
    m1 = qy1 * w1
    r0 = 2 * (m0 - m1 - y0) % P
    r1 = 2 * ((qy0 + qy1) * (w0 + w1) - m0 - m1 - y1) % P
    if not (h0 or h1):
        if r0 or r1:
            return _G2_INF
        return _g2_double((qx0, qx1, qy0, qy1, 1, 0))
    hh0 = (h0 + h1) * (h0 - h1) % P
    hh1 = 2 * h0 * h1 % P
    i0 = 4 * hh0
    i1 = 4 * hh1
    m0 = h0 * i0
    m1 = h1 * i1
    j0 = (m0 - m1) % P
    j1 = ((h0 + h1) * (i0 + i1) - m0 - m1) % P
    m0 = x0 * i0
    m1 = x1 * i1
    v0 = (m0 - m1) % P
    v1 = ((x0 + x1) * (i0 + i1) - m0 - m1) % P
    nx0 = ((r0 + r1) * (r0 - r1) - j0 - 2 * v0) % P
    nx1 = (2 * r0 * r1 - j1 - 2 * v1) % P
    u0 = v0 - nx0
    u1 = v1 - nx1
    m0 = r0 * u0
    m1 = r1 * u1
    n0 = y0 * j0
    n1 = y1 * j1
    ny0 = (m0 - m1 - 2 * (n0 - n1)) % P
    ny1 = ((r0 + r1) * (u0 + u1) - m0 - m1 - 2 * ((y0 + y1) * (j0 + j1) - n0 - n1)) % P
    m0 = z0 * h0
    m1 = z1 * h1
    nz0 = 2 * (m0 - m1) % P
    nz1 = 2 * ((z0 + z1) * (h0 + h1) - m0 - m1) % P
    return nx0, nx1, ny0, ny1, nz0, nz1


def _g2_to_affine(points: Sequence[_Jac2]) -> list[G2Point]:
    """Return the affine forms of Jacobian points, with one shared inversion."""
    finite = [i for i, t in enumerate(points) if t[4] % P or t[5] % P]
    norms = [(points[i][4] ** 2 + points[i][5] ** 2) % P for i in finite]
    out: list[G2Point] = [None] * len(points)
    for i, n in zip(finite, _batch_inverse(norms), strict=True):
        x0, x1, y0, y1, z0, z1 = points[i]
        zi = (z0 * n % P, -z1 * n % P)
        zi2 = _f2_sqr(zi)
        zi3 = _f2_mul(zi2, zi)
        out[i] = (_f2_mul((x0, x1), zi2), _f2_mul((y0, y1), zi3))
    return out


def _g2_mul_jac(q: tuple[Fp2, Fp2], k: int) -> _Jac2:
    """Return [k] q in Jacobian form for a twist point q and k >= 0 (wNAF, width 4).

    The twist's order r (2p - r) has no factor below 10069, so 2q, 3q, 5q, 7q are finite.
    """
    (x0, x1), (y0, y1) = q
    (t2,) = _g2_to_affine([_g2_double((x0, x1, y0, y1, 1, 0))])
    assert t2 is not None
    (a0, a1), (b0, b1) = t2
    t = _g2_add_affine((x0, x1, y0, y1, 1, 0), a0, a1, b0, b1)
    t5 = _g2_add_affine(t, a0, a1, b0, b1)
    table = [q, *_g2_to_affine([t, t5, _g2_add_affine(t5, a0, a1, b0, b1)])]
    acc = _G2_INF
    for d in reversed(_wnaf(k, _WIDTH)):
        acc = _g2_double(acc) if acc[4] or acc[5] else acc
        if d:
            entry = table[abs(d) >> 1]
            assert entry is not None
            (ex0, ex1), (ey0, ey1) = entry
            if d < 0:
                ey0, ey1 = -ey0 % P, -ey1 % P
            acc = _g2_add_affine(acc, ex0, ex1, ey0, ey1)
    return acc


def g2_mul(point: G2Point, k: int) -> G2Point:
    """Return [k] point for any point of the twist and any integer k, not reduced mod r
    (the twist has order r (2p - r): this also clears the cofactor); ``ValueError`` for a
    point off the twist."""
    if not g2_on_curve(point):
        raise ValueError("not a point of the BN254 twist")
    if point is None or k == 0:
        return None
    if k < 0:
        (x0, x1), (y0, y1) = point
        point, k = ((x0, x1), (-y0 % P, -y1 % P)), -k
    return _g2_to_affine([_g2_mul_jac(point, k)])[0]


def g2_add(a: G2Point, b: G2Point) -> G2Point:
    """Return a + b for points of the twist."""
    if a is None:
        return b
    if b is None:
        return a
    (x0, x1), (y0, y1) = a
    (u0, u1), (v0, v1) = b
    return _g2_to_affine([_g2_add_affine((x0, x1, y0, y1, 1, 0), u0, u1, v0, v1)])[0]


def _g2_psi_jac(t: _Jac2) -> _Jac2:
    """psi on Jacobian coordinates: (conj(X) PSI_X, conj(Y) PSI_Y, conj(Z))."""
    x0, x1, y0, y1, z0, z1 = t
    nx = _f2_mul((x0, -x1), PSI_X)
    ny = _f2_mul((y0, -y1), PSI_Y)
    return nx[0], nx[1], ny[0], ny[1], z0, -z1 % P


def _g2_jac_equal(a: _Jac2, b: _Jac2) -> bool:
    """Whether two Jacobian points are the same point: X1 Z2^2 = X2 Z1^2, Y1 Z2^3 = Y2 Z1^3."""
    a_inf = not (a[4] or a[5])
    b_inf = not (b[4] or b[5])
    if a_inf or b_inf:
        return a_inf and b_inf
    za2 = _f2_sqr((a[4], a[5]))
    zb2 = _f2_sqr((b[4], b[5]))
    if _f2_mul((a[0], a[1]), zb2) != _f2_mul((b[0], b[1]), za2):
        return False
    za3 = _f2_mul(za2, (a[4], a[5]))
    zb3 = _f2_mul(zb2, (b[4], b[5]))
    return _f2_mul((a[2], a[3]), zb3) == _f2_mul((b[2], b[3]), za3)


def _in_subgroup_unchecked(q: tuple[Fp2, Fp2]) -> bool:
    """[x+1]q + psi([x]q) + psi^2([x]q) = psi^3([2x]q) for a point q on the twist."""
    (x0, x1), (y0, y1) = q
    xq = _g2_mul_jac(q, X)
    lhs = _g2_add_affine(xq, x0, x1, y0, y1)  # [x+1]q
    (a,) = _g2_to_affine([xq])
    if a is not None:
        psi1 = g2_psi(a)
        psi2 = g2_psi(psi1)
        assert psi1 is not None and psi2 is not None
        lhs = _g2_add_affine(lhs, psi1[0][0], psi1[0][1], psi1[1][0], psi1[1][1])
        lhs = _g2_add_affine(lhs, psi2[0][0], psi2[0][1], psi2[1][0], psi2[1][1])
    rhs = _g2_psi_jac(_g2_psi_jac(_g2_psi_jac(_g2_double(xq))))
    return _g2_jac_equal(lhs, rhs)


# --- caches -------------------------------------------------------------------------------

_K = TypeVar("_K")
_V = TypeVar("_V")


class _Lru(Generic[_K, _V]):
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[_K, _V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: _K) -> _V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: _K, value: _V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


#: Points of G2 already checked (the key and recent proof points), and the prepared lines
#: of recently paired G2 points (~40 KB each): a verifying key's beta, gamma and delta
#: stay in it across the proofs and chunks of a check (each call touches them again).
_G2_MEMBERS: _Lru[tuple[Fp2, Fp2], bool] = _Lru(1024)
_LINES: _Lru[tuple[Fp2, Fp2], Lines] = _Lru(32)


def clear_caches() -> None:
    """Forget the remembered G2 points and prepared lines (for benchmarks and tests)."""
    _G2_MEMBERS.clear()
    _LINES.clear()


def g2_in_subgroup(point: G2Point) -> bool:
    """Return whether ``point`` is on the twist (coordinates in [0, p)) and in G2, the
    subgroup of order r; infinity is. Positive answers are remembered."""
    if point is None:
        return True
    if not g2_on_curve(point):  # first, and always: it also refuses bools and ints >= p
        return False
    key = (tuple(point[0]), tuple(point[1]))
    if _G2_MEMBERS.get(key):  # type: ignore[arg-type]
        return True
    if not _in_subgroup_unchecked(point):
        return False
    _G2_MEMBERS.put(key, True)  # type: ignore[arg-type]
    return True


def prepared(q: tuple[Fp2, Fp2]) -> Lines:
    """Return the lines of ``q`` through the cache of recently prepared points:
    ``prepare(q)`` the first time, scaled to c3 = 1 (``_unit_lines``) from the second."""
    key = (tuple(q[0]), tuple(q[1]))
    lines = _LINES.get(key)  # type: ignore[arg-type]
    if lines is None:
        lines = prepare(q)
        _LINES.put(key, lines)  # type: ignore[arg-type]
    elif len(lines[0]) == 6:
        unit = _unit_lines(lines)
        if unit is not None:
            lines = unit
            _LINES.put(key, lines)  # type: ignore[arg-type]
    return lines


# --- pairing-product checks ---------------------------------------------------------------


def _is_one(f: Fp12) -> bool:
    """Return whether f^((p^12 - 1)/r) = 1."""
    if not any(f):
        return False
    return final_exponentiation(f) == ONE


def product_is_one(pairs: Sequence[tuple[G1Point, G2Point]]) -> bool:
    """Return whether prod e(P_i, Q_i) = 1 (P_i on the curve, Q_i in G2, else
    ``ValueError``); pairs with infinity count as 1."""
    return weighted_product_is_one([(1, p1, q2) for p1, q2 in pairs])


def weighted_product_is_one(
    weighted: Sequence[tuple[int, G1Point, G2Point]],
    msm: Callable[[Sequence[G1Point], Sequence[int]], G1Point] | None = None,
) -> bool:
    """Return whether prod e(w_i P_i, Q_i) = 1: the weighted G1 points of equal Q_i are
    summed first (``msm``, by default ``g1_msm``; lone terms share their inversions),
    then one multi-Miller loop over the distinct Q_i and one final exponentiation.

    Every P_i must be on the curve and every Q_i in G2 (``ValueError`` otherwise: the
    pairing is bilinear only there); weights are taken mod r; infinity counts as 1.
    """
    groups: dict[tuple[Fp2, Fp2], tuple[list[G1Point], list[int]]] = {}
    for weight, p1, q2 in weighted:
        if not g1_on_curve(p1):
            raise ValueError("a G1 point of the pairing product is not on the curve")
        if q2 is None or p1 is None:
            continue
        points, weights = groups.setdefault(q2, ([], []))
        points.append(p1)
        weights.append(weight)
    keys = list(groups)
    sums: list[G1Point] = [None] * len(keys)
    lone = []
    for i, key in enumerate(keys):
        points, weights = groups[key]
        if len(points) == 1 and weights[0] % R == 1:
            sums[i] = points[0]
        elif msm is not None:
            sums[i] = msm(points, weights)
        elif len(points) > 1:
            sums[i] = g1_msm(points, weights)
        else:
            lone.append(i)
    for i, value in zip(
        lone,
        g1_mul_many([groups[keys[i]][0][0] for i in lone], [groups[keys[i]][1][0] for i in lone]),
        strict=True,
    ):
        sums[i] = value
    pairs = []
    for key, p1 in zip(keys, sums, strict=True):
        if not g2_in_subgroup(key):
            raise ValueError("a G2 point of the pairing product is not in G2")
        if p1 is not None:
            pairs.append((p1, prepared(key)))
    return _is_one(miller_loop(pairs))


@dataclass(frozen=True)
class CurveOps:
    """The curve operations the Groth16 and ceremony checks need: pure Python by default
    (``PURE_OPS``); injectable, for the publisher's native and gmpy2 kernels
    (``publisher.snark.pairing.FAST_OPS``) or py_ecc's (``verifier.ceremony_crypto.PY_ECC_OPS``)."""

    #: Whether prod e(w_i P_i, Q_i) = 1 for (w_i, P_i in G1, Q_i in G2).
    weighted_product_is_one: Callable[[Sequence[tuple[int, G1Point, G2Point]]], bool]
    #: Whether a point is on the twist and in G2.
    g2_in_subgroup: Callable[[G2Point], bool]
    g1_mul: Callable[[G1Point, int], G1Point]
    #: [k]Q for any twist point Q, k not reduced mod r (for the cofactor).
    g2_mul_unreduced: Callable[[G2Point, int], G2Point]


#: This module's operations: the verifier's default, in CPython and in Pyodide.
PURE_OPS = CurveOps(
    weighted_product_is_one=weighted_product_is_one,
    g2_in_subgroup=g2_in_subgroup,
    g1_mul=g1_mul,
    g2_mul_unreduced=g2_mul,
)
