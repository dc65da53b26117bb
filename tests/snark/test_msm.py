"""Curve helpers, MSM and fixed-base multiplication against py_ecc.optimized_bn128."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from py_ecc.optimized_bn128.optimized_curve import G1 as PY_G1
from py_ecc.optimized_bn128.optimized_curve import G2 as PY_G2
from py_ecc.optimized_bn128.optimized_curve import Z1, Z2, add, multiply, normalize

from publisher.snark import msm
from publisher.snark.curve import (
    B2,
    G1,
    G1_GEN,
    G2,
    G2_GEN,
    GLV_LAMBDA,
    PSI_EIGENVALUE,
    fp2_add,
    fp2_inv,
    fp2_mul,
    fp2_sqr,
    fp_inv,
    g1_add,
    g1_endo,
    g1_from_py_ecc,
    g1_is_on_curve,
    g1_jac_add,
    g1_jac_add_affine,
    g1_jac_double,
    g1_jac_neg,
    g1_mul,
    g1_neg,
    g1_to_jac,
    g1_to_py_ecc,
    g2_add,
    g2_from_py_ecc,
    g2_is_in_subgroup,
    g2_is_on_curve,
    g2_jac_add,
    g2_jac_double,
    g2_jac_neg,
    g2_mul,
    g2_mul_unreduced,
    g2_neg,
    g2_psi,
    g2_to_jac,
    g2_to_py_ecc,
    glv_split,
)
from publisher.snark.msm import (
    batch_normalize_g1,
    batch_normalize_g2,
    fixed_base_g1,
    fixed_base_g2,
    msm_g1,
    msm_g2,
)
from verifier.field import P, R

EDGE_SCALARS = [0, 1, 2, R - 1, R, R + 1, -1, -5, 2**127, 2**128 + 3, GLV_LAMBDA, PSI_EIGENVALUE]


def rand_g1(rng: random.Random, n: int) -> list[G1]:
    return [g1_mul(G1_GEN, rng.randrange(1, R)) for _ in range(n)]


def rand_g2(rng: random.Random, n: int) -> list[G2]:
    return [g2_mul(G2_GEN, rng.randrange(1, R)) for _ in range(n)]


def naive(
    add_fn: Callable[[Any, Any], Any],
    mul_fn: Callable[[Any, int], Any],
    points: Sequence[Any],
    scalars: Sequence[int],
) -> Any:
    acc = None
    for pt, k in zip(points, scalars, strict=True):
        acc = add_fn(acc, mul_fn(pt, k))
    return acc


def py_ecc_msm(points: Sequence[Any], scalars: Sequence[int], zero: Any) -> Any:
    """The reference: py_ecc multiply/add on its own point type."""
    acc = zero
    for pt, k in zip(points, scalars, strict=True):
        acc = add(acc, multiply(pt, k % R))
    return acc


# --------------------------------------------------------------------------- curve.py


def test_generators_and_conversions() -> None:
    assert g1_from_py_ecc(PY_G1) == G1_GEN
    assert g2_from_py_ecc(PY_G2) == G2_GEN
    assert g1_is_on_curve(G1_GEN) and g2_is_on_curve(G2_GEN)
    assert g2_is_in_subgroup(G2_GEN)
    assert g1_from_py_ecc(Z1) is None and g2_from_py_ecc(Z2) is None
    assert g1_from_py_ecc(g1_to_py_ecc(None)) is None
    assert g2_from_py_ecc(g2_to_py_ecc(None)) is None
    k = 0x1234567890ABCDEF1234567890ABCDEF
    py1 = multiply(PY_G1, k)
    py2 = multiply(PY_G2, k)
    assert g1_mul(G1_GEN, k) == g1_from_py_ecc(py1)
    assert g2_mul(G2_GEN, k) == g2_from_py_ecc(py2)
    assert normalize(g1_to_py_ecc(g1_from_py_ecc(py1))) == normalize(py1)
    assert normalize(g2_to_py_ecc(g2_from_py_ecc(py2))) == normalize(py2)


def test_on_curve_rejects_bad_points() -> None:
    assert not g1_is_on_curve((1, 3))
    assert not g1_is_on_curve((1, 2 + P))
    assert g1_is_on_curve(None)
    (x0, x1), y = G2_GEN  # type: ignore[misc]
    assert not g2_is_on_curve(((x0 + 1, x1), y))
    assert not g2_is_in_subgroup(((x0 + 1, x1), y))


def twist_point_off_subgroup() -> G2:
    """Some point of the twist outside G2: a valid x, y = sqrt(x^3 + b) in Fp2."""
    for x0 in range(1, 50):
        x = (x0, 1)
        a0, a1 = fp2_add(fp2_mul(fp2_sqr(x), x), B2)
        alpha = pow(a0 * a0 + a1 * a1, (P + 1) // 4, P)  # sqrt of the norm, p = 3 mod 4
        if alpha * alpha % P != (a0 * a0 + a1 * a1) % P:
            continue
        for half in ((a0 + alpha) * pow(2, -1, P) % P, (a0 - alpha) * pow(2, -1, P) % P):
            y0 = pow(half, (P + 1) // 4, P)
            if y0 and y0 * y0 % P == half:
                y = (y0, a1 * pow(2 * y0, -1, P) % P)
                if fp2_sqr(y) == (a0, a1):
                    return (x, y)
    raise AssertionError("no twist point found")


def test_subgroup_check_rejects_twist_points_outside_g2() -> None:
    q = twist_point_off_subgroup()
    assert g2_is_on_curve(q)
    assert not g2_is_in_subgroup(q)
    assert g2_mul_unreduced(q, R) is not None  # indeed not of order r


def test_add_neg_mul_edges() -> None:
    a = g1_mul(G1_GEN, 5)
    assert g1_add(a, g1_neg(a)) is None
    assert g1_add(a, a) == g1_mul(G1_GEN, 10)
    assert g1_add(None, a) == a and g1_add(a, None) == a
    assert g1_mul(a, 0) is None and g1_mul(a, R) is None and g1_mul(None, 3) is None
    assert g1_mul(a, R - 1) == g1_neg(a) == g1_mul(a, -1)
    b = g2_mul(G2_GEN, 5)
    assert g2_add(b, g2_neg(b)) is None
    assert g2_add(b, b) == g2_mul(G2_GEN, 10)
    assert g2_mul(b, R - 1) == g2_neg(b)
    assert g2_mul(b, R) is None


def test_jacobian_formulas_special_cases() -> None:
    j = g1_to_jac(g1_mul(G1_GEN, 7))
    assert batch_normalize_g1([g1_jac_add(j, j), g1_jac_double(j)]) == [g1_mul(G1_GEN, 14)] * 2
    neg = g1_to_jac(g1_mul(G1_GEN, R - 7))
    assert batch_normalize_g1([g1_jac_add(j, neg), g1_to_jac(None)]) == [None, None]
    q = g2_to_jac(g2_mul(G2_GEN, 7))
    assert batch_normalize_g2([g2_jac_add(q, q), g2_jac_double(q)]) == [g2_mul(G2_GEN, 14)] * 2
    qn = g2_to_jac(g2_mul(G2_GEN, R - 7))
    assert batch_normalize_g2([g2_jac_add(q, qn), g2_to_jac(None)]) == [None, None]


def test_field_helpers_and_mixed_add() -> None:
    assert fp_inv(3) * 3 % P == 1
    with pytest.raises(ZeroDivisionError):
        fp_inv(P)
    with pytest.raises(ZeroDivisionError):
        fp2_inv((0, P))
    j = g1_to_jac(g1_mul(G1_GEN, 3))
    jj = g1_jac_double(j)  # Z != 1, so the mixed formula really mixes
    for k, expected in [(5, 11), (6, 12), (R - 6, 0)]:  # generic, doubling, cancelling
        got = batch_normalize_g1([g1_jac_add_affine(jj, g1_mul(G1_GEN, k))])
        assert got == [g1_mul(G1_GEN, expected)]
    assert batch_normalize_g1([g1_jac_add_affine(g1_to_jac(None), G1_GEN)]) == [G1_GEN]
    assert batch_normalize_g1([g1_jac_add_affine(j, None), g1_jac_neg(j)]) == [
        g1_mul(G1_GEN, 3),
        g1_mul(G1_GEN, R - 3),
    ]
    assert g1_endo(G1_GEN) == g1_mul(G1_GEN, GLV_LAMBDA) and g1_endo(None) is None
    q = g2_to_jac(g2_mul(G2_GEN, 3))
    assert batch_normalize_g2([g2_jac_neg(q)]) == [g2_mul(G2_GEN, R - 3)]


def test_glv_split_and_endomorphisms() -> None:
    rng = random.Random(1)
    for k in [0, 1, R - 1, GLV_LAMBDA, *(rng.randrange(R) for _ in range(50))]:
        k1, k2 = glv_split(k)
        assert (k1 + k2 * GLV_LAMBDA - k) % R == 0
        assert abs(k1) < 2**128 and abs(k2) < 2**128
    assert g2_psi(G2_GEN) == g2_mul(G2_GEN, PSI_EIGENVALUE)


# --------------------------------------------------------------------------- MSM


@pytest.mark.parametrize("n", [0, 1, 2, 3, 9])
def test_msm_g1_against_py_ecc(n: int) -> None:
    rng = random.Random(n)
    ks = [rng.randrange(R) for _ in range(n)]
    pys = [multiply(PY_G1, rng.randrange(1, R)) for _ in range(n)]
    expected = g1_from_py_ecc(py_ecc_msm(pys, ks, Z1))
    assert msm_g1([g1_from_py_ecc(q) for q in pys], ks) == expected


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_msm_g2_against_py_ecc(n: int) -> None:
    rng = random.Random(100 + n)
    ks = [rng.randrange(R) for _ in range(n)]
    pys = [multiply(PY_G2, rng.randrange(1, R)) for _ in range(n)]
    expected = g2_from_py_ecc(py_ecc_msm(pys, ks, Z2))
    assert msm_g2([g2_from_py_ecc(q) for q in pys], ks) == expected


Case = tuple[list[Any], list[int]]


def edge_case_inputs(pts: list[Any], neg: Callable[[Any], Any]) -> list[Case]:
    """Point/scalar sets that exercise cancellations, doublings and skipped entries."""
    rng = random.Random(7)
    n = len(pts)
    edge = [EDGE_SCALARS[i % len(EDGE_SCALARS)] for i in range(n)]
    same = [rng.randrange(R)] * n
    return [
        (pts, edge),
        (pts + pts, edge + edge),  # duplicated points: doublings inside buckets
        (pts + [neg(q) for q in pts], edge + edge),  # P and -P with equal scalars: sum 0
        (pts + pts, same + same),  # one bucket per window: overflow path
        ([*pts, None, None], [*edge, 5, 1]),  # infinity inputs skipped
        (pts, [1] * n),  # only the direct sum of the scalar-1 points
        (pts, [0] * n),
        (pts, [R - 1] * n),
        ([pts[0]] * n, [3] * n),  # one point many times
    ]


def test_msm_g1_edge_cases() -> None:
    pts = rand_g1(random.Random(2), 24)
    for points, scalars in edge_case_inputs(pts, g1_neg):
        assert msm_g1(points, scalars) == naive(g1_add, g1_mul, points, scalars)


def test_msm_g2_edge_cases() -> None:
    pts = rand_g2(random.Random(3), 8)
    for points, scalars in edge_case_inputs(pts, g2_neg):
        assert msm_g2(points, scalars) == naive(g2_add, g2_mul, points, scalars)


def test_msm_g1_random_and_bits() -> None:
    rng = random.Random(4)
    pts = rand_g1(rng, 300)
    ks = [rng.randrange(R) for _ in pts]
    assert msm_g1(pts, ks) == naive(g1_add, g1_mul, pts, ks)
    bits = [rng.randrange(2) if rng.random() < 0.7 else rng.randrange(R) for _ in pts]
    assert msm_g1(pts, bits) == naive(g1_add, g1_mul, pts, bits)


@pytest.mark.parametrize("c", [2, 3, 5, 8, 12])
def test_msm_every_window_size(c: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Force each window size: covers bucket layouts, top-window carries, empty buckets."""
    monkeypatch.setattr(msm, "_window_bits", lambda m, bits, max_c: c)
    rng = random.Random(c)
    pts = rand_g1(rng, 20)
    ks = [rng.randrange(R) for _ in pts[:-2]] + [R - 1, 2**253]
    assert msm_g1(pts, ks) == naive(g1_add, g1_mul, pts, ks)
    qs = rand_g2(rng, 4)
    assert msm_g2(qs, ks[:4]) == naive(g2_add, g2_mul, qs, ks[:4])


