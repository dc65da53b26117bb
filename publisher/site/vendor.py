"""The browser verifier's third-party files: pinned by hash, fetched once, served by the site.

The site loads nothing from a CDN. Pyodide's core files, libsodium.js and the ``py_ecc``
wheel are copied into the site tree from their upstream archives (npm tarballs, a PyPI
wheel). ``ARCHIVES`` is the whole trust decision, as data: for each archive the URL, the
hash its registry publishes (npm ``integrity``, PyPI ``sha256``), and for every file taken
out of it its name on the site and the sha256 of the bytes served. The site serves each
file under a content-addressed path, ``v/<hash>/<name>`` (``publisher.site.addressed``):
a name ``<bundle>/<file>`` puts the file in one folder with the rest of its bundle
(Pyodide, libsodium.js), whose files load each other by name. A reviewer checks the table
against ``npm view <pkg>@<version> dist.integrity`` and the PyPI index, nothing else.

Archives are downloaded once into ``$ZKPOR_VENDOR_CACHE`` (default
``~/.cache/zkpor/vendor``; separate from ``$ZKPOR_CACHE`` so that tests which redirect the
key cache do not download 6.5 MB again). An archive is checked before it is stored and
every time it is read; a cached archive that fails is deleted and fetched again, a download
that fails is refused. Offline, pre-seed the cache by copying the archives into it.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import os
import tarfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from publisher.files import write_atomic
from verifier.errors import ZkporError

#: Seconds a connection or a read may stall before a download is abandoned.
TIMEOUT = 60.0
USER_AGENT = "zkpor (site vendoring; Python-urllib)"
_CHUNK = 1 << 16


class VendorError(ZkporError):
    """A pinned archive could not be fetched, or its bytes are not the pinned ones."""


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class VendorFile:
    """One file the site serves, taken from an archive.

    ``member`` is the path inside an npm tarball, or ``None`` for the archive itself (a
    wheel is served as is). ``name`` is the file's logical name on the site
    (``publisher.site.addressed``: ``<bundle>/<name>`` or ``<name>``). ``rewrite`` replaces
    one exact byte string, which must occur exactly once, before ``sha256`` (of the bytes
    served) is checked.
    """

    member: str | None
    name: str
    sha256: str
    rewrite: tuple[bytes, bytes] | None = None


@dataclass(frozen=True)
class Archive:
    """An upstream archive: where it is, the hash its registry publishes, what we take."""

    name: str
    version: str
    license: str
    url: str
    #: ``sha512-<base64>`` (npm's ``integrity``) or ``sha256:<hex>`` (PyPI's digest).
    digest: str
    files: tuple[VendorFile, ...]

    @property
    def filename(self) -> str:
        """Return the name the archive is cached under (the last part of its URL)."""
        return self.url.rsplit("/", 1)[-1]


_NPM = "https://registry.npmjs.org"
#: Bundles, whose files share one folder on the site. Pyodide loads pyodide.asm.wasm and
#: python_stdlib.zip from the folder of pyodide.asm.mjs (the worker's indexURL); the
#: libsodium.js wrappers import the core as their sibling file.
_PYODIDE = "pyodide/"
_SODIUM = "libsodium/"
_ESM = "package/dist/modules-sumo-esm/"

ARCHIVES: tuple[Archive, ...] = (
    Archive(
        name="pyodide",
        version="314.0.7",
        license="MPL-2.0",
        url=f"{_NPM}/pyodide/-/pyodide-314.0.7.tgz",
        digest="sha512-0YvXxEhfEdpLfb/XkM2BFAeMROq0iMUX2bzzH9pOttyMcWkwq+HbE5uyuGD82LN7y2q+"
        "SNvi/6V5JEsOlD2R1A==",
        files=(
            # The npm package has no LICENSE file (its package.json says MPL-2.0).
            VendorFile(
                "package/pyodide.mjs",
                _PYODIDE + "pyodide.mjs",
                "6f1d60f7bf529beb300f0f47983c921d3982363640ba20af0e38efdddbc66109",
            ),
            VendorFile(
                "package/pyodide.asm.mjs",
                _PYODIDE + "pyodide.asm.mjs",
                "f7cdc8ece80678ceb712f8e65ebe6d3a83203a180c399865f49612a051693635",
            ),
            VendorFile(
                "package/pyodide.asm.wasm",
                _PYODIDE + "pyodide.asm.wasm",
                "cc36e3cab04fdfc9a63ff13eb52eae2b911bf46c025cc7b281f394bd3de1d5e6",
            ),
            VendorFile(
                "package/python_stdlib.zip",
                _PYODIDE + "python_stdlib.zip",
                "fa1957e5777068fc4f7437f96d860ae2fbe9c19732ba06c84e004ec16dd7dd7a",
            ),
            VendorFile(
                "package/pyodide-lock.json",
                _PYODIDE + "pyodide-lock.json",
                "5dc2fc119108bc148c7457dc86e7675b5c87e1cafd420b9c34c1eaef7b36c010",
            ),
        ),
    ),
    Archive(
        name="libsodium-wrappers-sumo",
        version="0.8.4",
        license="ISC",
        url=f"{_NPM}/libsodium-wrappers-sumo/-/libsodium-wrappers-sumo-0.8.4.tgz",
        digest="sha512-ql7hcgulKZ3ekfa2DGAogcCKsWU0diA/0nArz1CFzh93WQdb46/Kj18ka/Hifq6uA3Ush"
        "34Pc6vU/6HXeRwUkg==",
        files=(
            # The upstream module imports the bare specifier "libsodium-sumo", which only
            # a bundler or an import map resolves, and module workers have no import maps:
            # point it at the sibling file. Upstream sha256 of this member:
            # 40de1ef7cb8f2caae02c2a8f04809151904fa28cb9364cadedc57af89a6c9284.
            VendorFile(
                _ESM + "libsodium-wrappers.mjs",
                _SODIUM + "libsodium-wrappers.mjs",
                "5f8560f2d9822d138ca4ff1a63cbb1c378115140f2905438d7458b514cb9f608",
                rewrite=(b'from"libsodium-sumo"', b'from"./libsodium-sumo.mjs"'),
            ),
            VendorFile(
                "package/LICENSE",
                _SODIUM + "LICENSE-libsodium-wrappers-sumo.txt",
                "ce7b8ba14db085aadb72359226ccf7273225db31dad653242a7726a10dabbbd4",
            ),
        ),
    ),
    Archive(
        name="libsodium-sumo",
        version="0.8.4",
        license="ISC",
        url=f"{_NPM}/libsodium-sumo/-/libsodium-sumo-0.8.4.tgz",
        digest="sha512-TMtHShQfVVsaxDygyapvUC3o7YsPgXa/hRWeIgzyFz6w5k/1hirGptCxp1U7XwW3rCskaT"
        "TYKgV10v86UiGgNw==",
        files=(
            # One file: the WebAssembly module is embedded in it.
            VendorFile(
                _ESM + "libsodium-sumo.mjs",
                _SODIUM + "libsodium-sumo.mjs",
                "4c94708f7e78eac7a32b29e2ce0ff96f4bd599d78c129f27bf8a061e20776c8c",
            ),
            VendorFile(
                "package/LICENSE",
                _SODIUM + "LICENSE-libsodium-sumo.txt",
                "ce7b8ba14db085aadb72359226ccf7273225db31dad653242a7726a10dabbbd4",
            ),
        ),
    ),
    Archive(
        # Only py_ecc.optimized_bn128 (and secp256k1) is used: both import the stdlib only,
        # so py_ecc's declared dependencies (eth-typing, eth-utils) are not served.
        name="py_ecc",
        version="8.0.0",
        license="MIT",
        url="https://files.pythonhosted.org/packages/81/58/"
        "383335eac96d2f1aba78741c6ce128c54e7eba2ea1dc47408257d751d35c/"
        "py_ecc-8.0.0-py3-none-any.whl",
        digest="sha256:c0b2dfc4bde67a55122a392591a10e851a986d5128f680628c80b405f7663e13",
        files=(
            VendorFile(
                None,
                "py_ecc-8.0.0-py3-none-any.whl",
                "c0b2dfc4bde67a55122a392591a10e851a986d5128f680628c80b405f7663e13",
            ),
        ),
    ),
)


@dataclass(frozen=True)
class Component:
    """A third-party component the site ships, for the site's credits and Reproduce pages."""

    name: str
    version: str
    license: str
    source: str


