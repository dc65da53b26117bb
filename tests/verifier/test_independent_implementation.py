"""An independent JavaScript implementation of zkpor/1, written from docs/protocol.md alone
(tests/js/independent_check.mjs), run against the protocol vectors and the vector
attestation: it tests that the specification suffices to verify an attestation and open a
user's bundle. It shares no code with verifier/ or publisher/. Wallet roles, wrapped tokens
and co-signatures are checked on the vectors' attestation republished with them by the
Python publisher (tests/security/segregated_attestation.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from publisher.attest.cosign import SigningKeyFile
from publisher.reserves.sign import DemoWallet
from tests import peers
from tests.security.segregated_attestation import (
    AUDITOR,
    BTC_BLOCK,
    CORPORATE,
    CUSTOMER_WALLETS,
    ETH_BLOCK,
    FUND,
    SECOND_AUDITOR,
    VAULT,
    ZBTC,
    cosigned,
    pin,
    publish,
    signed,
)
from tests.security.vector_attestation import copy_vectors
from verifier.encodings import segwit_encode
from verifier.reserves import Wallet

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
    assert [s["n"] for s in steps if s["check"] == "reviewer"] == list(range(1, 11))
    assert detail(steps, "reviewer", 10) == "no co-signatures (the manifest pins no co-signer)", (
        output
    )
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


# ---------------------------------------------------------------- roles and co-signatures
# The vectors' attestation republished with wallet roles, a wrapped token ZBTC and pinned
# co-signers (tests/security/segregated_attestation.py, written by the Python publisher);
# the independent checker must accept it and reject each forgery for the reason the spec
# gives (§10.5, §10.6, §10.7, §12.1 steps 8 and 10).

#: Non-ASCII, with a character above U+FFFF: the canonical digest's ensure_ascii (§10.7)
#: must escape it as a surrogate pair, which JSON.stringify would not.
AUDITOR_NAME = "Prüfgesellschaft Ærø 監査 𝔄G"
SOL_AS_OF = "2026-01-31T00:00:00Z"


def audited(tmp_path: Path) -> Path:
    """A segregated attestation pinning AUDITOR, who co-signed it."""
    return cosigned(tmp_path / "audited", [pin(AUDITOR, AUDITOR_NAME)], (AUDITOR, AUDITOR_NAME))


def republished(tmp_path: Path, wallets: list, **options) -> Path:
    """The vectors' attestation republished (consistently) for ``wallets``."""
    folder = copy_vectors(tmp_path / "republished")
    publish(folder, wallets, **options)
    return folder


def test_segregated_cosigned_attestation_passes(tmp_path: Path) -> None:
    code, steps, output = run(audited(tmp_path))
    assert code == 0, output
    for step in steps:
        want = "SKIPPED" if kind(step) in SKIPPABLE else "OK"
        assert step["status"] == want, (step, output)
    reserves = detail(steps, "reviewer", 8)
    assert "roles, per-role sums (1 wrapped token(s) backed 1:1)" in reserves, output
    assert "1 Ed25519 signature(s) OK" in reserves, output
    assert status(steps, "reviewer", 10) == "OK", output
    assert f"co-signed by {AUDITOR_NAME} (ed25519 key {AUDITOR.public_key()}), pinned" in output


def test_ed25519_only_reserves_fully_verified(tmp_path: Path) -> None:
    """With every wallet on solana (and so Ed25519), step 8 runs completely here: OK, not
    SKIPPED. An eip191 co-signature is beyond this implementation: step 10 says so."""
    wallets = [
        DemoWallet("solana", w.asset, f"{w.label}-sol", w.balance, SOL_AS_OF, w.role)
        for w in (*CUSTOMER_WALLETS, VAULT, FUND, CORPORATE)
    ]
    folder = republished(tmp_path, signed(wallets))
    code, steps, output = run(folder)
    assert code == 0, output
    assert status(steps, "reviewer", 8) == "OK", output
    assert detail(steps, "reviewer", 8).startswith("all 7 wallets verified"), output

    second = cosigned(
        tmp_path / "eip191",
        [pin(AUDITOR, "A"), pin(SECOND_AUDITOR, "B")],
        (AUDITOR, "A"),
        (SECOND_AUDITOR, "B"),
    )
    code, steps, output = run(second)
    assert code == 0, output
    assert status(steps, "reviewer", 10) == "SKIPPED", output
    assert "eip191, secp256k1 not implemented here" in detail(steps, "reviewer", 10), output


