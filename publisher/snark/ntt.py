"""Number-theoretic transforms over the BN254 scalar field Fr, for the Groth16 prover.

The prover moves the QAP polynomials between coefficient form and evaluations on a
power-of-two subgroup of Fr^* (and on a coset of it, where the vanishing polynomial is
a nonzero constant). ``r - 1`` is divisible by 2^28, so subgroups of any size up to
2^28 exist. 5 is a quadratic non-residue mod r, hence ``5^((r-1)/2^28)`` has order
exactly 2^28 (its 2^27-th power is ``5^((r-1)/2) = -1``); ``domain_root(n)`` is the
matching power of it.

The transform is an iterative radix-2 decimation-in-time FFT. A butterfly costs one
modular multiplication, so each stage is written as list comprehensions over slices
(strided for the early stages with few twiddles, contiguous blocks for the late ones):
the interpreter then runs one tight loop per slice instead of one per butterfly. Sums
and differences are not reduced (values grow by < r per stage, so stay ~260 bits and
the multiplications stay as fast); one final ``% r`` cleans up. Arithmetic uses
``gmpy2.mpz``; results are plain ints.
"""

from __future__ import annotations

from functools import lru_cache
from operator import add, sub
from typing import Any

import gmpy2
from gmpy2 import mpz

from publisher.snark import backend, native
from verifier.field import R

#: Largest power of two dividing r - 1.
TWO_ADICITY = 28
#: A quadratic non-residue mod r, so its (r-1)/2^28 power has order exactly 2^28.
MULTIPLICATIVE_GENERATOR = 5
#: Primitive 2^28-th root of unity in Fr.
ROOT_OF_UNITY_2_28 = pow(MULTIPLICATIVE_GENERATOR, (R - 1) >> TWO_ADICITY, R)

_R: Any = mpz(R)


def _log2_exact(n: int) -> int:
    """log2(n) for a power of two within the field's two-adicity, else ValueError."""
    if n <= 0 or n & (n - 1):
        raise ValueError(f"NTT size must be a power of two, got {n}")
    k = n.bit_length() - 1
    if k > TWO_ADICITY:
        raise ValueError(f"NTT size 2^{k} exceeds the 2-adicity 2^{TWO_ADICITY} of r - 1")
    return k


def domain_root(n: int) -> int:
    """The generator omega_n = root^(2^28/n) of the order-n subgroup used by ``ntt``."""
    k = _log2_exact(n)
    return pow(ROOT_OF_UNITY_2_28, 1 << (TWO_ADICITY - k), R)


@lru_cache(maxsize=32)
def _bit_reverse(n: int) -> tuple[int, ...]:
    """Permutation i -> bit-reversal of i on log2(n) bits (built by doubling)."""
    perm = [0]
    while len(perm) < n:
        perm = [2 * i for i in perm] + [2 * i + 1 for i in perm]
    return tuple(perm)