VENDORED: tuple[Component, ...] = tuple(
    Component(a.name, a.version, a.license, a.url) for a in ARCHIVES
)


def vendor_cache_dir() -> Path:
    """Return where archives are cached: ``$ZKPOR_VENDOR_CACHE`` or ``~/.cache/zkpor/vendor``."""
    env = os.environ.get("ZKPOR_VENDOR_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "zkpor" / "vendor"


def sri(data: bytes) -> str:
    """Return the subresource-integrity value (``sha384-<base64>``) of ``data``."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def vendor_files(
    cache: Path | None = None,
    console: Console | None = None,
    archives: Sequence[Archive] = ARCHIVES,
) -> dict[str, bytes]:
    """Return every vendored file as logical name -> bytes, sorted by name.

    Each archive is read from ``cache`` (default ``vendor_cache_dir()``) or fetched into it
    once; ``console``, if given, shows what is fetched and a progress bar. Raises
    ``VendorError`` when an archive cannot be had with its pinned hash, or a file taken
    from it is not the pinned one.
    """
    cache = vendor_cache_dir() if cache is None else cache
    out: dict[str, bytes] = {}
    for archive in archives:
        data = _archive_bytes(archive, cache, console)
        members = _members(archive, data)
        for item in archive.files:
            if item.name in out:
                raise VendorError(f"two vendored files have the name {item.name}")
            content = data if item.member is None else members[item.member]
            out[item.name] = _checked(archive, item, content)
    return dict(sorted(out.items()))


def _archive_bytes(archive: Archive, cache: Path, console: Console | None) -> bytes:
    """Return the archive's bytes, checked, from the cache or else downloaded into it."""
    path = cache / archive.filename
    if path.is_file():
        data = path.read_bytes()
        if _actual_digest(data, archive.digest) == archive.digest:
            return data
        if console is not None:
            console.print(f"cached {path} does not match its pinned hash: fetching it again")
        path.unlink(missing_ok=True)
    data = _download(archive, cache, console)
    actual = _actual_digest(data, archive.digest)
    if actual != archive.digest:
        raise VendorError(
            f"{archive.url} does not have the pinned hash: expected {archive.digest}, "
            f"got {actual}; it was not stored"
        )
    write_atomic(path, data)
    return data


def _actual_digest(data: bytes, pinned: str) -> str:
    """Return the digest of ``data`` in the algorithm and notation of ``pinned``."""
    if pinned.startswith("sha512-"):
        return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    if pinned.startswith("sha256:"):
        return "sha256:" + hashlib.sha256(data).hexdigest()
    raise VendorError(f"unsupported digest notation {pinned!r} (sha512-<b64> or sha256:<hex>)")


def _download(archive: Archive, cache: Path, console: Console | None) -> bytes:
    """Return the bytes at ``archive.url``; on failure say how to pre-seed ``cache``."""
    request = urllib.request.Request(archive.url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            size = int(response.headers.get("Content-Length") or 0) or None
            if console is None:
                return bytes(response.read())
            return _read_with_progress(response, archive.filename, size, console)
    except (OSError, http.client.HTTPException) as exc:  # URLError is an OSError
        reason = _reason(exc)
        raise VendorError(
            f"cannot fetch {archive.url} ({reason}) and the cache {cache} does not have it. "
            f"To build offline, pre-seed the cache: copy {archive.filename} (checked against "
            f"{archive.digest}) into {cache}/ or point $ZKPOR_VENDOR_CACHE at a directory "
            "that has it."
        ) from exc


def _reason(exc: Exception) -> str:
    """Return a short account of why a download failed ("HTTP Error 404: Not Found")."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _read_with_progress(
    response: _Readable, label: str, size: int | None, console: Console
) -> bytes:
    """Read ``response`` to the end while a rich progress bar on ``console`` shows it."""
    buf = bytearray()
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    with Progress(*columns, TransferSpeedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(f"fetching {label}", total=size)
        while chunk := response.read(_CHUNK):
            buf += chunk
            bar.update(task, advance=len(chunk))
    console.print(f"fetched {label} ({len(buf):,} bytes)")
    return bytes(buf)


def _members(archive: Archive, data: bytes) -> dict[str, bytes]:
    """Return the wanted members of an npm tarball, read in one pass over the stream."""
    wanted = {item.member for item in archive.files if item.member is not None}
    found: dict[str, bytes] = {}
    if not wanted:
        return found
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for info in tar:
            if info.name not in wanted:
                continue
            member = tar.extractfile(info) if info.isfile() else None
            if member is None:
                raise VendorError(f"{info.name} in {archive.filename} is not a regular file")
            found[info.name] = member.read()
    missing = sorted(wanted - found.keys())
    if missing:
        raise VendorError(f"{archive.filename} has no {', '.join(missing)}")
    return found


def _checked(archive: Archive, item: VendorFile, content: bytes) -> bytes:
    """Return ``content`` rewritten if ``item`` says so, after checking its pinned sha256."""
    if item.rewrite is not None:
        old, new = item.rewrite
        if content.count(old) != 1:
            raise VendorError(f"{item.member} does not contain {old!r} exactly once")
        content = content.replace(old, new)
    actual = hashlib.sha256(content).hexdigest()
    if actual != item.sha256:
        raise VendorError(
            f"{item.name} (from {archive.filename}) has sha256 {actual}, pinned {item.sha256}"
        )
    return content
