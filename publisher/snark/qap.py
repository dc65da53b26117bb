"""The quadratic arithmetic program of an R1CS, as Groth16 setup and prover both see it.

Rows ``0..m-1`` are the constraints. Rows ``m..m+n_public`` add, as snarkjs does, one
row per public wire (and the constant wire) with that wire alone in A: this makes the
public inputs' polynomials linearly independent, which Groth16's soundness needs even
when a public wire appears in C only. The domain is the smallest power of two that holds
every row; ``h`` is computed on the coset ``g * <omega>`` with ``g = omega_2n``, a
primitive 2n-th root of unity, as snarkjs does: the coset points are then the odd powers
of ``omega_2n``, none is a root of ``x^n - 1`` (on the coset it is ``g^n - 1 = -2``), and
the H query of the proving key is the odd half of the size-2n Lagrange basis that a
Powers of Tau file already holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from publisher.snark.ntt import domain_root
from publisher.snark.r1cs import ConstraintSystem
from verifier.field import R


def coset_shift(n: int) -> int:
    """Return the shift of the coset where h is computed for domain size ``n``."""
    return domain_root(2 * n)


def domain_size(cs: ConstraintSystem) -> int:
    """Return the evaluation domain size: a power of two >= constraints + public rows."""
    rows = len(cs.constraints) + cs.n_public + 1
    return 1 << (rows - 1).bit_length()


def row_values(cs: ConstraintSystem, witness: Sequence[int], n: int) -> tuple[list[int], ...]:
    """Return ``(<A_i,w>, <B_i,w>, <C_i,w>)`` for every row ``i`` of the domain."""
    a, b, c = [0] * n, [0] * n, [0] * n
    w = witness
    for i, (ra, rb, rc) in enumerate(cs.constraints):
        a[i] = sum(coeff * w[wire] for wire, coeff in ra.items()) % R
        b[i] = sum(coeff * w[wire] for wire, coeff in rb.items()) % R
        c[i] = sum(coeff * w[wire] for wire, coeff in rc.items()) % R
    m = len(cs.constraints)
    for k in range(cs.n_public + 1):
        a[m + k] = w[k]
    return a, b, c


def batch_inverse(values: Sequence[int]) -> list[int]:
    """Return the inverses of nonzero ``values`` mod r with one modular inversion."""
    prefix = [1] * (len(values) + 1)
    for i, v in enumerate(values):
        prefix[i + 1] = prefix[i] * v % R
    inv = pow(prefix[-1], -1, R)
    out = [0] * len(values)
    for i in range(len(values) - 1, -1, -1):
        out[i] = prefix[i] * inv % R
        inv = inv * values[i] % R
    return out


def lagrange_at(x: int, n: int, shift: int = 1) -> list[int]:
    """Return ``L_i(x)`` for the Lagrange basis of the points ``shift * omega^i``.

    ``L_i(x) = (x^n - shift^n) * c_i / (n * shift^n * (x - c_i))`` with
    ``c_i = shift * omega^i``; ``x`` must not be one of the points.
    """
    omega = domain_root(n)
    points = [shift] * n
    for i in range(1, n):
        points[i] = points[i - 1] * omega % R
    shift_n = pow(shift, n, R)
    factor = (pow(x, n, R) - shift_n) * pow(n * shift_n, -1, R) % R
    inverses = batch_inverse([(x - c) % R for c in points])
    return [factor * c % R * d % R for c, d in zip(points, inverses, strict=True)]


def wire_polynomials_at(
    cs: ConstraintSystem, lagrange: Sequence[int]
) -> tuple[list[int], list[int], list[int]]:
    """Return ``(u_j(x), v_j(x), w_j(x))`` for every wire ``j`` from ``L_i(x)``."""
    u, v, w = [0] * cs.n_wires, [0] * cs.n_wires, [0] * cs.n_wires
    for i, rows in enumerate(cs.constraints):
        li = lagrange[i]
        for target, row in zip((u, v, w), rows, strict=True):
            for wire, coeff in row.items():
                target[wire] += coeff * li
    m = len(cs.constraints)
    for k in range(cs.n_public + 1):
        u[k] += lagrange[m + k]
    return [x % R for x in u], [x % R for x in v], [x % R for x in w]
