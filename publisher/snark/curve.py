"""BN254 curve arithmetic on raw integers, the building blocks of the prover.

``py_ecc.optimized_bn128`` wraps every coordinate in a field object, which costs a
Python call and an allocation per operation; the prover's hot loops need plain
integers instead. This module fixes the representations the rest of ``publisher`` uses:

* ``G1``: affine ``(x, y)`` over Fp, ``None`` for the point at infinity;
* ``G2``: affine ``((x0, x1), (y0, y1))`` over Fp2 = Fp[u]/(u^2 + 1), meaning
  ``x = x0 + x1*u``, ``None`` for infinity;
* Jacobian ``(X, Y, Z)`` standing for ``(X/Z^2, Y/Z^3)``, ``Z = 0`` for infinity, used
  inside scalar multiplications so that no field inversion is needed per step.

Public functions accept and return plain ``int`` coordinates (JSON-safe, comparable with
py_ecc). Internally coordinates may be ``gmpy2.mpz``, whose 254-bit multiply-and-reduce
is about 2.5x faster than CPython's; ``g1_normalize``/``g2_normalize`` turn them back.
Also: conversions to and from py_ecc points, on-curve and subgroup checks, Fp2
arithmetic on int pairs, and the two endomorphisms (GLV on G1, Frobenius ``psi`` on G2)
that ``publisher.snark.msm`` uses to halve scalar lengths.
"""

from __future__ import annotations

from typing import Any

import gmpy2
from gmpy2 import mpz
from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.optimized_bn128.optimized_curve import G2 as _PY_G2

from verifier.field import P, R

Fp2 = tuple[int, int]
G1 = tuple[int, int] | None
G2 = tuple[Fp2, Fp2] | None
G1Jac = tuple[int, int, int]
G2Jac = tuple[Fp2, Fp2, Fp2]

# mpz copies of the moduli: mixing mpz with a Python int operand is ~2x slower than
# mpz with mpz, so every reduction in the hot paths uses these.
P_MPZ: Any = mpz(P)
R_MPZ: Any = mpz(R)
_ZERO: Any = mpz(0)
_ONE: Any = mpz(1)

#: Curve coefficient of G1: y^2 = x^3 + 3.
B1 = 3
#: Curve coefficient of the sextic twist: y^2 = x^3 + 3/(9+u).
B2: Fp2 = (
    19485874751759354771024239261021720505790618469301721065564631296452457478373,
    266929791119991161246907387137283842545076965332900288569378510910307636690,
)

G1_GEN: G1 = (1, 2)
G2_GEN: G2 = (
    (int(_PY_G2[0].coeffs[0]), int(_PY_G2[0].coeffs[1])),
    (int(_PY_G2[1].coeffs[0]), int(_PY_G2[1].coeffs[1])),
)

G1_JAC_INF: G1Jac = (_ONE, _ONE, _ZERO)
G2_JAC_INF: G2Jac = ((_ONE, _ZERO), (_ONE, _ZERO), (_ZERO, _ZERO))


# --------------------------------------------------------------------------- Fp / Fp2
# The Fp2 helpers accept ints or mpz and return reduced gmpy2.mpz components: they
# serve the Jacobian formulas below, where mpz is ~2.5x faster. ``fp2_normalize``
# turns a result into plain ints.


def fp_inv(a: int) -> int:
    """Inverse in Fp (GMP's extended gcd, ~15x faster than ``pow(a, -1, p)``)."""
    if a % P == 0:
        raise ZeroDivisionError("inverse of 0 in Fp")
    return int(gmpy2.invert(a, P_MPZ))


def fp2_add(a: Fp2, b: Fp2) -> Fp2:
    return ((a[0] + b[0]) % P_MPZ, (a[1] + b[1]) % P_MPZ)


def fp2_sub(a: Fp2, b: Fp2) -> Fp2:
    return ((a[0] - b[0]) % P_MPZ, (a[1] - b[1]) % P_MPZ)


def fp2_neg(a: Fp2) -> Fp2:
    return (-a[0] % P_MPZ, -a[1] % P_MPZ)


def fp2_mul(a: Fp2, b: Fp2) -> Fp2:
    """(a0 + a1 u)(b0 + b1 u) with u^2 = -1."""
    a0, a1 = a
    b0, b1 = b
    return ((a0 * b0 - a1 * b1) % P_MPZ, (a0 * b1 + a1 * b0) % P_MPZ)


