"""Which arithmetic backs the prover: ``ZKPOR_BACKEND`` and ``ZKPOR_THREADS``, ``forced``,
the public functions' dispatch to the native kernels, and the fallback (a warning, once)
when the extension is missing."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from publisher.snark import backend, lincomb, msm, native, ntt
from publisher.snark.backend import BACKEND_ENV, THREADS_ENV, BackendError
from publisher.snark.curve import G1_GEN, G2_GEN, g1_mul, g2_mul
from verifier.field import R

ROOT = Path(__file__).resolve().parents[2]
WARNED_ENV = "ZKPOR_BACKEND_WARNED"
WARNING = "native kernels are not built"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No backend choice from the environment the suite runs in."""
    for name in (BACKEND_ENV, THREADS_ENV, WARNED_ENV):
        monkeypatch.delenv(name, raising=False)
    assert backend._forced is None  # no test or fixture left a backend forced
    yield
    assert backend._forced is None


def cpus() -> int:
    return len(os.sched_getaffinity(0))


# --------------------------------------------------------------------------- ZKPOR_BACKEND


def test_the_default_is_native_when_built() -> None:
    assert backend.native_built()
    assert backend.name() == "native"
    assert backend.native() is not None
    assert backend.describe() == f"native (C kernels, {cpus()} threads)"


@pytest.mark.parametrize("value", ["python", "Python", " PYTHON "])
def test_zkpor_backend_python(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(BACKEND_ENV, value)
    assert backend.name() == "python"
    assert backend.native() is None
    assert backend.describe() == "python (pure-Python reference, forced by ZKPOR_BACKEND=python)"


@pytest.mark.parametrize("value", ["native", "NATIVE", "auto", " auto ", ""])
def test_zkpor_backend_native_or_auto(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(BACKEND_ENV, value)
    assert backend.name() == "native"
    assert backend.native() is not None
    assert backend.describe().startswith("native (C kernels, ")


@pytest.mark.parametrize("value", ["gpu", "c", "nativ", "python3", "0", "native,python"])
def test_an_invalid_zkpor_backend_is_an_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(BACKEND_ENV, value)
    for fn in (backend.name, backend.native, backend.describe):
        with pytest.raises(BackendError, match="expected native, python or auto"):
            fn()
    with pytest.raises(BackendError):  # and so is every kernel call
        msm.msm_g1([G1_GEN], [2])


def test_forced_wins_over_the_environment_and_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BACKEND_ENV, "python")
    with backend.forced("native"):
        assert backend.name() == "native"
        with backend.forced("python"):
            assert backend.name() == "python"
        assert backend.name() == "native"
    assert backend.name() == "python"
    monkeypatch.setenv(BACKEND_ENV, "native")
    with backend.forced("python"):
        assert backend.name() == "python"
        assert backend.describe().startswith("python (pure-Python reference")
    assert backend.name() == "native"


def test_forced_refuses_an_unknown_backend() -> None:
    with pytest.raises(BackendError, match="'gpu'"), backend.forced("gpu"):
        pytest.fail("the block must not run")
    assert backend.name() == "native"


def test_forced_is_restored_after_an_exception() -> None:
    with pytest.raises(KeyError), backend.forced("python"):
        raise KeyError("inside")
    assert backend.name() == "native"


# --------------------------------------------------------------------------- ZKPOR_THREADS


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), ("2", 2), (" 8 ", 8), ("256", 256), ("257", 256), ("100000", 256), ("+3", 3)],
)
def test_zkpor_threads(monkeypatch: pytest.MonkeyPatch, value: str, expected: int) -> None:
    monkeypatch.setenv(THREADS_ENV, value)
    assert backend.threads() == expected
    assert backend.describe() == f"native (C kernels, {expected} threads)"


