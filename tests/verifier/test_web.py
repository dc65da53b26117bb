"""verifier.web, the browser worker's entry points, run in CPython with real crypto.

The worker hands over JavaScript functions that speak hex; here the same functions are
written over PyNaCl, so these tests run the exact Python the browser runs. The attestation
comes from a real (small) ceremony; its phase 1 is the demo's, which a test-built worker
lists in EXTRA_KNOWN_PHASE1 (``known``) and the shipped one does not.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from publisher.attest.pipeline import CODES
from publisher.crypto import NaclBackend
from tests.ceremony_fixtures import TestCeremony, ceremony, ceremony_attestation  # noqa: F401
from tests.paths import REPO
from tests.site_fixtures import SmallAttestation
from tests.snapshots import ACCOUNTS, prove, write_inputs
from verifier.attestation import STEP_NAMES
from verifier.codes import format_code
from verifier.fetch import directory_reader
from verifier.user import SAMPLES, USER_STEP_NAMES, UserOptions, user_steps
from verifier.web import JsBackend, js_reader, known_phase1_list, verify_all, verify_code

NACL = NaclBackend()


def box_open(box: str, nonce: str, key: str) -> str | None:
    try:
        return NACL.secretbox_open(
            bytes.fromhex(box), bytes.fromhex(nonce), bytes.fromhex(key)
        ).hex()
    except Exception:
        return None


def ed25519_verify(public_key: str, message: str, signature: str) -> bool:
    return NACL.ed25519_verify(
        bytes.fromhex(public_key), bytes.fromhex(message), bytes.fromhex(signature)
    )


BACKEND = JsBackend(box_open, ed25519_verify)


@pytest.fixture(scope="module")
def attestation(ceremony_attestation: SmallAttestation) -> tuple[Path, list[str]]:  # noqa: F811
    """The session's ceremony attestation and its codes."""
    return ceremony_attestation.folder, list(ceremony_attestation.codes.values())


@pytest.fixture(scope="module")
def known(ceremony: TestCeremony) -> str:  # noqa: F811
    """The EXTRA_KNOWN_PHASE1 of a test-built worker: the test ceremony's phase 1."""
    return json.dumps([ceremony.phase1_blake2b])


@pytest.fixture(scope="module")
def dev_attestation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("web")
    inputs = write_inputs(root / "input", ACCOUNTS, pad_to=16)
    with ProcessPoolExecutor(2) as pool:
        prove(inputs, root / "attestation", root / "private", pool)
    with (root / "private" / CODES).open(encoding="utf-8", newline="") as f:
        codes = [row["code"] for row in csv.DictReader(f)]
    return root / "attestation", codes


def collector(into: list[dict[str, Any]]) -> Any:
    return lambda text: into.append(json.loads(text))


def events(run: Any, *args: Any) -> tuple[Any, list[dict[str, Any]]]:
    """Call ``run`` with ``args`` and a collecting ``emit`` in its place (verify_code
    takes read, code, backend before it; verify_all read, backend)."""
    out: list[dict[str, Any]] = []
    at = 2 if run is verify_all else 3
    result = run(*args[:at], collector(out), *args[at:])
    return result, out


def test_a_valid_code_emits_seven_passing_steps_the_account_and_samples(
    attestation: tuple[Path, list[str]], known: str
) -> None:
    folder, codes = attestation
    ok, out = events(verify_code, directory_reader(folder), codes[0], BACKEND, known)
    steps = [e for e in out if e["event"] == "step"]
    assert ok, steps
    assert [s["name"] for s in steps] == list(USER_STEP_NAMES)
    assert all(s["status"] == "OK" and s["group"] == "user" for s in steps), steps
    user = next(e for e in out if e["event"] == "user")
    assert [b["asset"] for b in user["balances"]] == ["BTC", "USDT"]
    samples = [e for e in out if e["event"] == "sample"]
    assert len(samples) == SAMPLES and all(s["status"] == "OK" for s in samples)
    # With 4 batches, SAMPLES = 3 others is every batch: the totals are proven.
    assert out[-1] == {"event": "done", "passed": True, "totals_proven": True}
    # the code never goes into an event
    assert codes[0] not in json.dumps(out)


def test_samples_never_include_the_users_own_batch(attestation: tuple[Path, list[str]]) -> None:
    folder, codes = attestation
    chosen = set()
    for seed in range(5):
        options = UserOptions(samples=2, rng=random.Random(seed), allow_unknown_phase1=True)
        report = user_steps(directory_reader(folder), codes[0], BACKEND, options).run()
        assert report.passed and report.bundle is not None
        assert len(report.proof_status) == 3 and report.bundle.batch in report.proof_status
        assert not report.totals_proven, "one batch proof was not verified"
        chosen.add(tuple(sorted(report.proof_status)))
    assert len(chosen) > 1, "the samples vary with the randomness"


