"""The native BN254 kernels against the pure-Python reference: every kernel on random
inputs and on the edges (scalars 0, 1, r - 1, >= r, infinity, cancellations, repeated
points, sizes across the C code's window and chunk thresholds, several thread counts),
the raw module's refusal of malformed input, and the whole prove step, byte for byte."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from publisher.snark import _native, backend, lincomb, msm, native, ntt
from publisher.snark.batch import dev_key_paths, random_batch
from publisher.snark.circuit import CircuitShape, batch_witness, build_batch_circuit
from publisher.snark.curve import (
    G1,
    G1_GEN,
    G2,
    G2_GEN,
    PSI_EIGENVALUE,
    g1_mul,
    g1_neg,
    g2_add,
    g2_is_in_subgroup,
    g2_mul,
    g2_mul_unreduced,
    g2_neg,
)
from publisher.snark.keys import ProvingKey
from publisher.snark.native import PackedKey
from publisher.snark.prove import PhaseTimer, ProverError, prove
from publisher.snark.qap import coset_shift
from publisher.snark.r1cs import ConstraintSystem, UnsatisfiedConstraint
from tests.ceremony.test_ptau import _twist_point_outside_g2
from verifier.field import P, R
from verifier.groth16 import Proof, VerifyingKey, verify

T = TypeVar("T")
Column = list[tuple[int, int]]

#: Scalars every kernel must take as the Python API does: mod r, whatever their size or sign.
EDGE_SCALARS = [0, 1, 2, 3, R - 1, R, R + 1, R + 2, 2 * R, -1, -R, 2**248 - 1, 2**253, 2**256 + 7]
#: MSM sizes: the brief's, and both sides of every change of the C window width up to 5500
#: nontrivial terms (``window_bits`` in _native_curve.h: c = 2..9 at 1, 6, 22, 75, 170, 463,
#: 968, 3107, 5496); the large MSMs below reach c = 11.
MSM_SIZES = sorted(
    {1, 2, 7, 64, 300, 5000, 5, 6, 21, 22, 74, 75, 169, 170, 462, 463, 967, 968, 3106, 3107}
)
THREADS = ["1", "2", "3", "7", "256"]


def on_native(fn: Callable[..., T], *args: Any) -> T:
    with backend.forced("native"):
        return fn(*args)


def on_python(fn: Callable[..., T], *args: Any) -> T:
    with backend.forced("python"):
        return fn(*args)


def both(fn: Callable[..., T], *args: Any) -> tuple[T, T]:
    """``fn(*args)`` on the native kernels, then on the pure-Python reference."""
    return on_native(fn, *args), on_python(fn, *args)


def rand_scalars(rng: random.Random, n: int) -> list[int]:
    return [rng.randrange(R) for _ in range(n)]


@pytest.fixture(scope="module")
def g1_pool() -> list[G1]:
    """5500 random points of G1, made by the reference."""
    return on_python(msm.fixed_base_g1, G1_GEN, rand_scalars(random.Random(1), 5500))


@pytest.fixture(scope="module")
def g2_pool() -> list[G2]:
    """300 random points of G2, made by the reference."""
    return on_python(msm.fixed_base_g2, G2_GEN, rand_scalars(random.Random(2), 300))


# --------------------------------------------------------------------------- MSM


def test_native_kernels_refuse_to_run_on_the_python_backend(g1_pool: list[G1]) -> None:
    with backend.forced("python"), pytest.raises(backend.BackendError, match="not in use"):
        native.msm_g1(g1_pool[:2], [1, 2])


@pytest.mark.parametrize("n", MSM_SIZES)
def test_msm_g1_matches_the_reference(g1_pool: list[G1], n: int) -> None:
    rng = random.Random(n)
    points = g1_pool[:n]
    for scalars in (
        rand_scalars(rng, n),
        # mostly bits, as witnesses are: the scalar-1 fast path beside Pippenger's
        [rng.choice([0, 1, 1, rng.randrange(R)]) for _ in range(n)],
    ):
        want = on_python(msm.msm_g1, points, scalars)
        assert on_native(native.msm_g1, points, scalars) == want
        assert on_native(msm.msm_g1, points, scalars) == want


@pytest.mark.parametrize("n", [1, 2, 7, 22, 64, 75, 300])
def test_msm_g2_matches_the_reference(g2_pool: list[G2], n: int) -> None:
    rng = random.Random(100 + n)
    points = g2_pool[:n]
    for scalars in (rand_scalars(rng, n), [rng.choice([0, 1, rng.randrange(R)]) for _ in range(n)]):
        want = on_python(msm.msm_g2, points, scalars)
        assert on_native(native.msm_g2, points, scalars) == want
        assert on_native(msm.msm_g2, points, scalars) == want


def msm_edge_cases(
    pts: list[Any], neg: Callable[[Any], Any], rng: random.Random
) -> list[tuple[str, list[Any], list[int], bool]]:
    """(name, points, scalars, whether the sum is infinity) with every awkward input."""
    n = len(pts)
    edge = [EDGE_SCALARS[i % len(EDGE_SCALARS)] for i in range(n)]
    ks = rand_scalars(rng, n)
    p = pts[0]
    return [
        ("empty", [], [], True),
        ("single term", [p], [ks[0]], False),
        ("single term, scalar 1", [p], [1], False),
        ("single term, scalar 0", [p], [0], True),
        ("single term, scalar r", [p], [R], True),
        ("single term, scalar r - 1", [p], [R - 1], False),
        ("single infinity", [None], [5], True),
        ("edge scalars", pts, edge, False),
        ("scalars >= r, < 0", pts, [k + R * (i % 3 - i % 2) for i, k in enumerate(ks)], False),
        ("all zero", pts, [0] * n, True),
        ("all r", pts, [R] * n, True),
        ("P and -P, equal scalars", pts + [neg(q) for q in pts], ks + ks, True),
        ("P and -P, scalar 1", pts + [neg(q) for q in pts], [1] * (2 * n), True),
        ("P and -P, edge scalars", pts + [neg(q) for q in pts], edge + edge, True),
        ("P with k and P with r - k", pts + pts, ks + [R - k for k in ks], True),
        ("repeated points", pts + pts, ks + ks, False),
        ("repeated points, scalar 1", pts + pts, [1] * (2 * n), False),
        ("one point many times", [p] * n, ks, False),
        ("one point, one scalar", [p] * n, [ks[0]] * n, False),
        ("infinity among points", [None, *pts, None, None], [3, *ks, 1, 0], False),
        ("only infinity", [None] * n, ks, True),
        ("scalar 1 beside others", pts, [1 if i % 2 else k for i, k in enumerate(ks)], False),
    ]  # fmt: skip


def test_msm_g1_edge_cases(g1_pool: list[G1]) -> None:
    rng = random.Random(3)
    for name, points, scalars, infinite in msm_edge_cases(g1_pool[:24], g1_neg, rng):
        want = on_python(msm.msm_g1, points, scalars)
        assert (want is None) == infinite, name
        assert on_native(native.msm_g1, points, scalars) == want, name


def test_msm_g2_edge_cases(g2_pool: list[G2]) -> None:
    rng = random.Random(4)
    for name, points, scalars, infinite in msm_edge_cases(g2_pool[:9], g2_neg, rng):
        want = on_python(msm.msm_g2, points, scalars)
        assert (want is None) == infinite, name
        assert on_native(native.msm_g2, points, scalars) == want, name


#: Random points per group for the large MSMs: 2-3 terms each below give 16000-24000
#: nontrivial terms, where the C MSM takes 11-bit windows (1024 buckets, its batch-affine
#: bucket path, BA_MIN_BUCKETS in _native_curve.h); smaller MSMs never get there.
BIG = 8000


def interleave(*columns: Sequence[Any]) -> list[Any]:
    return [v for group in zip(*columns, strict=True) for v in group]


def big_cases(qs: list[Any], neg: Callable[[Any], Any], seed: int) -> list[tuple[str, list, list]]:
    """(name, points, scalars) of 2-3 terms per Q_i that sum to Q_i: the MSM is sum Q_i.

    Equal digits of Q_i and -Q_i (or of Q_i twice) land in one bucket one after the other:
    cancellations and doublings inside a batch, and hot buckets for small scalars.
    """
    rng = random.Random(seed)
    ks = rand_scalars(rng, len(qs))
    small = [rng.randrange(2, 40) for _ in qs]
    negs = [neg(q) for q in qs]
    return [
        ("Q, -Q interleaved", interleave(qs, negs), interleave(ks, [k - 1 for k in ks])),
        ("Q then -Q", qs + negs, ks + [k - 1 for k in ks]),
        ("Q, Q, -Q", interleave(qs, qs, negs), interleave(ks, ks, [2 * k - 1 for k in ks])),
        ("small scalars", interleave(qs, negs), interleave([s + 1 for s in small], small)),
        ("Q with k and 1 - k", interleave(qs, qs), interleave(ks, [1 - k for k in ks])),
    ]


@pytest.fixture(scope="module")
def big_g1() -> list[G1]:
    """Random points of G1 made by the native fixed-base kernel (itself tested above)."""
    scalars = rand_scalars(random.Random(80), 2 * BIG)
    points = on_native(native.fixed_base_g1, G1_GEN, scalars)
    assert points[::997] == [g1_mul(G1_GEN, k) for k in scalars[::997]]
    return points


def test_large_msm_g1_matches_the_reference(big_g1: list[G1]) -> None:
    ks = rand_scalars(random.Random(81), len(big_g1))
    assert on_native(native.msm_g1, big_g1, ks) == on_python(msm.msm_g1, big_g1, ks)
    qs = big_g1[:BIG]
    total = on_python(msm.msm_g1, qs, [1] * len(qs))
    assert total is not None
    for name, points, scalars in big_cases(qs, g1_neg, 82):
        assert on_native(native.msm_g1, points, scalars) == total, name
    cancelling = interleave(qs, [g1_neg(q) for q in qs])
    assert on_native(native.msm_g1, cancelling, interleave(ks[:BIG], ks[:BIG])) is None


def test_large_msm_g2_sums_what_it_should() -> None:
    scalars = rand_scalars(random.Random(83), BIG)
    qs = on_native(native.fixed_base_g2, G2_GEN, scalars)
    assert qs[::997] == [g2_mul(G2_GEN, k) for k in scalars[::997]]
    total = on_python(msm.msm_g2, qs, [1] * len(qs))
    assert total is not None
    for name, points, ks in big_cases(qs, g2_neg, 84):
        if name == "Q then -Q" or name.startswith("Q with"):
            continue  # G2 is slower: three of the five suffice
        assert on_native(native.msm_g2, points, ks) == total, name


def test_msm_results_are_plain_ints(g1_pool: list[G1], g2_pool: list[G2]) -> None:
    a = on_native(native.msm_g1, g1_pool[:3], [5, 6, 7])
    b = on_native(native.msm_g2, g2_pool[:3], [5, 6, 7])
    assert a is not None and all(type(c) is int for c in a)
    assert b is not None and all(type(c) is int for xy in b for c in xy)


def test_msm_length_mismatch_is_a_value_error(g1_pool: list[G1], g2_pool: list[G2]) -> None:
    with pytest.raises(ValueError, match="2 points but 1 scalars"):
        on_native(native.msm_g1, g1_pool[:2], [1])
    with pytest.raises(ValueError, match="1 points but 2 scalars"):
        on_native(native.msm_g2, g2_pool[:1], [1, 2])


@dataclass(frozen=True)
class ThreadCase:
    """Inputs of one kernel call each, and the reference's results, made once."""

    msm_scalars: list[int]
    msm_g1: G1
    msm_g2: G2
    fixed_scalars: list[int]
    fixed_g1: list[G1]
    columns: list[Column]
    lincombs_g1: list[G1]


