"""Tests of verifier.groth16 on proofs made from a known ("toxic waste") setup.

With alpha, beta, gamma, delta and IC_i = k_i·G1 known, any A = a·G1, B = b·G2 and
C = (a·b − alpha·beta − (k_0 + Σ x_i·k_i)·gamma)/delta·G1 satisfy the Groth16 equation,
so these proofs exercise the real pairing code (the default, ``verifier.bn254``) without
a prover or a circuit.
"""

import copy
import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.optimized_bn128.optimized_curve import (
    G1,
    G2,
    b2,
    is_inf,
    is_on_curve,
    multiply,
    normalize,
)

from tests import peers
from verifier import bn254, errors, groth16
from verifier.field import P, R
from verifier.groth16 import (
    G1Point,
    G2Point,
    Proof,
    VerifyingKey,
    public_inputs_from_json,
    public_inputs_to_json,
    verify,
    verify_many,
)

INPUTS = (7, R - 1, 123456789012345678901234567890)


def g1(k: int) -> G1Point:
    """Return k·G1 as an affine integer pair."""
    point = multiply(G1, k % R)
    if is_inf(point):
        return None
    x, y = normalize(point)
    return x.n, y.n


def g2(k: int) -> G2Point:
    """Return k·G2 as affine integer pairs."""
    point = multiply(G2, k % R)
    if is_inf(point):
        return None
    x, y = normalize(point)
    return fp2_ints(x), fp2_ints(y)


def fp2_ints(element: Any) -> tuple[int, int]:
    """Return the integer coefficients (c0, c1) of an Fp2 element."""
    return int(element.coeffs[0]), int(element.coeffs[1])


@dataclass(frozen=True)
class Setup:
    """A Groth16 setup whose secrets are known, so proofs can be made without a prover."""

    alpha: int
    beta: int
    gamma: int
    delta: int
    k: tuple[int, ...]

    def vk(self) -> VerifyingKey:
        """Return the verification key of this setup."""
        return VerifyingKey(
            alpha_g1=g1(self.alpha),
            beta_g2=g2(self.beta),
            gamma_g2=g2(self.gamma),
            delta_g2=g2(self.delta),
            ic=tuple(g1(k) for k in self.k),
        )

    def prove(self, inputs: Sequence[int], a: int = 5, b: int = 9) -> Proof:
        """Return a proof (A, B, C) that satisfies the equation for ``inputs``."""
        vk_x = self.k[0] + sum(x * k for x, k in zip(inputs, self.k[1:], strict=True))
        c = (a * b - self.alpha * self.beta - vk_x * self.gamma) * pow(self.delta, -1, R)
        return Proof(a=g1(a), b=g2(b), c=g1(c))


SETUP = Setup(alpha=11, beta=13, gamma=17, delta=19, k=(23, 29, 31, 37))
OTHER_SETUP = Setup(alpha=41, beta=43, gamma=47, delta=53, k=(59, 61, 67, 71))


@pytest.fixture(scope="module")
def vk() -> VerifyingKey:
    """Return the verification key of SETUP."""
    return SETUP.vk()


@pytest.fixture(scope="module")
def proof() -> Proof:
    """Return a valid proof of INPUTS under SETUP."""
    return SETUP.prove(INPUTS)


@pytest.fixture
def no_pairing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any pairing computation fail the test: the check must happen before."""

    def forbidden(*args: object) -> bool:
        pytest.fail("the pairing was computed although an earlier check should have failed")

    monkeypatch.setattr(groth16, "_single_holds", forbidden)
    monkeypatch.setattr(groth16, "_batch_holds", forbidden)


def fp2_sqrt(a: Any) -> Any:
    """Return a square root of ``a`` in Fp2 (p ≡ 3 mod 4), or None if it has none.

    Algorithm 9 of Adj and Rodríguez-Henríquez, "Square root computation over even
    extension fields" (2012).
    """
    a1 = a ** ((P - 3) // 4)
    alpha = a1 * a1 * a
    x0 = a1 * a
    minus_one = FQ2([P - 1, 0])
    if alpha == minus_one:  # noqa: SIM108 (the paper's two cases)
        root = FQ2([0, 1]) * x0
    else:
        root = (FQ2.one() + alpha) ** ((P - 1) // 2) * x0
    return root if root * root == a else None


@pytest.fixture(scope="module")
def twist_point_outside_g2() -> G2Point:
    """Return a point of the twist E'(Fp2) that is not in the order-r subgroup G2."""
    for x0 in range(1, 100):
        x = FQ2([x0, 0])
        y = fp2_sqrt(x**3 + b2)
        if y is not None:
            point = (x, y, FQ2.one())
            assert is_on_curve(point, b2)
            assert not is_inf(multiply(point, R)), "the point is in G2 after all"
            # #E'(Fp2) = r·(2p − r): the cofactor times r kills every twist point.
            assert is_inf(multiply(point, R * (2 * P - R)))
            return fp2_ints(x), fp2_ints(y)
    raise AssertionError("no twist point found")


