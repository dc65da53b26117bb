"""The real peer implementations the tests check zkpor against, run through node.

They are installed by ``make install-test`` (``npm ci`` in tests/js, versions pinned in
its package-lock.json). A missing peer fails the test with that hint: interop tests are
never skipped, or a broken install would pass silently.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

JS_DIR = Path(__file__).resolve().parent / "js"
NODE_MODULES = JS_DIR / "node_modules"
SNARKJS = NODE_MODULES / "snarkjs" / "build" / "cli.cjs"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Run:
    """The exit code and the colour-stripped output (stdout then stderr) of a peer."""

    code: int
    output: str


def node() -> str:
    """Return the path of node, failing the test if Node.js is missing."""
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not on PATH: install Node.js, then run `make install-test`")
    return found


def require(package: str) -> Path:
    """Return the install folder of an npm ``package``, failing the test if it is missing."""
    folder = NODE_MODULES / package
    if not folder.is_dir():
        pytest.fail(f"{package} is not installed in {NODE_MODULES}: run `make install-test`")
    return folder


def snarkjs(*args: str | Path, cwd: Path | None = None, timeout: float = 600) -> Run:
    """Run the snarkjs CLI with ``args`` and return what it did."""
    require("snarkjs")
    done = subprocess.run(
        [node(), str(SNARKJS), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, _ANSI.sub("", done.stdout + done.stderr))


def anvil() -> Path:
    """Return the anvil binary (npm ``@foundry-rs/anvil-linux-amd64``, a local Ethereum
    node), failing the test if it is missing."""
    binary = NODE_MODULES / ".bin" / "anvil"
    if not binary.is_file():
        pytest.fail(
            f"anvil is not installed in {NODE_MODULES} (npm @foundry-rs/anvil-linux-amd64, "
            "Linux x64 only): run `make install-test`"
        )
    return binary