def test_the_shipped_worker_lists_no_extra_phase1_so_the_demo_phase1_fails(
    attestation: tuple[Path, list[str]],
) -> None:
    folder, codes = attestation
    ok, out = events(verify_code, directory_reader(folder), codes[0], BACKEND)
    steps = {e["name"]: e for e in out if e["event"] == "step"}
    assert not ok and steps["trusted setup"]["status"] == "FAIL"
    assert "not a known public Powers of Tau file" in steps["trusted setup"]["detail"]
    assert out[-1] == {"event": "done", "passed": False, "totals_proven": False}
    worker = (REPO / "site/docs/assets/zkpor/worker.js").read_text(encoding="utf-8")
    assert worker.count("const EXTRA_KNOWN_PHASE1 = [];") == 1


def test_the_extra_phase1_list_must_be_digests() -> None:
    assert known_phase1_list("[]") == frozenset()
    for bad in ('["abc"]', "{}", "[1]", '["' + "A" * 128 + '"]'):
        with pytest.raises(ValueError, match="EXTRA_KNOWN_PHASE1"):
            known_phase1_list(bad)


def test_a_wrong_code_fails_at_the_bundle_and_a_typo_before_any_read(
    attestation: tuple[Path, list[str]], known: str
) -> None:
    folder, codes = attestation
    ok, out = events(verify_code, directory_reader(folder), format_code(bytes(16)), BACKEND, known)
    assert not ok
    first = next(e for e in out if e["event"] == "step")
    assert (first["name"], first["status"], first["detail"]) == (
        "bundle",
        "FAIL",
        "no bundle for this code",
    )
    assert not [e for e in out if e["event"] in ("user", "sample")]
    assert out[-1] == {"event": "done", "passed": False, "totals_proven": False}

    reads: list[str] = []

    def counting(name: str) -> bytes:
        reads.append(name)
        return directory_reader(folder)(name)

    typo = ("1" if codes[0][0] != "1" else "2") + codes[0][1:]
    ok, out = events(verify_code, counting, typo, BACKEND, known)
    assert not ok and reads == []
    assert out[0]["event"] == "invalid-code"
    assert out[-1] == {"event": "done", "passed": False, "totals_proven": False}


def test_verify_all_emits_ten_steps_and_proof_progress(
    attestation: tuple[Path, list[str]], known: str
) -> None:
    folder, _ = attestation
    ok, out = events(verify_all, directory_reader(folder), BACKEND, known)
    steps = {e["name"]: e["status"] for e in out if e["event"] == "step"}
    assert list(steps) == list(STEP_NAMES)
    assert ok and set(steps.values()) == {"OK"}, out
    assert out[-1] == {"event": "done", "passed": True, "totals_proven": True}
    progress = [(e["done"], e["total"]) for e in out if e["event"] == "proofs"]
    assert progress[-1][0] == progress[-1][1] == 4
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


def test_verify_all_fails_a_development_setup_whatever_the_extra_list(
    dev_attestation: tuple[Path, list[str]], known: str
) -> None:
    folder, _ = dev_attestation
    ok, out = events(verify_all, directory_reader(folder), BACKEND, known)
    steps = {e["name"]: e["status"] for e in out if e["event"] == "step"}
    assert not ok and steps.pop("trusted setup") == "FAIL"
    assert set(steps.values()) == {"OK"}
    assert out[-1] == {"event": "done", "passed": False, "totals_proven": False}


def test_js_reader_turns_a_missing_file_into_file_not_found() -> None:
    class Bytes:
        def to_bytes(self) -> bytes:
            return b"data"

    read = js_reader(lambda name: None if name == "gone" else Bytes())
    assert read("there") == b"data"
    with pytest.raises(FileNotFoundError):
        read("gone")


def test_js_backend_raises_when_the_box_does_not_open() -> None:
    with pytest.raises(ValueError, match="does not authenticate"):
        BACKEND.secretbox_open(bytes(32), bytes(24), bytes(32))


def test_no_batch_is_called_proven_from_a_proofs_file_the_manifest_does_not_list(
    attestation: tuple[Path, list[str]], known: str, tmp_path: Path
) -> None:
    folder, codes = attestation
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    proofs = json.loads((copy / "proofs.json").read_text())
    proofs[1]["proof"], proofs[2]["proof"] = proofs[2]["proof"], proofs[1]["proof"]
    (copy / "proofs.json").write_text(json.dumps(proofs))
    ok, out = events(verify_code, directory_reader(copy), codes[0], BACKEND, known)
    assert not ok
    assert not [e for e in out if e["event"] == "sample"]
    steps = {e["name"]: e for e in out if e["event"] == "step"}
    assert steps["path to batch root"]["status"] == "FAIL"
    assert "proofs.json has sha256" in steps["path to batch root"]["detail"]
    assert steps["batch proofs"]["status"] == "SKIP"
    assert out[-1] == {"event": "done", "passed": False, "totals_proven": False}
