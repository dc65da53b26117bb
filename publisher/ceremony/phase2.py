"""Groth16 keys from a phase-1 file, phase-2 contributions to them, and their check.

**Keys from phase 1.** snarkjs-style Groth16 has gamma = 1 (``vk_gamma_2`` is the
generator), so every key element is a linear combination of the phase-1 Lagrange points
(``Phase1``), with the R1CS coefficients as scalars and no FFT over points:

* ``A_j = sum_i U_ij [L_i]_1``, ``B_j = sum_i V_ij [L_i]_1`` and ``[L_i]_2`` likewise,
  U including the public-input rows of ``publisher.snark.qap`` (row m+k: wire k in A);
* ``K_j = sum_i (U_ij [beta L_i]_1 + V_ij [alpha L_i]_1 + W_ij [L_i]_1)``: ``IC_j`` for the
  public wires, ``L_j = K_j / delta`` for the private ones;
* ``H_i = [L'_i(tau) Z(tau) / delta]_1 = -2 [L^(2n)_(2i+1)(tau)]_1 / delta``: with
  g = omega_2n the coset points are the odd 2n-th roots, ``g^n = -1``, so
  ``L'_i(x) (x^n - 1) = (x^2n - 1) c_i / (-n (x - c_i)) = -2 L^(2n)_(2i+1)(x)``.

The initial params have delta = 1. **A contribution** with secret d replaces delta by
``delta·d`` and divides every L_j and H_i by d; IC, A, B, alpha, beta never change.

**The check** (``check_params``) compares params with what phase 1, the circuit and a
delta give without recomputing them: for random rho (wires) and sigma (rows of H)
``sum rho_j A_j = sum_i (U^T rho)_i [L_i]_1`` (one MSM a side; B in G1 and G2 the same)
and ``e(sum rho_j L_j + sum sigma_i H_i, [delta]_2) =
e(sum_i ((U^T rho)_i [beta L_i] + (V^T rho)_i [alpha L_i] + (W^T rho)_i [L_i]) -
2 sum sigma_i [L^(2n)_(2i+1)], g2)``, rho restricted to private wires. A wrong point
passes with probability below 2^-128. Where this process already derived the circuit's
initial zkey from the same ``Phase1`` object (``zkpor demo``: ``init`` did), A, B1 and B2
are compared with it point for point instead, and the right side above is one MSM over its
C and H points (the same K_j and ``[L^(2n)_(2i+1)]``). Secrets never leave the functions
they are given to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from publisher.ceremony.memo import Memo
from publisher.ceremony.points import (
    all_on_curve_g1,
    double_neg_g1,
    g2_not_in_subgroup,
    lincombs_g1,
    lincombs_g2,
    random_weights,
    scale_g1,
)
from publisher.ceremony.ptau import Phase1
from publisher.ceremony.zkey import Zkey
from publisher.ceremony.zkey_new import derived_initial
from publisher.snark.curve import (
    G1,
    G1_GEN,
    G2,
    G2_GEN,
    g1_mul,
    g1_neg,
    g2_mul,
)
from publisher.snark.keys import ProvingKey
from publisher.snark.msm import msm_g1, msm_g2
from publisher.snark.pairing import FAST_OPS
from publisher.snark.qap import domain_size
from publisher.snark.r1cs import ConstraintSystem, r1cs_digest
from verifier.ceremony_crypto import failed_pairing_check
from verifier.ceremony_format import G2_GENERATOR, KeyMismatch
from verifier.field import R
from verifier.groth16 import VerifyingKey

Log = Callable[[str], None]
#: (row, coefficient) terms of one wire's polynomial in the Lagrange basis.
Column = list[tuple[int, int]]
_CHECK_BITS = 128


@dataclass(frozen=True)
class QapColumns:
    """For every wire j the terms of u_j, v_j and w_j: ``u_j(x) = sum U_ij L_i(x)``."""

    u: list[Column]
    v: list[Column]
    w: list[Column]

    @classmethod
    def of(cls, cs: ConstraintSystem) -> QapColumns:
        """Return the columns of ``cs``, with the public-input rows of ``publisher.snark.qap``
        (the same object for the same circuit: do not change it)."""
        digest = r1cs_digest(cs)
        known = _QAP_COLUMNS.get(digest)
        return known if known is not None else _QAP_COLUMNS.put(digest, cls._of(cs))

    @classmethod
    def _of(cls, cs: ConstraintSystem) -> QapColumns:
        cols: tuple[list[Column], ...] = tuple([[] for _ in range(cs.n_wires)] for _ in "uvw")
        for i, rows in enumerate(cs.constraints):
            for target, row in zip(cols, rows, strict=True):
                for wire, coeff in row.items():
                    target[wire].append((i, coeff))
        m = len(cs.constraints)
        for k in range(cs.n_public + 1):
            cols[0][k].append((m + k, 1))
        return cls(*cols)

    def transpose_times(self, which: list[Column], rho: Sequence[int], n: int) -> list[int]:
        """Return ``(M^T rho)_i = sum_j M_ij rho_j`` for the matrix M of ``which``."""
        out = [0] * n
        for column, weight in zip(which, rho, strict=True):
            if weight:
                for i, coeff in column:
                    out[i] += coeff * weight
        return [x % R for x in out]


def _k_columns(phase1: Phase1, cols: QapColumns, wires: Iterable[int]) -> list[G1]:
    """Return ``K_j = sum_i (U_ij [beta L_i] + V_ij [alpha L_i] + W_ij [L_i])``."""
    n = phase1.n
    bases = [*phase1.beta_lagrange_g1, *phase1.alpha_lagrange_g1, *phase1.lagrange_g1]
    columns = [
        [*cols.u[j], *((n + i, c) for i, c in cols.v[j]), *((2 * n + i, c) for i, c in cols.w[j])]
        for j in wires
    ]
    return lincombs_g1(bases, columns)


#: ``QapColumns.of`` by R1CS digest; ``public_ic`` by R1CS digest and Phase1 object.
_QAP_COLUMNS: Memo[QapColumns] = Memo()
_PUBLIC_IC: Memo[tuple[G1, ...]] = Memo()


def public_ic(cs: ConstraintSystem, phase1: Phase1) -> list[G1]:
    """Return ``IC_j = K_j`` for the constant and the public wires (gamma = 1); derived
    once per circuit and ``phase1`` object in a process (``publisher.ceremony.memo``)."""
    digest = r1cs_digest(cs)
    known = _PUBLIC_IC.get(digest, (phase1,))
    if known is None:
        ic = _k_columns(phase1, QapColumns.of(cs), range(cs.n_public + 1))
        known = _PUBLIC_IC.put(digest, tuple(ic), (phase1,))
    return list(known)


def initial_params(
    cs: ConstraintSystem, circuit_id: str, phase1: Phase1, log: Log | None = None
) -> tuple[ProvingKey, VerifyingKey]:
    """Return the keys with delta = 1 that phase 1 gives for ``cs`` (before phase 2)."""
    n = domain_size(cs)
    if phase1.n != n:
        raise ValueError(f"phase 1 was read for a domain of {phase1.n}, the circuit needs {n}")
    cols = QapColumns.of(cs)
    lag1, lag2 = phase1.lagrange_g1, phase1.lagrange_g2
    if log:
        log(f"A and B queries of {cs.n_wires} wires")
    a_g1 = lincombs_g1(lag1, cols.u)
    b_g1 = lincombs_g1(lag1, cols.v)
    if log:
        log(f"B query in G2 of {cs.n_wires} wires")
    b_g2 = lincombs_g2(lag2, cols.v)
    if log:
        log(f"IC and L queries of {cs.n_wires} wires")
    k = _k_columns(phase1, cols, range(cs.n_wires))
    public = cs.n_public + 1
    h_g1 = double_neg_g1(phase1.odd_lagrange_2n_g1)
    pk = ProvingKey(
        circuit_id=circuit_id,
        r1cs_digest=r1cs_digest(cs),
        n_public=cs.n_public,
        domain_size=n,
        alpha_g1=phase1.alpha_g1,
        beta_g1=phase1.beta_g1,
        beta_g2=phase1.beta_g2,
        delta_g1=G1_GEN,
        delta_g2=G2_GEN,
        a_g1=tuple(a_g1),
        b_g1=tuple(b_g1),
        b_g2=tuple(b_g2),
        l_g1=tuple(k[public:]),
        h_g1=tuple(h_g1),
    )
    return pk, verifying_key(pk, k[:public])


def verifying_key(pk: ProvingKey, ic: Sequence[G1]) -> VerifyingKey:
    """Return the verifying key of params ``pk`` (gamma = 1, so IC never changes)."""
    return VerifyingKey(
        alpha_g1=pk.alpha_g1,
        beta_g2=pk.beta_g2,
        gamma_g2=G2_GENERATOR,
        delta_g2=pk.delta_g2,
        ic=tuple(ic),
    )


# --- contributions ------------------------------------------------------------------


def apply_secret(pk: ProvingKey, d: int) -> ProvingKey:
    """Return the params after a contribution of secret ``d``: delta·d, L/d, H/d."""
    d_inv = pow(d, -1, R)
    return replace(
        pk,
        delta_g1=g1_mul(pk.delta_g1, d),
        delta_g2=g2_mul(pk.delta_g2, d),
        l_g1=tuple(scale_g1(pk.l_g1, d_inv)),
        h_g1=tuple(scale_g1(pk.h_g1, d_inv)),
    )


# --- the check ------------------------------------------------------------------------


def _rho(count: int) -> list[int]:
    return random_weights(count, _CHECK_BITS)


def _check_shape(pk: ProvingKey, cs: ConstraintSystem, circuit_id: str) -> None:
    n, public = domain_size(cs), cs.n_public + 1
    for what, found, expected in (
        ("circuit id", pk.circuit_id, circuit_id),
        ("R1CS digest", pk.r1cs_digest, r1cs_digest(cs)),
        ("number of public inputs", pk.n_public, cs.n_public),
        ("domain size", pk.domain_size, n),
        ("A query length", len(pk.a_g1), cs.n_wires),
        ("B query length", len(pk.b_g1), cs.n_wires),
        ("B query length in G2", len(pk.b_g2), cs.n_wires),
        ("L query length", len(pk.l_g1), cs.n_wires - public),
        ("H query length", len(pk.h_g1), n),
    ):
        if found != expected:
            raise KeyMismatch(f"the params' {what} is {found}, expected {expected}")


def check_params(
    pk: ProvingKey,
    cs: ConstraintSystem,
    circuit_id: str,
    phase1: Phase1,
    delta: tuple[G1, G2],
    log: Log | None = None,
) -> None:
    """Return None if ``pk`` is the key phase 1 gives for ``cs`` at this delta.

    Raises ``KeyMismatch`` naming the first part that is not (see the module docstring).
    """
    _check_shape(pk, cs, circuit_id)
    for what, found, expected in (
        ("alpha_1", pk.alpha_g1, phase1.alpha_g1),
        ("beta_1", pk.beta_g1, phase1.beta_g1),
        ("beta_2", pk.beta_g2, phase1.beta_g2),
        ("delta_1", pk.delta_g1, delta[0]),
        ("delta_2", pk.delta_g2, delta[1]),
    ):
        if found != expected:
            raise KeyMismatch(f"the params' {what} is not the one of the phase-1 file/transcript")
    if log:
        log("checking that every point is on its curve")
    for what, points in (("A", pk.a_g1), ("B", pk.b_g1), ("L", pk.l_g1), ("H", pk.h_g1)):
        if not all_on_curve_g1(points):
            raise KeyMismatch(f"a point of the params' {what} query is not on the curve")
    if g2_not_in_subgroup(pk.b_g2):
        raise KeyMismatch("a point of the params' B query in G2 is not in G2")
    cols, n = QapColumns.of(cs), pk.domain_size
    known = derived_initial(cs, phase1)
    if known is not None:
        if log:
            log("comparing A and B with the initial zkey derived in this run")
        _compare_a_and_b(pk, known)
        _check_l_and_h(pk, cs, cols, phase1, known)
        return
    if log:
        log("checking the A, B, L and H queries against phase 1 (random combinations)")
    rho = _rho(cs.n_wires)
    for what, mine, column in (("A", pk.a_g1, cols.u), ("B", pk.b_g1, cols.v)):
        if msm_g1(list(mine), rho) != msm_g1(
            phase1.lagrange_g1, cols.transpose_times(column, rho, n)
        ):
            raise KeyMismatch(f"the params' {what} query is not the one phase 1 gives")
    if msm_g2(list(pk.b_g2), rho) != msm_g2(
        phase1.lagrange_g2, cols.transpose_times(cols.v, rho, n)
    ):
        raise KeyMismatch("the params' B query in G2 is not the one phase 1 gives")
    _check_l_and_h(pk, cs, cols, phase1)


def _compare_a_and_b(pk: ProvingKey, known: Zkey) -> None:
    """The exact form of the A and B checks: the initial zkey's A, B1 and B2 (derived here
    from the same circuit and phase 1) are the ones phase 1 gives."""
    for what, mine, expected in (
        ("A query", pk.a_g1, known.a_g1),
        ("B query", pk.b_g1, known.b_g1),
        ("B query in G2", pk.b_g2, known.b_g2),
    ):
        if tuple(mine) != tuple(expected):
            raise KeyMismatch(f"the params' {what} is not the one phase 1 gives")


def _check_l_and_h(
    pk: ProvingKey,
    cs: ConstraintSystem,
    cols: QapColumns,
    phase1: Phase1,
    known: Zkey | None = None,
) -> None:
    """Check ``L_j = K_j / delta`` and ``H_i = -2 [L^(2n)_(2i+1)] / delta`` with one pairing.

    With ``known`` (the initial zkey derived here), its C points are the K_j of the private
    wires and its H points the ``[L^(2n)_(2i+1)]``: the right side is one MSM over them.
    """
    public, n = cs.n_public + 1, pk.domain_size
    rho = [0] * public + _rho(cs.n_wires - public)
    sigma = _rho(n)
    left = msm_g1([*pk.l_g1, *pk.h_g1], rho[public:] + sigma)
    minus_two_sigma = [-2 * s % R for s in sigma]
    if known is not None:
        right = msm_g1([*known.c_g1, *known.h_g1], rho[public:] + minus_two_sigma)
    else:
        right = msm_g1(
            [
                *phase1.beta_lagrange_g1,
                *phase1.alpha_lagrange_g1,
                *phase1.lagrange_g1,
                *phase1.odd_lagrange_2n_g1,
            ],
            cols.transpose_times(cols.u, rho, n)
            + cols.transpose_times(cols.v, rho, n)
            + cols.transpose_times(cols.w, rho, n)
            + minus_two_sigma,
        )
    failed = failed_pairing_check(
        [("L or H", [(left, pk.delta_g2), (g1_neg(right), G2_GEN)])], ops=FAST_OPS
    )
    if failed is not None:
        raise KeyMismatch("the params' L or H query is not the one phase 1 gives for their delta")


def check_ic(vk: VerifyingKey, cs: ConstraintSystem, phase1: Phase1) -> None:
    """Return None if vk's IC is the one phase 1 gives for ``cs``."""
    if list(vk.ic) != public_ic(cs, phase1):
        raise KeyMismatch("vk.json's IC is not the one phase 1 gives for this circuit")
