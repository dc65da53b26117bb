"""Groth16 prover.

Given the proving key and a witness that satisfies the R1CS, it computes

    A = alpha + sum_j w_j u_j(tau) + r delta                          (G1)
    B = beta  + sum_j w_j v_j(tau) + s delta                          (G2, and G1 for C)
    C = sum_{j private} w_j L_j + h(tau) Z(tau)/delta + s A + r B_1 - r s delta   (G1)

where ``h = (a b - c) / Z`` is computed on a coset of the evaluation domain with NTTs.
It refuses any witness that does not satisfy every constraint: a proof must never be
the way a bad witness is discovered.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from publisher.snark import backend, native
from publisher.snark.keys import ProvingKey
from publisher.snark.msm import msm_g1, msm_g2
from publisher.snark.native import PackedKey
from publisher.snark.ntt import coset_ntt, domain_root, intt
from publisher.snark.qap import coset_shift, row_values
from publisher.snark.r1cs import ConstraintSystem, UnsatisfiedConstraint, r1cs_digest
from verifier.field import R
from verifier.groth16 import Proof

T = TypeVar("T")


class ProverError(Exception):
    """The prover refused: wrong key for the circuit, or a witness that is not valid."""


@dataclass
class PhaseTimer:
    """Wall time per prover phase, for benchmarks."""

    seconds: dict[str, float] = field(default_factory=dict)

    def run(self, name: str, fn: Callable[[], T]) -> T:
        """Return ``fn()``, adding its wall time to phase ``name``."""
        start = time.perf_counter()
        result = fn()
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
        return result


def prove(
    pk: ProvingKey | PackedKey,
    cs: ConstraintSystem,
    witness: Sequence[int],
    r: int | None = None,
    s: int | None = None,
    timer: PhaseTimer | None = None,
) -> Proof:
    """Return a Groth16 proof that ``witness`` satisfies ``cs`` (``r, s`` random if None).

    On the native backend the whole computation below runs in ``_native.prove`` (one
    phase, ``native``, for the timer); a ``PackedKey`` is only usable there.
    """
    clock = timer or PhaseTimer()
    _check_key(pk, cs)
    r = secrets.randbelow(R) if r is None else r % R
    s = secrets.randbelow(R) if s is None else s % R
    if backend.native() is not None:
        return clock.run("native", lambda: _prove_native(pk, cs, witness, r, s))
    if isinstance(pk, PackedKey):
        raise ProverError(f"proving key {pk.circuit_id} was loaded for the native backend")
    try:
        cs.check(witness)
    except Exception as exc:
        raise ProverError(f"witness rejected: {exc}") from exc

    h = clock.run("ntt", lambda: quotient_on_coset(cs, witness, pk.domain_size))
    w = list(witness)
    private = w[pk.n_public + 1 :]
    a = clock.run("msm_a_g1", lambda: msm_g1([pk.alpha_g1, pk.delta_g1, *pk.a_g1], [1, r, *w]))
    b2 = clock.run("msm_b_g2", lambda: msm_g2([pk.beta_g2, pk.delta_g2, *pk.b_g2], [1, s, *w]))
    b1 = clock.run("msm_b_g1", lambda: msm_g1([pk.beta_g1, pk.delta_g1, *pk.b_g1], [1, s, *w]))
    lh = clock.run("msm_l_g1", lambda: msm_g1([*pk.l_g1], private))
    hz = clock.run("msm_h_g1", lambda: msm_g1([*pk.h_g1], h))
    c = msm_g1([lh, hz, a, b1, pk.delta_g1], [1, 1, s, r, (-r * s) % R])
    return Proof(a=a, b=b2, c=c)


def _prove_native(
    pk: ProvingKey | PackedKey, cs: ConstraintSystem, witness: Sequence[int], r: int, s: int
) -> Proof:
    if len(witness) != cs.n_wires or witness[0] != 1:  # as ConstraintSystem.check
        raise ProverError(
            f"witness rejected: witness has {len(witness)} wires, expected {cs.n_wires}"
        )
    packed = pk if isinstance(pk, PackedKey) else PackedKey.of(pk)
    n = packed.domain_size
    result = native.prove(packed, cs, witness, r, s, domain_root(n), coset_shift(n))
    if isinstance(result, int):
        bad = UnsatisfiedConstraint(result, cs.label_of(result))
        raise ProverError(f"witness rejected: {bad}")
    return result


def _check_key(pk: ProvingKey | PackedKey, cs: ConstraintSystem) -> None:
    """Refuse a proving key made for another circuit."""
    n_wires = pk.n_wires if isinstance(pk, PackedKey) else len(pk.a_g1)
    if pk.n_public != cs.n_public or n_wires != cs.n_wires:
        raise ProverError(
            f"proving key {pk.circuit_id} has {n_wires} wires, circuit has {cs.n_wires}"
        )
    if pk.r1cs_digest != r1cs_digest(cs):
        raise ProverError(f"proving key {pk.circuit_id} was made for another R1CS")


def quotient_on_coset(cs: ConstraintSystem, witness: Sequence[int], n: int) -> list[int]:
    """Return ``h(c_i) = (a b - c)(c_i) / Z(c_i)`` on the coset points ``c_i = g omega^i``."""
    a, b, c = row_values(cs, witness, n)
    shift = coset_shift(n)
    a_coset, b_coset, c_coset = (coset_ntt(intt(values), shift) for values in (a, b, c))
    # Z(x) = x^n - 1 is the constant g^n - 1 (= -2) on the whole coset.
    z_inv = pow(pow(shift, n, R) - 1, -1, R)
    return [
        (ai * bi - ci) * z_inv % R for ai, bi, ci in zip(a_coset, b_coset, c_coset, strict=True)
    ]
