"""Which arithmetic backs the prover: the native kernels or the pure-Python reference.

``publisher.snark._native`` (C, built at install where a compiler is found) is used by
default. The pure-Python modules stay the reference it is tested against and the
fallback: where the extension did not build, zkpor says so once on stderr and runs on
Python, ~20-50x slower. ``ZKPOR_BACKEND=python`` forces the reference path,
``ZKPOR_BACKEND=native`` makes a missing extension an error instead of a fallback, and
``ZKPOR_THREADS`` caps the native kernels' threads (default: the CPUs this process may
use). Only the publisher uses this: ``verifier/`` never needs native code.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from types import ModuleType

BACKEND_ENV = "ZKPOR_BACKEND"
THREADS_ENV = "ZKPOR_THREADS"
#: Set once the fallback warning was printed, so that worker processes stay quiet.
_WARNED_ENV = "ZKPOR_BACKEND_WARNED"


def _import_native() -> tuple[ModuleType | None, str]:
    """The extension module, or None and why it does not import."""
    try:
        return importlib.import_module("publisher.snark._native"), ""
    except ImportError as exc:  # no compiler at install time, or a foreign build
        return None, str(exc)


_native, _IMPORT_ERROR = _import_native()

_forced: str | None = None


class BackendError(RuntimeError):
    """The backend asked for cannot be used."""


def _requested() -> str:
    choice = _forced or os.environ.get(BACKEND_ENV, "").strip().lower() or "auto"
    if choice not in ("auto", "native", "python"):
        raise BackendError(f"{BACKEND_ENV}={choice!r}: expected native, python or auto")
    return choice


def native_built() -> bool:
    """Whether the native extension was built and imports."""
    return _native is not None


def field_arithmetic() -> str:
    """What the native field product runs on (``x86-64 mulx/adx`` or ``portable C``)."""
    return str(_native.features()) if _native is not None else "none (not built)"


def native() -> ModuleType | None:
    """Return the native module if it is the backend in use, else None (Python path)."""
    choice = _requested()
    if choice == "python":
        return None
    if _native is None:
        if choice == "native":
            raise BackendError(f"{BACKEND_ENV}=native, but {_why_not()}")
        _warn_once()
    return _native


def name() -> str:
    """``native`` or ``python``: the backend in use."""
    return "python" if native() is None else "native"


def describe() -> str:
    """One line for ``zkpor --version`` / ``zkpor doctor``: the backend and why."""
    choice = _requested()
    if choice == "python":
        return f"python (pure-Python reference, forced by {BACKEND_ENV}=python)"
    if _native is None and choice == "native":
        return f"unusable: {BACKEND_ENV}=native, but {_why_not()}"
    if _native is None:
        return f"python (pure-Python fallback: {_why_not()})"
    return f"native (C kernels, {threads()} threads)"


def threads() -> int:
    """Threads for one native call: ``ZKPOR_THREADS``, else the CPUs we may run on."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if value:
        try:
            count = int(value)
        except ValueError:
            raise BackendError(f"{THREADS_ENV}={value!r} is not a number") from None
        if count < 1:
            raise BackendError(f"{THREADS_ENV}={value!r} must be at least 1")
        return min(count, 256)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def forced(choice: str) -> Iterator[None]:
    """Use backend ``choice`` (``native``/``python``) inside the block (tests, benchmarks)."""
    global _forced
    previous = _forced
    _forced = choice
    try:
        _requested()
        yield
    finally:
        _forced = previous


def _why_not() -> str:
    return f"the native kernels are not built ({_IMPORT_ERROR})"


def _warn_once() -> None:
    if os.environ.get(_WARNED_ENV):
        return
    os.environ[_WARNED_ENV] = "1"
    print(
        f"zkpor: {_why_not()}; using the pure-Python prover, 20-50x slower. Reinstall with "
        "gcc and the Python headers (Debian: apt-get install gcc python3-dev) to build them.",
        file=sys.stderr,
    )