def test_msm_sizes_cross_window_thresholds() -> None:
    rng = random.Random(5)
    pts = rand_g1(rng, 70)
    for n in (4, 7, 8, 33, 64, 70):  # 2n GLV halves: thresholds of _window_bits
        ks = [rng.randrange(R) for _ in range(n)]
        assert msm_g1(pts[:n], ks) == naive(g1_add, g1_mul, pts[:n], ks)


def test_msm_g2_random() -> None:
    rng = random.Random(6)
    pts = rand_g2(rng, 30)
    ks = [rng.randrange(R) for _ in pts]
    assert msm_g2(pts, ks) == naive(g2_add, g2_mul, pts, ks)


def test_msm_length_mismatch() -> None:
    with pytest.raises(ValueError):
        msm_g1([G1_GEN], [])
    with pytest.raises(ValueError):
        msm_g2([], [1])


def test_results_are_plain_ints() -> None:
    out = msm_g1([G1_GEN, G1_GEN], [3, 1])
    assert out is not None and all(type(c) is int for c in out)
    out2 = msm_g2([G2_GEN], [3])
    assert out2 is not None and all(type(c) is int for xy in out2 for c in xy)


# --------------------------------------------------------------------------- internals


def test_sum_lists_folds_long_lists_and_cancels() -> None:
    pts = rand_g1(random.Random(8), 6)
    negs = [g1_neg(q) for q in pts]
    store = msm._g1_cols(pts + negs + [pts[0]] * 300)
    lists = [[0, 1, 2], [], [0, 6], [3], [*range(12, 312), 7, 1, 0, 6], [4, 10, 5]]
    out = msm._sum_lists(store, lists, msm._g1_add)
    flat = pts + negs + [pts[0]] * 300
    for i, idx in enumerate(lists):
        expected = naive(g1_add, g1_mul, [flat[j] for j in idx], [1] * len(idx))
        got = None if out[0][i] is None else (int(out[0][i]), int(out[1][i]))
        assert got == expected


