"""A four-constraint circuit with two public inputs, for fast setup-ceremony tests, and a
phase 1 made from known secrets (tests only: a real phase 1 comes from a ptau file)."""

from __future__ import annotations

from publisher.ceremony.ptau import Phase1
from publisher.snark.curve import G1_GEN, G2_GEN
from publisher.snark.msm import fixed_base_g1, fixed_base_g2
from publisher.snark.qap import lagrange_at
from publisher.snark.r1cs import ONE, ConstraintSystem
from verifier.field import R

TINY_ID = "tiny-test-circuit"


def tiny_circuit() -> ConstraintSystem:
    """Return ``pub0 = (x*y) * (3x + 5)`` and ``pub1 = x + 7y`` (domain size 8)."""
    cs = ConstraintSystem(n_public=2)
    x, y = cs.new_wires(2)
    cs.hint([], [x, y], lambda _, inputs: [int(str(inputs["x"])), int(str(inputs["y"]))])
    xy = cs.mul({x: 1}, {y: 1})
    cs.set_public(0, cs.mul(xy, {x: 3, ONE: 5}))
    cs.set_public(1, {x: 1, y: 7})
    return cs


def tiny_witness(cs: ConstraintSystem, x: int = 3, y: int = 11) -> list[int]:
    return cs.witness({"x": x, "y": y})


def known_phase1(tau: int, alpha: int, beta: int, n: int) -> Phase1:
    """Return the phase 1 of secrets ``tau, alpha, beta`` for domain size ``n``."""
    lag = lagrange_at(tau, n)
    lag_2n = lagrange_at(tau, 2 * n)
    g1 = fixed_base_g1(
        G1_GEN,
        [alpha, beta]
        + lag
        + [alpha * li % R for li in lag]
        + [beta * li % R for li in lag]
        + lag_2n[1::2],
    )
    g2 = fixed_base_g2(G2_GEN, [beta, *lag])
    return Phase1(
        sha256="0" * 64,
        blake2b="0" * 128,
        power=n.bit_length() - 1,
        n=n,
        contributors=(),
        alpha_g1=g1[0],
        beta_g1=g1[1],
        beta_g2=g2[0],
        lagrange_g1=tuple(g1[2 : 2 + n]),
        lagrange_g2=tuple(g2[1:]),
        alpha_lagrange_g1=tuple(g1[2 + n : 2 + 2 * n]),
        beta_lagrange_g1=tuple(g1[2 + 2 * n : 2 + 3 * n]),
        odd_lagrange_2n_g1=tuple(g1[2 + 3 * n :]),
    )
