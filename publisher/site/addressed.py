"""Content-addressed paths: the name of every file the Verify page loads carries its hash.

A host may then let browsers cache those files for a year (``Cache-Control: public,
max-age=31536000, immutable``): a file that changes gets a new name, so nothing stale is
ever used, and a second visit loads nothing but the pages and the attestation again.

Every such file is served as ``v/<h>/<name>``, its upstream ``<name>`` unchanged (Pyodide
reads a wheel's name; a licence keeps its own), where ``<h>`` is the first ``HEX_DIGITS``
hex digits of a SHA-256:

* of the file itself, for a file alone in its folder (every file but Pyodide's);
* of the folder's listing, for a *bundle*: files that load each other by name from one
  folder (Pyodide loads ``pyodide.asm.wasm`` and ``python_stdlib.zip`` from the folder of
  ``pyodide.asm.mjs``). The listing is ``sha256sum``'s output for the folder, one line
  ``<sha256>  <name>\\n`` per file, sorted by name, so any change to any of its files
  renames the folder.

The folders sit at depth 2 below the site root, as ``assets/zkpor/`` did: ``verify.js``
finds the site root at ``../../`` from its own URL.

Files are given by a *logical name*: ``<bundle>/<name>`` for a file of a bundle,
``<name>`` for a file alone. The hash is no security measure (every file the page loads is
pinned by subresource integrity); it only names the content.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

#: The folder of the content-addressed files, at the site root.
CONTENT_DIR = "v"
#: Hex digits of the SHA-256 in a folder's name (64 bits: no two contents collide by chance).
HEX_DIGITS = 16
#: A content-addressed site path, as ``is_content_addressed`` recognizes it.
_ADDRESSED = re.compile(rf"{CONTENT_DIR}/[0-9a-f]{{{HEX_DIGITS}}}/[^/]+")
#: A logical name: a file name, optionally below one bundle folder.
_LOGICAL = re.compile(r"(?:[A-Za-z0-9._-]+/)?[A-Za-z0-9._+-]+")


def listing(files: Mapping[str, bytes]) -> bytes:
    """Return ``sha256sum``'s output for a folder holding ``files`` (name -> bytes)."""
    lines = (f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files.items())
    return "".join(sorted(lines, key=lambda line: line[66:])).encode()


def folder_digest(files: Mapping[str, bytes], bundle: bool) -> str:
    """Return the folder name of ``files``: the hash of the one file, or of the listing of
    a bundle."""
    if bundle:
        data = listing(files)
    elif len(files) == 1:
        [data] = files.values()
    else:
        raise ValueError(f"{len(files)} files in a folder that is not a bundle")
    return hashlib.sha256(data).hexdigest()[:HEX_DIGITS]


def place(files: Mapping[str, bytes]) -> dict[str, str]:
    """Return the site path of every file, by logical name (see the module docstring).

    Raises ``ValueError`` for a name that is not a logical name, or for two files that
    would get the same site path (two names the same after their bundle is dropped cannot
    share a folder, and two files alone share one only when their bytes are the same).
    """
    bundles: dict[str, dict[str, bytes]] = {}
    for logical, data in files.items():
        if not _LOGICAL.fullmatch(logical) or logical.startswith(".") or "/." in logical:
            raise ValueError(f"not a logical file name: {logical!r}")
        bundle, _, name = logical.rpartition("/")
        if bundle:
            bundles.setdefault(bundle, {})[name] = data
    out: dict[str, str] = {}
    for logical, data in files.items():
        bundle, _, name = logical.rpartition("/")
        members = bundles[bundle] if bundle else {name: data}
        out[logical] = f"{CONTENT_DIR}/{folder_digest(members, bool(bundle))}/{name}"
    paths = list(out.values())
    if len(set(paths)) != len(paths):
        clash = sorted(p for p in paths if paths.count(p) > 1)
        raise ValueError(f"two files would be served as {clash[0]}")
    return out


def is_content_addressed(site_path: str) -> bool:
    """Return whether ``site_path`` (relative to the site root, no leading ``/``) is the
    path of a content-addressed file, ``v/<16 hex digits>/<name>``."""
    return _ADDRESSED.fullmatch(site_path) is not None
