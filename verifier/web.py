"""The browser's entry points: what the site's Web Worker calls, under Pyodide.

The worker hands over plain JavaScript functions; this module speaks to them only with
values Pyodide converts implicitly (str, int, bool, None) or with objects it already
wraps (``JsProxy`` of a ``Uint8Array``, read with ``to_bytes()``), so that it stays pure
Python, imports no ``js`` or ``pyodide`` module and is tested in CPython like the rest:

- ``read(name)`` returns the bytes of ``attestation/<name>``; or, when it did not get them,
  the HTTP status of the answer (an int; ``None`` also means 404) or, when no answer came
  (a network error, a reset, a body cut short), the browser's reason (a str);
- ``sleep(seconds)`` waits before the one retry of a failed download (``verifier.download``;
  optional: ``time.sleep``, which busy-waits under Pyodide);
- ``box_open(box_hex, nonce_hex, key_hex)`` returns the plaintext as hex, or ``None``;
- ``ed25519_verify(public_key_hex, message_hex, signature_hex)`` returns a bool;
- ``emit(event_json)`` shows one event on the page.

Every event is a JSON object with an ``event`` field: ``step`` (a ``StepResult`` plus its
``group``: ``user`` or ``attestation``, the step names being the CLI's), ``user`` (the
opened account: id and balances, shown only to the person holding the code), ``sample``
(one other batch's proof judged by the user's step 5), ``proofs`` (progress of step 3 of
the whole check), ``retry`` (a file's download failed and is tried once more: ``file``,
``reason``), ``download-failed`` (it failed again: ``file``, ``url``, ``reason``; the steps
that needed it fail with the same words) and ``done`` (``passed``, and ``totals_proven``:
whether this run verified every batch proof, the only case in which the page may say the
liabilities are proven).
Nothing secret (code, key, salt) is ever put in an event.

The page shows a green verdict only if every step of the run is OK; ``done.passed`` is
computed the same way here, and the page recomputes it from the steps it received.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from verifier.attestation import Reader, attestation_steps
from verifier.attestation2 import STEP_NAMES2
from verifier.book import FORMAT2
from verifier.bundle import NO_BUNDLE
from verifier.ceremony import TRANSCRIPT, parse_transcript
from verifier.download import DownloadError, DownloadFailed, retrying, status_error
from verifier.errors import InvalidCode, VerificationError
from verifier.manifest import MANIFEST
from verifier.manifest2 import ceremony_name, is_zkpor2
from verifier.report import StepResult, passed, run_step
from verifier.user import SAMPLES, UserCheck, UserOptions, UserReport, any_user_steps
from verifier.user2 import USER_STEP_NAMES2, UserCheck2, holdings

__all__ = ["SAMPLES", "JsBackend", "js_reader", "known_phase1_list", "verify_all", "verify_code"]

_BLAKE2B_HEX = re.compile("[0-9a-f]{128}")

#: The steps of a zkpor/2 attestation (``zkpor verify``) and of an account holder's check
#: (``zkpor verify-user``), as the Verify page lists them before a run.
BOOK_ATTESTATION_STEPS = STEP_NAMES2
BOOK_USER_STEPS = USER_STEP_NAMES2
#: What ``verifier.user2.holdings`` says of an account without debt.
NO_DEBT = "no debt"

Emit = Callable[[str], None]


def js_reader(read: Callable[[str], Any], base_url: str = "") -> Callable[[str], bytes]:
    """Return a ``Reader`` over the worker's synchronous ``read`` of the files under
    ``base_url`` (the attestation's URL, for messages): ``FileNotFoundError`` for a missing
    file, ``verifier.download.DownloadError`` for a failure worth one retry."""

    def reader(name: str) -> bytes:
        data = read(name)
        url = base_url + name
        if data is None:
            raise FileNotFoundError(name)
        if isinstance(data, bool):
            raise TypeError(f"the worker's read of {name} returned {data!r}")
        if isinstance(data, int):
            raise status_error(url, data)
        if isinstance(data, str):
            raise DownloadError(url, f"no answer from the server ({data})")
        return bytes(data.to_bytes()) if hasattr(data, "to_bytes") else bytes(data)

    return reader


def _downloads(read: Reader, emit: Emit, sleep: Callable[[float], None] | None) -> Reader:
    """Return ``read`` retrying a failed download once (``verifier.download.retrying``),
    telling the page about the retry and, if it fails again, about the failure."""

    def on_retry(name: str, error: DownloadError) -> None:
        _emit(emit, "retry", file=name, reason=error.reason)

    retried = retrying(read, sleep if sleep is not None else time.sleep, on_retry)
    reported: set[str] = set()

    def reader(name: str) -> bytes:
        try:
            return retried(name)
        except DownloadFailed as exc:
            if name not in reported:
                reported.add(name)
                _emit(emit, "download-failed", file=name, url=exc.url, reason=exc.reason)
            raise

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


def known_phase1_list(text: str) -> frozenset[str]:
    """Return the blake2b-512 digests (hex) of a JSON list: the worker's
    ``EXTRA_KNOWN_PHASE1``, empty on every shipped page (tests fill it)."""
    digests = json.loads(text)
    if not isinstance(digests, list) or not all(
        isinstance(d, str) and _BLAKE2B_HEX.fullmatch(d) for d in digests
    ):
        raise ValueError("EXTRA_KNOWN_PHASE1 must be a list of 128-hex-digit blake2b digests")
    return frozenset(digests)


def verify_code(
    read: Reader,
    code_text: str,
    backend: JsBackend,
    emit: Emit,
    extra_known_phase1: str = "[]",
    rng: Any = None,
    sleep: Callable[[float], None] | None = None,
) -> bool:
    """Run the seven steps of ``zkpor verify-user`` for ``code_text`` (step 5 with
    ``SAMPLES`` random other batches), emitting each result as it comes; return whether
    all passed. ``extra_known_phase1`` is the worker's JSON list (``known_phase1_list``);
    a failed download is retried once after ``sleep`` (``verifier.download``)."""
    options = UserOptions(extra_known_phase1=known_phase1_list(extra_known_phase1), rng=rng)
    try:
        # zkpor/1 or zkpor/2, by the manifest's format (read once, for both).
        check = any_user_steps(_downloads(read, emit, sleep), code_text, backend, options)
    except InvalidCode as exc:
        _emit(emit, "invalid-code", detail=str(exc))
        _emit(emit, "done", passed=False, totals_proven=False)
        return False
    results = []
    for number, (name, step) in enumerate(check.steps, 1):
        result = run_step(number, name, step)
        results.append(result)
        if number == 1:
            # Before the step: the page words its advice with the custodian's name.
            if check.manifest is not None:
                _emit(emit, "context", **_context_json(check))
            if check.bundle is not None:
                _emit(emit, "user", **_user_json(check))
            elif result.detail == NO_BUNDLE:
                _emit(emit, "not-found")
        _emit_step(emit, "user", result)
        if name == "batch proofs" and check.bundle is not None:
            if isinstance(check, UserCheck2):
                _emit_samples2(emit, check)
            else:
                _emit_samples(emit, check, check.bundle.batch)
    report = check.report(results)
    _emit(emit, "done", passed=report.passed, totals_proven=report.totals_proven)
    return report.passed


def _emit_samples(emit: Emit, check: UserCheck, own: int) -> None:
    """Emit one ``sample`` event per other batch whose proof step 5 judged."""
    for batch, status in sorted(check.proof_status.items()):
        if batch != own:
            detail = (
                f"the Groth16 proof of batch {batch} is valid"
                if status == "OK"
                else f"batch {batch} is not proven (see step 5)"
            )
            _emit(emit, "sample", batch=batch, status=status, detail=detail)


def _emit_samples2(emit: Emit, check: UserCheck2) -> None:
    """Emit one ``sample`` event per other batch (of any shape) step 5 judged."""
    assert check.bundle is not None
    own = (check.bundle.slots, check.bundle.batch)
    for (slots, batch), status in sorted(check.proof_status.items()):
        if (slots, batch) != own:
            name = f"{batch} of shape K = {slots}"
            detail = (
                f"the Groth16 proof of batch {name} is valid"
                if status == "OK"
                else f"batch {name} is not proven (see step 5)"
            )
            _emit(emit, "sample", batch=name, status=status, detail=detail)


def _book_user_json(check: UserCheck2) -> dict[str, Any]:
    """Return the opened zkpor/2 account: its id, where its leaf is, per asset held its
    equity and debt (units and tokens), its collateral and debt values in the quote and
    its margin ratio (None: no debt), as ``zkpor verify-user`` reports them
    (``verifier.user2.holdings``). The page shows the statement the proofs back only
    once every step passed."""
    manifest, bundle = check.manifest, check.bundle
    assert manifest is not None and bundle is not None
    figures = holdings(manifest, bundle)
    margin = figures["margin_ratio"]
    return {
        "format": FORMAT2,
        "user_id": bundle.user_id,
        "slots": bundle.slots,
        "leaf": bundle.leaf,
        "batch": bundle.batch,
        "leaf_hash": f"{bundle.leaf_hash:#066x}",
        "as_of": manifest.as_of,
        "issuer_name": manifest.issuer_name,
        "entries": [
            {
                "asset": a["symbol"],
                "equity": a["equity"],
                "equity_amount": a["equity_amount"],
                "debt": a["debt"],
                "debt_amount": a["debt_amount"],
            }
            for a in figures["assets"]
        ],
        "quote": figures["quote"],
        "price_source": figures["price_source"],
        "collateral_value": figures["collateral_value"],
        "debt_value": figures["debt_value"],
        "margin": None if margin == NO_DEBT else margin,
    }


def _user_json(check: UserCheck | UserCheck2) -> dict[str, Any]:
    """Return the opened account: its id and balances (as ``zkpor verify-user --json``),
    where its leaf is, and who counted it when (for the page's advice and receipt)."""
    if isinstance(check, UserCheck2):
        return _book_user_json(check)
    user = UserReport(check.manifest, check.bundle, ()).user_json() or {}
    if check.bundle is not None and check.manifest is not None:
        user.update(
            leaf=check.bundle.leaf,
            batch=check.bundle.batch,
            leaf_hash=f"{check.bundle.leaf_hash:#066x}",
            as_of=check.manifest.as_of,
            issuer_name=check.manifest.issuer_name,
        )
    return user


def _context_json(check: UserCheck | UserCheck2) -> dict[str, Any]:
    """Return what identifies the attestation the check read (for the page and receipt):
    for zkpor/2, the root of every shape instead of the one root."""
    if isinstance(check, UserCheck2):
        book = check.manifest
        assert book is not None
        return {
            "format": FORMAT2,
            "attestation_id": book.attestation_id,
            "manifest_sha256": check.manifest_sha256,
            "roots": {str(s.slots): f"{s.root:#066x}" for s in book.shapes},
            "as_of": book.as_of,
            "issuer_name": book.issuer_name,
            "issuer_url": book.issuer_url,
        }
    manifest = check.manifest
    assert manifest is not None
    return {
        "attestation_id": manifest.attestation_id,
        "manifest_sha256": check.manifest_sha256,
        "root": f"{manifest.tree.root:#066x}",
        "as_of": manifest.as_of,
        "issuer_name": manifest.issuer_name,
        "issuer_url": manifest.issuer_url,
    }


def _read_once(read: Reader) -> Reader:
    """Return ``read`` remembering each file's first answer, so that two checks of one
    run judge the same bytes."""
    seen: dict[str, bytes] = {}

    def reader(name: str) -> bytes:
        if name not in seen:
            seen[name] = read(name)
        return seen[name]

    return reader


def _phase1_listed(read: Reader, extra: frozenset[str]) -> bool:
    """Return whether the published transcript's phase 1 (zkpor/2: every shape's) is in
    ``extra`` (never when ``extra`` is empty, as on every shipped page)."""
    if not extra:
        return False
    try:
        names = [TRANSCRIPT]
        if is_zkpor2(read):  # one transcript per shape: each must be listed
            shapes = json.loads(read(MANIFEST))["shapes"]
            names = [ceremony_name(int(shape["slots"])) for shape in shapes]
        return all(parse_transcript(read(name)).header.ptau.blake2b in extra for name in names)
    except (OSError, VerificationError, ValueError, KeyError, TypeError):
        return False  # the trusted-setup step reports what is wrong with the transcript


def verify_all(
    read: Reader,
    backend: JsBackend,
    emit: Emit,
    extra_known_phase1: str = "[]",
    sleep: Callable[[float], None] | None = None,
) -> bool:
    """Run the ten steps of ``zkpor verify``, emitting each result and step 3's progress:
    every batch proof is verified (batched), so a pass proves the published liabilities.
    A failed download is retried once after ``sleep`` (``verifier.download``)."""

    def on_proofs(done: int, total: int) -> None:
        _emit(emit, "proofs", done=done, total=total)

    read = _read_once(_downloads(read, emit, sleep))
    allow = _phase1_listed(read, known_phase1_list(extra_known_phase1))
    steps = attestation_steps(
        read, backend, allow_dev_setup=False, on_proofs=on_proofs, allow_unknown_phase1=allow
    )
    results = []
    for number, (name, step) in enumerate(steps, 1):
        result = run_step(number, name, step)
        results.append(result)
        _emit_step(emit, "attestation", result)
    ok = passed(results)
    _emit(emit, "done", passed=ok, totals_proven=ok)
    return ok