def test_batch_normalize_mixed() -> None:
    js = [g1_to_jac(g1_mul(G1_GEN, k)) for k in (2, 3)]
    doubled = [g1_jac_double(j) for j in js]
    assert batch_normalize_g1([*doubled, g1_to_jac(None)]) == [
        g1_mul(G1_GEN, 4),
        g1_mul(G1_GEN, 6),
        None,
    ]
    assert batch_normalize_g1([]) == [] and batch_normalize_g2([]) == []


# --------------------------------------------------------------------------- fixed base


def test_fixed_base_g1() -> None:
    rng = random.Random(9)
    ks = [*EDGE_SCALARS, *(rng.randrange(R) for _ in range(40)), *range(990, 1000)]
    assert fixed_base_g1(G1_GEN, ks) == [g1_mul(G1_GEN, k) for k in ks]
    base = g1_mul(G1_GEN, 12345)
    assert fixed_base_g1(base, ks[:6]) == [g1_mul(base, k) for k in ks[:6]]
    assert fixed_base_g1(base, []) == []
    assert fixed_base_g1(None, [1, 2]) == [None, None]
    assert fixed_base_g1(base, [0, R, -R]) == [None, None, None]
    py = multiply(PY_G1, ks[-1])
    assert fixed_base_g1(G1_GEN, [ks[-1]])[0] == g1_from_py_ecc(py)


def test_fixed_base_g2() -> None:
    rng = random.Random(10)
    ks = EDGE_SCALARS + [rng.randrange(R) for _ in range(6)]
    assert fixed_base_g2(G2_GEN, ks) == [g2_mul(G2_GEN, k) for k in ks]
    assert fixed_base_g2(None, [1]) == [None]
    py = multiply(PY_G2, ks[-1])
    assert fixed_base_g2(G2_GEN, [ks[-1]])[0] == g2_from_py_ecc(py)
