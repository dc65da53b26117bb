"""``zkpor doctor``: what this zkpor runs on, and what zkpor's own tests would need.

Exit codes: 0, or 1 when the prover cannot run (a ``ZKPOR_BACKEND`` or ``ZKPOR_THREADS``
it refuses). A missing test tool is reported, never an error: only the tests need it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import typer
from rich.console import Console

from publisher.snark import backend
from verifier import __version__

console = Console(highlight=False, soft_wrap=True)
#: The checkout zkpor runs from, if it does (an editable install): its tests/js peers.
CHECKOUT = Path(__file__).resolve().parents[2]
#: The browser the site tests drive (tests/site_fixtures.py).
CHROMIUM = Path("/usr/bin/chromium")
BUILD_HINT = "reinstall with gcc and the Python headers (Debian: apt-get install gcc python3-dev)"
TEST_HINT = "only zkpor's own tests need it (make install-test)"


def backend_line() -> str:
    """The backend in use and why, in one line (``zkpor --version``)."""
    return _backend()[0]


def _backend() -> tuple[str, bool]:
    """Return the backend line and whether the prover can run on it."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # the fallback's warning: said here
            backend.native()
        backend.threads()
        return backend.describe(), True
    except backend.BackendError as exc:  # e.g. ZKPOR_BACKEND=native without the kernels
        return f"unusable: {exc}", False


def _threads() -> str:
    if backend.name() == "python":
        return "1 per worker process (the pure-Python prover)"
    count = backend.threads()
    if os.environ.get(backend.THREADS_ENV, "").strip():
        return f"{count} per proof ({backend.THREADS_ENV})"
    return (
        f"{count} per proof (every CPU, unless {backend.THREADS_ENV} is set; "
        f"N local workers get {count} // N each)"
    )


def _gmpy2() -> str:
    try:
        import gmpy2
    except ImportError as exc:
        return f"missing ({exc}): pip install gmpy2"
    return str(gmpy2.version())


def _tool(command: list[str]) -> str:
    """``version (path)`` of a program, or why not."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{command[0]} does not run ({exc})"
    lines = done.stdout.strip().splitlines()
    return f"{lines[0] if lines else '?'} ({command[0]})" if done.returncode == 0 else "fails"


def _node() -> str:
    found = shutil.which("node")
    return _tool([found, "--version"]) if found else f"not found: {TEST_HINT}"


def _snarkjs() -> str:
    package = CHECKOUT / "tests" / "js" / "node_modules" / "snarkjs" / "package.json"
    if package.is_file():
        version = json.loads(package.read_text(encoding="utf-8")).get("version", "?")
        return f"{version} ({package.parent})"
    return f"not found in a checkout's tests/js: {TEST_HINT}"


def _chromium() -> str:
    found = str(CHROMIUM) if CHROMIUM.is_file() else shutil.which("chromium")
    return _tool([found, "--version"]) if found else f"not found: {TEST_HINT}"


def doctor() -> None:
    """Print the version, the prover's backend and threads, Python, gmpy2 and the test tools."""
    line, usable = _backend()
    rows = [("zkpor", __version__), ("backend", line)]
    if usable:
        if backend.name() == "python" and not backend.native_built():
            rows.append(("", f"to build the native kernels: {BUILD_HINT}"))
        if backend.name() == "native":
            rows.append(("field", backend.field_arithmetic()))
        rows.append(("threads", _threads()))
    rows += [
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("gmpy2", _gmpy2()),
        ("node", _node()),
        ("snarkjs", _snarkjs()),
        ("chromium", _chromium()),
    ]
    for name, value in rows:
        console.print(f"{name:<10}{value}", markup=False)
    if not usable:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``doctor`` to ``app``."""
    app.command("doctor")(doctor)
