"""zkpor's keys from a snarkjs ``.zkey``: the proving key for zkpor's prover, and the
verifying key ``snarkjs zkey export verificationkey`` exports.

The only difference between the two provers' keys is the H query. Both compute the
quotient on the coset of the odd 2n-th roots of unity c_i, but snarkjs's prover
multiplies its zkey's ``[L^(2n)_(2i+1)(tau)/delta]`` by the values of (AB - C) there,
while zkpor's multiplies ``[L'_i(tau) Z(tau)/delta]`` by those of (AB - C)/Z, and
``L'_i(x) (x^n - 1) = -2 L^(2n)_(2i+1)(x)`` (module docstring of ``publisher.ceremony.phase2``):
zkpor's H points are snarkjs's times -2. Everything else is taken as is.
"""

from __future__ import annotations

from publisher.ceremony.points import double_neg_g1
from publisher.ceremony.zkey import Zkey, ZkeyError
from publisher.ceremony.zkey_new import columns
from publisher.snark.keys import ProvingKey
from publisher.snark.qap import domain_size
from publisher.snark.r1cs import ConstraintSystem, r1cs_digest
from verifier.groth16 import VerifyingKey


def proving_key_from_zkey(zkey: Zkey, cs: ConstraintSystem, circuit_id: str) -> ProvingKey:
    """Return zkpor's proving key of ``zkey`` for ``cs``, refusing a zkey of another
    circuit (shape or coefficients). It does not check the points: ``verify_zkey`` does."""
    for what, found, expected in (
        ("number of wires (nVars)", zkey.n_vars, cs.n_wires),
        ("number of public inputs", zkey.n_public, cs.n_public),
        ("domain size", zkey.domain_size, domain_size(cs)),
    ):
        if found != expected:
            raise ZkeyError(f"the zkey's {what} is {found}, the circuit's {expected}")
    if zkey.coefficients != tuple(columns(cs)[3]):
        raise ZkeyError("the zkey's coefficients (section 4) are not this circuit's")
    return ProvingKey(
        circuit_id=circuit_id,
        r1cs_digest=r1cs_digest(cs),
        n_public=zkey.n_public,
        domain_size=zkey.domain_size,
        alpha_g1=zkey.alpha_g1,
        beta_g1=zkey.beta_g1,
        beta_g2=zkey.beta_g2,
        delta_g1=zkey.delta_g1,
        delta_g2=zkey.delta_g2,
        a_g1=zkey.a_g1,
        b_g1=zkey.b_g1,
        b_g2=zkey.b_g2,
        l_g1=zkey.c_g1,
        h_g1=tuple(double_neg_g1(zkey.h_g1)),  # [-2]H
    )


def verifying_key_from_zkey(zkey: Zkey) -> VerifyingKey:
    """Return the key ``snarkjs zkey export verificationkey`` writes for ``zkey``."""
    return VerifyingKey(
        alpha_g1=zkey.alpha_g1,
        beta_g2=zkey.beta_g2,
        gamma_g2=zkey.gamma_g2,
        delta_g2=zkey.delta_g2,
        ic=zkey.ic,
    )
