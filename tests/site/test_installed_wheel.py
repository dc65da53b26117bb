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
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import verifier
from publisher.site.vendor import vendor_cache_dir

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("installed-wheel")]


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


def _run(command: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, (
        f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    )
    return done.stdout


def test_the_wheel_in_a_fresh_venv_runs_the_demo_and_reproduces_its_site(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    version = verifier.__version__
    source, wheels, venv = tmp_path / "source", tmp_path / "wheels", tmp_path / "venv"
    _copy_checkout(source)
    assert not (source / "build").exists()
    assert not (source / "verifier" / "_version.py").exists()
    # pip and the venv: the machine's pip configuration, but nothing of this test run's
    pip_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "ZKPOR"))}
    pip_env["SETUPTOOLS_SCM_PRETEND_VERSION_FOR_ZKPOR"] = version
    pip = ["-m", "pip", "--disable-pip-version-check", "-q"]
    _run([sys.executable, *pip, "wheel", "--no-deps", "-w", wheels, "."], source, pip_env)
    assert not (source / "build").exists(), "pip wheel . left a build/ folder behind"
    [wheel] = wheels.glob("zkpor-*.whl")
    assert wheel.name == f"zkpor-{version}-py3-none-any.whl"

    _run([sys.executable, "-m", "venv", venv], tmp_path, pip_env)
    python, zkpor = venv / "bin" / "python", venv / "bin" / "zkpor"
    _run([python, *pip, "install", wheel], tmp_path, pip_env)

    work = tmp_path / "work"
    work.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        "ZKPOR_CACHE": str(tmp_path / "cache"),
        # the pinned upstream archives: the same cache as the other site tests
        "ZKPOR_VENDOR_CACHE": str(vendor_cache_dir()),
    }
    where = _run(
        [python, "-c", "import publisher, verifier; print(publisher.__file__, verifier.__file__)"],
        work,
        env,
    )
    assert all(Path(path).is_relative_to(venv) for path in where.split()), where
    assert _run([zkpor, "--version"], work, env) == f"zkpor {version}\n"

    demo = _run([zkpor, "demo", "--out", "d", "--users", "16", "--insecure-dev-setup"], work, env)
    assert "PASSED" in demo
    site = work / "d" / "site"
    build = json.loads((site / "build.json").read_text(encoding="utf-8"))
    assert build["zkpor"] == version
    assert (site / "assets" / "zkpor" / "worker.js").is_file()
    assert (site / "vendor" / "wheels" / f"zkpor_verifier-{version}-py3-none-any.whl").is_file()

    reproduced = _run([zkpor, "site", "reproduce", "d/site"], work, env)
    assert "every file of the site is reproduced byte for byte" in reproduced
    print(f"installed-wheel check: {time.monotonic() - started:.0f} s")
