"""Earlier attestations for the History page: found once, then kept inside the site.

``--history`` names earlier attestations: a manifest file, an attestation folder, a site
folder, or the URL of either. Their manifests are copied into the site as
``history/<sha256>.json``, so that the page can link them and ``zkpor site reproduce``
rebuilds the page from the site alone, without fetching anything.

A history file's name is its content's address: exactly ``history/<sha256 of the
bytes>.json``, checked whenever a site is built or reproduced. A ``build.json`` can then
name neither a file outside ``history/`` (such as ``verify/index.html``) nor a file whose
content is not the manifest it claims.
"""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from publisher.site.book import BookManifest, is_book, read_book_manifest
from verifier.attestation import AttestationFiles, read_manifest
from verifier.errors import VerificationError, ZkporError
from verifier.manifest import MANIFEST, Manifest

TIMEOUT = 30.0
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
HISTORY_NAME = re.compile(r"history/[0-9a-f]{64}\.json")


class HistoryError(ZkporError):
    """An earlier attestation named by --history cannot be read."""


def history_name(data: bytes) -> str:
    """Return the site path of an earlier manifest: ``history/<sha256 of data>.json``."""
    return f"history/{hashlib.sha256(data).hexdigest()}.json"


def history_name_problem(name: object) -> str | None:
    """Return why ``name`` cannot be a history file of a site, or None."""
    if not isinstance(name, str) or not HISTORY_NAME.fullmatch(name):
        return "must be history/<64 lowercase hex digits>.json"
    return None


def check_history_name(name: object) -> None:
    """Raise ``HistoryError`` unless ``name`` has the form of a history file's name."""
    if problem := history_name_problem(name):
        raise HistoryError(f"the history entry {name!r} {problem}")


def _candidates(source: str) -> list[str]:
    if source.endswith(".json"):
        return [source]
    base = source.rstrip("/")
    return [f"{base}/{MANIFEST}", f"{base}/attestation/{MANIFEST}"]


def _get(location: str) -> bytes | None:
    if location.startswith(("https://", "http://")):
        try:
            with urllib.request.urlopen(location, timeout=TIMEOUT) as response:
                return bytes(response.read(MAX_MANIFEST_BYTES + 1))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise HistoryError(f"{location}: HTTP {exc.code}") from exc
        except OSError as exc:
            raise HistoryError(f"cannot fetch {location}: {exc}") from exc
    path = Path(location)
    return path.read_bytes() if path.is_file() else None


def parse_manifest(data: bytes, where: str) -> Manifest | BookManifest:
    """Return the manifest in ``data`` (zkpor/1, or the view of a zkpor/2 one), or raise
    ``HistoryError`` naming ``where``."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise HistoryError(f"{where} is larger than {MAX_MANIFEST_BYTES} bytes")
    if is_book(data):
        try:
            return BookManifest.of(read_book_manifest(data))
        except VerificationError as exc:
            raise HistoryError(f"{where} is not a zkpor/2 manifest: {exc}") from exc
    try:
        manifest, problem = read_manifest(AttestationFiles(lambda _: data))
    except VerificationError as exc:
        raise HistoryError(f"{where} is not a zkpor/1 manifest: {exc}") from exc
    if problem:
        raise HistoryError(f"{where} is not a zkpor/1 manifest: {problem}")
    return manifest


def fetch_history(sources: Sequence[str]) -> list[tuple[str, bytes]]:
    """Return (``history/<sha256>.json``, manifest bytes) for each source, in order."""
    out: dict[str, bytes] = {}
    for source in sources:
        for location in _candidates(source):
            data = _get(location)
            if data is not None:
                break
        else:
            raise HistoryError(f"--history {source}: no {MANIFEST} there")
        parse_manifest(data, location)
        out[history_name(data)] = data
    return sorted(out.items())


def load_history(
    files: Sequence[tuple[str, bytes]],
) -> list[tuple[str, Manifest | BookManifest]]:
    """Return (site path, manifest) of the history files a site carries, once each name
    is ``history/<sha256>.json`` of its own content."""
    out = []
    for name, data in files:
        check_history_name(name)
        if name != history_name(data):
            raise HistoryError(
                f"{name} holds content of sha256 {hashlib.sha256(data).hexdigest()}: a history "
                "file must be named after the sha256 of its content"
            )
        out.append((name, parse_manifest(data, name)))
    return out
