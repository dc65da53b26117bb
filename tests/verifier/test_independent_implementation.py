"""An independent JavaScript implementation of zkpor/1, written from docs/protocol.md alone
(tests/js/independent_check.mjs), run against the protocol vectors and the vector
attestation: it tests that the specification suffices to verify an attestation and open a
user's bundle. It shares no code with verifier/ or publisher/.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import peers

pytestmark = pytest.mark.interop

SCRIPT = peers.JS_DIR / "independent_check.mjs"
PROTOCOL = Path(__file__).resolve().parents[1] / "vectors" / "protocol"
ATTESTATION = PROTOCOL / "attestation"
EXPECTED = PROTOCOL / "attestation_expected.json"
SKIPPABLE = {("reviewer", 8), ("reviewer", 9), ("user", 7)}  # reserves (secp256k1), ceremony


def run(*args: str | Path) -> tuple[int, list[dict], str]:
    """Run the independent checker; return its exit code, its steps and its output."""
    for package in ("snarkjs", "circomlibjs", "libsodium-wrappers-sumo"):
        peers.require(package)
    done = subprocess.run(
        [peers.node(), str(SCRIPT), *map(str, args)],
        cwd=peers.JS_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines, output
    summary = json.loads(lines[-1])
    assert summary["ok"] == (done.returncode == 0), output
    return done.returncode, summary["steps"], output


def kind(step: dict) -> tuple[str, int]:
    return ("user" if step["check"].startswith("user") else step["check"], step["n"])


def find(steps: list[dict], check: str, n: int) -> dict:
    (found,) = [s for s in steps if s["check"] == check and s["n"] == n]
    return found


def status(steps: list[dict], check: str, n: int) -> str:
    return find(steps, check, n)["status"]


def detail(steps: list[dict], check: str, n: int) -> str:
    return find(steps, check, n)["detail"]


def write_json(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def tampered_copy(tmp_path: Path) -> Path:
    target = tmp_path / "attestation"
    shutil.copytree(ATTESTATION, target)
    return target


def rehash(directory: Path, name: str) -> None:
    """Do what an attacker can: list the new hash of ``name`` in the manifest."""
    manifest_path = directory / "attestation.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["files"][name] = hashlib.sha256((directory / name).read_bytes()).hexdigest()
    write_json(manifest_path, manifest)


def edit_manifest(directory: Path, change) -> None:
    path = directory / "attestation.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    write_json(path, manifest)


def test_every_protocol_vector() -> None:
    code, steps, output = run("--vectors")
    assert code == 0, output
    assert steps and all(s["status"] == "OK" for s in steps), output
    names = " ".join(s["name"] for s in steps)
    covers = ("Poseidon constants", "negative vector", "sealed record", "merkle.json", "ceremony")
    for covered in covers:
        assert covered in names, output


def test_attestation_and_every_user_code() -> None:
    users = json.loads(EXPECTED.read_text(encoding="utf-8"))["users"]
    code, steps, output = run(ATTESTATION, "--expected-codes", EXPECTED)
    assert code == 0, output
    for step in steps:
        want = "SKIPPED" if kind(step) in SKIPPABLE else "OK"
        assert step["status"] == want, (step, output)
    assert [s["n"] for s in steps if s["check"] == "reviewer"] == list(range(1, 10))
    for user in users:
        mine = [s for s in steps if s["check"] == f"user[{user['code']}]"]
        assert [s["n"] for s in mine] == list(range(0, 8)), output
        assert f"user {json.dumps(user['user_id'], ensure_ascii=False)}:" in output, output


def test_published_total_raised(tmp_path: Path) -> None:
    """The custodian publishes a higher BTC liability (derived fields made consistent): the
    totals step fails, everything the liabilities do not feed passes."""
    directory = tampered_copy(tmp_path)

    def raise_btc(manifest: dict) -> None:
        asset = manifest["assets"][0]
        asset["liabilities"] = str(int(asset["liabilities"]) + 1)
        asset["liabilities_amount"] = "184467440738.59551617"
        asset["ratio"] = "0.9999"

    edit_manifest(directory, raise_btc)
    code, steps, output = run(directory)
    assert code != 0, output
    assert status(steps, "reviewer", 1) == "OK", output
    assert status(steps, "reviewer", 4) == "OK", output
    assert status(steps, "reviewer", 6) == "FAIL", output
    assert status(steps, "reviewer", 3) == "OK", output


def test_published_final_totals_raised(tmp_path: Path) -> None:
    """Liabilities and final totals raised together: the accumulator no longer opens."""
    directory = tampered_copy(tmp_path)

    def raise_btc(manifest: dict) -> None:
        asset = manifest["assets"][0]
        asset["liabilities"] = str(int(asset["liabilities"]) + 1)
        asset["liabilities_amount"] = "184467440738.59551617"
        asset["ratio"] = "0.9999"
        totals = manifest["accumulator"]["final_totals"]
        totals[0] = str(int(totals[0]) + 1)

    edit_manifest(directory, raise_btc)
    code, steps, output = run(directory)
    assert code != 0, output
    assert status(steps, "reviewer", 4) == "FAIL", output
    assert "final_totals" in detail(steps, "reviewer", 4), output
    assert status(steps, "reviewer", 6) == "OK", output


def test_one_proof_byte_changed_and_rehashed(tmp_path: Path) -> None:
    directory = tampered_copy(tmp_path)
    proofs_path = directory / "proofs.json"
    proofs = json.loads(proofs_path.read_text(encoding="utf-8"))
    x = proofs[1]["proof"]["pi_c"][0]
    proofs[1]["proof"]["pi_c"][0] = x[:-1] + ("1" if x[-1] != "1" else "2")
    write_json(proofs_path, proofs)
    rehash(directory, "proofs.json")
    code, steps, output = run(directory)
    assert code != 0, output
    assert status(steps, "reviewer", 1) == "OK", output
    assert status(steps, "reviewer", 3) == "FAIL", output
    assert "proofs.json[1]" in detail(steps, "reviewer", 3), output
    for n in (2, 4, 5, 6, 7):
        assert status(steps, "reviewer", n) == "OK", output


def test_one_proof_byte_changed_not_rehashed(tmp_path: Path) -> None:
    directory = tampered_copy(tmp_path)
    data = bytearray((directory / "proofs.json").read_bytes())
    at = data.index(b'"pi_a"') + 20
    data[at] = ord("1") if data[at] != ord("1") else ord("2")
    (directory / "proofs.json").write_bytes(bytes(data))
    code, steps, output = run(directory)
    assert code != 0, output
    assert status(steps, "reviewer", 1) == "FAIL", output
    assert "proofs.json" in detail(steps, "reviewer", 1), output


def test_wrong_code() -> None:
    other = "3DWS-QN26-RYN7-S1KM-ZB2Y-VQSR-4SA"  # well formed, of codes.json, not a user here
    code, steps, output = run(ATTESTATION, "--code", other)
    assert code != 0, output
    assert status(steps, f"user[{other}]", 0) == "OK", output
    assert status(steps, f"user[{other}]", 1) == "FAIL", output
    assert "no bundle" in detail(steps, f"user[{other}]", 1), output
    assert all(s["status"] != "FAIL" for s in steps if s["check"] == "reviewer"), output


def test_mistyped_code() -> None:
    users = json.loads(EXPECTED.read_text(encoding="utf-8"))["users"]
    good = users[0]["code"]
    typo = ("1" if good[0] != "1" else "2") + good[1:]
    code, steps, output = run(ATTESTATION, "--code", typo)
    assert code != 0, output
    assert status(steps, f"user[{typo}]", 0) == "FAIL", output
    assert status(steps, f"user[{typo}]", 1) == "SKIPPED", output
