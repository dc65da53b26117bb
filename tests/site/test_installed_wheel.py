"""A new user's path: zkpor's wheel in a fresh venv runs the demo, and its site reproduces.

Everything here runs outside the checkout: the wheel is built from a copy of the checkout's
files (tracked and untracked, never ignored ones such as a stale build/ or
verifier/_version.py), installed with its dependencies from PyPI into a new venv in a
temporary folder, and the venv's own ``zkpor`` runs from an empty folder with a clean
environment (no PYTHONPATH, its own key cache). So the site's templates, the verifier's
data files and everything else zkpor reads at run time must come from the installed
package, not from a source tree.

The copy has no git metadata, so it is given the version the checkout's own install
computed (``verifier.__version__``, through setuptools-scm's
SETUPTOOLS_SCM_PRETEND_VERSION_FOR_ZKPOR): the wheel is the checkout's code under the
checkout's version.

The wheel holds the native kernels (``publisher/snark/_native``, compiled C), so it is
tagged for this Python and platform. Built where no C compiler works, the extension is
skipped (``optional = true`` in pyproject.toml), and that wheel's zkpor proves on the
pure-Python fallback, saying so once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

import verifier
from publisher.site.vendor import vendor_cache_dir
from publisher.snark.backend import THREADS_ENV

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("installed-wheel")]

PY = f"cp{sys.version_info.major}{sys.version_info.minor}"
#: The tag of a wheel with compiled code for this Python, e.g. cp311-cp311-linux_x86_64.
WHEEL_TAG = f"{PY}-{PY}-{sysconfig.get_platform().replace('-', '_').replace('.', '_')}"
#: The native kernels as a file in the wheel, e.g. ..._native.cpython-311-x86_64-linux-gnu.so
NATIVE = f"publisher/snark/_native{sysconfig.get_config_var('EXT_SUFFIX')}"
NOT_BUILT = "zkpor: the native kernels are not built"


def _copy_checkout(target: Path) -> None:
    """Copy the checkout's tracked and untracked (not ignored) files to ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the checkout is not there
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _run(
    command: list[str | Path], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, (
        f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    )
    return done


def _pip_env(**extra: str) -> dict[str, str]:
    """pip and the venv: the machine's pip configuration, but nothing of this test run's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "ZKPOR"))}
    env["SETUPTOOLS_SCM_PRETEND_VERSION_FOR_ZKPOR"] = verifier.__version__
    return env | extra


PIP = ["-m", "pip", "--disable-pip-version-check", "-q"]


def _wheel(tmp_path: Path, pip_env: dict[str, str]) -> Path:
    """Build zkpor's wheel from a copy of the checkout, as ``make wheel`` does."""
    source, wheels = tmp_path / "source", tmp_path / "wheels"
    _copy_checkout(source)
    assert not (source / "build").exists()
    assert not (source / "verifier" / "_version.py").exists()
    assert not list(source.glob("publisher/snark/_native*.so")), "a compiled file was copied"
    _run([sys.executable, *PIP, "wheel", "--no-deps", "-w", wheels, "."], source, pip_env)
    assert not (source / "build").exists(), "pip wheel . left a build/ folder behind"
    [wheel] = wheels.glob("zkpor-*.whl")
    assert wheel.name == f"zkpor-{verifier.__version__}-{WHEEL_TAG}.whl"
    return wheel


def _install(tmp_path: Path, wheel: Path, pip_env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """Install ``wheel`` in a new venv; return its bin folder and a clean environment."""
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], tmp_path, pip_env)
    _run([venv / "bin" / "python", *PIP, "install", wheel], tmp_path, pip_env)
    env = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        "ZKPOR_CACHE": str(tmp_path / "cache"),
        # the pinned upstream archives: the same cache as the other site tests
        "ZKPOR_VENDOR_CACHE": str(vendor_cache_dir()),
    }
    return venv / "bin", env


def test_the_wheel_in_a_fresh_venv_runs_the_demo_and_reproduces_its_site(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    version = verifier.__version__
    pip_env = _pip_env()
    wheel = _wheel(tmp_path, pip_env)
    assert NATIVE in zipfile.ZipFile(wheel).namelist()
    built = time.monotonic()
    bin_dir, env = _install(tmp_path, wheel, pip_env)
    python, zkpor = bin_dir / "python", bin_dir / "zkpor"
    work = tmp_path / "work"
    work.mkdir()
    where = _run(
        [python, "-c", "import publisher, verifier; print(publisher.__file__, verifier.__file__)"],
        work,
        env,
    ).stdout
    assert all(Path(path).is_relative_to(bin_dir.parent) for path in where.split()), where
    threads = len(os.sched_getaffinity(0))
    assert THREADS_ENV not in env
    assert _run([zkpor, "--version"], work, env).stdout == (
        f"zkpor {version}\nbackend: native (C kernels, {threads} threads)\n"
    )

    # the default demo: the zkpor/2 book (120 assets, three circuit shapes), its reserves,
    # co-signature and site, all from the installed package
    demo = _run([zkpor, "demo", "--out", "d", "--users", "16", "--insecure-dev-setup"], work, env)
    assert "PASSED: all 9 checks passed" in demo.stdout
    assert NOT_BUILT not in demo.stderr
    site = work / "d" / "site"
    build = json.loads((site / "build.json").read_text(encoding="utf-8"))
    assert build["zkpor"] == version
    assert len(list(site.glob("v/*/worker.js"))) == 1
    assert len(list(site.glob(f"v/*/zkpor_verifier-{version}-py3-none-any.whl"))) == 1

    reproduced = _run([zkpor, "site", "reproduce", "d/site"], work, env).stdout
    assert "every file of the site is reproduced byte for byte" in reproduced
    print(
        f"installed-wheel check: {time.monotonic() - started:.0f} s "
        f"(the wheel {built - started:.0f} s)"
    )


def test_without_a_c_compiler_the_wheel_runs_on_the_python_fallback(tmp_path: Path) -> None:
    started = time.monotonic()
    pip_env = _pip_env(CC="/bin/false")  # every compile fails: setuptools skips the extension
    wheel = _wheel(tmp_path, pip_env)
    names = zipfile.ZipFile(wheel).namelist()
    assert "publisher/snark/backend.py" in names
    # the C sources ship, but no compiled module
    native = {name for name in names if name.startswith("publisher/snark/_native")}
    assert native and all(name.endswith((".c", ".h")) for name in native), sorted(native)
    bin_dir, env = _install(tmp_path, wheel, pip_env)
    zkpor = bin_dir / "zkpor"
    work = tmp_path / "work"
    work.mkdir()

    version = _run([zkpor, "--version"], work, env)
    assert version.stdout.startswith(
        f"zkpor {verifier.__version__}\n"
        "backend: python (pure-Python fallback: the native kernels are not built ("
    ), version.stdout
    assert NOT_BUILT not in version.stderr
    doctor = _run([zkpor, "doctor"], work, env).stdout
    assert "apt-get install gcc python3-dev" in doctor, doctor

    # the smallest demo, with a worker process per CPU: one warning for the whole run
    # (zkpor/1: the book's circuits, 2^16 each, would take many minutes in pure Python)
    args = ["demo", "--format", "zkpor/1", "--out", "d", "--users", "4", "--insecure-dev-setup"]
    demo = _run([zkpor, *args], work, env)
    assert "PASSED" in demo.stdout
    assert demo.stderr.count(NOT_BUILT) == 1, demo.stderr
    assert "apt-get install gcc python3-dev" in demo.stderr
    print(f"installed-wheel check without a C compiler: {time.monotonic() - started:.0f} s")
