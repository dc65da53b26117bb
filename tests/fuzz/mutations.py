"""Byte-level mutations of an input file, as an adversary or a broken export makes them.

A mutation is a small tuple Hypothesis draws (``mutations()``) and ``apply`` turns into new
bytes: a flipped byte, a truncation, inserted bytes (NUL included), a BOM, the file
re-encoded as UTF-16, CRLF line ends, a huge number, a duplicated line, deep JSON nesting.
``PRESERVING`` are the ones after which the file still means the same to a reader that
accepts it (BOM, CRLF).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

#: Mutations after which an accepted file must mean exactly what the original meant.
PRESERVING = frozenset({"bom", "crlf"})


def mutations() -> st.SearchStrategy[tuple[Any, ...]]:
    """Return the strategy of one mutation."""
    position = st.integers(min_value=0, max_value=1 << 20)
    return st.one_of(
        st.tuples(st.just("flip"), position, st.integers(min_value=1, max_value=255)),
        st.tuples(st.just("truncate"), position),
        st.tuples(st.just("insert"), position, st.binary(min_size=1, max_size=8)),
        st.tuples(st.just("nul"), position),
        st.tuples(st.just("bom")),
        st.tuples(st.just("utf16")),
        st.tuples(st.just("crlf")),
        st.tuples(st.just("huge"), position),
        st.tuples(st.just("dup"), position),
        st.tuples(st.just("nest")),
    )


def apply(data: bytes, mutation: tuple[Any, ...]) -> bytes:
    """Return ``data`` changed by ``mutation`` (positions wrap around the file's length)."""
    kind = mutation[0]
    at = mutation[1] % (len(data) + 1) if len(mutation) > 1 else 0
    if kind == "flip":
        if not data:
            return b"\xff"
        at %= len(data)
        return data[:at] + bytes([data[at] ^ mutation[2]]) + data[at + 1 :]
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        return data[:at] + mutation[2] + data[at:]
    if kind == "nul":
        return data[:at] + b"\0" + data[at:]
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "utf16":
        return data.decode("utf-8", "replace").encode("utf-16")
    if kind == "crlf":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if kind == "huge":
        return data[:at] + b"9" * 400 + data[at:]
    if kind == "dup":
        lines = data.splitlines(keepends=True)
        if not lines:
            return data
        i = at % len(lines)
        return b"".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
    if kind == "nest":
        return b"[" * 100_000 + b"]" * 100_000
    raise ValueError(f"unknown mutation {kind}")
