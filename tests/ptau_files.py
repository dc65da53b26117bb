"""Powers of Tau files made by snarkjs for the tests.

``snarkjs powersoftau prepare phase2`` is slow (about 1 s at power 5 but ~50 s at power 11
on one core), so files are cached in pytest's cache directory (``.pytest_cache``), keyed
by the snarkjs version and how they were made, and made under a file lock so that xdist
workers make each file once. Delete ``.pytest_cache`` to make them afresh.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests import peers


def cache_dir(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder where ptau files are kept between test sessions."""
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("zkpor-ptau"))
    return tmp_path_factory.getbasetemp().parent / "zkpor-ptau"


def _snarkjs_version() -> str:
    package = peers.require("snarkjs") / "package.json"
    return str(json.loads(package.read_text())["version"])


def _run(*args: str | Path, cwd: Path) -> None:
    run = peers.snarkjs(*args, cwd=cwd)
    if run.code != 0:
        pytest.fail(f"snarkjs {' '.join(map(str, args))} failed:\n{run.output}")


def make_ptau(
    cache: Path,
    power: int,
    contributors: Sequence[str] = ("alice",),
    prepare: bool = True,
    label: str = "a",
) -> Path:
    """Return a ptau file of ``power`` made by snarkjs: ``new``, one ``contribute`` per
    name (entropy from ``secrets``), then ``prepare phase2`` unless ``prepare`` is False.

    Files with another ``label`` are independent ceremonies (another tau).
    """
    tag = "-".join(contributors) or "none"
    name = f"{label}-p{power}-{tag}-{'prepared' if prepare else 'raw'}-{_snarkjs_version()}.ptau"
    target = cache / name
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        work = Path(tempfile.mkdtemp(dir=cache, prefix=".make-"))
        try:
            _run("powersoftau", "new", "bn128", str(power), "0.ptau", cwd=work)
            for k, person in enumerate(contributors):
                entropy = secrets.token_hex(16)
                _run(
                    "powersoftau", "contribute", f"{k}.ptau", f"{k + 1}.ptau",
                    f"--name={person}", f"-e={entropy}", cwd=work,
                )  # fmt: skip
            last = work / f"{len(contributors)}.ptau"
            if prepare:
                _run("powersoftau", "prepare", "phase2", last.name, "final.ptau", cwd=work)
                last = work / "final.ptau"
            os.replace(last, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target
