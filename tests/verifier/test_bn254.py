"""``verifier.bn254`` against py_ecc's BN254 (an independent implementation): pairing values,
final exponentiation, Fp12 arithmetic, G1 and G2 scalar multiplications; bilinearity; the
prepared, cached and multi-pair Miller loops against each other; the G2 subgroup check on
points outside G2 (of every order the twist has), off the curve and at infinity.

py_ecc needs ~0.4 s a pairing: only a handful of values are compared with it.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.fields import optimized_bn128_FQ12 as FQ12
from py_ecc.optimized_bn128 import optimized_curve as curve
from py_ecc.optimized_bn128.optimized_pairing import (
    cast_point_to_fq12,
    final_exponentiate,
    miller_loop,
    pairing,
)

from verifier import bn254
from verifier.ceremony_crypto import fp2_sqrt
from verifier.field import P, R

rng = random.Random(254)

#: The twist's order is r (2p - r); 2p - r = 10069 · 5864401 · 1875725156269 · q (q prime).
COFACTOR = 2 * P - R
COFACTOR_PRIMES = (10069, 5864401, 1875725156269, COFACTOR // (10069 * 5864401 * 1875725156269))


# --- conversions to py_ecc ------------------------------------------------------------------


def fq12(f: bn254.Fp12) -> Any:
    """py_ecc's FQ12 (Fp[w]/(w^12 - 18 w^6 + 82), u = w^6 - 9) of a tower element."""
    coeffs = [0] * 12
    for k, slot in enumerate((0, 6, 2, 8, 4, 10)):  # the Fp2 coefficient of w^k
        a, b = f[slot], f[slot + 1]  # a + b u = (a - 9b) w^k + b w^(k+6)
        coeffs[k] += a - 9 * b
        coeffs[k + 6] += b
    return FQ12([c % P for c in coeffs])


def from_fq12(value: Any) -> bn254.Fp12:
    """The tower element of a py_ecc FQ12."""
    c = [int(x) for x in value.coeffs]
    out = [0] * 12
    for k, slot in enumerate((0, 6, 2, 8, 4, 10)):
        b = c[k + 6]
        out[slot], out[slot + 1] = (c[k] + 9 * b) % P, b % P
    return tuple(out)  # type: ignore[return-value]


def ecc_g1(point: bn254.G1Point) -> Any:
    return curve.Z1 if point is None else (FQ(point[0]), FQ(point[1]), FQ.one())


def ecc_g2(point: bn254.G2Point) -> Any:
    if point is None:
        return curve.Z2
    (x0, x1), (y0, y1) = point
    return FQ2([x0, x1]), FQ2([y0, y1]), FQ2.one()


def g1_of(point: Any) -> bn254.G1Point:
    if curve.is_inf(point):
        return None
    x, y = curve.normalize(point)
    return int(x.n), int(y.n)


def g2_of(point: Any) -> bn254.G2Point:
    if curve.is_inf(point):
        return None
    x, y = curve.normalize(point)
    return (int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1]))


def random_fp12() -> bn254.Fp12:
    return tuple(rng.randrange(P) for _ in range(12))  # type: ignore[return-value]


def g1(k: int) -> bn254.G1Point:
    return bn254.g1_mul(bn254.G1_GENERATOR, k)


def g2(k: int) -> bn254.G2Point:
    return bn254.g2_mul(bn254.G2_GENERATOR, k)


def twist_point(x0: int) -> bn254.G2Point:
    """A point of the twist with x = x0 in Fp (not cofactor-cleared), or None."""
    y = fp2_sqrt(((x0**3 + bn254.TWIST_B[0]) % P, bn254.TWIST_B[1]))
    return None if y is None else ((x0, 0), (int(y[0]), int(y[1])))


