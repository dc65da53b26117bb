"""The project's own ``verifier`` package as a byte-reproducible wheel for Pyodide.

The browser installs the verifier from a wheel the site serves, so the wheel is part of
the site tree and must come out byte for byte the same from the same sources on any
machine. setuptools' wheels embed the build time, so this module writes the wheel itself:
the package's files in sorted order, then ``METADATA``, ``WHEEL`` and ``RECORD`` last (as
the wheel specification recommends), every zip entry with fixed time, mode and host.

The package is read from where ``verifier`` is imported (site-packages for an installed
zkpor, the checkout for an editable one), but for ``verifier/_version.py``: setuptools-scm
writes that file at install time (or not at all), so the wheel carries its own, written
here from the version the wheel is built for, and ``verifier.__version__`` in Pyodide is
the zkpor version the site names.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from pathlib import Path

import verifier

DIST_NAME = "zkpor-verifier"
SUMMARY = "zkpor/1 Proof of Reserves verifier (pure Python; runs in CPython and Pyodide)"
REQUIRES = ("py_ecc (>=8,<9)",)

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
_FIXED_MODE = 0o644 << 16  # rw-r--r-- regular file, in the high 16 bits (Unix)
_UNIX = 3  # ZipInfo.create_system: the default depends on the building OS
_VERSION = re.compile(r"[0-9][0-9A-Za-z.+!]*")  # no "-" or "," (filename and RECORD syntax)
#: The files of the package the wheel holds: its modules, its data (the Poseidon
#: constants, ``poseidon_constants.bin``) and ``py.typed``. pyproject.toml's package-data
#: for ``verifier`` names the same data files.
SHIPPED_SUFFIXES = (".py", ".bin")
SHIPPED_NAMES = ("py.typed",)
#: verifier/_version.py, written by setuptools-scm in an install: the wheel has its own.
VERSION_FILE = "_version.py"
_VERSION_TEXT = "# The zkpor version this verifier wheel was made for (publisher.site.wheel).\n"


def verifier_wheel(version: str | None = None) -> tuple[str, bytes]:
    """Return ``(filename, bytes)`` of the ``zkpor-verifier`` wheel of this checkout.

    ``version`` defaults to the installed ``zkpor`` version. The wheel holds the files of
    the ``verifier`` package (``*.py``, ``*.bin``, ``py.typed``; never ``__pycache__``),
    its ``_version.py`` saying ``version``, and its ``.dist-info``; the same sources and
    version always give the same bytes.
    """
    version = verifier.__version__ if version is None else version
    if not _VERSION.fullmatch(version):
        raise ValueError(f"not a usable wheel version: {version!r}")
    stem = f"{DIST_NAME.replace('-', '_')}-{version}"
    dist_info = f"{stem}.dist-info"
    files = [(rel, data) for rel, data in _package_files(_package_dir()) if rel != VERSION_FILE]
    files.append((VERSION_FILE, version_file(version)))
    entries = [(f"verifier/{rel}", data) for rel, data in sorted(files)]
    entries.append((f"{dist_info}/METADATA", _metadata(version)))
    entries.append((f"{dist_info}/WHEEL", _wheel_file()))
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries)
    entries.append((f"{dist_info}/RECORD", f"{record}{dist_info}/RECORD,,\n".encode()))
    return f"{stem}-py3-none-any.whl", _zip(entries)


def version_file(version: str) -> bytes:
    """Return the wheel's ``verifier/_version.py``: ``__version__`` is ``version``."""
    return f'{_VERSION_TEXT}__version__ = "{version}"\n'.encode()


def _package_dir() -> Path:
    """Return the directory the ``verifier`` package is imported from."""
    return Path(verifier.__file__).resolve().parent


def _package_files(root: Path) -> list[tuple[str, bytes]]:
    """Return ``(posix path relative to root, bytes)`` of the package's shipped files, sorted."""
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if "__pycache__" in rel.parts or not path.is_file():
            continue
        if path.suffix in SHIPPED_SUFFIXES or path.name in SHIPPED_NAMES:
            found.append((rel.as_posix(), path.read_bytes()))
    return sorted(found)


def _metadata(version: str) -> bytes:
    """Return the core metadata (version 2.1) of the distribution."""
    lines = ["Metadata-Version: 2.1", f"Name: {DIST_NAME}", f"Version: {version}"]
    lines.append(f"Summary: {SUMMARY}")
    lines += [f"Requires-Dist: {req}" for req in REQUIRES]
    return ("\n".join(lines) + "\n").encode()


def _wheel_file() -> bytes:
    """Return the ``WHEEL`` file: a pure-Python wheel for any Python 3."""
    lines = ["Wheel-Version: 1.0", "Generator: zkpor", "Root-Is-Purelib: true"]
    lines.append("Tag: py3-none-any")
    return ("\n".join(lines) + "\n").encode()


def _record_hash(data: bytes) -> str:
    """Return a RECORD hash: ``sha256=`` and the urlsafe base64 digest without padding."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    """Return a zip of ``entries`` in the given order with nothing that varies by host."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = _FIXED_MODE
            info.create_system = _UNIX
            # Stored, not deflated: deflate output differs between zlib implementations
            # (zlib, zlib-ng, ...) and levels, so compressed bytes would differ by machine.
            info.compress_type = zipfile.ZIP_STORED
            zf.writestr(info, data)
    return buf.getvalue()
