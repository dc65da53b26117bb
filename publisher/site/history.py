"""Earlier attestations for the History page: found once, then kept inside the site.

``--history`` names earlier attestations: a manifest file, an attestation folder, a site
folder, or the URL of either. Their manifests are copied into the site as
``history/<sha256>.json``, so that the page can link them and ``zkpor site reproduce``
rebuilds the page from the site alone, without fetching anything.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from verifier.attestation import AttestationFiles, read_manifest
from verifier.errors import VerificationError, ZkporError
from verifier.manifest import MANIFEST, Manifest

TIMEOUT = 30.0
MAX_MANIFEST_BYTES = 4 * 1024 * 1024


class HistoryError(ZkporError):
    """An earlier attestation named by --history cannot be read."""


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


def parse_manifest(data: bytes, where: str) -> Manifest:
    """Return the manifest in ``data``, or raise ``HistoryError`` naming ``where``."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise HistoryError(f"{where} is larger than {MAX_MANIFEST_BYTES} bytes")
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
        out[f"history/{hashlib.sha256(data).hexdigest()}.json"] = data
    return sorted(out.items())


def load_history(files: Sequence[tuple[str, bytes]]) -> list[tuple[str, Manifest]]:
    """Return (site path, manifest) of the history files a site carries."""
    return [(name, parse_manifest(data, name)) for name, data in files]