# --- accepted proofs -------------------------------------------------------------


def test_valid_proof_accepted(vk: VerifyingKey, proof: Proof) -> None:
    verify(vk, INPUTS, proof)  # raises on failure


def test_verify_many_accepts_five_valid_proofs(
    vk: VerifyingKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = {"pairs": 0, "miller": 0, "final": 0}
    miller_loop, final_exponentiation = bn254.miller_loop, bn254.final_exponentiation

    def counting_miller(pairs: Sequence[Any]) -> Any:
        counts["miller"] += 1
        counts["pairs"] += len(pairs)
        return miller_loop(pairs)

    def counting_final(f: Any) -> Any:
        counts["final"] += 1
        return final_exponentiation(f)

    monkeypatch.setattr(bn254, "miller_loop", counting_miller)
    monkeypatch.setattr(bn254, "final_exponentiation", counting_final)
    items = [
        ((i, 2 * i, 3 * i), SETUP.prove((i, 2 * i, 3 * i), a=i + 2, b=i + 3)) for i in range(5)
    ]
    verify_many(vk, items)
    # one Miller loop over B_1..B_5, beta, gamma, delta, and one final exponentiation
    assert counts == {"pairs": 5 + 3, "miller": 1, "final": 1}


def test_verify_many_accepts_empty_batch(vk: VerifyingKey, no_pairing: None) -> None:
    verify_many(vk, [])


# --- rejected proofs -------------------------------------------------------------


def test_verify_many_names_index_of_bad_proof(vk: VerifyingKey) -> None:
    items = [((i, i, i), SETUP.prove((i, i, i), a=i + 2)) for i in range(5)]
    items[1] = ((1, 1, 1), SETUP.prove((1, 1, 2)))  # a proof of other inputs
    with pytest.raises(errors.PairingCheckFailed, match="proof 1 ") as caught:
        verify_many(vk, items, rng=random.Random(2024))
    assert caught.value.index == 1


def test_verify_many_precheck_names_index(vk: VerifyingKey, proof: Proof, no_pairing: None) -> None:
    items: list[tuple[Sequence[int], Proof]] = [(INPUTS, proof)] * 4
    items[2] = ((INPUTS[0] + R, *INPUTS[1:]), proof)
    with pytest.raises(errors.PublicInputOutOfRange, match=r"^proof 2: public input 0 ") as caught:
        verify_many(vk, items)
    assert caught.value.index == 2


@pytest.mark.parametrize("element", ["a", "b", "c"])
def test_altered_proof_element_rejected(vk: VerifyingKey, proof: Proof, element: str) -> None:
    altered = {"a": {"a": g1(6)}, "b": {"b": g2(10)}, "c": {"c": g1(1234)}}[element]
    with pytest.raises(errors.PairingCheckFailed) as caught:
        verify(vk, INPUTS, replace(proof, **altered))  # type: ignore[arg-type]
    assert caught.value.index is None


@pytest.mark.parametrize("position", range(len(INPUTS)))
def test_altered_public_input_rejected(vk: VerifyingKey, proof: Proof, position: int) -> None:
    inputs = list(INPUTS)
    inputs[position] = (inputs[position] + 1) % R
    with pytest.raises(errors.PairingCheckFailed):
        verify(vk, inputs, proof)


@pytest.mark.parametrize("value", [INPUTS[1] + R, -1, R, 2**256, True, "5"])
def test_public_input_out_of_range_rejected_before_pairing(
    vk: VerifyingKey, proof: Proof, no_pairing: None, value: Any
) -> None:
    with pytest.raises(errors.PublicInputOutOfRange, match="public input 1 "):
        verify(vk, [INPUTS[0], value, INPUTS[2]], proof)


@pytest.mark.parametrize("count", [2, 4])
def test_wrong_number_of_public_inputs(
    vk: VerifyingKey, proof: Proof, no_pairing: None, count: int
) -> None:
    inputs = [*INPUTS, 0][:count]
    with pytest.raises(errors.WrongNumberOfPublicInputs, match=f"^expected 3 .* got {count}$"):
        verify(vk, inputs, proof)


def test_off_curve_a_rejected(vk: VerifyingKey, proof: Proof, no_pairing: None) -> None:
    assert proof.a is not None
    x, y = proof.a
    with pytest.raises(errors.PointNotOnCurve, match="pi_a"):
        verify(vk, INPUTS, replace(proof, a=(x, (y + 1) % P)))
    with pytest.raises(errors.PointNotOnCurve, match="pi_a"):  # same point mod p
        verify(vk, INPUTS, replace(proof, a=(x + P, y)))


def test_off_curve_b_rejected(vk: VerifyingKey, proof: Proof, no_pairing: None) -> None:
    assert proof.b is not None
    x, (y0, y1) = proof.b
    with pytest.raises(errors.PointNotOnCurve, match="pi_b"):
        verify(vk, INPUTS, replace(proof, b=(x, (y0, (y1 + 1) % P))))


def test_off_curve_key_point_rejected(vk: VerifyingKey, proof: Proof, no_pairing: None) -> None:
    assert vk.ic[2] is not None
    x, y = vk.ic[2]
    bad = replace(vk, ic=(*vk.ic[:2], (x, (y + 1) % P), *vk.ic[3:]))
    with pytest.raises(errors.KeyPointNotOnCurve, match=r"IC\[2\]"):
        verify(bad, INPUTS, proof)


def test_g2_point_outside_subgroup_rejected(
    vk: VerifyingKey, proof: Proof, twist_point_outside_g2: G2Point, no_pairing: None
) -> None:
    with pytest.raises(errors.PointNotInSubgroup, match="pi_b"):
        verify(vk, INPUTS, replace(proof, b=twist_point_outside_g2))
    with pytest.raises(errors.KeyPointNotInSubgroup, match="vk_gamma_2"):
        verify(replace(vk, gamma_g2=twist_point_outside_g2), INPUTS, proof)


@pytest.mark.parametrize("element", ["a", "b", "c"])
def test_proof_point_at_infinity_rejected(
    vk: VerifyingKey, proof: Proof, no_pairing: None, element: str
) -> None:
    with pytest.raises(errors.PointAtInfinity, match=f"pi_{element}"):
        verify(vk, INPUTS, replace(proof, **{element: None}))


def test_key_point_at_infinity_rejected(vk: VerifyingKey, proof: Proof, no_pairing: None) -> None:
    with pytest.raises(errors.KeyPointAtInfinity, match="vk_delta_2"):
        verify(replace(vk, delta_g2=None), INPUTS, proof)


def test_proof_checked_against_other_key_rejected(proof: Proof) -> None:
    with pytest.raises(errors.PairingCheckFailed):
        verify(OTHER_SETUP.vk(), INPUTS, proof)


# --- JSON --------------------------------------------------------------------------


def test_json_roundtrip(vk: VerifyingKey, proof: Proof) -> None:
    vk_json = json.loads(json.dumps(vk.to_json()))
    proof_json = json.loads(json.dumps(proof.to_json()))
    assert VerifyingKey.from_json(vk_json) == vk
    assert Proof.from_json(proof_json) == proof
    assert public_inputs_from_json(public_inputs_to_json(INPUTS)) == INPUTS
    assert vk_json["nPublic"] == 3 and vk_json["IC"][1][2] == "1"
    assert proof_json["pi_b"][2] == ["1", "0"] and proof_json["protocol"] == "groth16"
    assert proof.b is not None and proof_json["pi_b"][0] == [str(c) for c in proof.b[0]]


def test_json_points_at_infinity(vk: VerifyingKey) -> None:
    key = replace(vk, ic=(None, *vk.ic[1:]), beta_g2=None)
    key_json = key.to_json()
    assert key_json["IC"][0] == ["0", "1", "0"]  # type: ignore[index]
    assert key_json["vk_beta_2"] == [["0", "0"], ["1", "0"], ["0", "0"]]
    assert VerifyingKey.from_json(key_json) == key


def test_json_vk_alphabeta_ignored(vk: VerifyingKey) -> None:
    vk_json = vk.to_json() | {"vk_alphabeta_12": [[["1", "2"]] * 3] * 2}
    assert VerifyingKey.from_json(vk_json) == vk


def _set(path: Sequence[str | int], value: object) -> Callable[[Any], None]:
    """Return a mutation that sets the JSON element at ``path`` to ``value``."""

    def mutate(obj: Any) -> None:
        for key in path[:-1]:
            obj = obj[key]
        obj[path[-1]] = value

    return mutate


def _delete(key: str) -> Callable[[Any], None]:
    """Return a mutation that deletes a top-level field."""
    return lambda obj: obj.pop(key)


PROOF_CASES = {
    "protocol": (_set(["protocol"], "plonk"), '"protocol"'),
    "curve": (_set(["curve"], "bls12381"), '"curve"'),
    "missing pi_c": (_delete("pi_c"), '"pi_c"'),
    "hex": (_set(["pi_a", 0], "0x12"), r"pi_a\[0\]"),
    "number": (_set(["pi_a", 1], 12), r"pi_a\[1\]"),
    "negative": (_set(["pi_a", 1], "-12"), r"pi_a\[1\]"),
    "space": (_set(["pi_a", 1], " 12"), r"pi_a\[1\]"),
    "unicode digit": (_set(["pi_a", 1], "１２"), r"pi_a\[1\]"),
    "empty": (_set(["pi_c", 0], ""), r"pi_c\[0\]"),
    "coordinate p": (_set(["pi_a", 0], str(P)), r"pi_a\[0\] is not below"),
    "g2 coordinate p": (_set(["pi_b", 1, 0], str(P + 1)), r"pi_b\[1\]\[0\]"),
    "g2 non-decimal": (_set(["pi_b", 1, 0], "1e5"), r"pi_b\[1\]\[0\]"),
    "z not 1": (_set(["pi_a", 2], "2"), r"pi_a\[2\]"),
    "g2 z not 1": (_set(["pi_b", 2], ["1", "1"]), r"pi_b\[2\]"),
    "short g1": (_set(["pi_c"], ["1", "2"]), "pi_c"),
    "flat g2": (_set(["pi_b"], ["1", "2", "1"]), r"pi_b\[0\]"),
    "g2 nesting": (_set(["pi_b", 0], ["1"]), r"pi_b\[0\]"),
    "g2 as g1": (_set(["pi_b", 0], "1"), r"pi_b\[0\]"),
    "infinity with x": (_set(["pi_a"], ["5", "1", "0"]), r"pi_a\[2\]"),
}


@pytest.mark.parametrize("case", PROOF_CASES)
def test_malformed_proof_json(proof: Proof, case: str) -> None:
    mutate, message = PROOF_CASES[case]
    obj = copy.deepcopy(proof.to_json())
    mutate(obj)
    with pytest.raises(errors.MalformedProof, match=message) as caught:
        Proof.from_json(obj)
    assert isinstance(caught.value, errors.MalformedInput)
    assert isinstance(caught.value, errors.InvalidProof)


VK_CASES = {
    "nPublic mismatch": (_set(["nPublic"], 2), "nPublic"),
    "nPublic string": (_set(["nPublic"], "3"), "nPublic"),
    "IC empty": (_set(["IC"], []), "IC"),
    "IC coordinate p": (_set(["IC", 1, 0], str(P)), r"IC\[1\]\[0\]"),
    "beta z": (_set(["vk_beta_2", 2], ["0", "1"]), r"vk_beta_2\[2\]"),
    "delta c1": (_set(["vk_delta_2", 0, 1], "x"), r"vk_delta_2\[0\]\[1\]"),
    "missing gamma": (_delete("vk_gamma_2"), "vk_gamma_2"),
    "protocol": (_set(["protocol"], "fflonk"), "protocol"),
    "curve": (_set(["curve"], "bn254x"), "curve"),
}


@pytest.mark.parametrize("case", VK_CASES)
def test_malformed_vk_json(vk: VerifyingKey, case: str) -> None:
    mutate, message = VK_CASES[case]
    obj = copy.deepcopy(vk.to_json())
    mutate(obj)
    with pytest.raises(errors.MalformedVerifyingKey, match=message):
        VerifyingKey.from_json(obj)


@pytest.mark.parametrize(
    ("obj", "message"),
    [({"0": "1"}, "list"), (["1", 2], r"public\[1\]"), (["0x1"], r"public\[0\]")],
)
def test_malformed_public_json(obj: object, message: str) -> None:
    with pytest.raises(errors.MalformedPublicInputs, match=message):
        public_inputs_from_json(obj)


def test_json_not_an_object() -> None:
    with pytest.raises(errors.MalformedProof, match="JSON object"):
        Proof.from_json([])  # type: ignore[arg-type]


# --- snarkjs -----------------------------------------------------------------------


@pytest.fixture
def snarkjs_dir(vk: VerifyingKey, proof: Proof, tmp_path: Path) -> Iterator[Path]:
    """Return a directory holding vk.json, public.json and proof.json of a valid proof."""
    (tmp_path / "vk.json").write_text(json.dumps(vk.to_json()))
    (tmp_path / "public.json").write_text(json.dumps(public_inputs_to_json(INPUTS)))
    (tmp_path / "proof.json").write_text(json.dumps(proof.to_json()))
    yield tmp_path


def run_snarkjs(directory: Path) -> peers.Run:
    """Return the result of ``snarkjs groth16 verify`` on the files of ``directory``."""
    return peers.snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=directory)


@pytest.mark.interop
def test_snarkjs_accepts_our_files(snarkjs_dir: Path) -> None:
    result = run_snarkjs(snarkjs_dir)
    assert result.code == 0, result.output
    assert "OK" in result.output


@pytest.mark.interop
def test_snarkjs_rejects_tampered_proof(snarkjs_dir: Path, proof: Proof) -> None:
    (snarkjs_dir / "proof.json").write_text(json.dumps(replace(proof, c=g1(1234)).to_json()))
    result = run_snarkjs(snarkjs_dir)
    assert result.code != 0, result.output
    assert "Invalid proof" in result.output
