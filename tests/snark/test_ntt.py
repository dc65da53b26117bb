"""NTT over Fr: against a naive O(n^2) DFT, round trips, cosets and domain roots."""

from __future__ import annotations

import random

import pytest

from publisher.snark.ntt import (
    ROOT_OF_UNITY_2_28,
    TWO_ADICITY,
    coset_intt,
    coset_ntt,
    domain_root,
    intt,
    ntt,
)
from verifier.field import R


def naive_eval(coeffs: list[int], points: list[int]) -> list[int]:
    return [sum(c * pow(x, j, R) for j, c in enumerate(coeffs)) % R for x in points]


def rand_vec(rng: random.Random, n: int) -> list[int]:
    return [rng.randrange(R) for _ in range(n)]


def test_root_of_unity_has_order_2_28() -> None:
    assert (R - 1) % (1 << TWO_ADICITY) == 0 and ((R - 1) >> TWO_ADICITY) % 2 == 1
    assert pow(ROOT_OF_UNITY_2_28, 1 << TWO_ADICITY, R) == 1
    assert pow(ROOT_OF_UNITY_2_28, 1 << (TWO_ADICITY - 1), R) == R - 1


@pytest.mark.parametrize("k", [0, 1, 5, 16, 28])
def test_domain_root_is_primitive(k: int) -> None:
    n = 1 << k
    w = domain_root(n)
    assert pow(w, n, R) == 1
    if n > 1:
        assert pow(w, n // 2, R) == R - 1


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16, 32, 64])
def test_ntt_matches_naive_dft(n: int) -> None:
    rng = random.Random(n)
    a = rand_vec(rng, n)
    w = domain_root(n)
    assert ntt(a) == naive_eval(a, [pow(w, i, R) for i in range(n)])
    assert intt(ntt(a)) == a


@pytest.mark.parametrize("n", [1, 2, 16, 64])
def test_coset_matches_naive(n: int) -> None:
    rng = random.Random(1000 + n)
    a = rand_vec(rng, n)
    w = domain_root(n)
    shift = 7
    evals = coset_ntt(a, shift)
    assert evals == naive_eval(a, [shift * pow(w, i, R) % R for i in range(n)])
    assert coset_intt(evals, shift) == a


@pytest.mark.parametrize("k", [7, 10, 12])
def test_round_trips_large(k: int) -> None:
    """Sizes where both stage kinds (strided and block) run."""
    rng = random.Random(k)
    a = rand_vec(rng, 1 << k)
    assert intt(ntt(a)) == a
    assert ntt(intt(a)) == a
    assert coset_intt(coset_ntt(a, 5), 5) == a


def test_polynomial_product_via_ntt() -> None:
    rng = random.Random(3)
    f, g = rand_vec(rng, 8), rand_vec(rng, 8)
    n = 16
    prod = intt([x * y % R for x, y in zip(ntt(f + [0] * 8), ntt(g + [0] * 8), strict=True)])
    expected = [0] * n
    for i, fi in enumerate(f):
        for j, gj in enumerate(g):
            expected[i + j] = (expected[i + j] + fi * gj) % R
    assert prod == expected


def test_unreduced_inputs_and_plain_ints() -> None:
    a = [-1, R + 2, 3 * R, 5]
    b = [R - 1, 2, 0, 5]
    assert ntt(a) == ntt(b)
    assert coset_ntt(a, 5 + R) == coset_ntt(b, 5)
    assert all(type(x) is int for x in ntt(a) + intt(a) + coset_intt(a, 3))


def test_bad_sizes_and_shift() -> None:
    for bad in ([], [1, 2, 3], [0] * 6):
        with pytest.raises(ValueError):
            ntt(bad)
        with pytest.raises(ValueError):
            intt(bad)
    with pytest.raises(ValueError):
        domain_root(1 << 29)
    with pytest.raises(ValueError):
        coset_ntt([1, 2], R)
    with pytest.raises(ValueError):
        coset_intt([1, 2], 0)