@lru_cache(maxsize=32)
def _twiddles(n: int) -> tuple[Any, ...]:
    """omega_n^j for j < n/2 as mpz; stage tables are strided slices of it."""
    w = mpz(domain_root(n))
    out = [mpz(1)]
    for _ in range(n // 2 - 1):
        out.append(out[-1] * w % _R)
    return tuple(out)


def _stage_strided(a: list[Any], h: int, tw: tuple[Any, ...], step: int) -> None:
    """One butterfly stage of half-size h, iterating over twiddle index j.

    For fixed j the pairs (s + j, s + j + h), s = 0, 2h, 4h, ... share the twiddle
    w^j, so each j is two strided slices: best while h is small (long slices).
    """
    r = _R
    span = 2 * h
    for j in range(h):
        lo = a[j::span]
        hi = a[j + h :: span]
        if j:
            w = tw[j * step]
            hi = [x * w % r for x in hi]
        a[j::span] = list(map(add, lo, hi))
        a[j + h :: span] = list(map(sub, lo, hi))


def _stage_blocks(a: list[Any], h: int, tw: tuple[Any, ...], step: int) -> None:
    """One butterfly stage of half-size h, iterating over blocks of 2h entries.

    Each block pairs its first half with its second half under the twiddles
    w^0..w^(h-1): best when h is large (few long blocks).
    """
    r = _R
    ws = tw[: h * step : step]
    n = len(a)
    for s in range(0, n, 2 * h):
        lo = a[s : s + h]
        hi = [x * w % r for x, w in zip(a[s + h : s + 2 * h], ws, strict=True)]
        a[s : s + h] = list(map(add, lo, hi))
        a[s + h : s + 2 * h] = list(map(sub, lo, hi))


def _transform(values: list[int]) -> list[Any]:
    """Forward NTT, unreduced mpz outputs (callers reduce, maybe fused with scaling)."""
    n = len(values)
    k = _log2_exact(n)
    a: list[Any] = [mpz(values[i]) for i in _bit_reverse(n)]
    if n == 1:
        return a
    tw = _twiddles(n)
    h = 1
    for _ in range(k):
        step = n // (2 * h)
        if h * h <= n:  # at least as many blocks as twiddles: iterate over twiddles
            _stage_strided(a, h, tw, step)
        else:
            _stage_blocks(a, h, tw, step)
        h *= 2
    return a


def ntt(values: list[int]) -> list[int]:
    """Evaluations ``[f(omega^i) for i < n]`` of f = sum_j values[j] X^j.

    n = len(values) must be a power of two; omega = domain_root(n).
    """
    if backend.native() is not None:
        return native.coset_ntt(values, domain_root(len(values)), 1)
    r = _R
    return [int(x % r) for x in _transform(values)]


def intt(values: list[int]) -> list[int]:
    """Coefficients of the degree < n polynomial with ``f(omega^i) = values[i]``.

    Uses the inverse DFT as a forward one read backwards: sum_i e_i omega^(-ij) is
    entry (n - j) mod n of the forward transform, so no second twiddle table is needed.
    """
    n = len(values)
    if backend.native() is not None:
        return native.coset_intt(values, domain_root(n), 1)
    a = _transform(values)
    r = _R
    n_inv = gmpy2.invert(mpz(n), r)
    return [int(a[-j] * n_inv % r) for j in range(n)]


@lru_cache(maxsize=8)
def _powers(base: int, n: int) -> tuple[Any, ...]:
    """base^0 .. base^(n-1) mod r, cached: the coset shift is the same on every call."""
    b = mpz(base % R)
    out = [mpz(1)]
    for _ in range(n - 1):
        out.append(out[-1] * b % _R)
    return tuple(out[:n])


def coset_ntt(coeffs: list[int], shift: int) -> list[int]:
    """Evaluations ``[f(shift * omega^i) for i < n]``: the NTT of coeffs[j] * shift^j."""
    n = len(coeffs)
    _log2_exact(n)
    if shift % R == 0:
        raise ValueError("coset shift must be nonzero mod r")
    if backend.native() is not None:
        return native.coset_ntt(coeffs, domain_root(n), shift % R)
    r = _R
    scaled = [c * s % r for c, s in zip(coeffs, _powers(shift, n), strict=True)]
    return [int(x % r) for x in _transform(scaled)]


def coset_intt(evals: list[int], shift: int) -> list[int]:
    """Coefficients of f with ``f(shift * omega^i) = evals[i]`` (inverse of coset_ntt)."""
    n = len(evals)
    _log2_exact(n)
    if shift % R == 0:
        raise ValueError("coset shift must be nonzero mod r")
    if backend.native() is not None:
        return native.coset_intt(evals, domain_root(n), shift % R)
    a = _transform(evals)
    r = _R
    n_inv = gmpy2.invert(mpz(n), r)
    inv_pows = _powers(int(gmpy2.invert(mpz(shift % R), r)), n)
    # coefficient j = n^-1 * shift^-j * (forward transform)[-j]
    return [int(a[-j] * n_inv % r * s % r) for j, s in enumerate(inv_pows)]
