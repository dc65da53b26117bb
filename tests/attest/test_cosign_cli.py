"""``zkpor attest keygen`` and ``zkpor attest sign``: co-signing a published attestation."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from publisher.cli.main import app
from tests.security.segregated_attestation import segregated
from tests.security.vector_attestation import ALLOW, steps_of, verify
from verifier.cosign import SIGNATURES_INDEX

runner = CliRunner()


def test_keygen_then_sign_then_verify(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    for scheme, key in (("ed25519", tmp_path / "ed.key"), ("eip191", tmp_path / "evm.key")):
        made = runner.invoke(app, ["attest", "keygen", "--out", str(key), "--scheme", scheme])
        assert made.exit_code == 0, made.output
        assert os.stat(key).st_mode & 0o077 == 0  # a secret: private to its owner
        args = ["sign", str(folder), "--key", str(key), "--name", f"Auditor {scheme}"]
        signed = runner.invoke(app, ["attest", *args, "--scheme", scheme])
        assert signed.exit_code == 0, signed.output
    index = json.loads((folder / SIGNATURES_INDEX).read_text())
    assert len(index["signatures"]) == 2
    _, report = verify(folder, ALLOW)
    status, detail = steps_of(report)[10]
    assert status == "OK" and "Auditor ed25519" in detail and "Auditor eip191" in detail


def test_signing_again_with_one_key_replaces_its_signature(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    key = tmp_path / "k"
    assert runner.invoke(app, ["attest", "keygen", "--out", str(key)]).exit_code == 0
    for name in ("Audit Co", "Audit Co Ltd"):
        result = runner.invoke(
            app, ["attest", "sign", str(folder), "--key", str(key), "--name", name]
        )
        assert result.exit_code == 0, result.output
    index = json.loads((folder / SIGNATURES_INDEX).read_text())["signatures"]
    assert len(index) == 1 and index[0].startswith("signatures/audit-co-ltd-")
    _, report = verify(folder, ALLOW)
    assert steps_of(report)[10][0] == "OK"


def test_keygen_never_overwrites_a_key(tmp_path: Path) -> None:
    key = tmp_path / "k"
    key.write_text("keep me\n")
    result = runner.invoke(app, ["attest", "keygen", "--out", str(key)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert key.read_text() == "keep me\n"


def test_bad_inputs_are_one_line_errors_and_write_nothing(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    key = tmp_path / "k"
    key.write_text("not a key\n")
    cases = [
        (["--key", str(key), "--name", "A"], "a key file holds one line: 64 hex digits"),
        (["--key", str(tmp_path / "none"), "--name", "A"], "cannot read the key file"),
    ]
    key2 = tmp_path / "k2"
    key2.write_text("00" * 32 + "\n")
    cases.append((["--key", str(key2), "--name", "A", "--scheme", "eip191"], "not a secp256k1"))
    good = tmp_path / "good"
    assert runner.invoke(app, ["attest", "keygen", "--out", str(good)]).exit_code == 0
    cases.append((["--key", str(good), "--name", "<b>x</b>"], "co-signer's name"))
    cases.append((["--key", str(good), "--name", "A", "--scheme", "rsa"], "unknown scheme"))
    for args, why in cases:
        result = runner.invoke(app, ["attest", "sign", str(folder), *args])
        assert result.exit_code == 2 and why in result.output, (args, result.output)
    assert not (folder / "signatures").exists()


def test_a_manifest_zkpor_would_not_write_is_not_signed(tmp_path: Path) -> None:
    folder = segregated(tmp_path / "a")
    manifest = json.loads((folder / "attestation.json").read_text())
    manifest["note"] = "extra"
    (folder / "attestation.json").write_text(json.dumps(manifest))
    key = tmp_path / "k"
    assert runner.invoke(app, ["attest", "keygen", "--out", str(key)]).exit_code == 0
    result = runner.invoke(app, ["attest", "sign", str(folder), "--key", str(key), "--name", "A"])
    assert result.exit_code == 2 and "is not as zkpor writes it" in result.output, result.output
