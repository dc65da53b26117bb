"""Many small linear combinations at once, against one MSM each; batch scaling and the
batch G2 membership test, against their one-point versions."""

from __future__ import annotations

import random

from publisher.snark.curve import G1_GEN, G2_GEN, g1_mul, g2_is_in_subgroup
from publisher.snark.lincomb import g2_not_in_subgroup, lincombs_g1, lincombs_g2, scale_g1
from publisher.snark.msm import fixed_base_g1, fixed_base_g2, msm_g1, msm_g2
from tests.ceremony.test_ptau import _twist_point_outside_g2
from verifier.field import R

rng = random.Random(4)


def _columns(n: int) -> list[list[tuple[int, int]]]:
    """Random columns with the awkward cases: empty, zero and unit coefficients, r - 1,
    a term and its negation (cancelling to infinity), and a column longer than a chunk."""
    columns = [
        [
            (rng.randrange(n), rng.choice([0, 1, 2, R - 1, rng.randrange(R), 1 << 70]))
            for _ in range(rng.randrange(8))
        ]
        for _ in range(120)
    ]
    columns += [[], [(5, 1), (5, R - 1)], [(5, 3), (6, 2), (5, R - 3)]]
    columns.append([(rng.randrange(n), rng.randrange(R)) for _ in range(150)])
    return columns


def test_lincombs_g1_equal_one_msm_per_column() -> None:
    bases = fixed_base_g1(G1_GEN, [rng.randrange(R) for _ in range(40)])
    bases[7] = None
    columns = _columns(len(bases))
    expected = [msm_g1([bases[i] for i, _ in c], [k for _, k in c]) for c in columns]
    assert lincombs_g1(bases, columns) == expected


def test_lincombs_g2_equal_one_msm_per_column() -> None:
    bases = fixed_base_g2(G2_GEN, [rng.randrange(R) for _ in range(40)])
    columns = _columns(len(bases))
    expected = [msm_g2([bases[i] for i, _ in c], [k for _, k in c]) for c in columns]
    assert lincombs_g2(bases, columns) == expected


def test_scale_g1_is_a_multiplication_per_point() -> None:
    points = [*fixed_base_g1(G1_GEN, [rng.randrange(R) for _ in range(30)]), None]
    k = rng.randrange(R)
    assert scale_g1(points, k) == [None if p is None else g1_mul(p, k) for p in points]


def test_g2_not_in_subgroup_finds_exactly_the_points_outside_g2() -> None:
    points = fixed_base_g2(G2_GEN, [rng.randrange(R) for _ in range(20)])
    points[3] = _twist_point_outside_g2()
    points[9] = None
    assert g2_not_in_subgroup(points) == [3]
    assert [i for i, q in enumerate(points) if not g2_is_in_subgroup(q)] == [3]