def fp2_sqr(a: Fp2) -> Fp2:
    a0, a1 = a
    return ((a0 + a1) * (a0 - a1) % P_MPZ, 2 * a0 * a1 % P_MPZ)


def fp2_scale(a: Fp2, k: int) -> Fp2:
    """Multiply an Fp2 element by an Fp scalar."""
    return (a[0] * k % P_MPZ, a[1] * k % P_MPZ)


def fp2_inv(a: Fp2) -> Fp2:
    """1/(a0 + a1 u) = (a0 - a1 u) / (a0^2 + a1^2): one Fp inversion."""
    a0, a1 = a
    norm = (a0 * a0 + a1 * a1) % P_MPZ
    if not norm:  # -1 is not a square mod p, so the norm vanishes only at 0
        raise ZeroDivisionError("inverse of 0 in Fp2")
    t = gmpy2.invert(norm, P_MPZ)
    return (a0 * t % P_MPZ, -a1 * t % P_MPZ)


def fp2_conj(a: Fp2) -> Fp2:
    """The Frobenius x -> x^p on Fp2, which is complex conjugation."""
    return (a[0], -a[1] % P_MPZ)


def fp2_pow(a: Fp2, e: int) -> Fp2:
    result: Fp2 = (_ONE, _ZERO)
    base = a
    while e:
        if e & 1:
            result = fp2_mul(result, base)
        base = fp2_sqr(base)
        e >>= 1
    return result


def fp2_is_zero(a: Fp2) -> bool:
    return a[0] % P == 0 and a[1] % P == 0


def fp2_normalize(a: Fp2) -> Fp2:
    """Reduced plain-int components."""
    return (int(a[0] % P), int(a[1] % P))


# --------------------------------------------------------------------------- checks


def g1_is_on_curve(pt: G1) -> bool:
    """Affine check y^2 = x^3 + 3 with reduced coordinates; infinity counts as on it."""
    if pt is None:
        return True
    x, y = pt
    if not (0 <= x < P and 0 <= y < P):
        return False
    return (y * y - x * x * x - B1) % P == 0


def g2_is_on_curve(pt: G2) -> bool:
    """Affine check y^2 = x^3 + 3/(9+u) over Fp2 with reduced coordinates."""
    if pt is None:
        return True
    x, y = pt
    if not all(0 <= c < P for c in (*x, *y)):
        return False
    lhs = fp2_sqr(y)
    rhs = fp2_add(fp2_mul(fp2_sqr(x), x), B2)
    return fp2_is_zero(fp2_sub(lhs, rhs))


def g2_is_in_subgroup(pt: G2) -> bool:
    """On the twist and of order r. Only r-torsion points are valid G2 inputs.

    The twist has a large cofactor, so an on-curve point need not lie in G2; the
    Frobenius shortcut in ``publisher.snark.msm`` relies on the point being in G2. Checked
    as psi(Q) == [6x^2]Q (a 127-bit multiplication instead of a 254-bit one), the
    criterion of eprint 2022/352 section 4.3, also used by arkworks for BN254.
    """
    if not g2_is_on_curve(pt):
        return False
    if pt is None:
        return True
    return g2_psi(pt) == g2_mul_unreduced(pt, PSI_EIGENVALUE)


# --------------------------------------------------------------------------- py_ecc


def g1_from_py_ecc(pt: Any) -> G1:
    """From a py_ecc.optimized_bn128 homogeneous point ``(X, Y, Z)`` to affine."""
    x, y, z = pt
    zn = int(z.n if isinstance(z, FQ) else z)
    if zn % P == 0:
        return None
    zi = gmpy2.invert(zn, P_MPZ)
    return (int(mpz(int(x.n)) * zi % P_MPZ), int(mpz(int(y.n)) * zi % P_MPZ))


def g1_to_py_ecc(pt: G1) -> tuple[Any, Any, Any]:
    if pt is None:
        return (FQ.one(), FQ.one(), FQ.zero())
    return (FQ(int(pt[0])), FQ(int(pt[1])), FQ.one())


