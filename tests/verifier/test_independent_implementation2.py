"""An independent JavaScript implementation of zkpor/2, written from docs/protocol.md §16
alone (tests/js/independent_check2.mjs), run against the zkpor/2 vectors and the vector
attestation: it tests that the specification suffices to verify a zkpor/2 attestation and
open an account holder's bundle. It shares no code with verifier/ or publisher/. Tampered
copies of the vector attestation must fail at the same steps in it as in the reference
verifier (``verifier.attestation.verify_attestation``, ``verifier.user.verify_user``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from nacl.secret import SecretBox

from publisher.crypto import NaclBackend
from tests import peers
from verifier.attestation import verify_attestation
from verifier.bundle import derive
from verifier.codes import parse_code
from verifier.fetch import directory_reader
from verifier.user import UserOptions, verify_user

pytestmark = pytest.mark.interop

SCRIPT = peers.JS_DIR / "independent_check2.mjs"
PROTOCOL2 = Path(__file__).resolve().parents[1] / "vectors" / "protocol2"
ATTESTATION = PROTOCOL2 / "attestation"
EXPECTED = PROTOCOL2 / "attestation_expected.json"
ALLOW_DEV = "--allow-insecure-dev-setup"
#: Not implemented by the independent checker: secp256k1 reserve signatures (step 7).
SKIPPABLE = {("reviewer", 7)}


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


def statuses(steps: list[dict], check: str) -> dict[int, str]:
    return {s["n"]: s["status"] for s in steps if s["check"] == check}


def failing(steps: list[dict], check: str) -> set[int]:
    return {n for n, status in statuses(steps, check).items() if status == "FAIL"}


def reference_failing(folder: Path) -> set[int]:
    """The steps ``zkpor verify --allow-insecure-dev-setup`` fails on ``folder``."""
    results = verify_attestation(directory_reader(folder), NaclBackend(), allow_dev_setup=True)
    return {i for i, r in enumerate(results, start=1) if r.status == "FAIL"}


def reference_user_failing(folder: Path, code: str) -> set[int]:
    report = verify_user(directory_reader(folder), code, NaclBackend(), UserOptions())
    return {r.number for r in report.results if r.status == "FAIL"}


def users() -> list[dict]:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))["users"]


def read_json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def copy(tmp_path: Path) -> Path:
    target = tmp_path / "attestation"
    shutil.copytree(ATTESTATION, target)
    return target


def edit_manifest(folder: Path, change: Callable[[dict], None]) -> None:
    path = folder / "attestation.json"
    manifest = read_json(path)
    change(manifest)
    write_json(path, manifest)


def rehash(folder: Path, *names: str) -> None:
    """Do what an attacker can: list the new hashes of ``names`` in the manifest."""
    edit_manifest(
        folder,
        lambda m: m["files"].update(
            {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in names}
        ),
    )


def test_every_protocol2_vector() -> None:
    code, steps, output = run("--vectors")
    assert code == 0, output
    assert steps and all(s["status"] == "OK" for s in steps), output
    names = " ".join(s["name"] for s in steps)
    for covered in ("pack_entry", "leaf2_hash", "mask commitment", "tier tables", "registry"):
        assert covered in names, output
    for covered in ("challenge preimage", "totals identity", "s_j", "attestation_expected"):
        assert covered in names, output


def test_attestation_and_every_user_code() -> None:
    """With the development setup accepted: all nine steps pass (reserves SKIPPED: its
    signatures are secp256k1); every account holder passes steps 0-6 and fails step 7."""
    code, steps, output = run(ATTESTATION, ALLOW_DEV, "--expected-codes", EXPECTED)
    assert code != 0, output  # the account holders' step 7
    reviewer = statuses(steps, "reviewer")
    assert list(reviewer) == list(range(1, 10)), output
    for n, status in reviewer.items():
        assert status == ("SKIPPED" if ("reviewer", n) in SKIPPABLE else "OK"), (n, output)
    for user in users():
        mine = statuses(steps, f"user[{user['code']}]")
        assert list(mine) == list(range(0, 8)), output
        assert all(mine[n] == "OK" for n in range(0, 7)), output
        assert mine[7] == "FAIL", output
        assert f"user {json.dumps(user['user_id'], ensure_ascii=False)}:" in output, output
        assert f"(collateral_x100 {user['collateral_x100']}, debt_x100 {user['debt_x100']})" in (
            output
        )
    assert reference_failing(ATTESTATION) == set()


def test_dev_setup_fails_unless_accepted() -> None:
    code, steps, output = run(ATTESTATION)
    assert code != 0, output
    assert failing(steps, "reviewer") == {8}, output


def check_same(folder: Path, want: set[int]) -> list[dict]:
    """The independent checker fails exactly the steps ``want``, as the reference does."""
    assert reference_failing(folder) == want
    code, steps, output = run(folder, ALLOW_DEV)
    assert code != 0, output
    assert failing(steps, "reviewer") == want, output
    return steps


def test_equity_total_raised(tmp_path: Path) -> None:
    """BTC's published equity one unit higher, derived fields consistent: the totals
    step (the challenges and the identity) fails."""
    folder = copy(tmp_path)

    def raise_btc(manifest: dict) -> None:
        asset = manifest["assets"][0]
        asset.update(
            equity="160000002",
            equity_amount="1.60000002",
            net="160000002",
            net_amount="1.60000002",
            ratio_net="1.0624",
            ratio_gross="1.0624",
        )

    edit_manifest(folder, raise_btc)
    check_same(folder, {4})


def test_registry_price_changed(tmp_path: Path) -> None:
    """BTC priced 50001 instead of 50000: the proofs (registry public inputs) and the
    challenges (registry digest) no longer hold."""
    folder = copy(tmp_path)
    edit_manifest(folder, lambda m: m["registry"]["assets"][0].update(price="50001"))
    check_same(folder, {3, 4})


def test_mask_sum_changed(tmp_path: Path) -> None:
    folder = copy(tmp_path)
    edit_manifest(folder, lambda m: m["totals"].update(mask_sum="1"))
    check_same(folder, {4})


def test_batch_total_changed_and_rehashed(tmp_path: Path) -> None:
    folder = copy(tmp_path)
    path = folder / "proofs-s3.json"
    proofs = read_json(path)
    proofs[1]["public"][2] = str(int(proofs[1]["public"][2]) + 1)
    write_json(path, proofs)
    rehash(folder, "proofs-s3.json")
    check_same(folder, {3, 4})


def reseal(folder: Path, user: dict, change: Callable[[dict], None]) -> None:
    """Rewrite ``user``'s bundle after ``change`` (as the custodian can: it knows the
    code), then SHA256SUMS and the manifest's hash of it."""
    manifest = read_json(folder / "attestation.json")
    info = manifest["bundles"]
    derived = derive(parse_code(user["code"]), manifest["id"], bytes.fromhex(info["run_salt"]))
    bucket_path = folder / user["bucket"]
    bucket = bytearray(bucket_path.read_bytes())
    size = info["record_size"]
    (at,) = [o for o in range(0, len(bucket), size) if bucket[o : o + 16] == derived.lookup]
    box = SecretBox(derived.key)
    plaintext = box.decrypt(bytes(bucket[at + 16 : at + size]), derived.nonce)
    doc = json.loads(plaintext.rstrip(b" "))
    change(doc)
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    sealed = box.encrypt(text.ljust(size - 32, b" "), derived.nonce).ciphertext
    bucket[at + 16 : at + size] = sealed
    bucket_path.write_bytes(bytes(bucket))
    sums = folder / "bundles" / "SHA256SUMS"
    name = user["bucket"].removeprefix("bundles/")
    lines = [
        f"{hashlib.sha256(bytes(bucket)).hexdigest()}  {name}" if line.endswith(name) else line
        for line in sums.read_text(encoding="ascii").splitlines()
    ]
    sums.write_text("\n".join(lines) + "\n", encoding="ascii")
    rehash(folder, "bundles/SHA256SUMS")