@pytest.mark.parametrize("value", ["", "   "])
def test_zkpor_threads_unset_or_blank_is_the_cpus(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv(THREADS_ENV, value)
    assert backend.threads() == cpus() >= 1


@pytest.mark.parametrize("value", ["0", "-1", " -8"])
def test_zkpor_threads_below_one_is_an_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(THREADS_ENV, value)
    with pytest.raises(BackendError, match="must be at least 1"):
        backend.threads()


@pytest.mark.parametrize("value", ["abc", "2.5", "4 threads", "0x4", "four", "1e3"])
def test_zkpor_threads_junk_is_an_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(THREADS_ENV, value)
    with pytest.raises(BackendError, match="is not a number"):
        backend.threads()
    with pytest.raises(BackendError, match="is not a number"):
        backend.describe()
    with backend.forced("native"), pytest.raises(BackendError, match="is not a number"):
        msm.msm_g1([G1_GEN], [2])  # a native call does not fall back to some default


def test_zkpor_threads_does_not_matter_on_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, "junk")
    monkeypatch.setenv(BACKEND_ENV, "python")
    assert backend.describe().startswith("python")
    assert msm.msm_g1([G1_GEN], [2]) == g1_mul(G1_GEN, 2)


# --------------------------------------------------------------------------- dispatch


def spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Count the calls of ``native.<name>``, which still does its real work."""
    calls: list[int] = []
    real = getattr(native, name)

    def counted(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(native, name, counted)
    return calls


rng = random.Random(12)
P1 = [g1_mul(G1_GEN, rng.randrange(1, R)) for _ in range(4)]
P2 = [g2_mul(G2_GEN, rng.randrange(1, R)) for _ in range(3)]
KS = [rng.randrange(R) for _ in range(4)]
DISPATCH: list[tuple[str, Callable[[], object], str]] = [
    ("msm_g1", lambda: msm.msm_g1(P1, KS), "msm_g1"),
    ("msm_g2", lambda: msm.msm_g2(P2, KS[:3]), "msm_g2"),
    ("fixed_base_g1", lambda: msm.fixed_base_g1(P1[0], KS), "fixed_base_g1"),
    ("fixed_base_g2", lambda: msm.fixed_base_g2(P2[0], KS), "fixed_base_g2"),
    ("lincombs_g1", lambda: lincomb.lincombs_g1(P1, [[(0, 3), (2, KS[0])], []]), "lincombs_g1"),
    ("lincombs_g2", lambda: lincomb.lincombs_g2(P2, [[(1, KS[1])]]), "lincombs_g2"),
    ("scale_g1", lambda: lincomb.scale_g1(P1, KS[2]), "scale_g1"),
    ("g2_not_in_subgroup", lambda: lincomb.g2_not_in_subgroup(P2), "lincombs_g2"),
    ("ntt", lambda: ntt.ntt(KS), "coset_ntt"),
    ("intt", lambda: ntt.intt(KS), "coset_intt"),
    ("coset_ntt", lambda: ntt.coset_ntt(KS, 7), "coset_ntt"),
    ("coset_intt", lambda: ntt.coset_intt(KS, 7), "coset_intt"),
]


@pytest.mark.parametrize(
    ("call", "kernel"), [d[1:] for d in DISPATCH], ids=[d[0] for d in DISPATCH]
)
def test_public_functions_run_on_the_backend_selected(
    monkeypatch: pytest.MonkeyPatch, call: Callable[[], object], kernel: str
) -> None:
    calls = spy(monkeypatch, kernel)
    with backend.forced("python"):
        reference = call()
    assert calls == []
    with backend.forced("native"):
        assert call() == reference
    assert calls == [1]
    monkeypatch.setenv(BACKEND_ENV, "python")
    assert call() == reference
    assert calls == [1]
    monkeypatch.setenv(BACKEND_ENV, "auto")
    assert call() == reference
    assert calls == [1, 1]


# --------------------------------------------------------------------------- fallback


#: Makes importing the extension fail in a child Python, as where it was not built.
NO_EXTENSION = textwrap.dedent(
    """
    import json, sys

    class NoExtension:
        def find_spec(self, name, path=None, target=None):
            if name == "publisher.snark._native":
                raise ImportError("blocked by test_backend")
            return None

    sys.meta_path.insert(0, NoExtension())
    """
)
FALLBACK_CHILD = NO_EXTENSION + textwrap.dedent(
    """
    from publisher.snark import backend, msm
    from publisher.snark.curve import G1_GEN, g1_mul

    points = [G1_GEN, g1_mul(G1_GEN, 2), g1_mul(G1_GEN, 5)]
    print(json.dumps({"built": backend.native_built()}), flush=True)
    for _ in range(2):
        print(json.dumps({"msm": msm.msm_g1(points, [3, 4, 7])}), flush=True)
    print(json.dumps({"name": backend.name(), "describe": backend.describe()}), flush=True)
    """
)


def run_without_extension(
    env: dict[str, str], code: str = FALLBACK_CHILD
) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if k not in (BACKEND_ENV, WARNED_ENV)}
    child_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def child_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_without_the_extension_zkpor_falls_back_and_says_so_once() -> None:
    done = run_without_extension({})
    assert done.returncode == 0, done.stderr
    lines = child_lines(done.stdout)
    expected = list(g1_mul(G1_GEN, 3 + 8 + 35))  # type: ignore[arg-type]
    assert lines == [
        {"built": False},
        {"msm": expected},
        {"msm": expected},
        {
            "name": "python",
            "describe": "python (pure-Python fallback: the native kernels are not built "
            "(blocked by test_backend))",
        },
    ]
    assert done.stderr.count(WARNING) == 1, done.stderr
    assert done.stderr.startswith(
        "zkpor: the native kernels are not built (blocked by test_backend)"
    )
    assert "pure-Python prover" in done.stderr


def test_without_the_extension_zkpor_backend_native_is_an_error() -> None:
    done = run_without_extension({BACKEND_ENV: "native"})
    assert done.returncode != 0
    assert child_lines(done.stdout) == [{"built": False}]
    assert "BackendError: ZKPOR_BACKEND=native, but the native kernels are not built" in (
        done.stderr
    )
    assert "using the pure-Python prover" not in done.stderr  # an error, not the fallback


def test_without_the_extension_zkpor_backend_python_is_quiet() -> None:
    done = run_without_extension({BACKEND_ENV: "python"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert child_lines(done.stdout)[-1]["name"] == "python"


def test_the_fallback_warning_is_not_repeated_in_worker_processes() -> None:
    done = run_without_extension({WARNED_ENV: "1"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert child_lines(done.stdout)[1]["msm"] == list(g1_mul(G1_GEN, 46))  # type: ignore[arg-type]


DESCRIBE_CHILD = NO_EXTENSION + textwrap.dedent(
    """
    from publisher.snark import backend

    try:
        print(backend.describe())
    except backend.BackendError as exc:
        print(f"BackendError: {exc}")
    """
)


def test_without_the_extension_describe_does_not_claim_a_fallback_for_native() -> None:
    done = run_without_extension({BACKEND_ENV: "native"}, DESCRIBE_CHILD)
    assert done.returncode == 0, done.stderr
    assert "the native kernels are not built" in done.stdout
    assert "fallback" not in done.stdout, done.stdout


def test_without_the_extension_describe_says_why() -> None:
    for env, line in [
        ({}, "python (pure-Python fallback: the native kernels are not built "),
        ({BACKEND_ENV: "python"}, "python (pure-Python reference, forced by ZKPOR_BACKEND=python)"),
        ({BACKEND_ENV: "gpu"}, "BackendError: ZKPOR_BACKEND='gpu': expected native, python"),
    ]:
        done = run_without_extension(env, DESCRIBE_CHILD)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(line), (env, done.stdout)
        assert done.stderr == ""  # describe() itself warns nothing
