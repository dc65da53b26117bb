"""Attack (issue 15): forged batch proofs against the verifier's default pure-Python pairing.

The verifier's default curve operations are now ``verifier.bn254`` (``PURE_OPS``: its own
Miller loop with prepared lines, final exponentiation and psi-based G2 subgroup check, on
plain ints) instead of py_ecc's pairing. That is what the browser runs (the Verify page's
account check and "Verify all") and what ``zkpor verify-user`` runs. The adversary rewrites
proofs.json (and its sha256 in the manifest) with:

* pi_b replaced by a point of the twist outside G2 (on the curve, so it passes the curve
  check; a subgroup check that let it through would open small-subgroup forgeries);
* pi_c replaced by 2·pi_c (a proof for nothing);
* a public input replaced by itself + r (the same residue mod r: a second encoding of the
  statement that a verifier reducing inputs mod r would accept);
* one batch's pi_a swapped with another's.

Each must fail the batch-proofs step naming the batch: the reviewer's ten steps run by
the library with the default operations, in progress chunks as the page runs them, and
the account holder's seven steps (``zkpor verify-user``, whose sample covers every batch
of these vectors). The pairing that rejects is ``verifier.bn254``'s (counted, not mocked).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from publisher.crypto import NaclBackend
from tests.security.vector_attestation import (
    ALLOW,
    code_of,
    copy_vectors,
    read_json,
    verify_user,
    write_json,
)
from verifier import bn254
from verifier.attestation import STEP_NAMES, attestation_steps
from verifier.ceremony_crypto import fp2_sqrt
from verifier.fetch import directory_reader
from verifier.field import P, R
from verifier.report import StepResult, run_steps
from verifier.user import USER_STEP_NAMES

#: alice@example.com is on leaf 0: batch 0 (two leaves per batch).
ALICE = "alice@example.com"


def _outside_g2() -> list[list[str]]:
    """A point of the twist (x = x0 in Fp) that is not in G2, in snarkjs's JSON form."""
    for x0 in range(1, 100):
        y = fp2_sqrt(((x0**3 + bn254.TWIST_B[0]) % P, bn254.TWIST_B[1]))
        if y is None:
            continue
        point = ((x0, 0), (int(y[0]), int(y[1])))
        assert bn254.g2_on_curve(point)
        if bn254.g2_mul(point, R) is not None:  # r does not kill it: outside G2
            return [[str(x0), "0"], [str(y[0]), str(y[1])], ["1", "0"]]
    raise AssertionError("no twist point outside G2")


def _forge(folder: Path, how: str) -> None:
    entries = read_json(folder, "proofs.json")
    proof = entries[1]["proof"]
    if how == "pi_b outside G2":
        proof["pi_b"] = _outside_g2()
    elif how == "pi_c doubled":
        c = bn254.g1_mul((int(proof["pi_c"][0]), int(proof["pi_c"][1])), 2)
        assert c is not None
        proof["pi_c"] = [str(c[0]), str(c[1]), "1"]
    elif how == "public input + r":
        entries[1]["public"][1] = str(int(entries[1]["public"][1]) + R)
    else:  # pi_a of batches 0 and 1 swapped
        entries[0]["proof"]["pi_a"], proof["pi_a"] = proof["pi_a"], entries[0]["proof"]["pi_a"]
    write_json(folder, "proofs.json", entries)


def _reviewer_steps(folder: Path) -> list[StepResult]:
    """The ten steps on the default operations, step 3 in chunks as the page runs it."""
    steps = attestation_steps(
        directory_reader(folder),
        NaclBackend(),
        on_proofs=lambda done, total: None,
        allow_unknown_phase1=True,
    )
    return run_steps(steps)


@pytest.fixture
def pairings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the final exponentiations of ``verifier.bn254`` (it still computes them)."""
    calls = [0]
    final_exponentiation = bn254.final_exponentiation

    def counted(f: Any) -> Any:
        calls[0] += 1
        return final_exponentiation(f)

    monkeypatch.setattr(bn254, "final_exponentiation", counted)
    return calls


def test_the_genuine_vectors_pass_on_the_pure_path(tmp_path: Path, pairings: list[int]) -> None:
    results = _reviewer_steps(copy_vectors(tmp_path / "a"))
    assert all(result.status == "OK" for result in results), results
    assert pairings[0] > 0  # proofs and ceremony checked by verifier.bn254
    result, report = verify_user(tmp_path / "a", code_of(ALICE), ALLOW)
    assert result.exit_code == 0, result.output
    assert report["passed"], report


CASES = [
    ("pi_b outside G2", "not in its order-r subgroup G2", "batch 1"),
    ("pi_c doubled", "does not satisfy the Groth16 pairing", "batch 1"),
    ("public input + r", "public input 1 (counting from 0)", "batch 1"),
    ("pi_a swapped", "does not satisfy the Groth16 pairing", "batch 0"),
]


@pytest.mark.parametrize(("how", "reason", "batch"), CASES, ids=[case[0] for case in CASES])
def test_a_forged_proof_fails_the_batch_proofs_step(
    tmp_path: Path, pairings: list[int], how: str, reason: str, batch: str
) -> None:
    folder = copy_vectors(tmp_path / "a")
    _forge(folder, how)

    results = _reviewer_steps(folder)
    step = results[2]
    assert (step.number, step.name) == (3, STEP_NAMES[2]) == (3, "batch proofs")
    assert step.status == "FAIL", step
    assert reason in step.detail and f"{batch} is not proven" in step.detail, step.detail
    assert results[0].status == "OK"  # the adversary re-hashed what it wrote
    if how in ("pi_c doubled", "pi_a swapped"):
        assert pairings[0] > 0  # rejected by verifier.bn254's pairing, not before it

    result, report = verify_user(folder, code_of(ALICE), ALLOW)
    assert result.exit_code == 1, result.output
    user_step = report["steps"][4]
    assert (user_step["number"], user_step["name"]) == (5, USER_STEP_NAMES[4])
    assert user_step["status"] == "FAIL", user_step
    whose = "your batch 0" if batch == "batch 0" else batch
    assert reason in user_step["detail"] and f"{whose} is not proven" in user_step["detail"]
