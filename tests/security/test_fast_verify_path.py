"""Attack (issue 14): forged batch proofs against ``zkpor verify``'s fast path.

``zkpor verify`` now checks Groth16 proofs with the publisher's curve operations
(``ops=FAST_OPS``: gmpy2 pairings, native MSMs, psi-based G2 subgroup checks) instead of
py_ecc's. The adversary rewrites proofs.json (and its sha256 in the manifest) with:

* pi_b replaced by a point of the twist outside G2 (on the curve, so it passes the curve
  check; a subgroup check that let it through would open small-subgroup forgeries);
* pi_c replaced by 2·pi_c (a proof for nothing);
* one batch's pi_a swapped with another's.

Each must fail step 3 naming the batch, as on the py_ecc path (tests/verifier compares the
two paths' errors one by one).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.snark.curve import B2, g1_mul, g2_mul_unreduced
from tests.security.vector_attestation import (
    ALLOW,
    copy_vectors,
    read_json,
    steps_of,
    verify,
    write_json,
)
from verifier.ceremony_crypto import fp2_sqrt
from verifier.field import P, R


def _outside_g2() -> list[list[str]]:
    for x0 in range(1, 100):
        y = fp2_sqrt(((x0**3 + B2[0]) % P, B2[1]))
        if y is None:
            continue
        point = ((x0, 0), (int(y[0]), int(y[1])))
        if g2_mul_unreduced(point, R) is not None:
            return [[str(x0), "0"], [str(y[0]), str(y[1])], ["1", "0"]]
    raise AssertionError("no twist point outside G2")


def _double_c(proof: dict[str, list[str]]) -> None:
    c = g1_mul((int(proof["pi_c"][0]), int(proof["pi_c"][1])), 2)
    assert c is not None
    proof["pi_c"] = [str(c[0]), str(c[1]), "1"]


def _forge(folder: Path, how: str) -> None:
    proofs = read_json(folder, "proofs.json")
    if how == "pi_b outside G2":
        proofs[1]["proof"]["pi_b"] = _outside_g2()
    elif how == "pi_c doubled":
        _double_c(proofs[1]["proof"])
    else:  # pi_a of batches 0 and 1 swapped
        a0 = proofs[0]["proof"]["pi_a"]
        proofs[0]["proof"]["pi_a"] = proofs[1]["proof"]["pi_a"]
        proofs[1]["proof"]["pi_a"] = a0
    write_json(folder, "proofs.json", proofs)


def test_the_genuine_vectors_pass_on_the_fast_path(tmp_path: Path) -> None:
    result, report = verify(copy_vectors(tmp_path / "a"), ALLOW)
    assert result.exit_code == 0, result.output
    assert report["passed"]


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("pi_b outside G2", "not in its order-r subgroup G2"),
        ("pi_c doubled", "does not satisfy the Groth16 pairing"),
        ("pi_a swapped", "does not satisfy the Groth16 pairing"),
    ],
)
def test_a_forged_proof_fails_batch_proofs(tmp_path: Path, how: str, reason: str) -> None:
    folder = copy_vectors(tmp_path / "a")
    _forge(folder, how)
    result, report = verify(folder, ALLOW)
    assert result.exit_code == 1, result.output
    status, detail = steps_of(report)[3]
    assert status == "FAIL", detail
    assert reason in detail, detail
    assert "batch 0" in detail if how == "pi_a swapped" else "batch 1" in detail, detail
    assert steps_of(report)[1][0] == "OK"  # the adversary re-hashed what it wrote
