"""Per-user bundles on a real attestation: every code verifies, and every misuse fails cleanly.

Green paths use the session's ceremony attestation (``tests.ceremony_fixtures``: a
development setup fails the user check's "trusted setup" step); the bundle mechanics are
checked on a development-setup attestation made here.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher.attest.bundles import MAX_BUCKET_BYTES
from publisher.attest.pipeline import CODES
from publisher.cli.main import app
from publisher.crypto import NaclBackend
from tests.ceremony_fixtures import ceremony, ceremony_attestation  # noqa: F401
from tests.security.user_check_support import republish_bucket
from tests.site_fixtures import SmallAttestation, rehash_in_manifest
from tests.snapshots import ACCOUNTS, prove, write_inputs
from verifier.bundle import derive
from verifier.codes import derived_code, format_code, parse_code
from verifier.errors import InvalidCode
from verifier.fetch import directory_reader, http_reader
from verifier.manifest import MANIFEST, Manifest
from verifier.user import TOTALS_PROVEN, USER_STEP_NAMES, UserOptions, verify_user

BACKEND = NaclBackend()
#: The test ceremony's phase 1 is the demo's own, not a pinned public file.
DEMO_PHASE1 = UserOptions(allow_unknown_phase1=True)


@pytest.fixture(scope="module")
def attestation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Manifest]:
    root = tmp_path_factory.mktemp("bundles")
    inputs = write_inputs(root / "input", ACCOUNTS, pad_to=16)
    with ProcessPoolExecutor(2) as pool:
        manifest = prove(inputs, root / "attestation", root / "private", pool)
    return root / "attestation", root / "private", manifest


def codes_of(private: Path) -> dict[str, str]:
    with (private / CODES).open(encoding="utf-8", newline="") as f:
        return {row["user_id"]: row["code"] for row in csv.DictReader(f)}


def statuses(report: object) -> dict[str, str]:
    return {r.name: r.status for r in report.results}  # type: ignore[attr-defined]


def test_every_users_code_verifies(ceremony_attestation: SmallAttestation) -> None:  # noqa: F811
    folder, codes = ceremony_attestation.folder, ceremony_attestation.codes
    assert sorted(codes) == sorted(a[0] for a in ACCOUNTS)
    for user_id, code in codes.items():
        report = verify_user(directory_reader(folder), code, BACKEND, DEMO_PHASE1)
        assert report.passed, (user_id, report.results)
        assert [r.name for r in report.results] == list(USER_STEP_NAMES)
        assert report.bundle is not None and report.bundle.user_id == user_id


def test_a_development_setup_fails_the_user_check(
    attestation: tuple[Path, Path, Manifest],
) -> None:
    folder, private, _ = attestation
    report = verify_user(directory_reader(folder), codes_of(private)["alice"], BACKEND, DEMO_PHASE1)
    assert not report.passed
    assert {r.name: r.status for r in report.results} == {
        **{name: "OK" for name in USER_STEP_NAMES[:-1]},
        "trusted setup": "FAIL",
    }
    assert "single-party development setup" in report.results[-1].detail


def test_codes_csv_links_to_the_verify_page(attestation: tuple[Path, Path, Manifest]) -> None:
    _, private, _ = attestation
    with (private / CODES).open(encoding="utf-8", newline="") as f:
        row = next(csv.DictReader(f))
    assert row["link"] == f"verify/#code={row['code']}"


def test_a_wrong_code_has_no_bundle(attestation: tuple[Path, Path, Manifest]) -> None:
    folder, _, _ = attestation
    report = verify_user(directory_reader(folder), format_code(bytes(16)), BACKEND)
    assert not report.passed
    assert report.results[0].status == "FAIL"
    assert report.results[0].detail == "no bundle for this code"
    assert report.bundle is None


def test_a_typo_is_caught_before_any_lookup(attestation: tuple[Path, Path, Manifest]) -> None:
    folder, private, _ = attestation
    code = next(iter(codes_of(private).values()))
    typo = ("1" if code[0] != "1" else "2") + code[1:]
    reads: list[str] = []

    def read(name: str) -> bytes:
        reads.append(name)
        return directory_reader(folder)(name)

    with pytest.raises(InvalidCode, match="typo"):
        verify_user(read, typo, BACKEND)
    assert reads == []


def copy_of(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "attestation"
    shutil.copytree(folder, target)
    return target


def bucket_of(folder: Path, manifest: Manifest, code: str) -> tuple[Path, int]:
    """Return the bucket file holding ``code``'s record and the record's offset in it."""
    from verifier.bundle import bucket_index, bucket_name

    info = manifest.bundles
    assert info is not None
    lookup = derive(parse_code(code), manifest.attestation_id, info.run_salt).lookup
    path = folder / bucket_name(bucket_index(lookup, info.bucket_bits), info.bucket_bits)
    data = path.read_bytes()
    for offset in range(0, len(data), info.record_size):
        if data[offset : offset + 16] == lookup:
            return path, offset
    raise AssertionError("record not found")


def test_a_tampered_record_fails_decryption_cleanly(
    attestation: tuple[Path, Path, Manifest], tmp_path: Path
) -> None:
    folder, private, manifest = attestation
    code = codes_of(private)["alice"]
    copy = copy_of(folder, tmp_path)
    path, offset = bucket_of(copy, manifest, code)
    data = bytearray(path.read_bytes())
    data[offset + 40] ^= 1
    path.write_bytes(bytes(data))
    report = verify_user(directory_reader(copy), code, BACKEND)
    assert not report.passed and report.bundle is None
    assert "could not be decrypted" in report.results[0].detail
    # Nothing about the account is shown or checked; the chain needs no bundle.
    assert [r.status for r in report.results[1:5]] == ["SKIP"] * 4


def test_a_truncated_bucket_fails_without_a_crash(
    attestation: tuple[Path, Path, Manifest], tmp_path: Path
) -> None:
    folder, private, manifest = attestation
    code = codes_of(private)["bob"]
    copy = copy_of(folder, tmp_path)
    path, _ = bucket_of(copy, manifest, code)
    path.write_bytes(path.read_bytes()[:-7])
    report = verify_user(directory_reader(copy), code, BACKEND)
    assert not report.passed and report.results[0].status == "FAIL"


def test_a_resealed_bundle_with_a_changed_balance_fails_the_leaf_step(
    attestation: tuple[Path, Path, Manifest], tmp_path: Path
) -> None:
    """The custodian (who holds the key) shows a user a higher balance than it proved."""
    folder, private, manifest = attestation
    code = codes_of(private)["carol"]
    copy = copy_of(folder, tmp_path)
    path, offset = bucket_of(copy, manifest, code)
    info = manifest.bundles
    assert info is not None
    derived = derive(parse_code(code), manifest.attestation_id, info.run_salt)
    record = path.read_bytes()[offset : offset + info.record_size]
    plaintext = BACKEND.secretbox_open(record[16:], derived.nonce, derived.key)
    doc = json.loads(plaintext)
    doc["balances"][0] = str(int(doc["balances"][0]) + 10**8)
    forged = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    forged += b" " * (len(plaintext) - len(forged))
    sealed = derived.lookup + BACKEND.secretbox_seal(forged, derived.nonce, derived.key)
    data = path.read_bytes()
    path.write_bytes(data[:offset] + sealed + data[offset + info.record_size :])
    republish_bucket(copy, path)  # the custodian publishes the forged bucket to everyone

    report = verify_user(directory_reader(copy), code, BACKEND)
    assert statuses(report)["bundle"] == "OK"
    assert statuses(report)["leaf"] == "FAIL"
    assert "custodian committed to" in report.results[1].detail


def test_all_buckets_have_the_same_size(attestation: tuple[Path, Path, Manifest]) -> None:
    folder, _, manifest = attestation
    info = manifest.bundles
    assert info is not None
    buckets = sorted((folder / "bundles").glob("*.bin"))
    assert len(buckets) == info.buckets
    assert {b.stat().st_size for b in buckets} == {info.records_per_bucket * info.record_size}
    assert info.records_per_bucket * info.record_size <= MAX_BUCKET_BYTES
    # 10 users: the one bucket is padded to a multiple of 8 records, never exactly 10.
    assert info.records_per_bucket == 16


def test_no_code_or_plaintext_appears_in_the_attestation(
    attestation: tuple[Path, Path, Manifest],
) -> None:
    folder, private, manifest = attestation
    public = b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())
    for user_id, code in codes_of(private).items():
        raw = parse_code(code)
        assert code.encode() not in public and raw not in public
        assert code.replace("-", "").encode() not in public
        assert user_id.encode() not in public
    for asset in manifest.assets:
        assert asset.symbol.encode() in public  # the scan does see the files
    assert b'"salt"' not in public and b'"balances"' not in public


def test_bundles_are_deterministic_given_the_private_inputs(
    attestation: tuple[Path, Path, Manifest], tmp_path: Path
) -> None:
    """A rerun from the same private directory writes the same bytes."""
    folder, private, _ = attestation
    inputs = write_inputs(tmp_path / "input", ACCOUNTS, pad_to=16)
    again_private = tmp_path / "private"
    shutil.copytree(private, again_private)
    with ProcessPoolExecutor(1) as pool:
        prove(inputs, tmp_path / "again", again_private, pool)
    for path in sorted((folder / "bundles").iterdir()):
        assert (tmp_path / "again" / "bundles" / path.name).read_bytes() == path.read_bytes()
    assert (tmp_path / "again" / MANIFEST).read_bytes() == (folder / MANIFEST).read_bytes()


def test_cli_verify_user(ceremony_attestation: SmallAttestation) -> None:  # noqa: F811
    folder, code = ceremony_attestation.folder, ceremony_attestation.codes["zoë"]
    args = ["verify-user", str(folder), "--allow-unknown-phase1"]
    ok = CliRunner().invoke(app, [*args, "--code", code.lower()])
    assert ok.exit_code == 0, ok.output
    assert "account id: zoë" in ok.output and "1.00000001" in ok.output
    assert "Is this YOUR account id?" in ok.output
    # 3 samples of 3 other batches: every proof verified, so the totals are proven.
    assert TOTALS_PROVEN in ok.output
    bad = CliRunner().invoke(app, [*args, "--code", format_code(bytes(16))])
    assert bad.exit_code == 1 and "no bundle for this code" in bad.output
    typo = CliRunner().invoke(app, [*args, "--code", "0" * 26 + "1"])
    assert typo.exit_code == 2
    # Without the flag, the demo phase 1 fails the trusted setup step.
    strict = CliRunner().invoke(app, ["verify-user", str(folder), "--code", code])
    assert strict.exit_code == 1 and "7. FAIL: trusted setup" in strict.output


def test_cli_verify_user_says_what_it_checked(ceremony_attestation: SmallAttestation) -> None:  # noqa: F811
    folder, code = ceremony_attestation.folder, ceremony_attestation.codes["alice"]
    args = ["verify-user", str(folder), "--allow-unknown-phase1", "--code", code]
    own = CliRunner().invoke(app, [*args, "--samples", "0", "--json"])
    assert own.exit_code == 0, own.output
    doc = json.loads(own.output)
    assert not doc["totals_proven"] and len(doc["proofs"]) == 1
    steps = {s["name"]: s["detail"] for s in doc["steps"]}
    assert "not checked in this run" in steps["batch proofs"]
    assert "NOT proven" in steps["accumulator chain"]
    assert TOTALS_PROVEN not in own.output
    every = CliRunner().invoke(app, [*args, "--samples", "0", "--all"])
    assert every.exit_code == 0, every.output
    assert "all 4 batch proofs are valid" in every.output and TOTALS_PROVEN in every.output
    assert "batch proofs: 4 of 4 verified" in every.output


@pytest.fixture
def served(ceremony_attestation: SmallAttestation) -> Iterator[str]:  # noqa: F811
    folder = ceremony_attestation.folder
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N ..."
        port = int(line.split(" port ")[1].split()[0])
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(10)


def test_verify_user_over_a_static_http_server(
    ceremony_attestation: SmallAttestation,  # noqa: F811
    served: str,
) -> None:
    code = ceremony_attestation.codes["李雷"]
    start = time.perf_counter()
    report = verify_user(http_reader(served), code, BACKEND, DEMO_PHASE1)
    assert report.passed, report.results
    assert time.perf_counter() - start < 60
    args = ["verify-user", served, "--code", code, "--json", "--allow-unknown-phase1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["passed"] and doc["user"]["user_id"] == "李雷"


def bundle_step(folder: Path) -> tuple[str, str]:
    from verifier.attestation import verify_attestation

    step = next(
        s
        for s in verify_attestation(directory_reader(folder), allow_dev_setup=True)
        if s.name == "bundle files"
    )
    return step.status, step.detail


def test_reviewer_checks_every_bucket(attestation: tuple[Path, Path, Manifest]) -> None:
    folder, _, _ = attestation
    assert bundle_step(folder)[0] == "OK"


def test_reviewer_catches_a_missing_bucket(
    attestation: tuple[Path, Path, Manifest], tmp_path: Path
) -> None:
    folder, _, _ = attestation
    copy = copy_of(folder, tmp_path)
    sorted((copy / "bundles").glob("*.bin"))[0].unlink()
    status, detail = bundle_step(copy)
    assert status == "FAIL" and "missing" in detail


def test_reviewer_catches_a_changed_bucket(
    attestation: tuple[Path, Path, Manifest], tmp_path: Path
) -> None:
    folder, _, _ = attestation
    copy = copy_of(folder, tmp_path)
    bucket = sorted((copy / "bundles").glob("*.bin"))[0]
    data = bytearray(bucket.read_bytes())
    data[100] ^= 0xFF
    bucket.write_bytes(bytes(data))
    status, detail = bundle_step(copy)
    assert status == "FAIL" and "does not match its sha256" in detail


def test_codes_derived_from_a_custodian_secret(tmp_path: Path) -> None:
    """With --code-secret the custodian can recompute any code from the user id alone."""
    secret = bytes(range(40))
    (tmp_path / "secret").write_bytes(secret)
    csv_path, toml_path = write_inputs(tmp_path / "input", ACCOUNTS, pad_to=16)
    out, private = tmp_path / "attestation", tmp_path / "private"
    args = ["prove", "--liabilities", str(csv_path), "--config", str(toml_path)]
    args += ["--out", str(out), "--private", str(private), "--workers", "1"]
    args += ["--code-secret", str(tmp_path / "secret"), "--insecure-dev-setup"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    codes = codes_of(private)
    assert codes == {u: format_code(derived_code(secret, u)) for u in codes}
    report = verify_user(directory_reader(out), codes["heidi"], BACKEND)
    assert [r.status for r in report.results] == ["OK"] * 6 + ["FAIL"]  # development setup
    assert secret.hex() not in result.output


def test_a_short_code_secret_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"too short")
    csv_path, toml_path = write_inputs(tmp_path / "input", ACCOUNTS)
    args = ["prove", "--liabilities", str(csv_path), "--config", str(toml_path)]
    args += ["--out", str(tmp_path / "a"), "--private", str(tmp_path / "p")]
    args += ["--code-secret", str(tmp_path / "secret"), "--insecure-dev-setup"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "at least 32 bytes" in result.output
    assert not (tmp_path / "p").exists()


def test_a_malformed_bundle_sums_file_fails_the_bundle_step(
    attestation: tuple[Path, Path, Manifest], tmp_path: Path
) -> None:
    """bundles/SHA256SUMS listed by the manifest but not in sha256sum's format."""
    folder, private, _ = attestation
    code = codes_of(private)["dave"]
    for number, (bad, reason) in enumerate(
        (
            (b"not a sum line\n", "bundles/SHA256SUMS line 1 is not '<sha256>  <bucket>.bin'"),
            ("é\n".encode(), "bundles/SHA256SUMS line 1 is not ASCII (byte 0xc3)"),
        )
    ):
        copy = copy_of(folder, tmp_path / f"case-{number}")
        sums = copy / "bundles" / "SHA256SUMS"
        before = sums.read_bytes()
        sums.write_bytes(bad)
        rehash_in_manifest(copy, "bundles/SHA256SUMS", before)
        report = verify_user(directory_reader(copy), code, BACKEND)
        assert (report.results[0].status, report.results[0].detail) == ("FAIL", reason)
        assert report.bundle is None


def test_a_verifying_key_off_the_curve_fails_the_batch_proofs_step(
    attestation: tuple[Path, Path, Manifest], tmp_path: Path
) -> None:
    folder, private, _ = attestation
    copy = copy_of(folder, tmp_path)
    vk = copy / "vk.json"
    before = vk.read_bytes()
    doc = json.loads(before)
    doc["vk_alpha_1"][1] = str(int(doc["vk_alpha_1"][1]) + 1)  # no longer on the curve
    vk.write_text(json.dumps(doc))
    rehash_in_manifest(copy, "vk.json", before)
    report = verify_user(directory_reader(copy), codes_of(private)["erin"], BACKEND)
    proofs = report.results[4]
    assert (proofs.name, proofs.status) == ("batch proofs", "FAIL")
    assert "vk_alpha_1" in proofs.detail or "curve" in proofs.detail, proofs.detail
    assert report.proof_status == {} and not report.totals_proven
