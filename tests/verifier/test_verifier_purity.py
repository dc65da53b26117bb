"""``verifier`` must run unchanged in Pyodide: stdlib + py_ecc only, nothing of the publisher."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import verifier
from tests.paths import REPO

FORBIDDEN = {"publisher", "typer", "mkdocs", "nacl", "gmpy2", "rich", "click"}


def test_importing_every_verifier_module_pulls_in_nothing_forbidden() -> None:
    modules = [f"verifier.{m.name}" for m in pkgutil.iter_modules(verifier.__path__)]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(out.stdout))
    assert "verifier" in loaded and "py_ecc" in loaded
    assert not loaded & FORBIDDEN, loaded & FORBIDDEN
