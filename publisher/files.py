"""File helpers shared by every writer in the publisher: nothing is ever half-written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new, never half.

    The file is private to its owner (0600, as ``mkstemp`` makes it) unless ``mode`` is
    given: public outputs pass 0o644 so that a web server can read them.
    """
    with atomic_writer(path, mode) as f:
        f.write(data)


@contextmanager
def atomic_writer(path: Path, mode: int | None = None) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` only when the block ends without error:
    written to a temporary sibling, flushed to disk, then renamed over ``path``.

    For outputs written piece by piece (``codes.csv`` at millions of accounts, a phase-1
    file); ``write_atomic`` for bytes already in memory.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb", buffering=1 << 20) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
