"""Results this process already derived from the same inputs, kept for its next step.

``zkpor demo`` runs a whole ceremony in one process, and each step checks everything it
builds on: ``init``, every contribution and ``finalize`` load and check the same phase-1
file, recompute the header's IC, and ``finalize`` recomputes the initial zkey that
``init`` derived. A step that meets inputs it (or an earlier step of this process)
already derived something from gets that result back instead of recomputing it: the same
value, so every comparison a check makes is unchanged.

What is kept, and how inputs are recognised:

* only results computed in this process from inputs that passed every check, never
  anything read from a file or a cache folder (a cached zkey is still compared with a
  recomputed one);
* a file by the sha256 of its bytes, read again at each use; a circuit by its R1CS digest
  (wire counts and every constraint); an in-memory object (a ``Phase1``) by identity:
  the very object, kept alive with the entry, never an equal-looking one;
* a few entries per kind (the newest), so that memory stays bounded.

A separate process (each ``zkpor ceremony`` command) starts empty and checks everything.
"""

from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class Memo(Generic[V]):
    """The last ``size`` results by key; a key may name objects by identity."""

    def __init__(self, size: int = 2) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[tuple[object, ...], V]] = OrderedDict()
        _ALL.add(self)

    @staticmethod
    def _key(key: Hashable, objects: tuple[object, ...]) -> Hashable:
        return (key, tuple(id(o) for o in objects))

    def get(self, key: Hashable, objects: tuple[object, ...] = ()) -> V | None:
        """The result kept for ``key`` and these very ``objects``, or None."""
        full = self._key(key, objects)
        entry = self._entries.get(full)
        if entry is None or any(a is not b for a, b in zip(entry[0], objects, strict=True)):
            return None
        self._entries.move_to_end(full)
        return entry[1]

    def put(self, key: Hashable, value: V, objects: tuple[object, ...] = ()) -> V:
        """Keep ``value`` for ``key`` and ``objects`` (held until evicted); return it."""
        full = self._key(key, objects)
        self._entries[full] = (objects, value)
        self._entries.move_to_end(full)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()


_ALL: weakref.WeakSet[Memo[Any]] = weakref.WeakSet()
_OTHERS: list[Callable[[], None]] = []


def forget_also(clear: Callable[[], None]) -> None:
    """Have ``forget`` call ``clear`` too (a kept result that is not a ``Memo``)."""
    _OTHERS.append(clear)


def forget() -> None:
    """Drop every kept result (~170 MB for the demo's 2^14 ceremony), e.g. once a
    ceremony is finalized; later steps then derive everything again."""
    for memo in list(_ALL):
        memo.clear()
    for clear in _OTHERS:
        clear()


def file_sha256(path: Path) -> str:
    """The sha256 hex digest of a file's bytes as they are now, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