@pytest.mark.parametrize(
    ("what", "change", "step"),
    [
        ("leaf hash", lambda b: b.update(leaf_hash=str(int(b["leaf_hash"]) + 1)), 2),
        ("leaf index", lambda b: b.update(leaf=1 - b["leaf"]), 3),
        ("an equity", lambda b: b["entries"][0].__setitem__(1, "1"), 2),
    ],
)
def test_bundle_leaf_changed(tmp_path: Path, what: str, change, step: int) -> None:
    """Alice's bundle resealed with another leaf: the reviewer's check still passes (no
    step reads a bundle's content); her own check fails at the same step as the
    reference's ``zkpor verify-user``."""
    alice = users()[0]
    folder = copy(tmp_path)
    reseal(folder, alice, change)
    assert reference_failing(folder) == set()
    want = reference_user_failing(folder, alice["code"])
    assert want == {step, 7}, what
    _, steps, output = run(folder, ALLOW_DEV, "--code", alice["code"])
    assert failing(steps, "reviewer") == set(), output
    assert failing(steps, f"user[{alice['code']}]") == want, output
    # the other users' bundles are untouched
    bob = users()[1]
    _, steps, output = run(folder, ALLOW_DEV, "--code", bob["code"])
    assert failing(steps, f"user[{bob['code']}]") == reference_user_failing(folder, bob["code"])


