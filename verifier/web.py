"""The browser's entry points: what the site's Web Worker calls, under Pyodide.

The worker hands over plain JavaScript functions; this module speaks to them only with
values Pyodide converts implicitly (str, int, bool, None) or with objects it already
wraps (``JsProxy`` of a ``Uint8Array``, read with ``to_bytes()``), so that it stays pure
Python, imports no ``js`` or ``pyodide`` module and is tested in CPython like the rest:

- ``read(name)`` returns the bytes of ``attestation/<name>`` or ``None`` if it is missing;
- ``box_open(box_hex, nonce_hex, key_hex)`` returns the plaintext as hex, or ``None``;
- ``ed25519_verify(public_key_hex, message_hex, signature_hex)`` returns a bool;
- ``emit(event_json)`` shows one event on the page.

Every event is a JSON object with an ``event`` field: ``step`` (a ``StepResult`` plus its
``group``: ``user`` or ``attestation``, the step names being the CLI's), ``user`` (the
opened account: id and balances, shown only to the person holding the code), ``sample``
(one other batch's proof checked), ``proofs`` (progress of step 3) and ``done``.
Nothing secret (code, key, salt) is ever put in an event.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from verifier.attestation import (
    AttestationFiles,
    Reader,
    attestation_steps,
    batch_entries,
    file_problem,
    proof_of,
    read_manifest,
    read_vk,
)
from verifier.errors import InvalidCode, VerificationError
from verifier.groth16 import verify
from verifier.manifest import PROOFS, VK
from verifier.report import StepResult, passed, run_step
from verifier.user import UserCheck, UserReport, user_steps

__all__ = ["JsBackend", "js_reader", "sample_batches", "verify_all", "verify_code"]

#: Other batches each visitor checks after their own: together visitors cover them all.
SAMPLES = 3

Emit = Callable[[str], None]


def js_reader(read: Callable[[str], Any]) -> Callable[[str], bytes]:
    """Return a ``Reader`` over the worker's synchronous ``read``."""

    def reader(name: str) -> bytes:
        data = read(name)
        if data is None:
            raise FileNotFoundError(name)
        return bytes(data.to_bytes()) if hasattr(data, "to_bytes") else bytes(data)

    return reader


class JsBackend:
    """The crypto backend over libsodium.js: ``verifier.bundle.CryptoBackend`` and
    ``verifier.reserves.SignatureBackend``, with bytes crossing as hex."""

    def __init__(
        self,
        box_open: Callable[[str, str, str], str | None],
        ed25519_verify: Callable[[str, str, str], bool],
    ) -> None:
        self._box_open = box_open
        self._ed25519_verify = ed25519_verify

    def secretbox_open(self, box: bytes, nonce: bytes, key: bytes) -> bytes:
        """Return the plaintext of ``box``; raise ``ValueError`` if it does not open."""
        plaintext = self._box_open(box.hex(), nonce.hex(), key.hex())
        if plaintext is None:
            raise ValueError("the box does not authenticate")
        return bytes.fromhex(plaintext)

    def ed25519_verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` is a valid Ed25519 signature of ``message``."""
        return bool(self._ed25519_verify(public_key.hex(), message.hex(), signature.hex()))


def _emit(emit: Emit, event: str, **fields: Any) -> None:
    emit(json.dumps({"event": event, **fields}, sort_keys=True))


def _emit_step(emit: Emit, group: str, result: StepResult) -> None:
    _emit(emit, "step", group=group, **result.to_json())


def verify_code(read: Reader, code_text: str, backend: JsBackend, emit: Emit) -> bool:
    """Run the six steps of ``zkpor verify-user`` for ``code_text``, emitting each result
    as it comes, then check a few random other batches; return whether all passed."""
    try:
        check = user_steps(read, code_text, backend)
    except InvalidCode as exc:
        _emit(emit, "invalid-code", detail=str(exc))
        _emit(emit, "done", passed=False)
        return False
    results = []
    for number, (name, step) in enumerate(check.steps, 1):
        result = run_step(number, name, step)
        results.append(result)
        _emit_step(emit, "user", result)
        if number == 1 and check.bundle is not None:
            _emit(emit, "user", **_user_json(check))
    ok = passed(results)
    if check.bundle is not None:
        ok = sample_batches(check.files, emit, exclude=check.bundle.batch) and ok
    _emit(emit, "done", passed=ok)
    return ok


def _user_json(check: UserCheck) -> dict[str, Any]:
    """Return the opened account's id and balances, as ``zkpor verify-user --json``."""
    return UserReport(check.manifest, check.bundle, ()).user_json() or {}


def sample_batches(
    files: AttestationFiles, emit: Emit, exclude: int, count: int = SAMPLES, rng: Any = None
) -> bool:
    """Check the proofs of ``count`` random batches other than ``exclude``, emitting each.

    ``files`` are the ones the user's check read, so every batch is judged on the same
    bytes; proofs.json and vk.json must hash to what the manifest lists. The choice comes
    from the OS (``crypto.getRandomValues`` under Pyodide), so the publisher cannot
    predict which batches a visitor will check.
    """
    rng = rng or secrets.SystemRandom()
    try:
        manifest, problem = read_manifest(files)
        if problem:
            raise VerificationError(problem)
        for name in (PROOFS, VK):
            listed = manifest.files.get(name)
            problem = f"the manifest lists no {name}" if listed is None else None
            if problem or (problem := file_problem(files, name, listed or "")):
                raise VerificationError(problem)
        entries = batch_entries(files, manifest.tree.batches)
        vk = read_vk(files)
    except VerificationError as exc:
        _emit(emit, "sample", batch=None, status="FAIL", detail=str(exc))
        return False
    others = [entry for entry in entries if entry.batch != exclude]
    ok = True
    for entry in sorted(rng.sample(others, min(count, len(others))), key=lambda e: e.batch):
        try:
            verify(vk, entry.public, proof_of(entry))
            status, detail = "OK", f"the Groth16 proof of batch {entry.batch} is valid"
        except VerificationError as exc:
            status, detail, ok = "FAIL", f"batch {entry.batch} is not proven: {exc}", False
        _emit(emit, "sample", batch=entry.batch, status=status, detail=detail)
    return ok


def verify_all(read: Reader, backend: JsBackend, emit: Emit) -> bool:
    """Run the nine steps of ``zkpor verify``, emitting each result and step 3's progress."""

    def on_proofs(done: int, total: int) -> None:
        _emit(emit, "proofs", done=done, total=total)

    steps = attestation_steps(read, backend, allow_dev_setup=False, on_proofs=on_proofs)
    results = []
    for number, (name, step) in enumerate(steps, 1):
        result = run_step(number, name, step)
        results.append(result)
        _emit_step(emit, "attestation", result)
    ok = passed(results)
    _emit(emit, "done", passed=ok)
    return ok