def test_wallet_in_two_roles(tmp_path: Path) -> None:
    """The customers' ETH wallet also declared (and signed) as the corporate wallet."""
    twice = DemoWallet("ethereum", "ETH", "vectors-eth", 2_000_000_000, ETH_BLOCK, "corporate")
    folder = republished(tmp_path, signed([*CUSTOMER_WALLETS, VAULT, FUND, twice]))
    code, steps, output = run(folder)
    assert code != 0, output
    assert status(steps, "reviewer", 1) == "OK", output
    assert status(steps, "reviewer", 8) == "FAIL", output
    assert "declared in two roles (customer, corporate)" in detail(steps, "reviewer", 8), output


def test_bech32_wallet_in_two_roles_spelled_in_two_cases(tmp_path: Path) -> None:
    """One P2WPKH wallet as a customer wallet and, upper-cased, as ZBTC's collateral: one
    scriptPubKey (§10.3), so one wallet, so one role. Found before any signature is read
    (§10.5), so the signatures here need not be valid."""
    address = segwit_encode("bc", 0, bytes(range(20)))

    def spelled(spelling: str, role: str) -> Wallet:
        return Wallet("bitcoin", "BTC", spelling, 1, BTC_BLOCK, "A" * 88, role)

    twice = [spelled(address, "customer"), spelled(address.upper(), "wrapped:ZBTC")]
    folder = republished(tmp_path, [*signed(), *twice])
    code, steps, output = run(folder)
    assert code != 0, output
    assert status(steps, "reviewer", 1) == "OK", output
    why = detail(steps, "reviewer", 8)
    assert f"wallets[8]: wallet bitcoin {address.upper()} declared in two roles" in why, output

    for program, version, reason in [
        (bytes(32), 0, "not covered"),  # P2WSH
        (bytes(32), 1, "not covered"),  # Taproot (bech32m)
        (bytes(20), 0, "bad bech32/bech32m checksum"),
    ]:
        other = segwit_encode("bc", version, program)
        if reason.startswith("bad"):
            other = other[:-1] + ("q" if other[-1] != "q" else "p")
        folder = republished(tmp_path / other, [*signed(), spelled(other, "customer")])
        code, steps, output = run(folder)
        assert f"wallets[7]: bitcoin address {other}: {reason}" in detail(steps, "reviewer", 8)


def test_relabelled_solana_wallet_role(tmp_path: Path) -> None:
    """A corporate Ed25519 wallet's role changed to protection-fund (figures republished to
    match): its signature names the role it was made for."""
    corporate_sol = DemoWallet(
        "solana", "SOL", "corporate-sol", 1_000_000_000, SOL_AS_OF, "corporate"
    )
    *others, sol = signed([*CUSTOMER_WALLETS, VAULT, FUND, CORPORATE, corporate_sol])
    relabelled = replace(sol, role="protection-fund")
    folder = republished(tmp_path, [*others, relabelled])
    code, steps, output = run(folder)
    assert code != 0, output
    assert status(steps, "reviewer", 1) == "OK", output
    assert status(steps, "reviewer", 8) == "FAIL", output
    why = detail(steps, "reviewer", 8)
    assert f"solana {sol.address}: bad signature" in why, output
    assert "role: protection-fund" in why, output


