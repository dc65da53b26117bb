"""The publisher's pairing-product check (``verifier.bn254``'s code run on gmpy2 integers,
with the publisher's MSMs) agrees with py_ecc's on true and false equations, and with the
verifier's own (int) instance; the sets of curve operations give the same ceremony
results."""

from __future__ import annotations

import hashlib
import random

import pytest
from gmpy2 import mpz

from publisher.snark.curve import G1_GEN, G2_GEN, g1_mul, g1_neg, g2_mul
from publisher.snark.pairing import BN254, FAST_OPS, product_is_one
from verifier import bn254
from verifier.ceremony_crypto import PY_ECC_OPS
from verifier.field import R
from verifier.mpc_primitives import hash_to_g2

rng = random.Random(11)


def test_bilinearity_gives_one_and_a_wrong_exponent_does_not() -> None:
    a, b = rng.randrange(R), rng.randrange(R)
    left = (g1_mul(G1_GEN, a), g2_mul(G2_GEN, b))
    assert product_is_one([left, (g1_neg(g1_mul(G1_GEN, a * b)), G2_GEN)])
    assert not product_is_one([left, (g1_neg(g1_mul(G1_GEN, a * b + 1)), G2_GEN)])
    assert not product_is_one([left])


def test_infinity_counts_as_one() -> None:
    assert product_is_one([]) and product_is_one([(None, G2_GEN), (G1_GEN, None)])


@pytest.mark.parametrize("count", [1, 2, 4])
def test_fast_and_py_ecc_agree_on_weighted_products(count: int) -> None:
    q = hash_to_g2(hashlib.blake2b(b"another base").digest())
    pairs = [(g1_mul(G1_GEN, rng.randrange(R)), g2_mul(q, rng.randrange(R))) for _ in range(count)]
    weighted = [(rng.randrange(1, 1 << 20), p1, q2) for p1, q2 in pairs]
    assert FAST_OPS.weighted_product_is_one(weighted) is False
    assert PY_ECC_OPS.weighted_product_is_one(weighted) is False
    # Close the product: add e(-sum w_i a_i b_i g1, g2 in q's terms) via one more pair.
    c = rng.randrange(R)
    true = [(5, g1_mul(G1_GEN, c), q), (1, g1_neg(g1_mul(G1_GEN, 5 * c)), q)]
    assert FAST_OPS.weighted_product_is_one(true) and PY_ECC_OPS.weighted_product_is_one(true)


def test_the_gmpy2_instance_computes_on_mpz_and_gives_the_verifiers_values() -> None:
    p1, q2 = g1_mul(G1_GEN, rng.randrange(R)), g2_mul(G2_GEN, rng.randrange(R))
    value = BN254.pairing(p1, q2)
    assert type(BN254.P) is type(mpz(0)) and all(type(c) is type(mpz(0)) for c in value)
    assert type(bn254.P) is int and value == bn254.pairing(p1, q2)
    assert BN254.CurveOps is not bn254.CurveOps  # a module of its own, not verifier.bn254


def test_hash_to_g2_is_the_same_with_either_curve_operations() -> None:
    digest = hashlib.blake2b(b"m").digest()
    assert hash_to_g2(digest, FAST_OPS) == hash_to_g2(digest, PY_ECC_OPS)
    k = rng.randrange(R)
    assert FAST_OPS.g1_mul(G1_GEN, k) == PY_ECC_OPS.g1_mul(G1_GEN, k)
    assert FAST_OPS.g2_mul_unreduced(G2_GEN, k) == PY_ECC_OPS.g2_mul_unreduced(G2_GEN, k)
