"""Generate the Poseidon constants of ``verifier/poseidon_constants.bin``.

This is a pure-Python re-implementation of the Poseidon authors' reference
script ``generate_parameters_grain.sage`` (hadeshash repository), restricted to
what zkpor uses: prime field (``field = 1``), S-box ``x^5`` (``sbox = 0``), the
BN254 scalar field (``n = 254`` bits), ``R_F = 8`` full rounds, state widths
``t = 2..17`` with the partial-round counts circomlib uses.

For every width it

1. seeds the Grain LFSR with the 80-bit parameter encoding and discards the
   first 160 output bits;
2. draws ``(R_F + R_P) * t`` round constants, each ``n`` bits big-endian,
   redrawing any value ``>= r``;
3. draws a Cauchy MDS matrix ``M[i][j] = 1 / (x_i + y_j)`` from ``2t``
   elements reduced mod ``r`` (redrawing on duplicates or a zero ``x_i + y_j``)
   and, like the reference script, redraws the matrix while its algorithms 1, 2
   or 3 flag an insecure subspace trail.

For all widths generated here the first matrix candidate passes those checks,
and the output equals circomlibjs 0.1.7 (checked by ``tests/verifier/test_poseidon.py``;
circomlibjs is never read here). Run ``python -m publisher.snark.poseidon_grain`` to
rewrite the checked-in file (``render_binary``); the output is deterministic. With
``--json`` it writes the canonical JSON document of docs/protocol.md §3.4 instead
(``document``, ``render``), whose SHA-256 the spec gives as the constants' fingerprint.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from operator import mul
from pathlib import Path
from typing import Any

from verifier.field import R
from verifier.poseidon import CONSTANTS_FILE, CONSTANTS_MAGIC, ELEMENT_BYTES, PoseidonParams

#: Self-shrinking on a string of raw bits: ``findall`` maps each pair "0?" to ""
#: and each pair "1b" to "b".
_SHRINK = re.compile(r"0.|1(.)")

#: Field flag of the reference script: 1 means a prime field GF(p).
FIELD_PRIME = 1
#: S-box flag of the reference script: 0 means ``x^alpha`` (here alpha = 5).
SBOX_POWER = 0
#: Bits per field element drawn from the LFSR.
FIELD_SIZE = R.bit_length()
#: Number of full rounds, half before and half after the partial rounds.
FULL_ROUNDS = 8
#: Partial rounds per state width ``t`` (circomlib's table, from the paper).
PARTIAL_ROUNDS: dict[int, int] = dict(
    zip(
        range(2, 18),
        [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68],
        strict=True,
    )
)

#: The verifier's constants file, which ``python -m publisher.snark.poseidon_grain`` rewrites.
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "verifier" / CONSTANTS_FILE
#: The default name of the canonical JSON document (``--json``).
JSON_NAME = "poseidon_constants.json"

Matrix = list[list[int]]
Poly = list[int]  # coefficients mod p, lowest degree first, no trailing zeros


# --------------------------------------------------------------------------- Grain


def _bits(value: int, width: int) -> list[int]:
    return [(value >> (width - 1 - i)) & 1 for i in range(width)]


_TAPS = (62, 51, 38, 23, 13, 0)  # b[i+80] = xor of b[i+tap]
_LENGTH = 80
#: Clock the LFSR this many times faster (a power of two, see ``GrainLFSR``).
_SPEEDUP = 64


def _clock(register: int, scale: int) -> tuple[int, int]:
    """Advance the register by ``18 * scale`` bits; return (new register, new bits).

    Bit ``k`` of ``register`` is ``b[i+k]`` for the ``80 * scale`` newest bits.
    """
    step = (_LENGTH - _TAPS[0]) * scale
    new = 0
    for tap in _TAPS:
        new ^= register >> (tap * scale)
    new &= (1 << step) - 1
    return (register >> step) | (new << (_TAPS[0] * scale)), new


def _bit_string(value: int, width: int) -> str:
    """The ``width`` low bits of ``value``, lowest first."""
    return format(value, f"0{width}b")[::-1]


class GrainLFSR:
    """The self-shrinking Grain LFSR of the Poseidon reference script.

    The raw sequence satisfies ``b[i+80] = b[i+62] ^ b[i+51] ^ b[i+38] ^ b[i+23]
    ^ b[i+13] ^ b[i]``, i.e. it is annihilated by ``P(x) = x^80 + x^62 + ... + 1``
    over GF(2). Then it is also annihilated by ``P(x)^m = P(x^m)`` for ``m`` a
    power of two, so ``b[i+80m] = b[i+62m] ^ ... ^ b[i]`` and, as no tap is
    newer than ``18m`` bits, ``18m`` bits are produced per big-int step. The
    first ``80m`` bits come from the plain recurrence. Raw bits are consumed
    strictly in order, so this is only a faster way to produce the same stream.
    """

    def __init__(self, field: int, sbox: int, n: int, t: int, r_f: int, r_p: int) -> None:
        init = (
            _bits(field, 2)
            + _bits(sbox, 4)
            + _bits(n, 12)
            + _bits(t, 12)
            + _bits(r_f, 10)
            + _bits(r_p, 10)
            + [1] * 30
        )
        assert len(init) == _LENGTH
        register = sum(bit << k for k, bit in enumerate(init))
        seq = "".join(map(str, init))
        while len(seq) < _LENGTH * _SPEEDUP:
            register, new = _clock(register, 1)
            seq += _bit_string(new, _LENGTH - _TAPS[0])
        seq = seq[: _LENGTH * _SPEEDUP]
        self._register = int(seq[::-1], 2)  # b[0] .. b[80m - 1]
        self._raw = seq[_LENGTH:]  # the raw output starts with the first bit clocked in
        self._out = ""  # shrunk output bits not consumed yet, oldest first
        self._take_raw(160)  # the reference script discards the first 160 bits

    def _take_raw(self, count: int) -> str:
        """The next ``count`` raw bits, as a string of '0'/'1'."""
        if len(self._raw) < count:
            chunks = [self._raw]
            have = len(self._raw)
            step = (_LENGTH - _TAPS[0]) * _SPEEDUP
            while have < count:
                self._register, new = _clock(self._register, _SPEEDUP)
                chunks.append(_bit_string(new, step))
                have += step
            self._raw = "".join(chunks)
        taken, self._raw = self._raw[:count], self._raw[count:]
        return taken

    def next_int(self, n: int) -> int:
        """An ``n``-bit integer from the next ``n`` output bits, first bit most significant.

        Output bits come from pairs of raw bits: if the first is 1 the second is
        output, otherwise the pair is discarded.
        """
        while len(self._out) < n:
            self._out += "".join(_SHRINK.findall(self._take_raw(4096)))
        bits, self._out = self._out[:n], self._out[n:]
        return int(bits, 2)

    def next_field_element_rejection(self, n: int, p: int) -> int:
        """An ``n``-bit integer below ``p``, redrawn while ``>= p`` (round constants)."""
        value = self.next_int(n)
        while value >= p:
            value = self.next_int(n)
        return value


# ----------------------------------------------------------- linear algebra mod p


def _mat_mul(a: Matrix, b: Matrix, p: int) -> Matrix:
    cols = list(zip(*b, strict=True))
    return [[sum(map(mul, row, col)) % p for col in cols] for row in a]


def _mat_vec(a: Matrix, v: Sequence[int], p: int) -> list[int]:
    return [sum(map(mul, row, v)) % p for row in a]


def _vec_mat(v: Sequence[int], a: Matrix, p: int) -> list[int]:
    return [sum(map(mul, v, col)) % p for col in zip(*a, strict=True)]


def _rref(rows: Sequence[Sequence[int]], ncols: int, p: int) -> tuple[Matrix, list[int]]:
    """Reduced row echelon form (non-zero rows only) and pivot columns."""
    m = [[x % p for x in row] for row in rows]
    pivots: list[int] = []
    rank = 0
    for col in range(ncols):
        pivot = next((i for i in range(rank, len(m)) if m[i][col]), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        inv = pow(m[rank][col], -1, p)
        m[rank] = [x * inv % p for x in m[rank]]
        for i in range(len(m)):
            if i != rank and m[i][col]:
                f = m[i][col]
                m[i] = [(x - f * y) % p for x, y in zip(m[i], m[rank], strict=True)]
        pivots.append(col)
        rank += 1
    return m[:rank], pivots


def _span(vectors: Sequence[Sequence[int]], n: int, p: int) -> Matrix:
    """Canonical basis (RREF) of the span of ``vectors`` in ``F^n``: equal spans, equal bases."""
    return _rref(vectors, n, p)[0]


def _kernel(rows: Sequence[Sequence[int]], n: int, p: int) -> Matrix:
    """Basis of ``{x in F^n : row . x = 0 for every row}``."""
    red, pivots = _rref(rows, n, p)
    free = [c for c in range(n) if c not in pivots]
    basis = []
    for f in free:
        v = [0] * n
        v[f] = 1
        for row, pc in zip(red, pivots, strict=True):
            v[pc] = -row[f] % p
        basis.append(v)
    return basis


def _intersection(u: Matrix, w: Matrix, n: int, p: int) -> Matrix:
    """Basis of ``span(u) ∩ span(w)``, as the annihilator of both annihilators."""
    return _span(_kernel(_kernel(u, n, p) + _kernel(w, n, p), n, p), n, p)


# ------------------------------------------------------------ polynomials mod p


def _trim(f: Poly) -> Poly:
    while f and f[-1] == 0:
        f.pop()
    return f


def _poly_mod(f: Poly, g: Poly, p: int) -> Poly:
    """``f mod g`` for a monic ``g`` (reductions mod ``p`` deferred to the end)."""
    assert g[-1] == 1
    f = list(f)
    dg = len(g) - 1
    low = g[:dg]
    for i in range(len(f) - 1, dg - 1, -1):
        c = f[i] % p
        if c:
            base = i - dg
            f[base:i] = [u - c * v for u, v in zip(f[base:i], low, strict=True)]
    return _trim([x % p for x in f[:dg]])


def _poly_mulmod(a: Poly, b: Poly, g: Poly, p: int) -> Poly:
    if not a or not b:
        return []
    lb = len(b)
    prod = [0] * (len(a) + lb - 1)
    for i, x in enumerate(a):
        prod[i : i + lb] = [u + x * v for u, v in zip(prod[i : i + lb], b, strict=True)]
    return _poly_mod(prod, g, p)


def _poly_powmod(base: Poly, e: int, g: Poly, p: int) -> Poly:
    """``base^e mod g`` (square and multiply; multiplying by ``x`` is a shift)."""
    result: Poly = [1]
    times_x = base == [0, 1]
    base = _poly_mod(base, g, p)
    for bit in bin(e)[2:]:
        result = _poly_mulmod(result, result, g, p)
        if bit == "1":
            result = _poly_mod([0, *result], g, p) if times_x else _poly_mulmod(result, base, g, p)
    return result


def _poly_sub(a: Poly, b: Poly, p: int) -> Poly:
    n = max(len(a), len(b))
    a = a + [0] * (n - len(a))
    b = b + [0] * (n - len(b))
    return _trim([(x - y) % p for x, y in zip(a, b, strict=True)])


def _monic(f: Poly, p: int) -> Poly:
    if not f:
        return f
    inv = pow(f[-1], -1, p)
    return [x * inv % p for x in f]


def _poly_monic_gcd(a: Poly, b: Poly, p: int) -> Poly:
    a, b = _monic(_trim(list(a)), p), _trim(list(b))
    while b:
        b = _monic(b, p)
        a, b = b, _poly_mod(a, b, p)
    return a


def _poly_div_exact(f: Poly, g: Poly, p: int) -> Poly:
    f = list(f)
    dg = len(g) - 1
    inv_lead = pow(g[-1], -1, p)
    q = [0] * (len(f) - dg)
    for i in range(len(f) - 1, dg - 1, -1):
        c = f[i] * inv_lead % p
        q[i - dg] = c
        for j in range(dg + 1):
            f[i - dg + j] = (f[i - dg + j] - c * g[j]) % p
    assert not _trim(f), "division is not exact"
    return q


def _split_linear_factors(g: Poly, p: int) -> list[int]:
    """Roots of a monic square-free ``g`` that splits into linear factors (Cantor-Zassenhaus)."""
    if len(g) == 1:
        return []
    if len(g) == 2:
        return [-g[0] % p]
    a = 1
    while True:  # deterministic sequence of trial shifts; any split is as good
        h = _poly_monic_gcd(g, _poly_sub(_poly_powmod([a, 1], (p - 1) // 2, g, p), [1], p), p)
        if 1 < len(h) < len(g):
            return _split_linear_factors(h, p) + _split_linear_factors(_poly_div_exact(g, h, p), p)
        a += 1


def _charpoly(a: Matrix, p: int) -> Poly:
    """Characteristic polynomial ``det(xI - a)``: Hessenberg form, then its recurrence."""
    n = len(a)
    h = [[x % p for x in row] for row in a]
    for j in range(n - 2):  # similarity transforms to upper Hessenberg form
        piv = next((i for i in range(j + 1, n) if h[i][j]), None)
        if piv is None:
            continue
        if piv != j + 1:
            h[piv], h[j + 1] = h[j + 1], h[piv]
            for row in h:
                row[piv], row[j + 1] = row[j + 1], row[piv]
        inv = pow(h[j + 1][j], -1, p)
        for k in range(j + 2, n):
            u = h[k][j] * inv % p
            if u:
                h[k] = [(x - u * y) % p for x, y in zip(h[k], h[j + 1], strict=True)]
                for row in h:
                    row[j + 1] = (row[j + 1] + u * row[k]) % p
    polys: list[Poly] = [[1]]  # polys[m] = charpoly of the leading m x m block
    for m in range(1, n + 1):
        prev = polys[m - 1]
        cur = [0, *prev]  # x * prev
        d = h[m - 1][m - 1]
        for k, c in enumerate(prev):
            cur[k] -= d * c
        prod = 1
        for i in range(1, m):
            prod = prod * h[m - i][m - i - 1] % p
            coef = prod * h[m - i - 1][m - 1] % p
            if coef:
                for k, c in enumerate(polys[m - i - 1]):
                    cur[k] -= coef * c
        polys.append([x % p for x in cur])
    return polys[n]


def _rational_eigenvalues(a: Matrix, p: int) -> list[int]:
    """Distinct eigenvalues of ``a`` that lie in GF(p)."""
    f = _charpoly(a, p)
    x_to_p = _poly_powmod([0, 1], p, f, p)
    return _split_linear_factors(_poly_monic_gcd(f, _poly_sub(x_to_p, [0, 1], p), p), p)


# ------------------------------------------------- subspace-trail checks (s = 1)


def _subspace_times_matrix(basis: Matrix, a: Matrix, n: int, p: int) -> Matrix:
    return _span([_mat_vec(a, v, p) for v in basis], n, p)


def _largest_invariant_subspace(basis: Matrix, a: Matrix, p: int) -> Matrix:
    """Basis of the largest subspace ``W`` of ``span(basis)`` with ``a W ⊆ W``."""
    t = len(a)
    w = _span(basis, t, p)
    while w:
        # {v in W : a v in W} = W ∩ ker(perp(W) . a)
        perp = _kernel(w, t, p)
        pulled_back = _kernel([_vec_mat(y, a, p) for y in perp], t, p)
        smaller = _intersection(w, pulled_back, t, p)
        if len(smaller) == len(w):
            return w
        w = smaller
    return w


def _eigenvectors_within(basis: Matrix, a: Matrix, p: int) -> Matrix:
    """Span of ``span(basis) ∩ ker(a - λI)`` over the eigenvalues ``λ`` of ``a`` in GF(p).

    Every such eigenvector lies in the largest ``a``-invariant subspace of
    ``span(basis)``; when that is zero the (costly) eigenvalues are not needed.
    """
    t = len(a)
    if not _largest_invariant_subspace(basis, a, p):
        return []
    collected: Matrix = []
    for lam in _rational_eigenvalues(a, p):
        shifted = [
            [(x - lam) % p if r == c else x for c, x in enumerate(row)] for r, row in enumerate(a)
        ]
        collected += _intersection(basis, _kernel(shifted, t, p), t, p)
    return _span(collected, t, p)


def _algorithm_1(m: Matrix, p: int) -> bool:
    """Reference ``algorithm_1``: no invariant subspace trail over up to ``t - 1`` rounds."""
    t = len(m)
    powers = [m]  # powers[k] = m^(k+1)
    for _ in range(t):
        powers.append(_mat_mul(powers[-1], m, p))
    for i in range(1, t):
        mat_test = powers[i - 1]
        entry = mat_test[0][0]
        if all(mat_test[r][c] == (entry if r == c else 0) for r in range(t) for c in range(t)):
            return False
        if i == 1:
            s_basis = _span([[int(j == k) for j in range(t)] for k in range(1, t)], t, p)
        else:
            rows = [powers[k][0][1:] for k in range(i - 1)]
            s_basis = _span([[0, *v] for v in _kernel(rows, t - 1, p)], t, p)
        if 1 <= len(_eigenvectors_within(s_basis, mat_test, p)) < t:
            return False
        for j in range(1, i + 1):
            if _subspace_times_matrix(s_basis, powers[j - 1], t, p) == s_basis:
                return False
    return True


def _algorithm_2(m: Matrix, p: int) -> bool:
    """Reference ``algorithm_2`` for ``s = 1``: the unit vector ``e_0`` is cyclic for ``m``.

    The reference grows ``span(e_0, m e_0, m^2 e_0, ...)`` until it is the whole
    space (secure) or stops growing (insecure; from then on it is invariant), so
    it is secure exactly when the ``t`` Krylov vectors have full rank.
    """
    t = len(m)
    v = [int(j == 0) for j in range(t)]
    krylov = [v]
    for _ in range(t - 1):
        v = _mat_vec(m, v, p)
        krylov.append(v)
    return len(_span(krylov, t, p)) == t


def _algorithm_3(m: Matrix, p: int) -> bool:
    """Reference ``algorithm_3``: ``algorithm_2`` holds for ``m^r``, ``r = 2..4t``."""
    power = m
    for _ in range(2, 4 * len(m) + 1):
        power = _mat_mul(power, m, p)
        if not _algorithm_2(power, p):
            return False
    return True


def is_secure_mds(m: Matrix, p: int) -> bool:
    """Whether the reference script would accept ``m`` (its algorithms 1, 2 and 3)."""
    return _algorithm_1(m, p) and _algorithm_2(m, p) and _algorithm_3(m, p)


# ------------------------------------------------------------------- generation


def cauchy(xs: Sequence[int], ys: Sequence[int], p: int) -> Matrix:
    """The Cauchy matrix ``M[i][j] = (x_i + y_j)^-1 mod p``."""
    return [[pow(x + y, -1, p) for y in ys] for x in xs]


def _cauchy_candidates(
    grain: GrainLFSR, n: int, t: int, p: int
) -> Iterator[tuple[list[int], list[int]]]:
    """Successive ``(x, y)`` of the Cauchy matrix candidates, exactly as ``create_mds_p``
    draws them."""
    while True:
        elems = [grain.next_int(n) % p for _ in range(2 * t)]
        while len(set(elems)) != len(elems):
            elems = [grain.next_int(n) % p for _ in range(2 * t)]
        xs, ys = elems[:t], elems[t:]
        if any((x + y) % p == 0 for x in xs for y in ys):
            continue
        yield xs, ys


@dataclass(frozen=True)
class Generated:
    """The constants of one state width ``t``, as the reference script draws them."""

    t: int
    partial_rounds: int
    #: ``(FULL_ROUNDS + partial_rounds) * t`` values, round-major.
    round_constants: tuple[int, ...]
    #: The MDS matrix is ``cauchy(xs, ys, R)``.
    xs: tuple[int, ...]
    ys: tuple[int, ...]
    #: Matrix candidates rejected by the subspace-trail checks before this one (0 for all t).
    rejected: int

    @property
    def mds(self) -> Matrix:
        return cauchy(self.xs, self.ys, R)

    @property
    def params(self) -> PoseidonParams:
        return PoseidonParams(
            t=self.t,
            full_rounds=FULL_ROUNDS,
            partial_rounds=self.partial_rounds,
            round_constants=self.round_constants,
            mds=tuple(tuple(row) for row in self.mds),
        )


def generate(t: int) -> Generated:
    """Round constants and MDS matrix of width ``t`` from the Grain LFSR."""
    r_p = PARTIAL_ROUNDS[t]
    grain = GrainLFSR(FIELD_PRIME, SBOX_POWER, FIELD_SIZE, t, FULL_ROUNDS, r_p)
    constants = [
        grain.next_field_element_rejection(FIELD_SIZE, R) for _ in range((FULL_ROUNDS + r_p) * t)
    ]
    for rejected, (xs, ys) in enumerate(_cauchy_candidates(grain, FIELD_SIZE, t, R)):
        if is_secure_mds(cauchy(xs, ys, R), R):
            return Generated(t, r_p, tuple(constants), tuple(xs), tuple(ys), rejected)
    raise AssertionError("unreachable")


@cache
def generate_all() -> tuple[Generated, ...]:
    """The constants of every width ``t = 2..17``, in increasing ``t`` (a few seconds)."""
    return tuple(generate(t) for t in sorted(PARTIAL_ROUNDS))


def render_binary(widths: Sequence[Generated]) -> bytes:
    """The bytes of ``verifier/poseidon_constants.bin`` (the format of ``verifier.poseidon``):
    header, then per width its round constants, ``x`` and ``y``, 32 bytes big-endian each."""
    out = bytearray(CONSTANTS_MAGIC)
    out.append(len(widths))
    for g in widths:
        out += bytes([g.t, FULL_ROUNDS, g.partial_rounds])
    for g in widths:
        for value in (*g.round_constants, *g.xs, *g.ys):
            out += value.to_bytes(ELEMENT_BYTES, "big")
    return bytes(out)


def document(widths: Iterable[PoseidonParams]) -> dict[str, dict[str, Any]]:
    """The canonical JSON document of the constants (docs/protocol.md §3.4), whose SHA-256
    is the constants' fingerprint: one entry per width, keyed ``"2"`` .. ``"17"``."""
    return {
        str(p.t): {
            "full_rounds": p.full_rounds,
            "partial_rounds": p.partial_rounds,
            "round_constants": [hex(c) for c in p.round_constants],
            "mds": [[hex(x) for x in row] for row in p.mds],
        }
        for p in widths
    }


def build_document() -> dict[str, dict[str, Any]]:
    """The canonical JSON document of the generated constants (``document``)."""
    return document(g.params for g in generate_all())


def render(doc: dict[str, dict[str, Any]]) -> str:
    """Deterministic text of the JSON document (sorted keys, one value per line)."""
    return json.dumps(doc, sort_keys=True, indent=1) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m publisher.snark.poseidon_grain",
        description="Generate the Poseidon (BN254, x^5) constants with the Grain LFSR.",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="write the canonical JSON document (the spec's fingerprint) instead of the "
        "verifier's binary file",
    )
    parser.add_argument(
        "--out", type=Path, help=f"output file (default {DEFAULT_OUT}, or {JSON_NAME} with --json)"
    )
    args = parser.parse_args(argv)
    widths = generate_all()
    if args.json:
        data = render(document(g.params for g in widths)).encode()
        out = args.out or Path(JSON_NAME)
    else:
        data = render_binary(widths)
        out = args.out or DEFAULT_OUT
    out.write_bytes(data)
    print(f"wrote {out} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
