"""Keys from phase 1, contributions and the params check, on known secrets (no snarkjs);
and Fp2 square roots (snarkjs's hash to G2 uses them)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from publisher.ceremony.phase2 import apply_secret, check_params, initial_params
from publisher.snark.curve import G1_GEN, G2_GEN, g1_mul, g2_mul
from publisher.snark.dev_setup import ToxicWaste, dev_setup
from publisher.snark.keys import ProvingKey
from publisher.snark.prove import prove
from publisher.snark.qap import coset_shift, domain_size, lagrange_at
from tests.tiny_circuit import TINY_ID, known_phase1, tiny_circuit, tiny_witness
from verifier.ceremony import KeyMismatch
from verifier.ceremony_crypto import fp2_sqrt
from verifier.field import P, R
from verifier.groth16 import verify

TAU, ALPHA, BETA, DELTA = 1234567, 7654321, 1111111, 99991


def test_h_query_is_minus_two_times_the_odd_half_of_the_2n_basis() -> None:
    """L'_i(tau) (tau^n - 1) = -2 L^(2n)_(2i+1)(tau), L' the basis of the coset g<omega>."""
    n, tau = 16, random.Random(1).randrange(R)
    coset = lagrange_at(tau, n, coset_shift(n))
    double = lagrange_at(tau, 2 * n)
    z = (pow(tau, n, R) - 1) % R
    assert [c * z % R for c in coset] == [-2 * d % R for d in double[1::2]]


def test_keys_from_phase1_are_the_single_party_keys_of_the_same_secrets() -> None:
    cs = tiny_circuit()
    phase1 = known_phase1(TAU, ALPHA, BETA, domain_size(cs))
    pk, vk = initial_params(cs, TINY_ID, phase1)
    contributed = apply_secret(pk, DELTA)
    toxic = ToxicWaste(tau=TAU, alpha=ALPHA, beta=BETA, gamma=1, delta=DELTA)
    dev_pk, dev_vk = dev_setup(cs, TINY_ID, toxic)
    assert contributed == dev_pk
    assert replace(vk, delta_g2=contributed.delta_g2) == dev_vk


def test_a_proof_with_contributed_keys_verifies() -> None:
    cs = tiny_circuit()
    pk, vk = initial_params(cs, TINY_ID, known_phase1(TAU, ALPHA, BETA, domain_size(cs)))
    pk = apply_secret(apply_secret(pk, 5), 7)
    witness = tiny_witness(cs)
    verify(replace(vk, delta_g2=pk.delta_g2), witness[1:3], prove(pk, cs, witness))


def _bad(pk: ProvingKey, part: str) -> ProvingKey:
    """Return ``pk`` with one point of ``part`` replaced by another valid point."""
    if part == "b_g2":
        return replace(pk, b_g2=(g2_mul(G2_GEN, 3), *pk.b_g2[1:]))
    if part in ("alpha_g1", "delta_g1"):
        return replace(pk, **{part: g1_mul(G1_GEN, 3)})
    points = getattr(pk, part)
    return replace(pk, **{part: (g1_mul(G1_GEN, 3), *points[1:])})


@pytest.mark.parametrize(
    ("part", "reason"),
    [
        ("a_g1", "A query is not the one phase 1 gives"),
        ("b_g1", "B query is not the one phase 1 gives"),
        ("b_g2", "B query in G2 is not the one phase 1 gives"),
        ("l_g1", "L or H query"),
        ("h_g1", "L or H query"),
        ("alpha_g1", "alpha_1 is not"),
        ("delta_g1", "delta_1 is not"),
    ],
)
def test_check_params_names_a_wrong_part(part: str, reason: str) -> None:
    cs = tiny_circuit()
    phase1 = known_phase1(TAU, ALPHA, BETA, domain_size(cs))
    pk = apply_secret(initial_params(cs, TINY_ID, phase1)[0], DELTA)
    delta = (pk.delta_g1, pk.delta_g2)
    check_params(pk, cs, TINY_ID, phase1, delta)
    with pytest.raises(KeyMismatch, match=reason):
        check_params(_bad(pk, part), cs, TINY_ID, phase1, delta)


def test_check_params_refuses_another_circuit() -> None:
    cs = tiny_circuit()
    phase1 = known_phase1(TAU, ALPHA, BETA, domain_size(cs))
    pk = initial_params(cs, TINY_ID, phase1)[0]
    with pytest.raises(KeyMismatch, match="circuit id"):
        check_params(pk, cs, "another", phase1, (pk.delta_g1, pk.delta_g2))


def test_fp2_sqrt_finds_roots_of_squares_and_none_otherwise() -> None:
    rng = random.Random(2)
    for a in [(rng.randrange(P), rng.randrange(P)) for _ in range(20)] + [(4, 0), (P - 4, 0)]:
        square = ((a[0] * a[0] - a[1] * a[1]) % P, 2 * a[0] * a[1] % P)
        root = fp2_sqrt(square)
        assert root is not None and root in (a, (-a[0] % P, -a[1] % P))
    # a is a square in Fp2 iff its norm a0^2 + a1^2 is a square in Fp.
    non_square = next((c, 1) for c in range(1, 100) if pow(c * c + 1, (P - 1) // 2, P) == P - 1)
    assert fp2_sqrt(non_square) is None
