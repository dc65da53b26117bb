"""verifier.web, the browser worker's entry points, run in CPython with real crypto.

The worker hands over JavaScript functions that speak hex; here the same functions are
written over PyNaCl, so these tests run the exact Python the browser runs.
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

from publisher.crypto import NaclBackend
from publisher.pipeline import CODES
from tests.test_pipeline import ACCOUNTS, prove, write_inputs
from verifier.attestation import STEP_NAMES, AttestationFiles
from verifier.codes import format_code
from verifier.fetch import directory_reader
from verifier.user import USER_STEP_NAMES
from verifier.web import JsBackend, js_reader, sample_batches, verify_all, verify_code

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
def attestation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
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
    out: list[dict[str, Any]] = []
    result = run(*args, collector(out))
    return result, out


def test_a_valid_code_emits_six_passing_steps_the_account_and_samples(
    attestation: tuple[Path, list[str]],
) -> None:
    folder, codes = attestation
    ok, out = events(verify_code, directory_reader(folder), codes[0], BACKEND)
    assert ok
    steps = [e for e in out if e["event"] == "step"]
    assert [s["name"] for s in steps] == list(USER_STEP_NAMES)
    assert all(s["status"] == "OK" and s["group"] == "user" for s in steps)
    user = next(e for e in out if e["event"] == "user")
    assert [b["asset"] for b in user["balances"]] == ["BTC", "USDT"]
    samples = [e for e in out if e["event"] == "sample"]
    assert len(samples) == 3 and all(s["status"] == "OK" for s in samples)
    assert out[-1] == {"event": "done", "passed": True}
    # the code never goes into an event
    assert codes[0] not in json.dumps(out)


def test_samples_never_include_the_users_own_batch(attestation: tuple[Path, list[str]]) -> None:
    folder, _ = attestation
    for seed in range(5):
        checked: list[dict[str, Any]] = []
        ok = sample_batches(
            AttestationFiles(directory_reader(folder)),
            collector(checked),
            exclude=2,
            rng=random.Random(seed),
        )
        assert ok and len(checked) == 3
        assert 2 not in [e["batch"] for e in checked]


def test_a_wrong_code_fails_at_the_bundle_and_a_typo_before_any_read(
    attestation: tuple[Path, list[str]],
) -> None:
    folder, codes = attestation
    ok, out = events(verify_code, directory_reader(folder), format_code(bytes(16)), BACKEND)
    assert not ok
    first = next(e for e in out if e["event"] == "step")
    assert (first["name"], first["status"], first["detail"]) == (
        "bundle",
        "FAIL",
        "no bundle for this code",
    )
    assert not [e for e in out if e["event"] in ("user", "sample")]

    reads: list[str] = []

    def counting(name: str) -> bytes:
        reads.append(name)
        return directory_reader(folder)(name)

    typo = ("1" if codes[0][0] != "1" else "2") + codes[0][1:]
    ok, out = events(verify_code, counting, typo, BACKEND)
    assert not ok and reads == []
    assert out[0]["event"] == "invalid-code" and out[-1] == {"event": "done", "passed": False}


def test_verify_all_emits_nine_steps_and_proof_progress(
    attestation: tuple[Path, list[str]],
) -> None:
    folder, _ = attestation
    ok, out = events(verify_all, directory_reader(folder), BACKEND)
    steps = {e["name"]: e["status"] for e in out if e["event"] == "step"}
    assert list(steps) == list(STEP_NAMES)
    # a development-setup attestation: the browser never accepts it
    assert not ok and steps.pop("trusted setup") == "FAIL"
    assert set(steps.values()) == {"OK"}
    progress = [(e["done"], e["total"]) for e in out if e["event"] == "proofs"]
    assert progress[-1][0] == progress[-1][1] == 4
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


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


def test_samples_fail_when_proofs_json_is_not_the_one_the_manifest_lists(
    attestation: tuple[Path, list[str]], tmp_path: Path
) -> None:
    folder, _ = attestation
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    proofs = json.loads((copy / "proofs.json").read_text())
    proofs[1]["proof"], proofs[2]["proof"] = proofs[2]["proof"], proofs[1]["proof"]
    (copy / "proofs.json").write_text(json.dumps(proofs))
    checked: list[dict[str, Any]] = []
    ok = sample_batches(AttestationFiles(directory_reader(copy)), collector(checked), exclude=0)
    assert not ok
    assert checked == [
        {"event": "sample", "batch": None, "status": "FAIL", "detail": checked[0]["detail"]}
    ]
    assert "but the manifest lists" in checked[0]["detail"]
