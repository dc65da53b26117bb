"""The ``zkpor`` command line as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from publisher.cli.main import app

runner = CliRunner()
SMALL = ["--assets", "2", "--arity", "2", "--batch-depth", "1"]


def test_circuit_info_prints_constraints_per_user() -> None:
    result = runner.invoke(app, ["circuit", "info", "--assets", "4"])
    assert result.exit_code == 0, result.output
    assert "11789 per batch" in result.output and "per user" in result.output


def test_circuit_info_rejects_a_bad_arity() -> None:
    result = runner.invoke(app, ["circuit", "info", "--arity", "3"])
    assert result.exit_code == 2
    assert "arity must be 2, 4 or 8" in result.output


@pytest.mark.slow
def test_batch_prove_then_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZKPOR_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "batch"
    proved = runner.invoke(app, ["batch", "prove", "--out", str(out), *SMALL])
    assert proved.exit_code == 0, proved.output
    assert "development setup" in proved.output
    verified = runner.invoke(app, ["batch", "verify", str(out)])
    assert verified.exit_code == 0 and verified.output.startswith("OK"), verified.output

    public = json.loads((out / "public.json").read_text())
    public[0] = str(int(public[0]) + 1)
    (out / "public.json").write_text(json.dumps(public))
    failed = runner.invoke(app, ["batch", "verify", str(out)])
    assert failed.exit_code == 1 and failed.output.startswith("FAIL"), failed.output


def test_batch_verify_refuses_deeply_nested_json_without_crashing(tmp_path: Path) -> None:
    for name in ("vk.json", "public.json", "proof.json"):
        (tmp_path / name).write_text("[" * 100000 + "]" * 100000)
    result = runner.invoke(app, ["batch", "verify", str(tmp_path)])
    assert result.exit_code == 2
    assert "nested deeper" in result.output
