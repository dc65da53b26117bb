"""The printable rule of the published text fields is Unicode 14.0's, in every Python.

``verifier.text_fields.PRINTABLE_UNICODE_14`` writes out the code points ``str.isprintable()``
accepts under Unicode 14.0.0 (CPython 3.11), so that the CLI and the browser's Pyodide
(Unicode 16.0) give one verdict. Under CPython 3.11 the table is checked against the
running database; ``python -m tests.verifier.test_text_fields_unicode`` prints it.
"""

from __future__ import annotations

import unicodedata

import pytest

from verifier.text_fields import (
    PRINTABLE_UNICODE_14,
    issuer_name_problem,
    printable,
    statement_problem,
)

UNICODE_14 = unicodedata.unidata_version == "14.0.0"


def ranges_of_this_python() -> list[tuple[int, int]]:
    """Return the ranges of code points this Python's ``str.isprintable()`` accepts."""
    found: list[tuple[int, int]] = []
    start = None
    for point in range(0x110001):
        accepted = point < 0x110000 and chr(point).isprintable()
        if accepted and start is None:
            start = point
        elif not accepted and start is not None:
            found.append((start, point - 1))
            start = None
    return found


def table_text(found: list[tuple[int, int]]) -> str:
    """Return ``found`` in the table's format: hex ``first-last`` or single, 84 columns."""
    tokens = [f"{a:x}" if a == b else f"{a:x}-{b:x}" for a, b in found]
    lines, line = [], ""
    for token in tokens:
        if line and len(line) + 1 + len(token) > 84:
            lines.append(line)
            line = token
        else:
            line = f"{line} {token}" if line else token
    return "\n".join([*lines, line])


@pytest.mark.skipif(not UNICODE_14, reason="needs Python's Unicode 14.0.0 database (3.11)")
def test_the_table_is_unicode_14s_isprintable() -> None:
    assert PRINTABLE_UNICODE_14.strip() == table_text(ranges_of_this_python())


@pytest.mark.skipif(not UNICODE_14, reason="needs Python's Unicode 14.0.0 database (3.11)")
def test_printable_is_isprintable_under_unicode_14() -> None:
    for point in range(0x110000):
        character = chr(point)
        assert printable(character) == character.isprintable(), hex(point)


def test_the_table_is_the_category_rule() -> None:
    """Only Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs (but U+0020) are refused: in this Python's
    database too, as far as it agrees with 14.0 (no character refused here is accepted)."""
    refused = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"}
    for point in range(0x110000):
        if printable(chr(point)):
            assert point == 0x20 or unicodedata.category(chr(point)) not in refused, hex(point)


@pytest.mark.parametrize(
    ("character", "version"),
    [("\U0001fae8", "15.0 SHAKING FACE"), ("\u1c89", "16.0 CYRILLIC CAPITAL LETTER TJE")],
)
def test_characters_assigned_after_14_are_refused(character: str, version: str) -> None:
    assert not printable(character), version
    assert issuer_name_problem(f"Exchange {character}") is not None
    assert statement_problem(f"ceremony {character}") is not None


def test_characters_of_14_are_accepted() -> None:
    assert printable("Zoë Ωmega 李 😀 ₹ ñ")
    assert issuer_name_problem("Zoë 李 Custody 😀") is None
    assert not printable("a\u00a0b") and not printable("\u202e") and not printable("\t")
    assert printable("")


if __name__ == "__main__":
    print(table_text(ranges_of_this_python()))
