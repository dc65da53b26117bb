"""Single-party Groth16 development setup.

Whoever knows the toxic waste ``(tau, alpha, beta, gamma, delta)`` can forge proofs of any
statement for this circuit. This setup draws it from the OS, uses it and forgets it, but
nobody else can check that it did: it is for development and tests only, and everything
that uses it must say so. The multi-party ceremony is the production path.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from publisher.snark.curve import G1_GEN, G2_GEN
from publisher.snark.keys import ProvingKey
from publisher.snark.msm import fixed_base_g1, fixed_base_g2
from publisher.snark.qap import coset_shift, domain_size, lagrange_at, wire_polynomials_at
from publisher.snark.r1cs import ConstraintSystem, r1cs_digest
from verifier.field import R
from verifier.groth16 import VerifyingKey

DEV_SETUP_WARNING = (
    "single-party development setup: whoever ran it could forge proofs; "
    "not for a published attestation"
)


@dataclass(frozen=True)
class ToxicWaste:
    """The setup secrets. Never written anywhere; injectable so tests are deterministic."""

    tau: int
    alpha: int
    beta: int
    gamma: int
    delta: int

    @classmethod
    def random(cls) -> ToxicWaste:
        """Return fresh secrets from the OS, each in [1, r)."""
        tau, alpha, beta, gamma, delta = (1 + secrets.randbelow(R - 1) for _ in range(5))
        return cls(tau=tau, alpha=alpha, beta=beta, gamma=gamma, delta=delta)


def dev_setup(
    cs: ConstraintSystem, circuit_id: str, toxic: ToxicWaste | None = None
) -> tuple[ProvingKey, VerifyingKey]:
    """Return a Groth16 key pair for ``cs`` from ``toxic`` (fresh random if omitted)."""
    t = toxic or ToxicWaste.random()
    n = domain_size(cs)
    u, v, w = wire_polynomials_at(cs, lagrange_at(t.tau, n))
    gamma_inv, delta_inv = pow(t.gamma, -1, R), pow(t.delta, -1, R)
    # (beta*u_j + alpha*v_j + w_j): the part of C that every wire contributes.
    k = [(t.beta * uj + t.alpha * vj + wj) % R for uj, vj, wj in zip(u, v, w, strict=True)]
    public = cs.n_public + 1
    # The prover knows h by its values on the coset, so the key holds the coset's Lagrange
    # basis times Z(tau) = tau^n - 1, the vanishing polynomial of the original domain.
    z_tau = (pow(t.tau, n, R) - 1) % R
    h = [li * z_tau % R * delta_inv % R for li in lagrange_at(t.tau, n, coset_shift(n))]

    g1 = fixed_base_g1(
        G1_GEN,
        [t.alpha, t.beta, t.delta]
        + u
        + v
        + [kj * gamma_inv % R for kj in k[:public]]
        + [kj * delta_inv % R for kj in k[public:]]
        + h,
    )
    g2 = fixed_base_g2(G2_GEN, [t.beta, t.gamma, t.delta, *v])
    n_wires = cs.n_wires
    alpha_g1, beta_g1, delta_g1 = g1[:3]
    a_g1 = g1[3 : 3 + n_wires]
    b_g1 = g1[3 + n_wires : 3 + 2 * n_wires]
    ic = g1[3 + 2 * n_wires : 3 + 2 * n_wires + public]
    l_g1 = g1[3 + 2 * n_wires + public : 3 + 3 * n_wires]
    h_g1 = g1[3 + 3 * n_wires :]
    beta_g2, gamma_g2, delta_g2 = g2[:3]
    pk = ProvingKey(
        circuit_id=circuit_id,
        r1cs_digest=r1cs_digest(cs),
        n_public=cs.n_public,
        domain_size=n,
        alpha_g1=alpha_g1,
        beta_g1=beta_g1,
        beta_g2=beta_g2,
        delta_g1=delta_g1,
        delta_g2=delta_g2,
        a_g1=tuple(a_g1),
        b_g1=tuple(b_g1),
        b_g2=tuple(g2[3:]),
        l_g1=tuple(l_g1),
        h_g1=tuple(h_g1),
    )
    vk = VerifyingKey(
        alpha_g1=alpha_g1, beta_g2=beta_g2, gamma_g2=gamma_g2, delta_g2=delta_g2, ic=tuple(ic)
    )
    return pk, vk
