"""Strict JSON loading for everything the verifier reads from an untrusted source.

Strict means: UTF-8, no key given twice (parsers disagree on which one wins), no NaN or
Infinity (not JSON), no lone surrogate escape (see ``_check_surrogates``) and a bounded
nesting depth (see ``_check_depth``). Which keys an
object may have is each file's rule; ``unknown_key`` finds the first one it does not
define. It depends on nothing else of the verifier but ``text_fields`` (standard library
only), so that any module can use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from verifier.text_fields import printable

#: Deepest nesting of arrays and objects read; zkpor/1 files need 5.
MAX_JSON_DEPTH = 32
_JSON_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
#: Where a surrogate can come from: a ``\uD800``..``\uDFFF`` escape (valid UTF-8 encodes
#: none). A false hit (an escaped backslash before ``uD``) only costs a walk of the value.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def show(value: object) -> str:
    """Return a short printable form of a value taken from a file, for a message (the same
    in every Python: ``printable`` is Unicode 14.0's, whatever the running version)."""
    if isinstance(value, str) and printable(value) and 0 < len(value) <= 40:
        return value
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def unknown_key(obj: Mapping[str, object], known: Collection[str]) -> str | None:
    """Return the first key of ``obj`` (in sorted order) that is not in ``known``, or
    None: a file that must hold only the keys its format defines rejects it."""
    extra = sorted(key for key in obj if key not in known)
    return extra[0] if extra else None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Return the object of ``pairs``, refusing a key given twice."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {show(key)}")
        obj[key] = value
    return obj


def _reject_constant(name: str) -> None:
    """Refuse NaN and Infinity, which are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


def _check_depth(text: str) -> None:
    """Refuse JSON nested deeper than ``MAX_JSON_DEPTH``.

    py_ecc raises the recursion limit to 100000 when imported, so the recursive parser
    would overflow the C stack (a crash, not an exception) on ``[[[[...`` long before
    Python stops it. Strings are skipped, so brackets inside them do not count.
    """
    depth = 0
    for token in _JSON_NESTING.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
        elif bracket in "]}":
            depth -= 1


def _check_surrogates(value: object) -> None:
    """Refuse a string (key or value) holding a lone surrogate.

    JSON lets ``"\\ud800"`` through, and Python's parser yields a string that is not
    Unicode text: it cannot be encoded as UTF-8, so every later use (a length in bytes, a
    hash, a page) would fail its own way, or not at all. A pair (``"\\ud83d\\ude00"``) is
    one character and never reaches this check. The depth was bounded before parsing.
    """
    if isinstance(value, str):
        if found := _SURROGATE.search(value):
            raise ValueError(
                f"a string holds the lone surrogate \\u{ord(found.group()):04x}, which is not "
                "Unicode text"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_surrogates(key)
            _check_surrogates(item)
    elif isinstance(value, list):
        for item in value:
            _check_surrogates(item)


def loads(data: bytes) -> object:
    """Return the parsed JSON of ``data``; raise ``ValueError`` if it is not strict JSON."""
    text = data.decode("utf-8")
    _check_depth(text)
    value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
    if _SURROGATE_ESCAPE.search(text):
        _check_surrogates(value)
    return value