def twist_points(count: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    points: list[tuple[tuple[int, int], tuple[int, int]]] = []
    x0 = 1
    while len(points) < count:
        x0 += 1
        if (point := twist_point(x0)) is not None:
            points.append(point)
    return points


# --- the field tower --------------------------------------------------------------------------


def test_fp12_arithmetic_is_py_eccs() -> None:
    a, b = random_fp12(), random_fp12()
    assert fq12(bn254.fp12_mul(a, b)) == fq12(a) * fq12(b)
    assert fq12(bn254.fp12_sqr(a)) == fq12(a) * fq12(a)
    assert fq12(bn254.fp12_inv(a)) * fq12(a) == FQ12.one()
    assert from_fq12(fq12(a)) == a
    for n in (1, 2, 3):
        assert fq12(bn254.fp12_frobenius(a, n)) == fq12(a) ** (P**n)
    assert fq12(bn254.fp12_conj(a)) == fq12(a) ** (P**6)
    with pytest.raises(ZeroDivisionError):
        bn254.fp12_inv((0,) * 12)


def test_cyclotomic_squaring_and_powers_in_gt() -> None:
    f = random_fp12()
    easy = bn254.fp12_mul(bn254.fp12_conj(f), bn254.fp12_inv(f))
    easy = bn254.fp12_mul(bn254.fp12_frobenius(easy, 2), easy)  # in the cyclotomic subgroup
    assert bn254.cyclotomic_sqr(easy) == bn254.fp12_sqr(easy)
    assert bn254._cyclotomic_exp_x(easy) == bn254.gt_pow(easy, bn254.X)
    assert fq12(bn254.gt_pow(easy, 1000003)) == fq12(easy) ** 1000003
    assert bn254.gt_pow(easy, 0) == bn254.ONE


# --- pairing values -----------------------------------------------------------------------------


def test_final_exponentiation_is_py_eccs() -> None:
    p1, q2 = g1(rng.randrange(1, R)), g2(rng.randrange(1, R))
    miller = bn254.miller_loop([(p1, bn254.prepare(q2))])
    for f in (miller, random_fp12()):
        assert fq12(bn254.final_exponentiation(f)) == final_exponentiate(fq12(f))


@pytest.mark.parametrize("seed", range(3))
def test_pairing_values_are_py_eccs(seed: int) -> None:
    rand = random.Random(seed)
    p1, q2 = g1(rand.randrange(1, R)), g2(rand.randrange(1, R))
    expected = pairing(ecc_g2(q2), ecc_g1(p1))
    assert fq12(bn254.pairing(p1, q2)) == expected


def test_bilinearity() -> None:
    a, b = rng.randrange(1, R), rng.randrange(1, R)
    base = bn254.pairing(bn254.G1_GENERATOR, bn254.G2_GENERATOR)
    assert base != bn254.ONE and bn254.gt_pow(base, R) == bn254.ONE
    assert bn254.pairing(g1(a), g2(b)) == bn254.gt_pow(base, a * b % R)
    assert bn254.pairing(g1(a * b), bn254.G2_GENERATOR) == bn254.pairing(g1(a), g2(b))
    assert bn254.product_is_one([(g1(a), g2(b)), (g1(R - a * b % R), bn254.G2_GENERATOR)])
    assert not bn254.product_is_one([(g1(a), g2(b)), (g1(R - a * b % R + 1), bn254.G2_GENERATOR)])


def test_prepared_unprepared_unit_and_cached_lines_give_the_same_pairing() -> None:
    p1, q2 = g1(rng.randrange(1, R)), g2(rng.randrange(1, R))
    assert q2 is not None
    lines = bn254.prepare(q2)
    unit = bn254._unit_lines(lines)
    assert unit is not None and len(lines) == len(unit) == len(bn254._SQUARE_BEFORE)
    assert all(len(line) == 6 for line in lines) and all(len(line) == 4 for line in unit)
    expected = bn254.final_exponentiation(bn254.miller_loop([(p1, lines)]))
    assert bn254.final_exponentiation(bn254.miller_loop([(p1, unit)])) == expected
    # py_ecc's Miller loop computes its lines on the fly (affine, binary 6x + 2)
    ecc_p, ecc_q = cast_point_to_fq12(ecc_g1(p1)), curve.twist(ecc_g2(q2))
    unprepared = from_fq12(miller_loop(ecc_q, ecc_p, final_exponentiate=False))
    assert bn254.final_exponentiation(unprepared) == expected
    bn254.clear_caches()
    assert bn254.prepared(q2) == lines  # first use: as prepared
    assert bn254.prepared(q2) == unit  # second use: scaled to c3 = 1, and kept
    assert bn254.prepared(q2) is bn254.prepared(q2)
    assert bn254._unit_lines(((1, 2, 3, 4, 0, 0),)) is None  # no 1/c3 for c3 = 0


def test_multi_miller_loop_is_the_product_of_single_loops() -> None:
    pairs = [(g1(rng.randrange(1, R)), bn254.prepare(g2(rng.randrange(1, R)))) for _ in range(3)]
    product = bn254.ONE
    for pair in pairs:
        product = bn254.fp12_mul(product, bn254.miller_loop([pair]))
    assert bn254.miller_loop(pairs) == product
    mixed = [pairs[0], (pairs[1][0], bn254._unit_lines(pairs[1][1]))]
    single = [bn254.final_exponentiation(bn254.miller_loop([pair])) for pair in pairs[:2]]
    assert bn254.final_exponentiation(bn254.miller_loop(mixed)) == bn254.fp12_mul(*single)  # type: ignore[arg-type]


def test_weighted_products_group_equal_g2_points() -> None:
    q = g2(rng.randrange(1, R))
    a, b, w = rng.randrange(1, R), rng.randrange(1, R), rng.randrange(1, 1 << 128)
    # e(w aG, Q) e(-(w a - b) G, Q) e(-bG, Q) = 1, as one group; weights are taken mod r
    weighted = [(w, g1(a), q), (R + 1, g1(R - (w * a - b) % R), q), (1, g1(R - b), q)]
    assert bn254.weighted_product_is_one(weighted)
    assert not bn254.weighted_product_is_one([*weighted[:2], (2, g1(R - b), q)])
    two = [(w, g1(a), q), (1, g1(R - w * a % R), q), (5, g1(b), bn254.G2_GENERATOR)]
    assert not bn254.weighted_product_is_one(two)
    assert bn254.weighted_product_is_one([*two, (5, g1(R - b), bn254.G2_GENERATOR)])


def test_infinity_counts_as_one() -> None:
    q = bn254.G2_GENERATOR
    assert bn254.pairing(None, q) == bn254.pairing(bn254.G1_GENERATOR, None) == bn254.ONE
    assert bn254.miller_loop([]) == bn254.miller_loop([(None, bn254.prepare(q))]) == bn254.ONE
    assert bn254.product_is_one([]) and bn254.product_is_one([(None, q), ((1, 2), None)])
    assert bn254.weighted_product_is_one([(0, (1, 2), q), (R, (1, 2), q)])  # weights 0 mod r
    assert not bn254.weighted_product_is_one([(1, (1, 2), q)])
    with pytest.raises(ValueError, match="G2 other than infinity"):
        bn254.prepare(None)


def test_pairing_products_refuse_invalid_points() -> None:
    outside = twist_points(1)[0]
    assert bn254.g2_mul(outside, R) is not None
    with pytest.raises(ValueError, match="not in G2"):
        bn254.weighted_product_is_one([(1, (1, 2), outside)])
    with pytest.raises(ValueError, match="not on the curve"):
        bn254.weighted_product_is_one([(1, (1, 3), bn254.G2_GENERATOR)])
    with pytest.raises(ValueError, match="G2 other than infinity"):
        bn254.prepare(outside)


# --- G1 and G2 arithmetic -----------------------------------------------------------------


SCALARS = [0, 1, 2, 7, R - 1, R, R + 1, 1 << 128, 3 * R + 5]


def test_g1_scalar_multiplications_are_py_eccs() -> None:
    point = g1(rng.randrange(1, R))
    scalars = [*SCALARS, rng.randrange(R), rng.randrange(1 << 128)]
    expected = [g1_of(curve.multiply(ecc_g1(point), k % R)) for k in scalars]
    assert [bn254.g1_mul(point, k) for k in scalars] == expected
    assert bn254.g1_mul_many([point] * len(scalars), scalars) == expected
    assert bn254.g1_mul(None, 5) is None
    with pytest.raises(ValueError, match="not a point"):
        bn254.g1_mul((1, 3), 5)


def test_g1_msm_and_addition_are_py_eccs() -> None:
    points = [g1(rng.randrange(1, R)) for _ in range(5)]
    scalars = [rng.randrange(R), rng.randrange(1 << 128), 0, R, 1]
    total = curve.Z1
    for point, k in zip(points, scalars, strict=True):
        total = curve.add(total, curve.multiply(ecc_g1(point), k % R))
    assert bn254.g1_msm([*points, None], [*scalars, 9]) == g1_of(total)
    assert bn254.g1_msm([points[0], points[0]], [1, R - 1]) is None  # cancels
    assert bn254.g1_add(points[0], points[1]) == g1_of(
        curve.add(ecc_g1(points[0]), ecc_g1(points[1]))
    )
    assert bn254.g1_add(points[0], bn254.g1_mul(points[0], R - 1)) is None
    assert bn254.g1_add(points[0], points[0]) == bn254.g1_mul(points[0], 2)


def test_g2_scalar_multiplications_are_py_eccs() -> None:
    point = g2(rng.randrange(1, R))
    outside = twist_points(1)[0]
    for k in [*SCALARS, COFACTOR, rng.randrange(1 << 300)]:
        for q in (point, outside):
            assert bn254.g2_mul(q, k) == g2_of(curve.multiply(ecc_g2(q), k)), k
    assert bn254.g2_mul(point, -3) == g2_of(curve.neg(curve.multiply(ecc_g2(point), 3)))
    assert bn254.g2_add(point, bn254.G2_GENERATOR) == g2_of(
        curve.add(ecc_g2(point), ecc_g2(bn254.G2_GENERATOR))
    )
    assert bn254.g2_psi(point) == bn254.g2_mul(point, P)  # psi is [p] on G2
    with pytest.raises(ValueError, match="not a point"):
        bn254.g2_mul(((1, 0), (1, 0)), 2)


# --- the G2 subgroup check ------------------------------------------------------------------


def test_g2_points_are_in_g2() -> None:
    assert bn254.g2_in_subgroup(None)
    assert bn254.g2_in_subgroup(bn254.G2_GENERATOR)
    for _ in range(3):
        bn254.clear_caches()
        assert bn254.g2_in_subgroup(g2(rng.randrange(1, R)))
    for point in twist_points(2):
        assert bn254.g2_in_subgroup(bn254.g2_mul(point, COFACTOR))  # cofactor cleared


def test_twist_points_outside_g2_are_refused() -> None:
    for point in twist_points(3):  # hash-to-twist without cofactor clearing
        assert bn254.g2_on_curve(point)
        assert bn254.g2_mul(point, R) is not None  # the reference: r does not kill it
        assert not bn254.g2_in_subgroup(point)
        assert not bn254.g2_in_subgroup(bn254.g2_add(point, bn254.G2_GENERATOR))


@pytest.mark.parametrize("prime", COFACTOR_PRIMES)
def test_points_of_each_small_order_are_refused(prime: int) -> None:
    """A point of order ``prime`` (a factor of the cofactor) and the same plus a G2 point."""
    for point in twist_points(4):
        small = bn254.g2_mul(point, R * COFACTOR // prime)
        if small is None:
            continue
        assert bn254.g2_mul(small, prime) is None
        assert not bn254.g2_in_subgroup(small)
        assert not bn254.g2_in_subgroup(bn254.g2_add(small, g2(rng.randrange(1, R))))
        return
    raise AssertionError(f"no point of order {prime} found")


def test_points_off_the_twist_are_refused() -> None:
    (x0, x1), (y0, y1) = bn254.G2_GENERATOR
    for bad in [
        ((x0, x1), (y0, (y1 + 1) % P)),
        ((x0 + P, x1), (y0, y1)),  # the same point, coordinates not reduced
        ((x0, x1), (y0 - P, y1)),
        ((0, 0), (0, 0)),
        ((True, 0), (y0, y1)),
    ]:
        assert not bn254.g2_on_curve(bad)
        assert not bn254.g2_in_subgroup(bad)
    assert not bn254.g1_on_curve((1, 2 + P)) and not bn254.g1_on_curve((True, 2))
    assert bn254.g1_on_curve((1, 2)) and bn254.g1_on_curve(None)


def test_the_subgroup_check_remembers_only_members() -> None:
    bn254.clear_caches()
    outside = twist_points(1)[0]
    assert not bn254.g2_in_subgroup(outside) and not bn254.g2_in_subgroup(outside)
    assert bn254._G2_MEMBERS.get(outside) is None
    assert bn254.g2_in_subgroup(bn254.G2_GENERATOR)
    assert bn254._G2_MEMBERS.get(bn254.G2_GENERATOR)
    # what is remembered never skips the curve check (types and ranges included)
    bn254._G2_MEMBERS.put(((1, 0), (2, 0)), True)
    assert not bn254.g2_in_subgroup(((1, 0), (2, 0)))
    assert not bn254.g2_in_subgroup(((True, False), (2, 0)))
    bn254.clear_caches()


def test_the_field_constants_are_py_eccs() -> None:
    from py_ecc.optimized_bn128.optimized_curve import curve_order, field_modulus

    from verifier.field import P as field_p
    from verifier.field import R as field_r

    assert (field_r, field_p) == (curve_order, field_modulus)


def test_the_ceremony_g2_generator_is_py_eccs() -> None:
    from py_ecc.optimized_bn128.optimized_curve import G2

    from verifier.ceremony_crypto import g2_from_ecc
    from verifier.ceremony_format import G2_GENERATOR

    assert g2_from_ecc(G2) == G2_GENERATOR


def test_the_verifier_does_not_import_py_eccs_curve_at_start_up() -> None:
    """py_ecc's BN254 modules are only the tests' reference: importing them costs the
    browser's start-up (run in a fresh interpreter, where nothing imported them yet)."""
    import subprocess
    import sys

    code = (
        "import sys, verifier.web; "
        "print(sorted(m for m in sys.modules if m.startswith('py_ecc.optimized_bn128')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