@pytest.fixture(scope="module")
def thread_case(g1_pool: list[G1], g2_pool: list[G2]) -> ThreadCase:
    rng = random.Random(5)
    ks = rand_scalars(rng, 300)
    fixed = rand_scalars(rng, 2100)  # three chunks of 1024
    columns = [[(rng.randrange(50), rng.randrange(R))] for _ in range(1500)]
    with backend.forced("python"):
        return ThreadCase(
            ks,
            msm.msm_g1(g1_pool[:300], ks),
            msm.msm_g2(g2_pool[:64], ks[:64]),
            fixed,
            msm.fixed_base_g1(G1_GEN, fixed),
            columns,
            lincomb.lincombs_g1(g1_pool[:50], columns),
        )


@pytest.mark.parametrize("threads", THREADS)
def test_the_kernels_are_the_same_on_any_thread_count(
    g1_pool: list[G1],
    g2_pool: list[G2],
    thread_case: ThreadCase,
    threads: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = thread_case
    monkeypatch.setenv(backend.THREADS_ENV, threads)
    assert backend.threads() == int(threads)
    with backend.forced("native"):
        assert native.msm_g1(g1_pool[:300], case.msm_scalars) == case.msm_g1
        assert native.msm_g2(g2_pool[:64], case.msm_scalars[:64]) == case.msm_g2
        assert native.fixed_base_g1(G1_GEN, case.fixed_scalars) == case.fixed_g1
        assert native.lincombs_g1(g1_pool[:50], case.columns) == case.lincombs_g1


# --------------------------------------------------------------------------- fixed base


@pytest.mark.parametrize("n", [0, 1, 2, 1024, 1025, 2100])
def test_fixed_base_g1_matches_the_reference(g1_pool: list[G1], n: int) -> None:
    rng = random.Random(10 + n)
    scalars = (EDGE_SCALARS + rand_scalars(rng, n))[:n] if n > 2 else rand_scalars(rng, n)
    for base in (G1_GEN, g1_pool[7]):
        want = on_python(msm.fixed_base_g1, base, scalars)
        assert len(want) == n
        assert on_native(native.fixed_base_g1, base, scalars) == want
        assert on_native(msm.fixed_base_g1, base, scalars) == want


def test_fixed_base_g1_edges_are_the_single_multiplications() -> None:
    base = g1_mul(G1_GEN, 987654321)
    got = on_native(native.fixed_base_g1, base, EDGE_SCALARS)
    assert got == [g1_mul(base, k) for k in EDGE_SCALARS]
    assert got[0] is None and got[EDGE_SCALARS.index(R)] is None  # 0 and r
    assert on_native(native.fixed_base_g1, None, [1, 2, R]) == [None, None, None]
    assert on_native(native.fixed_base_g1, base, []) == []


@pytest.mark.parametrize("n", [1, 40, 1025])
def test_fixed_base_g2_matches_the_reference(g2_pool: list[G2], n: int) -> None:
    rng = random.Random(20 + n)
    scalars = (EDGE_SCALARS + rand_scalars(rng, n))[:n]
    for base in (G2_GEN, g2_pool[3]):
        want = on_python(msm.fixed_base_g2, base, scalars)
        assert on_native(native.fixed_base_g2, base, scalars) == want
        assert on_native(msm.fixed_base_g2, base, scalars) == want


def test_fixed_base_g2_edges_are_the_single_multiplications() -> None:
    base = g2_mul(G2_GEN, 123456789)
    assert on_native(native.fixed_base_g2, base, EDGE_SCALARS) == [
        g2_mul(base, k) for k in EDGE_SCALARS
    ]
    assert on_native(native.fixed_base_g2, None, [1, 0]) == [None, None]
    assert on_native(native.fixed_base_g2, base, []) == []


# --------------------------------------------------------------------------- lincombs


def random_columns(rng: random.Random, n_bases: int, count: int) -> list[Column]:
    """Columns with the awkward cases: empty, repeated rows, coefficients 0, 1, small,
    r - 1, >= r, negative and full-size, a term and its negation, a long column."""
    coeffs = [0, 1, 1, 2, 3, 15, 16, 17, R - 1, R, R + 1, -1, 1 << 70, 2**253]
    columns = [
        [
            (rng.randrange(n_bases), rng.choice([*coeffs, rng.randrange(R), rng.randrange(R)]))
            for _ in range(rng.randrange(9))
        ]
        for _ in range(count)
    ]
    columns += [
        [],
        [(5, 1)],
        [(5, 1), (5, 1)],
        [(5, 7), (5, 9), (5, R - 16)],  # one row thrice, cancelling
        [(5, 1), (5, R - 1)],
        [(6, 2), (5, 3), (6, R - 2), (5, R - 3)],
        [(0, 0), (1, R), (2, 2 * R)],  # every coefficient 0 mod r
        [(rng.randrange(n_bases), rng.randrange(R)) for _ in range(200)],  # longer than chunks
        [(i % n_bases, 1) for i in range(70)],
        [],
    ]
    rng.shuffle(columns)
    return columns


def test_lincombs_g1_matches_the_reference(g1_pool: list[G1]) -> None:
    rng = random.Random(30)
    bases = list(g1_pool[:300])
    bases[11] = None
    columns = random_columns(rng, len(bases), 1100)  # more outputs than a 1024 chunk
    want = on_python(lincomb.lincombs_g1, bases, columns)
    assert len(want) == len(columns) and None in want
    assert on_native(native.lincombs_g1, bases, columns) == want
    assert on_native(lincomb.lincombs_g1, bases, columns) == want
    # and each output is the MSM of its column
    for column, got in zip(columns[:60], want[:60], strict=True):
        assert got == on_python(msm.msm_g1, [bases[i] for i, _ in column], [k for _, k in column])


def test_lincombs_g2_matches_the_reference(g2_pool: list[G2]) -> None:
    rng = random.Random(31)
    bases = list(g2_pool[:64])
    bases[9] = None
    columns = random_columns(rng, len(bases), 100)
    want = on_python(lincomb.lincombs_g2, bases, columns)
    assert on_native(native.lincombs_g2, bases, columns) == want
    assert on_native(lincomb.lincombs_g2, bases, columns) == want


def test_lincombs_without_columns_or_terms(g1_pool: list[G1], g2_pool: list[G2]) -> None:
    for fn, bases in ((lincomb.lincombs_g1, g1_pool[:3]), (lincomb.lincombs_g2, g2_pool[:3])):
        assert both(fn, bases, []) == ([], [])
        assert both(fn, bases, [[], []]) == ([None, None], [None, None])
        assert both(fn, [], [[]]) == ([None], [None])
        assert both(fn, [None, None], [[(0, 5)], [(1, 1), (0, R - 1)]]) == ([None] * 2, [None] * 2)


def test_scale_g1_matches_the_reference(g1_pool: list[G1]) -> None:
    points = [*g1_pool[:40], None, g1_pool[0], g1_neg(g1_pool[0])]
    for k in [*EDGE_SCALARS, random.Random(33).randrange(R)]:
        want = on_python(lincomb.scale_g1, points, k)
        assert want == [None if p is None else g1_mul(p, k) for p in points]
        assert on_native(native.scale_g1, points, k) == want
        assert on_native(lincomb.scale_g1, points, k) == want
    assert both(lincomb.scale_g1, [], 5) == ([], [])


def test_lincombs_g2_native_is_right_off_the_subgroup() -> None:
    """The native kernel assumes nothing about G2 (g2_not_in_subgroup relies on it)."""
    q = _twist_point_outside_g2()
    k = random.Random(34).randrange(R)
    got = on_native(native.lincombs_g2, [q, G2_GEN], [[(0, k)], [(0, PSI_EIGENVALUE)], [(0, 1)]])
    assert got == [g2_mul_unreduced(q, k), g2_mul_unreduced(q, PSI_EIGENVALUE), q]


def test_g2_not_in_subgroup_on_both_backends(g2_pool: list[G2]) -> None:
    q1 = _twist_point_outside_g2()  # as tests/ceremony/test_ptau.py makes them
    q2 = g2_mul_unreduced(q1, 7)
    points: list[G2] = list(g2_pool[:12])
    points[2] = q1
    points[5] = None
    points[7] = g2_neg(q1)
    points[8] = q2
    points[10] = g2_add(q2, G2_GEN)  # off G2 plus a point of G2: still off G2
    points.append(g2_pool[0])  # a repeated point of G2
    expected = [i for i, q in enumerate(points) if q is not None and not g2_is_in_subgroup(q)]
    assert expected == [2, 7, 8, 10]
    assert both(lincomb.g2_not_in_subgroup, points) == (expected, expected)
    assert both(lincomb.g2_not_in_subgroup, g2_pool[:5]) == ([], [])
    assert both(lincomb.g2_not_in_subgroup, [None, q1]) == ([1], [1])
    assert both(lincomb.g2_not_in_subgroup, []) == ([], [])


# --------------------------------------------------------------------------- NTT


@pytest.mark.parametrize("n", [1, 2, 4, 8, 1024])
def test_ntts_match_the_reference(n: int) -> None:
    rng = random.Random(40 + n)
    values = rand_scalars(rng, n)
    values[0] = R + 3  # callers' values >= r and negative: taken mod r
    values[-1] = -7 if n > 1 else values[-1]
    for fn in (ntt.ntt, ntt.intt):
        got, want = both(fn, values)
        assert got == want and all(type(v) is int and 0 <= v < R for v in got)
    for shift in (1, 5, 7, coset_shift(n), R - 1, R + 7):
        for fn in (ntt.coset_ntt, ntt.coset_intt):
            got, want = both(fn, values, shift)
            assert got == want, (fn.__name__, shift)
    assert on_native(ntt.intt, on_native(ntt.ntt, values)) == [v % R for v in values]


@pytest.mark.parametrize("n", [1, 2, 4, 1024])
def test_native_coset_ntt_matches_the_reference(n: int) -> None:
    rng = random.Random(50 + n)
    values = rand_scalars(rng, n)
    omega = ntt.domain_root(n)
    for shift in (1, 3, coset_shift(n)):
        evals = on_python(ntt.coset_ntt, values, shift)
        assert on_native(native.coset_ntt, values, omega, shift) == evals
        assert on_native(native.coset_intt, evals, omega, shift) == values
        assert on_native(native.coset_intt, values, omega, shift) == on_python(
            ntt.coset_intt, values, shift
        )
    assert on_native(native.coset_ntt, values, omega, 1) == on_python(ntt.ntt, values)


def test_ntt_refuses_bad_sizes_and_shift_on_native() -> None:
    with backend.forced("native"):
        for bad in ([], [1, 2, 3], [0] * 6):
            with pytest.raises(ValueError):
                ntt.ntt(bad)
            with pytest.raises(ValueError):
                ntt.coset_intt(bad, 5)
        with pytest.raises(ValueError, match="nonzero"):
            ntt.coset_ntt([1, 2], R)


# --------------------------------------------------------------------------- the raw module


def le(*values: int) -> bytes:
    return b"".join(v.to_bytes(32, "little") for v in values)


def be(*values: int) -> bytes:
    return b"".join(v.to_bytes(32, "big") for v in values)


ONE = le(1)
G1_RAW = le(*G1_GEN)  # type: ignore[misc]
G2_RAW = le(*G2_GEN[0], *G2_GEN[1])  # type: ignore[index]
G1_PACKED = _native.g1_pack(G1_RAW)
G2_PACKED = _native.g2_pack(G2_RAW)


def test_pack_and_unpack_round_trip(g1_pool: list[G1], g2_pool: list[G2]) -> None:
    raw1 = native.g1_bytes([*g1_pool[:5], None])
    raw2 = native.g2_bytes([None, *g2_pool[:5]])
    assert _native.g1_unpack(_native.g1_pack(raw1)) == raw1
    assert _native.g2_unpack(_native.g2_pack(raw2)) == raw2
    assert _native.g1_pack(raw1)[-64:] == bytes(64)  # infinity: zeros in both forms
    big_endian = b"".join(raw1[i : i + 32][::-1] for i in range(0, len(raw1), 32))
    assert _native.g1_pack(big_endian, True) == _native.g1_pack(raw1)
    assert native.g1_points(raw1) == [*g1_pool[:5], None]
    assert native.g2_points(raw2) == [None, *g2_pool[:5]]


def test_unaligned_buffers_give_the_same_results(g1_pool: list[G1]) -> None:
    ks = rand_scalars(random.Random(60), 20)
    points = on_native(native.pack_g1, g1_pool[:20])
    scalars = native.scalar_bytes(ks)
    want = _native.msm_g1(points, scalars, 2)
    assert native.g1_points(want)[0] == on_python(msm.msm_g1, g1_pool[:20], ks)
    shifted_p, shifted_k = memoryview(b"x" + points)[1:], memoryview(b"yyy" + scalars)[3:]
    assert _native.msm_g1(shifted_p, shifted_k, 2) == want
    assert _native.msm_g1(bytearray(points), bytearray(scalars)) == want


RAW_REFUSALS: list[tuple[str, Callable[[], object], str]] = [
    ("g1 x = p", lambda: _native.g1_pack(le(P, 2)), "not below p"),
    ("g1 y = p + 2", lambda: _native.g1_pack(le(1, P + 2)), "not below p"),
    ("g1 x = 2^256 - 1", lambda: _native.g1_pack(le(2**256 - 1, 2)), "not below p"),
    ("g1 big-endian x = p", lambda: _native.g1_pack(be(P, 2), True), "point 0 has a coord"),
    ("g1 second point", lambda: _native.g1_pack(G1_RAW + le(1, P)), "point 1 has a coordinate"),
    ("g1 off the curve", lambda: _native.g1_pack(le(1, 3), False, True), "not on the curve"),
    ("g1 second point off", lambda: _native.g1_pack(G1_RAW + le(1, 3)), "point 1 is not on"),
    ("g1 length 63", lambda: _native.g1_pack(bytes(63)), "not a multiple of 64"),
    ("g2 length 127", lambda: _native.g2_pack(bytes(127)), "not a multiple of 128"),
    ("g2 x1 = p", lambda: _native.g2_pack(le(1, P, 1, 1)), "not below p"),
    ("g2 off the curve", lambda: _native.g2_pack(le(1, 2, 3, 4)), "not on the curve"),
    ("g1 unpack length", lambda: _native.g1_unpack(bytes(65)), "not a multiple"),
    ("fr_pack r", lambda: _native.fr_pack(le(5, R)), "scalar 1 is not below r"),
    ("fr_pack length", lambda: _native.fr_pack(bytes(33)), "not a multiple of 32"),
    ("msm_g1 scalar r", lambda: _native.msm_g1(G1_PACKED, le(R)), "scalar 0 is not below r"),
    ("msm_g1 scalar 2^256-1", lambda: _native.msm_g1(G1_PACKED, le(2**256 - 1)), "not below r"),
    ("msm_g1 points length", lambda: _native.msm_g1(G1_PACKED + b"\0", ONE), "not a multiple"),
    ("msm_g1 scalars length", lambda: _native.msm_g1(G1_PACKED, ONE[:31]), "not a multiple"),
    ("msm_g1 counts", lambda: _native.msm_g1(G1_PACKED * 2, ONE), "2 points but 1 scalars"),
    ("msm_g1 counts 2", lambda: _native.msm_g1(G1_PACKED, ONE * 2), "1 points but 2 scalars"),
    ("msm_g2 scalar r", lambda: _native.msm_g2(G2_PACKED, le(R + 1)), "not below r"),
    ("msm_g2 points length", lambda: _native.msm_g2(G1_PACKED, ONE), "not a multiple of 128"),
    ("msm_g2 counts", lambda: _native.msm_g2(G2_PACKED, b""), "1 points but 0 scalars"),
    ("fixed_g1 no base", lambda: _native.fixed_base_g1(b"", ONE), "expected one packed point"),
    ("fixed_g1 two bases", lambda: _native.fixed_base_g1(G1_PACKED * 2, ONE), "expected one"),
    ("fixed_g1 scalar r", lambda: _native.fixed_base_g1(G1_PACKED, ONE + le(R)), "not below r"),
    ("fixed_g2 two bases", lambda: _native.fixed_base_g2(G2_PACKED * 2, ONE), "expected one"),
    ("fixed_g2 length", lambda: _native.fixed_base_g2(G1_PACKED, ONE), "not a multiple"),
]  # fmt: skip


def u32(*values: int) -> bytes:
    return b"".join(v.to_bytes(4, "little") for v in values)


def lincombs_call(
    colptr: bytes, rows: bytes, coeffs: bytes, bases: bytes = G1_PACKED * 2
) -> Callable[[], object]:
    return lambda: _native.lincombs_g1(bases, colptr, rows, coeffs)


RAW_REFUSALS += [
    ("lc colptr decreasing", lincombs_call(u32(0, 2, 1, 2), u32(0, 1), ONE * 2), "not increasing"),
    ("lc row out of range", lincombs_call(u32(0, 2), u32(0, 2), ONE * 2), "row 2 of term 1"),
    ("lc huge row", lincombs_call(u32(0, 1), u32(2**32 - 1), ONE), "has no base"),
    ("lc colptr[0] != 0", lincombs_call(u32(1, 2), u32(0, 1), ONE * 2), "do not match"),
    ("lc colptr end", lincombs_call(u32(0, 1), u32(0, 1), ONE * 2), "do not match"),
    ("lc colptr past end", lincombs_call(u32(0, 3), u32(0, 1), ONE * 2), "do not match"),
    ("lc no colptr", lincombs_call(b"", b"", b""), "do not match"),
    ("lc coefficient count", lincombs_call(u32(0, 2), u32(0, 1), ONE), "do not match"),
    ("lc colptr length", lincombs_call(u32(0, 1)[:7], u32(0), ONE), "not a multiple of 4"),
    ("lc rows length", lincombs_call(u32(0, 1), b"\0\0", ONE), "not a multiple of 4"),
    ("lc coefficient r", lincombs_call(u32(0, 1), u32(0), le(R)), "not below r"),
    ("lc bases length", lincombs_call(u32(0, 1), u32(0), ONE, bytes(65)), "not a multiple"),
    (
        "lc g2 row",
        lambda: _native.lincombs_g2(G2_PACKED, u32(0, 1), u32(1), ONE),
        "row 1 of term 0 has no base",
    ),
    ("ntt size 3", lambda: _native.coset_ntt(le(1, 2, 3), ONE, ONE), "power of two, got 3"),
    ("ntt size 6", lambda: _native.coset_ntt(le(*range(6)), ONE, ONE), "power of two, got 6"),
    ("intt size 12", lambda: _native.coset_intt(bytes(32 * 12), ONE, ONE), "power of two"),
    ("ntt length", lambda: _native.coset_ntt(bytes(33), ONE, ONE), "not a multiple of 32"),
    ("ntt value r", lambda: _native.coset_ntt(le(1, R), ONE, ONE), "not below r"),
    ("ntt omega r", lambda: _native.coset_ntt(le(1, 2), le(R), ONE), "omega: scalar 0 is not"),
    ("ntt shift r", lambda: _native.coset_ntt(le(1, 2), ONE, le(R)), "shift: scalar 0 is not"),
    ("ntt two omegas", lambda: _native.coset_ntt(le(1, 2), ONE * 2, ONE), "expected one element"),
    ("ntt no shift", lambda: _native.coset_intt(le(1, 2), ONE, b""), "expected one element"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "message"), [c[1:] for c in RAW_REFUSALS], ids=[c[0] for c in RAW_REFUSALS]
)
def test_the_raw_module_refuses_malformed_input(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_the_raw_module_accepts_what_it_should() -> None:
    """The counterparts of the refusals: so that they refuse for their stated reason."""
    assert _native.g1_unpack(_native.g1_pack(le(1, 3), False, False)) == le(1, 3)  # unchecked
    assert _native.g1_pack(be(*G1_GEN), True) == G1_PACKED  # type: ignore[misc]
    assert _native.g1_pack(bytes(64)) == bytes(64)  # infinity is on the curve
    assert _native.g1_pack(b"") == b""
    assert _native.g1_unpack(_native.g1_pack(le(P - 1, 5), False, False)) == le(P - 1, 5)
    assert _native.msm_g1(G1_PACKED, le(R - 1)) == le(*g1_neg(G1_GEN))  # type: ignore[misc]
    assert _native.msm_g1(b"", b"") == bytes(64)
    assert _native.fixed_base_g1(G1_PACKED, b"") == b""
    two = _native.lincombs_g1(G1_PACKED * 2, u32(0, 2, 2), u32(0, 1), ONE * 2)
    assert native.g1_points(two) == [g1_mul(G1_GEN, 2), None]
    assert _native.lincombs_g1(b"", u32(0), b"", b"") == b""
    assert _native.coset_ntt(le(1, 2), le(R - 1), ONE) == le(3, R - 1)  # 1 + 2x at 1 and -1
    assert _native.coset_intt(le(3, R - 1), le(R - 1), ONE) == le(1, 2)
    assert _native.coset_ntt(le(5), le(1), le(7)) == le(5)


def test_the_raw_module_refuses_objects_that_are_not_buffers() -> None:
    with pytest.raises(TypeError):
        _native.msm_g1([1, 2], ONE)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _native.coset_ntt("12", ONE, ONE)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _native.g1_pack(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("fn", [_native.coset_ntt, _native.coset_intt])
def test_the_raw_ntt_refuses_size_zero(fn: Callable[[bytes, bytes, bytes], bytes]) -> None:
    with pytest.raises(ValueError, match="power of two"):
        fn(b"", ONE, ONE)


# --------------------------------------------------------------------------- prove

SHAPE = CircuitShape(n_assets=2, arity=2, batch_depth=1)


#: r and s of the proof the Python prover makes once for the module (``Setup.reference``).
R_S = (5, 6)


@dataclass(frozen=True)
class Setup:
    pk_path: Path
    pk: ProvingKey
    vk: VerifyingKey
    cs: ConstraintSystem
    witness: list[int]
    reference: Proof  # by the pure-Python prover, with r, s = R_S

    @property
    def public(self) -> list[int]:
        return self.witness[1 : 1 + self.cs.n_public]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """A development key of a small batch circuit (in a cache of its own) and a witness."""
    pk_path, vk = dev_key_paths(SHAPE, tmp_path_factory.mktemp("native-cache"))
    cs = build_batch_circuit(SHAPE)
    witness = batch_witness(SHAPE, random_batch(SHAPE, random.Random(70)))
    cs.check(witness)
    pk = ProvingKey.load(pk_path)
    return Setup(pk_path, pk, vk, cs, witness, on_python(prove, pk, cs, witness, *R_S))


def proof_bytes(proof: Proof) -> bytes:
    return json.dumps(proof.to_json(), sort_keys=True).encode()


def test_native_proof_is_byte_identical_to_the_python_proof(setup: Setup) -> None:
    timer = PhaseTimer()
    with backend.forced("native"):
        got = prove(setup.pk, setup.cs, setup.witness, *R_S, timer)
    assert list(timer.seconds) == ["native"]
    assert got == setup.reference and proof_bytes(got) == proof_bytes(setup.reference)
    verify(setup.vk, setup.public, got)


def test_native_proof_with_r_0_and_s_r_minus_1(setup: Setup) -> None:
    got = on_native(prove, setup.pk, setup.cs, setup.witness, 0, R - 1)
    want = on_python(prove, setup.pk, setup.cs, setup.witness, 0, R - 1)
    assert got == want and proof_bytes(got) == proof_bytes(want)


def test_native_proof_takes_scalars_mod_r(setup: Setup) -> None:
    """r, s and witness values as callers may give them: >= r or negative."""
    witness = list(setup.witness)
    witness[-1] += R
    witness[setup.cs.n_public + 1] -= R
    witness[2] += 3 * R
    r, s = R_S
    assert on_native(prove, setup.pk, setup.cs, witness, r + R, s - R) == setup.reference


@pytest.mark.parametrize("threads", ["1", "3"])
def test_native_proof_with_a_packed_key_and_any_thread_count(
    setup: Setup, threads: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(backend.THREADS_ENV, threads)
    with backend.forced("native"):
        packed = PackedKey.load(setup.pk_path)
        assert prove(packed, setup.cs, setup.witness, *R_S) == setup.reference
        assert prove(setup.pk, setup.cs, setup.witness, *R_S) == setup.reference


def test_random_native_proofs_verify_and_differ(setup: Setup) -> None:
    with backend.forced("native"):
        first = prove(setup.pk, setup.cs, setup.witness)
        second = prove(setup.pk, setup.cs, setup.witness)
    assert first != second
    verify(setup.vk, setup.public, first)


def test_native_calls_from_several_python_threads_at_once(
    setup: Setup, g1_pool: list[G1], thread_case: ThreadCase
) -> None:
    """As Dask workers prove, in threads of one process: the kernels release the GIL."""
    case = thread_case
    with backend.forced("native"), ThreadPoolExecutor(4) as pool:
        proofs = [pool.submit(prove, setup.pk, setup.cs, setup.witness, *R_S) for _ in range(3)]
        msms = [pool.submit(native.msm_g1, g1_pool[:300], case.msm_scalars) for _ in range(4)]
        fixed = [pool.submit(native.fixed_base_g1, G1_GEN, case.fixed_scalars) for _ in range(2)]
        combs = [pool.submit(native.lincombs_g1, g1_pool[:50], case.columns) for _ in range(2)]
    assert [f.result() for f in proofs] == [setup.reference] * 3
    assert [f.result() for f in msms] == [case.msm_g1] * 4
    assert [f.result() for f in fixed] == [case.fixed_g1] * 2
    assert [f.result() for f in combs] == [case.lincombs_g1] * 2


def test_packed_key_load_equals_packed_of_the_loaded_key(setup: Setup) -> None:
    with backend.forced("native"):
        loaded = PackedKey.load(setup.pk_path)
        packed = PackedKey.of(ProvingKey.load(setup.pk_path))
    assert loaded == packed
    assert loaded.n_wires == setup.cs.n_wires and loaded.domain_size == setup.pk.domain_size
    assert len(loaded.h_g1) == 64 * len(setup.pk.h_g1)


def refusals(setup: Setup, witness: Sequence[int]) -> tuple[str, str]:
    """The prover's refusal of ``witness`` on each backend."""
    messages = []
    for choice in ("native", "python"):
        with backend.forced(choice), pytest.raises(ProverError) as caught:
            prove(setup.pk, setup.cs, witness, 1, 2)
        messages.append(str(caught.value))
    return messages[0], messages[1]


@pytest.mark.parametrize("where", ["first private", "middle", "last", "public"])
def test_an_unsatisfied_witness_is_refused_alike(setup: Setup, where: str) -> None:
    first_private = setup.cs.n_public + 1
    wire = {
        "first private": first_private,
        "middle": (first_private + setup.cs.n_wires) // 2,
        "last": setup.cs.n_wires - 1,
        "public": 1,
    }[where]
    witness = list(setup.witness)
    witness[wire] = (witness[wire] + 1) % R
    with pytest.raises(UnsatisfiedConstraint) as reference:  # the R1CS's own check
        setup.cs.check(witness)
    native_message, python_message = refusals(setup, witness)
    assert native_message == python_message == f"witness rejected: {reference.value}"
    assert "is not satisfied" in native_message


@pytest.mark.parametrize("change", ["one short", "one more", "empty", "wire 0 is 2"])
def test_a_witness_of_the_wrong_shape_is_refused_alike(setup: Setup, change: str) -> None:
    w = list(setup.witness)
    witness = {
        "one short": w[:-1],
        "one more": [*w, 0],
        "empty": [],
        "wire 0 is 2": [2, *w[1:]],
    }[change]
    native_message, python_message = refusals(setup, witness)
    assert native_message == python_message
    assert native_message.startswith("witness rejected: witness has")


def test_a_packed_key_is_refused_on_the_python_backend(setup: Setup) -> None:
    packed = on_native(PackedKey.load, setup.pk_path)
    with backend.forced("python"), pytest.raises(ProverError, match="for the native backend"):
        prove(packed, setup.cs, setup.witness, 1, 2)


def test_a_key_of_another_circuit_is_refused_alike(setup: Setup) -> None:
    other = build_batch_circuit(CircuitShape(n_assets=1, arity=2, batch_depth=1))
    for choice in ("native", "python"):
        with backend.forced(choice), pytest.raises(ProverError, match=r"has \d+ wires, circuit"):
            prove(setup.pk, other, setup.witness, 1, 2)


def raw_prove_args(setup: Setup, witness: Sequence[int]) -> list[Any]:
    """The arguments of ``_native.prove`` as ``native.prove`` makes them."""
    with backend.forced("native"):
        pk = PackedKey.of(setup.pk)
        n = pk.domain_size
        return [
            pk.alpha_g1, pk.beta_g1, pk.delta_g1, pk.beta_g2, pk.delta_g2,
            pk.a_g1, pk.b_g1, pk.b_g2, pk.l_g1, pk.h_g1,
            *native.packed_r1cs(setup.cs), setup.cs.n_public, native.scalar_bytes(witness),
            le(R_S[0]), le(R_S[1]), le(ntt.domain_root(n)), le(coset_shift(n)), 2,
        ]  # fmt: skip


def test_raw_prove_proves_and_names_the_broken_constraint(setup: Setup) -> None:
    a, b, c = _native.prove(*raw_prove_args(setup, setup.witness))
    proof = Proof(a=native.g1_points(a)[0], b=native.g2_points(b)[0], c=native.g1_points(c)[0])
    assert proof == setup.reference
    witness = list(setup.witness)
    witness[-1] += 1
    with pytest.raises(UnsatisfiedConstraint) as reference:
        setup.cs.check(witness)
    assert _native.prove(*raw_prove_args(setup, witness)) == reference.value.index


def _set(index: int, value: Any) -> Callable[[list[Any]], None]:
    def edit(args: list[Any]) -> None:
        args[index] = value(args[index]) if callable(value) else value

    return edit


PROVE_REFUSALS: list[tuple[str, Callable[[list[Any]], None], str]] = [
    ("alpha twice", _set(0, lambda v: v * 2), "alpha1: expected one packed point"),
    ("no delta2", _set(4, b""), "delta2: expected one packed point"),
    ("a_g1 length", _set(5, lambda v: v[:-1]), "a_g1: length .* not a multiple of 64"),
    ("b_g2 one short", _set(7, lambda v: v[:-128]), "does not match the witness"),
    ("l_g1 one more", _set(8, lambda v: v + v[:64]), "does not match the witness"),
    ("h_g1 not a power of 2", _set(9, lambda v: v[:-64]), "does not match the witness"),
    ("no h_g1", _set(9, b""), "does not match the witness"),
    ("witness one short", _set(20, lambda v: v[:-32]), "does not match the witness"),
    ("witness scalar r", _set(20, lambda v: v[:-32] + le(R)), "witness: scalar .* not below r"),
    ("n_public -1", _set(19, -1), "does not match the witness"),
    ("n_public too big", _set(19, 10**6), "does not match the witness"),
    ("a_ptr not from 0", _set(10, lambda v: u32(1) + v[4:]), "matrix a_ptr is malformed"),
    ("a_ptr decreasing", _set(10, lambda v: v[:4] + u32(2**31) + v[8:]), "a_ptr is malformed"),
    ("a_cols wire", _set(11, lambda v: u32(10**6) + v[4:]), "matrix a_ptr is malformed"),
    ("b_coeffs short", _set(15, lambda v: v[:-32]), "matrix b_ptr is malformed"),
    ("c_ptr empty", _set(16, b""), "matrix c_ptr is malformed"),
    ("c one row less", _set(16, lambda v: v[:-4]), "c_ptr is malformed"),
    ("r = r", _set(21, le(R)), "r: scalar 0 is not below r"),
    ("s two scalars", _set(22, le(1, 2)), "s: expected one element"),
    ("omega length", _set(23, b"\1"), "omega: length 1 is not a multiple of 32"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "message"), [c[1:] for c in PROVE_REFUSALS], ids=[c[0] for c in PROVE_REFUSALS]
)
def test_raw_prove_refuses_malformed_input(
    setup: Setup, edit: Callable[[list[Any]], None], message: str
) -> None:
    args = raw_prove_args(setup, setup.witness)
    edit(args)
    with pytest.raises(ValueError, match=message):
        _native.prove(*args)


def test_raw_prove_refuses_matrices_of_different_heights(setup: Setup) -> None:
    args = raw_prove_args(setup, setup.witness)
    b_ptr, b_cols, b_coeffs = args[13:16]
    last = int.from_bytes(b_ptr[-8:-4], "little")  # B without its last row
    args[13:16] = [b_ptr[:-4], b_cols[: 4 * last], b_coeffs[: 32 * last]]
    with pytest.raises(ValueError, match="do not fit the domain"):
        _native.prove(*args)


# ------------------------------------------------------------------ both field products


def _adx_available() -> bool:
    previous = _native.set_adx(False)
    try:
        _native.set_adx(True)
    except ValueError:
        return False
    finally:
        _native.set_adx(previous)
    return True


@pytest.mark.skipif(not _adx_available(), reason="this CPU has no BMI2/ADX")
def test_the_portable_and_the_mulx_adx_field_products_agree(
    g1_pool: list[G1], g2_pool: list[G2]
) -> None:
    """The kernels give the reference's results with the C field product and with the
    x86-64 mulx/adx one (the default where the CPU has them)."""
    rng = random.Random(11)
    n = len(g1_pool)
    scalars = [rng.randrange(R) for _ in range(n)] + EDGE_SCALARS
    points = [g1_pool[i % n] for i in range(len(scalars))]
    points2 = [g2_pool[i % len(g2_pool)] for i in range(len(scalars))]
    columns = [[(rng.randrange(n), rng.randrange(R)) for _ in range(3)] for _ in range(20)]
    values = [rng.randrange(R) for _ in range(256)]
    with backend.forced("python"):
        expected = (
            msm.msm_g1(points, scalars),
            msm.msm_g2(points2, scalars),
            msm.fixed_base_g1(G1_GEN, scalars),
            lincomb.lincombs_g1(g1_pool, columns),
            ntt.coset_ntt(values, coset_shift(256)),
        )
    previous = _native.set_adx(False)
    try:
        for adx in (False, True):
            _native.set_adx(adx)
            got = on_native(
                lambda: (
                    msm.msm_g1(points, scalars),
                    msm.msm_g2(points2, scalars),
                    msm.fixed_base_g1(G1_GEN, scalars),
                    lincomb.lincombs_g1(g1_pool, columns),
                    ntt.coset_ntt(values, coset_shift(256)),
                )
            )
            assert got == expected, f"adx={adx}"
    finally:
        _native.set_adx(previous)
    assert "mulx" in _native.features()