def test_under_backed_wrapped_token(tmp_path: Path) -> None:
    """ZBTC declares 5.25 tokens issued; its vault holds 5.1 BTC (§10.6's example)."""
    folder = republished(tmp_path, signed(), wrapped=(replace(ZBTC, supply=525_000_000),))
    code, steps, output = run(folder)
    assert code != 0, output
    assert status(steps, "reviewer", 1) == "OK", output
    assert status(steps, "reviewer", 8) == "FAIL", output
    want = (
        "wrapped token ZBTC is under-backed: collateral 5.1 BTC < issued supply 5.25 ZBTC "
        "(ratio 0.9714; required 1:1)"
    )
    assert want in detail(steps, "reviewer", 8), output


def test_cosignature_after_the_manifest_changed(tmp_path: Path) -> None:
    """The custodian changes what the manifest says after the auditor signed."""
    folder = audited(tmp_path)
    edit_manifest(folder, lambda m: m["issuer"].update(url=m["issuer"]["url"] + "/v2"))
    code, steps, output = run(folder)
    assert code != 0, output
    assert status(steps, "reviewer", 1) == "OK", output
    assert status(steps, "reviewer", 10) == "FAIL", output
    assert "made for another version of the manifest" in detail(steps, "reviewer", 10), output


def test_pinned_cosigner_missing(tmp_path: Path) -> None:
    """Two co-signers pinned, one signed; then the host hides every co-signature."""
    absent = SigningKeyFile("ed25519", bytes(range(2, 34)))
    folder = cosigned(
        tmp_path / "two",
        [pin(AUDITOR, AUDITOR_NAME), pin(absent, "Absent Auditor")],
        (AUDITOR, AUDITOR_NAME),
    )
    code, steps, output = run(folder)
    assert code != 0, output
    assert status(steps, "reviewer", 10) == "FAIL", output
    want = f"no valid co-signature by Absent Auditor (ed25519 key {absent.public_key()})"
    assert want in detail(steps, "reviewer", 10), output

    shutil.rmtree(folder / "signatures")  # a missing index is "no co-signatures"
    code, steps, output = run(folder)
    assert code != 0, output
    assert status(steps, "reviewer", 1) == "OK", output
    assert status(steps, "reviewer", 10) == "FAIL", output
    assert f"no valid co-signature by {AUDITOR_NAME}" in detail(steps, "reviewer", 10), output


def test_reindented_manifest_keeps_its_cosignatures(tmp_path: Path) -> None:
    """Another indentation and key order change the file's bytes (and its §9.2 digest), not
    what it says: the co-signature still verifies."""
    folder = audited(tmp_path)
    path = folder / "attestation.json"
    before = path.read_bytes()
    doc = json.loads(before)
    path.write_text(json.dumps(dict(reversed(doc.items())), indent="\t"), encoding="utf-8")
    code, steps, output = run(folder)
    assert code == 0, output
    assert hashlib.sha256(before).hexdigest() not in detail(steps, "reviewer", 1), output
    assert status(steps, "reviewer", 10) == "OK", output


def test_published_collateral_not_the_signed_sum(tmp_path: Path) -> None:
    """The manifest claims 5.25 BTC behind ZBTC (derived fields consistent); the signed
    wrapped:ZBTC wallets hold 5.1."""
    folder = audited(tmp_path)

    def raise_collateral(manifest: dict) -> None:
        token = manifest["segregation"]["wrapped"][0]
        token.update(collateral="525000000", collateral_amount="5.25", ratio="1.0500")

    edit_manifest(folder, raise_collateral)
    code, steps, output = run(folder)
    assert code != 0, output
    assert status(steps, "reviewer", 1) == "OK", output
    assert status(steps, "reviewer", 8) == "FAIL", output
    want = "ZBTC: collateral 525000000, the wallets of role wrapped:ZBTC hold 510000000"
    assert want in detail(steps, "reviewer", 8), output