def test_wrong_and_mistyped_code() -> None:
    other = "3DWS-QN26-RYN7-S1KM-ZB2Y-VQSR-4SA"  # well formed, not a user here
    good = users()[0]["code"]
    typo = ("1" if good[0] != "1" else "2") + good[1:]
    code, steps, output = run(ATTESTATION, ALLOW_DEV, "--code", other, "--code", typo)
    assert code != 0, output
    assert statuses(steps, f"user[{other}]")[1] == "FAIL", output
    assert statuses(steps, f"user[{typo}]")[0] == "FAIL", output
    assert statuses(steps, f"user[{typo}]")[1] == "SKIPPED", output
    assert failing(steps, "reviewer") == set(), output


# ---------------------------------------------------------------- where §16 was completed
# Cases the first version of the independent checker got wrong because §16 did not say
# enough; §16 now says it, and both implementations must agree.


def test_registry_table_listed_twice(tmp_path: Path) -> None:
    """Two tables with the same bounds and ratios, used by different assets (§16.3.1)."""
    folder = copy(tmp_path)
    edit_manifest(
        folder, lambda m: m["registry"]["tables"].__setitem__(1, m["registry"]["tables"][0])
    )
    steps = check_same(folder, {1})
    assert "listed twice" in next(s["detail"] for s in steps if s["n"] == 1), steps


@pytest.mark.parametrize(
    "change",
    [
        lambda a: a.update(foo="1"),  # an unknown key
        lambda a: a.update(equity="0" + a["equity"]),  # a non-canonical spelling
        lambda a: a.update(symbol="XBT"),  # not the registry's symbol
        lambda a: a.update(ratio_gross="1.0000"),  # a derived field
    ],
)
def test_difference_inside_assets(tmp_path: Path, change) -> None:
    """Any difference inside `assets` fails the account holder's step 6, not step 1
    (§16.12.2 step 1); the reviewer's step 1 rejects the manifest."""
    alice = users()[0]
    folder = copy(tmp_path)
    edit_manifest(folder, lambda m: change(m["assets"][0]))
    assert reference_user_failing(folder, alice["code"]) == {6, 7}
    _, steps, output = run(folder, ALLOW_DEV, "--code", alice["code"])
    assert failing(steps, f"user[{alice['code']}]") == {6, 7}, output
    assert failing(steps, "reviewer") == {1} == reference_failing(folder), output


@pytest.mark.parametrize(
    ("broken", "user"),
    [(("vk-s2.json", "proofs-s3.json"), 0), (("vk-s2.json", "proofs-s3.json"), 3)],
)
def test_files_checked_when_first_needed(tmp_path: Path, broken: tuple, user: int) -> None:
    """Damaged per-shape files: each step that first needs one fails, later ones that need
    it are SKIPPED (§16.12.2 dependencies: step 5 reads proofs-s{K} then vk-s{K})."""
    who = users()[user]
    folder = copy(tmp_path)
    for name in broken:
        (folder / name).write_bytes((folder / name).read_bytes() + b" ")
    report = verify_user(directory_reader(folder), who["code"], NaclBackend(), UserOptions())
    want = {r.number: r.status[:4] for r in report.results if r.status != "OK"}
    _, steps, output = run(folder, "--code", who["code"])
    got = {
        s["n"]: s["status"][:4]
        for s in steps
        if s["check"].startswith("user") and s["status"] != "OK"
    }
    assert got == want, output
