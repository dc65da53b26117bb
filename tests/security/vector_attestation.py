"""A small ceremony attestation to forge, and the two CLI checks to run on a forgery.

The attestation is the protocol vectors' (``tests/vectors/protocol/attestation``, made by
``python -m tests.vectors.protocol.make_vectors``): 4 assets, arity 2, batch depth 1,
3 batches, bundles, reserves and a ``zkpor-ceremony/2`` transcript whose key is vk.json.
Its phase 1 is a stand-in, so every check runs with ``--allow-unknown-phase1``; a
forgery is a copy whose files an adversary rewrote, sha256 list included.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import Result
from typer.testing import CliRunner

from publisher.cli.main import app
from tests.paths import VECTORS as ALL_VECTORS
from tests.security.user_check_support import verify_user
from verifier.manifest import MANIFEST

__all__ = [
    "ALLOW",
    "code_of",
    "copy_vectors",
    "read_json",
    "steps_of",
    "verify",
    "verify_user",
    "write_json",
]

VECTORS = ALL_VECTORS / "protocol"
#: The vectors' phase 1 is not a pinned public file: accepted on request.
ALLOW = "--allow-unknown-phase1"


def copy_vectors(out: Path) -> Path:
    """Return a fresh copy of the vectors' attestation at ``out``, to forge."""
    shutil.copytree(VECTORS / "attestation", out)
    return out


def code_of(user_id: str) -> str:
    """Return the verification code of ``user_id`` in the vectors' attestation."""
    expected = json.loads((VECTORS / "attestation_expected.json").read_text())
    return next(u["code"] for u in expected["users"] if u["user_id"] == user_id)


def read_json(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def write_json(folder: Path, name: str, doc: Any) -> None:
    """Write ``doc`` as file ``name`` and, unless it is the manifest, list its new sha256
    in the manifest: the adversary writes every file, so no stale hash catches it."""
    data = (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()
    (folder / name).write_bytes(data)
    if name != MANIFEST:
        manifest = read_json(folder, MANIFEST)
        manifest["files"][name] = hashlib.sha256(data).hexdigest()
        write_json(folder, MANIFEST, manifest)


def verify(folder: Path, *flags: str) -> tuple[Result, dict[str, Any]]:
    """Run ``zkpor verify`` as text and as ``--json``; return the text run and the report."""
    runner = CliRunner()
    text = runner.invoke(app, ["verify", str(folder), *flags])
    as_json = runner.invoke(app, ["verify", str(folder), *flags, "--json"])
    assert as_json.exit_code == text.exit_code, (text.output, as_json.output)
    return text, json.loads(as_json.output)


def steps_of(report: dict[str, Any]) -> dict[int, tuple[str, str]]:
    """Return step number -> (status, detail) of a ``--json`` report."""
    steps = report["steps"]
    assert isinstance(steps, list)
    return {s["number"]: (s["status"], s["detail"]) for s in steps}
