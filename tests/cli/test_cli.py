"""The ``zkpor`` command line as a user runs it."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import pytest
from typer.testing import CliRunner

import verifier
from publisher.cli.main import app
from publisher.snark import backend

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


WARNED = "ZKPOR_BACKEND_WARNED"  # set once the fallback's warning was printed (or silenced)


def _fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the native kernels had not been built (the warning's state is restored)."""
    monkeypatch.setattr(backend, "_native", None)
    monkeypatch.setattr(backend, "_IMPORT_ERROR", "No module named 'publisher.snark._native'")
    monkeypatch.setenv(WARNED, "")


def test_version_names_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WARNED, os.environ.get(WARNED, ""))
    monkeypatch.delenv(backend.BACKEND_ENV, raising=False)
    monkeypatch.setenv(backend.THREADS_ENV, "3")
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    line = "native (C kernels, 3 threads)" if backend.native_built() else "python (pure-Python"
    assert result.output.startswith(f"zkpor {verifier.__version__}\nbackend: {line}")

    monkeypatch.setenv(backend.BACKEND_ENV, "python")
    result = runner.invoke(app, ["--version"])
    assert result.output == (
        f"zkpor {verifier.__version__}\n"
        "backend: python (pure-Python reference, forced by ZKPOR_BACKEND=python)\n"
    )


def test_version_names_the_fallback_and_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(backend.BACKEND_ENV, raising=False)
    _fallback(monkeypatch)
    result = runner.invoke(app, ["--version"])
    assert result.output.splitlines()[1:] == [
        "backend: python (pure-Python fallback: the native kernels are not built "
        "(No module named 'publisher.snark._native'))"
    ]  # and no warning: the line says it
    monkeypatch.setenv(backend.BACKEND_ENV, "native")
    result = runner.invoke(app, ["--version"])
    assert result.output.splitlines()[1].startswith(
        "backend: unusable: ZKPOR_BACKEND=native, but the native kernels are not built"
    )


def _rows(output: str) -> dict[str, str]:
    return {line[:10].strip(): line[10:] for line in output.splitlines()}


def test_doctor_names_the_backend_and_the_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WARNED, os.environ.get(WARNED, ""))
    monkeypatch.delenv(backend.BACKEND_ENV, raising=False)
    monkeypatch.delenv(backend.THREADS_ENV, raising=False)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    field = ["field"] if backend.native_built() else []
    assert list(rows) == [
        "zkpor", "backend", *field, "threads", "python", "gmpy2", "node", "snarkjs", "chromium"
    ]  # fmt: skip
    assert rows["zkpor"] == verifier.__version__
    assert rows["python"].startswith(platform.python_version())
    if backend.native_built():
        threads = backend.threads()
        assert rows["backend"] == f"native (C kernels, {threads} threads)"
        assert rows["threads"].startswith(f"{threads} per proof (every CPU")
        assert rows["field"] in ("x86-64 mulx/adx", "portable C")


def test_doctor_says_why_it_runs_on_python_and_how_to_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(backend.BACKEND_ENV, raising=False)
    _fallback(monkeypatch)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "zkpor: the native kernels are not built" not in result.output  # said below instead
    rows = result.output.splitlines()
    assert rows[1] == (
        "backend   python (pure-Python fallback: the native kernels are not built "
        "(No module named 'publisher.snark._native'))"
    )
    assert "apt-get install gcc python3-dev" in rows[2]
    assert rows[3] == "threads   1 per worker process (the pure-Python prover)"

    monkeypatch.setenv(backend.BACKEND_ENV, "python")
    assert "forced by ZKPOR_BACKEND=python" in runner.invoke(app, ["doctor"]).output


def test_doctor_fails_on_a_backend_the_prover_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    _fallback(monkeypatch)
    monkeypatch.setenv(backend.BACKEND_ENV, "native")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "backend   unusable: ZKPOR_BACKEND=native, but the native kernels are not built" in (
        result.output
    )
    monkeypatch.setenv(backend.BACKEND_ENV, "auto")
    monkeypatch.setenv(backend.THREADS_ENV, "many")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "backend   unusable: ZKPOR_THREADS='many' is not a number" in result.output