def g2_from_py_ecc(pt: Any) -> G2:
    """From a py_ecc.optimized_bn128 homogeneous twist point to affine ``G2``."""
    x, y, z = ((int(v.coeffs[0]), int(v.coeffs[1])) for v in pt)
    if fp2_is_zero(z):
        return None
    zi = fp2_inv(z)
    return (fp2_normalize(fp2_mul(x, zi)), fp2_normalize(fp2_mul(y, zi)))


def g2_to_py_ecc(pt: G2) -> tuple[Any, Any, Any]:
    if pt is None:
        return (FQ2.one(), FQ2.one(), FQ2.zero())
    (x0, x1), (y0, y1) = pt
    return (FQ2([int(x0), int(x1)]), FQ2([int(y0), int(y1)]), FQ2.one())


# --------------------------------------------------------------------------- G1 Jacobian


def g1_jac_double(p: G1Jac) -> G1Jac:
    """dbl-2009-l (a = 0): 2M + 5S. Doubling infinity (Z = 0) gives Z = 0 again."""
    x, y, z = p
    a = x * x % P_MPZ
    b = y * y % P_MPZ
    c = b * b % P_MPZ
    d = 2 * (((x + b) ** 2 - a - c) % P_MPZ)
    e = 3 * a
    x3 = (e * e - 2 * d) % P_MPZ
    return (x3, (e * (d - x3) - 8 * c) % P_MPZ, 2 * y * z % P_MPZ)


def g1_jac_add_affine(p: G1Jac, q: G1) -> G1Jac:
    """Mixed addition Jacobian + affine, madd-2007-bl: 7M + 4S; handles all cases."""
    if q is None:
        return p
    x1, y1, z1 = p
    x2, y2 = q
    if not z1:
        return (mpz(x2), mpz(y2), _ONE)
    z1z1 = z1 * z1 % P_MPZ
    h = (x2 * z1z1 - x1) % P_MPZ
    s = 2 * ((y2 * z1 * z1z1 - y1) % P_MPZ)
    if not h:
        # Same x: either the same point (double it) or its negation (infinity).
        return g1_jac_double(p) if not s else G1_JAC_INF
    hh = h * h % P_MPZ
    i = 4 * hh
    j = h * i % P_MPZ
    v = x1 * i % P_MPZ
    x3 = (s * s - j - 2 * v) % P_MPZ
    y3 = (s * (v - x3) - 2 * y1 * j) % P_MPZ
    z3 = ((z1 + h) ** 2 - z1z1 - hh) % P_MPZ
    return (x3, y3, z3)


def g1_jac_add(p: G1Jac, q: G1Jac) -> G1Jac:
    """Full Jacobian addition, add-2007-bl: 11M + 5S; handles all cases."""
    x1, y1, z1 = p
    x2, y2, z2 = q
    if not z1:
        return q
    if not z2:
        return p
    z1z1 = z1 * z1 % P_MPZ
    z2z2 = z2 * z2 % P_MPZ
    u1 = x1 * z2z2 % P_MPZ
    u2 = x2 * z1z1 % P_MPZ
    s1 = y1 * z2 * z2z2 % P_MPZ
    s2 = y2 * z1 * z1z1 % P_MPZ
    h = (u2 - u1) % P_MPZ
    rr = 2 * ((s2 - s1) % P_MPZ)
    if not h:
        return g1_jac_double(p) if not rr else G1_JAC_INF
    i = (2 * h) ** 2 % P_MPZ
    j = h * i % P_MPZ
    v = u1 * i % P_MPZ
    x3 = (rr * rr - j - 2 * v) % P_MPZ
    y3 = (rr * (v - x3) - 2 * s1 * j) % P_MPZ
    z3 = ((z1 + z2) ** 2 - z1z1 - z2z2) * h % P_MPZ
    return (x3, y3, z3)


def g1_jac_neg(p: G1Jac) -> G1Jac:
    return (p[0], -p[1] % P_MPZ, p[2])


def g1_to_jac(pt: G1) -> G1Jac:
    if pt is None:
        return G1_JAC_INF
    return (mpz(pt[0]), mpz(pt[1]), _ONE)


def g1_jac_to_affine(p: G1Jac) -> G1:
    """One inversion; for many points use ``publisher.snark.msm.batch_normalize_g1``."""
    x, y, z = p
    if not z % P:
        return None
    zi = gmpy2.invert(z, P_MPZ)
    zi2 = zi * zi % P_MPZ
    return (int(x * zi2 % P_MPZ), int(y * zi2 * zi % P_MPZ))


