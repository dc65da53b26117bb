"""``verify`` and ``verify_many`` accept and reject exactly the same proofs, with the same
error and message, on every set of curve operations: the default (``verifier.bn254``,
pure Python), ``ops=FAST_OPS`` (what ``zkpor verify`` passes) and py_ecc's pairing
(``PY_ECC_OPS``, the reference); injected operations never fall back to the default."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import NoReturn

import pytest

from publisher.snark.curve import B2, G1_GEN, G2_GEN, g1_mul, g2_mul, g2_mul_unreduced
from publisher.snark.pairing import FAST_OPS
from verifier import groth16
from verifier.bn254 import CurveOps
from verifier.ceremony_crypto import PY_ECC_OPS, fp2_sqrt
from verifier.errors import PairingCheckFailed, VerificationError
from verifier.field import P, R
from verifier.groth16 import G2Point, Proof, VerifyingKey, verify, verify_many

INPUTS = (7, R - 1, 123456789012345678901234567890)


@dataclass(frozen=True)
class Setup:
    """A Groth16 setup with known secrets: valid proofs without a prover."""

    alpha: int = 11
    beta: int = 13
    gamma: int = 17
    delta: int = 19
    k: tuple[int, ...] = (23, 29, 31, 37)

    def vk(self) -> VerifyingKey:
        return VerifyingKey(
            alpha_g1=g1_mul(G1_GEN, self.alpha),
            beta_g2=g2_mul(G2_GEN, self.beta),
            gamma_g2=g2_mul(G2_GEN, self.gamma),
            delta_g2=g2_mul(G2_GEN, self.delta),
            ic=tuple(g1_mul(G1_GEN, k) for k in self.k),
        )

    def prove(self, inputs: Sequence[int], a: int = 5, b: int = 9) -> Proof:
        vk_x = self.k[0] + sum(x * k for x, k in zip(inputs, self.k[1:], strict=True))
        c = (a * b - self.alpha * self.beta - vk_x * self.gamma) * pow(self.delta, -1, R)
        return Proof(a=g1_mul(G1_GEN, a), b=g2_mul(G2_GEN, b), c=g1_mul(G1_GEN, c))


SETUP = Setup()
VK = SETUP.vk()
PROOF = SETUP.prove(INPUTS)


def _twist_point_outside_g2() -> G2Point:
    """A point of the twist E'(Fp2) of order not dividing r (found by trying x = 1, 2, ...)."""
    for x0 in range(1, 100):
        y = fp2_sqrt(((x0**3 + B2[0]) % P, B2[1]))  # y^2 = x^3 + b' with x = x0 in Fp
        if y is None:
            continue
        point = ((x0, 0), (int(y[0]), int(y[1])))
        if g2_mul_unreduced(point, R) is not None:  # not killed by r: outside G2
            return point
    raise AssertionError("no twist point outside G2 found")


OUTSIDE = _twist_point_outside_g2()


#: (name, vk, inputs, proof): each must be rejected, for the same reason on both paths.
BAD: list[tuple[str, VerifyingKey, Sequence[int], Proof]] = [
    ("A altered", VK, INPUTS, replace(PROOF, a=g1_mul(PROOF.a, 2))),
    ("B altered", VK, INPUTS, replace(PROOF, b=g2_mul(PROOF.b, 2))),
    ("C altered", VK, INPUTS, replace(PROOF, c=g1_mul(PROOF.c, 2))),
    ("input altered", VK, (INPUTS[0] + 1, *INPUTS[1:]), PROOF),
    ("input + r", VK, (INPUTS[0] + R, *INPUTS[1:]), PROOF),
    ("A off the curve", VK, INPUTS, replace(PROOF, a=(PROOF.a[0], (PROOF.a[1] + 1) % P))),  # type: ignore[index]
    ("B outside G2", VK, INPUTS, replace(PROOF, b=OUTSIDE)),
    ("gamma outside G2", replace(VK, gamma_g2=OUTSIDE), INPUTS, PROOF),
    ("A at infinity", VK, INPUTS, replace(PROOF, a=None)),
    ("delta at infinity", replace(VK, delta_g2=None), INPUTS, PROOF),
    ("another key", Setup(41, 43, 47, 53, (59, 61, 67, 71)).vk(), INPUTS, PROOF),
]


def _outcome(call: Callable[[], None]) -> tuple[str, str] | None:
    try:
        call()
    except VerificationError as exc:
        return type(exc).__name__, str(exc)
    return None


@pytest.mark.parametrize("ops", [None, FAST_OPS, PY_ECC_OPS], ids=["default", "fast", "py_ecc"])
def test_valid_proofs_pass_on_every_path(ops: CurveOps | None) -> None:
    verify(VK, INPUTS, PROOF, ops=ops)
    items = [(inputs, SETUP.prove(inputs, a=3 + i)) for i, inputs in enumerate([INPUTS] * 4)]
    verify_many(VK, items, ops=ops)
    verify_many(VK, [], ops=ops)


@pytest.mark.parametrize("case", BAD, ids=[case[0] for case in BAD])
def test_every_path_rejects_what_py_ecc_rejects(
    case: tuple[str, VerifyingKey, Sequence[int], Proof],
) -> None:
    _, vk, inputs, proof = case
    expected = _outcome(lambda: verify(vk, inputs, proof, ops=PY_ECC_OPS))
    assert expected is not None
    batch = _outcome(lambda: verify_many(vk, [(inputs, proof)], random.Random(1), PY_ECC_OPS))
    assert batch is not None
    for ops in (None, FAST_OPS):
        assert _outcome(lambda: verify(vk, inputs, proof, ops=ops)) == expected  # noqa: B023
        outcome = _outcome(lambda: verify_many(vk, [(inputs, proof)], random.Random(1), ops))  # noqa: B023
        assert outcome == batch


def test_the_fast_batch_names_the_bad_proof(monkeypatch: pytest.MonkeyPatch) -> None:
    items: list[tuple[Sequence[int], Proof]] = [
        (INPUTS, SETUP.prove(INPUTS, a=3 + i)) for i in range(5)
    ]
    items[3] = (INPUTS, replace(items[3][1], c=g1_mul(items[3][1].c, 2)))

    def forbidden(*args: object) -> NoReturn:
        pytest.fail("the default curve operations ran although FAST_OPS was given")

    monkeypatch.setattr(groth16, "PURE_OPS", CurveOps(forbidden, forbidden, forbidden, forbidden))
    with pytest.raises(PairingCheckFailed) as caught:
        verify_many(VK, items, ops=FAST_OPS)
    assert caught.value.index == 3
    assert "proof 3 does not satisfy" in str(caught.value)