def g1_jac_mul(p: G1Jac, k: int) -> G1Jac:
    """[k]p for k >= 0 by left-to-right 4-bit fixed windows (Jacobian throughout)."""
    table = [G1_JAC_INF, p]
    for _ in range(14):
        table.append(g1_jac_add(table[-1], p))
    acc = G1_JAC_INF
    for shift in range((k.bit_length() + 3) // 4 * 4 - 4, -1, -4):
        acc = g1_jac_double(g1_jac_double(g1_jac_double(g1_jac_double(acc))))
        acc = g1_jac_add(acc, table[(k >> shift) & 15])
    return acc


# --------------------------------------------------------------------------- G1 affine


def g1_normalize(pt: G1) -> G1:
    """Plain-int, reduced coordinates (internal results may hold gmpy2.mpz)."""
    if pt is None:
        return None
    return (int(pt[0] % P), int(pt[1] % P))


def g1_neg(pt: G1) -> G1:
    if pt is None:
        return None
    return (int(pt[0]), int(-pt[1] % P))


def g1_add(a: G1, b: G1) -> G1:
    """Affine addition with one inversion; all special cases handled."""
    if a is None:
        return g1_normalize(b)
    if b is None:
        return g1_normalize(a)
    x1, y1 = mpz(a[0]), mpz(a[1])
    x2, y2 = mpz(b[0]), mpz(b[1])
    if (x1 - x2) % P_MPZ == 0:
        if (y1 + y2) % P_MPZ == 0:
            return None  # b = -a (this also covers doubling a point with y = 0)
        lam = 3 * x1 * x1 * gmpy2.invert(2 * y1, P_MPZ) % P_MPZ
    else:
        lam = (y2 - y1) * gmpy2.invert(x2 - x1, P_MPZ) % P_MPZ
    x3 = (lam * lam - x1 - x2) % P_MPZ
    return (int(x3), int((lam * (x1 - x3) - y1) % P_MPZ))


def g1_mul(pt: G1, k: int) -> G1:
    """[k]pt, k taken mod r (valid since every point on the G1 curve has order r)."""
    k %= R
    if pt is None or k == 0:
        return None
    return g1_jac_to_affine(g1_jac_mul(g1_to_jac(pt), k))


# --------------------------------------------------------------------------- G2 Jacobian


def g2_jac_double(p: G2Jac) -> G2Jac:
    """dbl-2009-l over Fp2 (a = 0)."""
    x, y, z = p
    a = fp2_sqr(x)
    b = fp2_sqr(y)
    c = fp2_sqr(b)
    t = fp2_sqr(fp2_add(x, b))
    d0 = 2 * (t[0] - a[0] - c[0])
    d1 = 2 * (t[1] - a[1] - c[1])
    e = (3 * a[0], 3 * a[1])
    f = fp2_sqr(e)
    x3 = ((f[0] - 2 * d0) % P_MPZ, (f[1] - 2 * d1) % P_MPZ)
    ey = fp2_mul(e, (d0 - x3[0], d1 - x3[1]))
    y3 = ((ey[0] - 8 * c[0]) % P_MPZ, (ey[1] - 8 * c[1]) % P_MPZ)
    yz = fp2_mul(y, z)
    return (x3, y3, (2 * yz[0] % P_MPZ, 2 * yz[1] % P_MPZ))


def g2_jac_add(p: G2Jac, q: G2Jac) -> G2Jac:
    """Full Jacobian addition over Fp2, add-2007-bl; handles all cases."""
    x1, y1, z1 = p
    x2, y2, z2 = q
    if fp2_is_zero(z1):
        return q
    if fp2_is_zero(z2):
        return p
    z1z1 = fp2_sqr(z1)
    z2z2 = fp2_sqr(z2)
    u1 = fp2_mul(x1, z2z2)
    u2 = fp2_mul(x2, z1z1)
    s1 = fp2_mul(fp2_mul(y1, z2), z2z2)
    s2 = fp2_mul(fp2_mul(y2, z1), z1z1)
    h = fp2_sub(u2, u1)
    ds = fp2_sub(s2, s1)
    if fp2_is_zero(h):
        return g2_jac_double(p) if fp2_is_zero(ds) else G2_JAC_INF
    rr = (2 * ds[0], 2 * ds[1])
    i = fp2_sqr((2 * h[0], 2 * h[1]))
    j = fp2_mul(h, i)
    v = fp2_mul(u1, i)
    r2 = fp2_sqr(rr)
    x3 = ((r2[0] - j[0] - 2 * v[0]) % P_MPZ, (r2[1] - j[1] - 2 * v[1]) % P_MPZ)
    t = fp2_mul(rr, (v[0] - x3[0], v[1] - x3[1]))
    sj = fp2_mul(s1, j)
    y3 = ((t[0] - 2 * sj[0]) % P_MPZ, (t[1] - 2 * sj[1]) % P_MPZ)
    zz = fp2_sqr((z1[0] + z2[0], z1[1] + z2[1]))
    z3 = fp2_mul((zz[0] - z1z1[0] - z2z2[0], zz[1] - z1z1[1] - z2z2[1]), h)
    return (x3, y3, z3)


def g2_jac_neg(p: G2Jac) -> G2Jac:
    return (p[0], fp2_neg(p[1]), p[2])


def g2_to_jac(pt: G2) -> G2Jac:
    if pt is None:
        return G2_JAC_INF
    (x0, x1), (y0, y1) = pt
    return ((mpz(x0), mpz(x1)), (mpz(y0), mpz(y1)), (_ONE, _ZERO))


def g2_jac_to_affine(p: G2Jac) -> G2:
    x, y, z = p
    if fp2_is_zero(z):
        return None
    zi = fp2_inv(z)
    zi2 = fp2_sqr(zi)
    return (fp2_normalize(fp2_mul(x, zi2)), fp2_normalize(fp2_mul(y, fp2_mul(zi2, zi))))


def g2_jac_mul(p: G2Jac, k: int) -> G2Jac:
    """[k]p for k >= 0 by left-to-right 4-bit fixed windows."""
    table = [G2_JAC_INF, p]
    for _ in range(14):
        table.append(g2_jac_add(table[-1], p))
    acc = G2_JAC_INF
    for shift in range((k.bit_length() + 3) // 4 * 4 - 4, -1, -4):
        acc = g2_jac_double(g2_jac_double(g2_jac_double(g2_jac_double(acc))))
        acc = g2_jac_add(acc, table[(k >> shift) & 15])
    return acc


# --------------------------------------------------------------------------- G2 affine


def g2_normalize(pt: G2) -> G2:
    if pt is None:
        return None
    return (fp2_normalize(pt[0]), fp2_normalize(pt[1]))


def g2_neg(pt: G2) -> G2:
    if pt is None:
        return None
    return (fp2_normalize(pt[0]), fp2_normalize(fp2_neg(pt[1])))


def g2_add(a: G2, b: G2) -> G2:
    """Affine addition over Fp2 with one inversion; all special cases handled."""
    if a is None:
        return g2_normalize(b)
    if b is None:
        return g2_normalize(a)
    x1, y1 = a
    x2, y2 = b
    if fp2_is_zero(fp2_sub(x1, x2)):
        if fp2_is_zero(fp2_add(y1, y2)):
            return None
        x1x1 = fp2_sqr(x1)
        lam = fp2_mul((3 * x1x1[0], 3 * x1x1[1]), fp2_inv((2 * y1[0], 2 * y1[1])))
    else:
        lam = fp2_mul(fp2_sub(y2, y1), fp2_inv(fp2_sub(x2, x1)))
    x3 = fp2_sub(fp2_sub(fp2_sqr(lam), x1), x2)
    y3 = fp2_sub(fp2_mul(lam, fp2_sub(x1, x3)), y1)
    return (fp2_normalize(x3), fp2_normalize(y3))


def g2_mul_unreduced(pt: G2, k: int) -> G2:
    """[k]pt without reducing k mod r (meaningful also off the subgroup)."""
    if pt is None or k == 0:
        return None
    if k < 0:
        return g2_neg(g2_mul_unreduced(pt, -k))
    return g2_jac_to_affine(g2_jac_mul(g2_to_jac(pt), k))


def g2_mul(pt: G2, k: int) -> G2:
    """[k]pt with k taken mod r (points are assumed to be in G2, of order r)."""
    return g2_mul_unreduced(pt, k % R)


# --------------------------------------------------------------------------- endomorphisms

#: BN254 curve parameter x (the "u" of the BN family): p and r are polynomials in it.
BN_X = 4965661367192848881


def _cube_root_of_unity(modulus: int) -> int:
    """A primitive cube root of unity mod a prime = 1 mod 3 (2 generates a big subgroup)."""
    for g in range(2, 100):
        w = pow(g, (modulus - 1) // 3, modulus)
        if w != 1:
            return w
    raise ArithmeticError("no cube root of unity found")  # unreachable for BN254


def _glv_constants() -> tuple[int, int]:
    """(beta, lambda) with (beta*x, y) = [lambda](x, y) on G1.

    Both are primitive cube roots of unity (in Fp and Fr); of the two possible lambdas
    exactly one matches a given beta, found by testing on the generator.
    """
    beta = _cube_root_of_unity(P)
    lam = _cube_root_of_unity(R)
    gen = g1_to_jac(G1_GEN)
    target = (beta, 2)
    if g1_jac_to_affine(g1_jac_mul(gen, lam)) != target:
        lam = lam * lam % R
    return beta, lam


GLV_BETA, GLV_LAMBDA = _glv_constants()


def _glv_basis() -> tuple[tuple[int, int], tuple[int, int]]:
    """Two short vectors (a, b) with a + b*lambda = 0 mod r (extended Euclid on r, lambda).

    The standard GLV construction: run Euclid until the remainder drops below sqrt(r);
    the Bezout coefficients there give a reduced basis with ~127-bit entries.
    """
    r0, r1 = R, GLV_LAMBDA
    t0, t1 = 0, 1
    bound = gmpy2.isqrt(R)
    while r1 >= bound:
        q = r0 // r1
        r0, r1 = r1, r0 - q * r1
        t0, t1 = t1, t0 - q * t1
    # Now r1 < sqrt(r) <= r0; vectors (r_i, -t_i) satisfy r_i - t_i*lambda = 0 mod r.
    v1 = (r1, -t1)
    q = r0 // r1
    r2, t2 = r0 - q * r1, t0 - q * t1
    cand_a = (r0, -t0)
    cand_b = (r2, -t2)
    v2 = min(cand_a, cand_b, key=lambda v: v[0] * v[0] + v[1] * v[1])
    return v1, v2


GLV_V1, GLV_V2 = _glv_basis()
_GLV_DET = GLV_V1[0] * GLV_V2[1] - GLV_V1[1] * GLV_V2[0]


def glv_split(k: int) -> tuple[int, int]:
    """k = k1 + k2*lambda (mod r) with |k1|, |k2| < 2^128 (Babai rounding on the basis)."""
    (a1, b1), (a2, b2) = GLV_V1, GLV_V2
    det = _GLV_DET
    # Solve (k, 0) = c1*v1 + c2*v2 over Q and round: floor((2x + det) / (2det)) rounds.
    c1 = (2 * b2 * k + det) // (2 * det)
    c2 = (-2 * b1 * k + det) // (2 * det)
    return k - c1 * a1 - c2 * a2, -c1 * b1 - c2 * b2


def g1_endo(pt: G1) -> G1:
    """The GLV endomorphism (x, y) -> (beta*x, y), equal to [lambda] on G1."""
    if pt is None:
        return None
    return (int(pt[0] * GLV_BETA % P), int(pt[1]))


#: psi acts on G2 as multiplication by p mod r, which equals 6x^2 (t - 1 for BN curves).
PSI_EIGENVALUE = 6 * BN_X * BN_X
_XI: Fp2 = (9, 1)
#: psi(x, y) = (conj(x) * xi^((p-1)/3), conj(y) * xi^((p-1)/2)), xi = 9 + u (D-type twist).
PSI_CX: Fp2 = fp2_normalize(fp2_pow(_XI, (P - 1) // 3))
PSI_CY: Fp2 = fp2_normalize(fp2_pow(_XI, (P - 1) // 2))


def g2_psi(pt: G2) -> G2:
    """The untwist-Frobenius-twist endomorphism, equal to [6x^2] on G2 (not off it)."""
    if pt is None:
        return None
    x, y = pt
    px = fp2_mul(fp2_conj(x), PSI_CX)
    py = fp2_mul(fp2_conj(y), PSI_CY)
    return (fp2_normalize(px), fp2_normalize(py))
