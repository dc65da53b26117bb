"""Read the custodian's private liabilities snapshot (``liabilities.csv``), strictly.

This is the first step of ``zkpor prove``: everything later (leaves, batches, proofs)
trusts that each balance is an integer in ``[0, 2^64)`` and each per-asset total fits
96 bits, so every doubt about the input is an error here, reported once, with the
file, the line and the field, before anything is computed or written.

Format of ``liabilities.csv``::

    user_id,BTC,ETH,USDT
    alice,0.5,12,1000.25
    "bob, jr.",0,0.000000000000000001,0
    zoë,1.00000001,0,0

* UTF-8 (a leading byte order mark is tolerated), RFC 4180 as read by the stdlib
  ``csv`` module: fields may be quoted, a quoted field may hold commas, quotes (doubled)
  and line breaks; lines end in LF or CRLF.
* The header is ``user_id`` followed by every configured asset symbol exactly once,
  in any order, and no other column. Symbols are matched exactly (case and spaces count).
* ``user_id``: 1..256 bytes of UTF-8, no leading or trailing whitespace, no control,
  invisible-format or non-ASCII space characters (ids that print alike must not be
  different accounts), unique. Ids that are equal after Unicode NFC normalisation are
  duplicates too, for the same reason; the id itself is kept exactly as written.
* Amounts: plain decimal strings, ``12.5``, ``0``, ``0.00000001``, ``007`` (ASCII
  digits, at most one ``.`` with digits on both sides; no sign, exponent, space,
  thousands separator or empty cell). An amount with more fractional digits than the
  asset's ``decimals`` is rounded UP to the next unit, so liabilities are never
  understated, and counted per asset in ``Snapshot.rounded`` (trailing zeros beyond
  ``decimals`` are exact and not counted). A scaled balance must be ``< 2^64``; each
  per-asset total must be ``< 2^96``.
* A header-only file (no account) is an error: an attestation of nothing proves nothing.

This module must never write anything, never print an account, and never accept a row
it does not fully understand: the first bad row raises ``InputError``.

The file is streamed row by row. Accounts are stored compactly (one ``array('Q')`` of
balances, one list of ids), not as one Python object per account, so a few million
accounts fit in a few hundred MB.
"""

from __future__ import annotations

import csv
import unicodedata
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from verifier.errors import ZkporError
from verifier.protocol import BALANCE_BITS, TOTAL_BITS

if TYPE_CHECKING:
    # Imported for annotations only: config.py imports InputError from this module.
    from publisher.config import Asset, Config

USER_ID_COLUMN = "user_id"
MAX_USER_ID_BYTES = 256
BALANCE_LIMIT = 1 << BALANCE_BITS
TOTAL_LIMIT = 1 << TOTAL_BITS
# Characters that make two different ids print alike or hide text: controls (Cc), format
# characters such as zero-width spaces and bidi overrides (Cf), line/paragraph separators,
# surrogates and private-use characters. Non-ASCII spaces (Zs) are checked separately.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})


class InputError(ZkporError):
    """An input file is wrong: says which file, line and field, and why.

    The message is ``"{file}:{line}: {field}: {reason}"``, leaving out the parts that
    are unknown (``line`` and ``field`` may be ``None``).
    """

    def __init__(self, file: str, line: int | None, field: str | None, reason: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
        location = file if line is None else f"{file}:{line}"
        parts = [location] if field is None else [location, field]
        super().__init__(": ".join([*parts, reason]))


@dataclass
class Snapshot:
    """The accounts of one snapshot, in file order, balances in the config's asset order.

    ``balances`` is row-major: account ``i`` holds ``balances[i*A : (i+1)*A]`` where
    ``A = len(assets)``. ``rounded[symbol]`` counts the amounts rounded up to a whole unit;
    ``totals`` are the per-asset sums of the scaled balances.
    """

    assets: tuple[Asset, ...]
    user_ids: list[str] = field(default_factory=list)
    balances: array[int] = field(default_factory=lambda: array("Q"))
    rounded: dict[str, int] = field(default_factory=dict)
    totals: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.user_ids)

    def balances_of(self, i: int) -> tuple[int, ...]:
        """Return the balances of account ``i`` (in the config's asset order)."""
        width = len(self.assets)
        if not 0 <= i < len(self.user_ids):
            raise IndexError(f"account {i} out of range 0..{len(self.user_ids) - 1}")
        return tuple(self.balances[i * width : (i + 1) * width])


class _BadCell(ValueError):
    """A cell is invalid; the caller adds file, line and field."""


def parse_amount(text: str, decimals: int) -> tuple[int, bool]:
    """Return ``(units, rounded)``: ``text`` scaled to ``10^-decimals`` units, rounded up.

    ``rounded`` is true when nonzero digits beyond ``decimals`` were dropped (and one
    unit added). Raises ``ValueError`` with a plain reason on anything but a plain,
    unsigned decimal string. Does not check the 64-bit bound (the caller does).
    """
    if not text:
        raise _BadCell("missing amount (empty cell)")
    if text[0] == "-":
        units, _ = parse_amount(text[1:], decimals)
        if units:
            raise _BadCell(f"negative amount {text!r}")
        raise _BadCell(f"signed amount {text!r}: no sign is allowed")
    whole, dot, fraction = text.partition(".")
    # isdigit() alone accepts non-ASCII digits ("²", "١") that int() would read.
    if not (whole.isdigit() and whole.isascii()) or (
        dot and not (fraction.isdigit() and fraction.isascii())
    ):
        raise _BadCell(f"malformed amount {text!r}: expected a plain decimal number such as 12.5")
    if len(fraction) <= decimals:
        return int(whole + fraction.ljust(decimals, "0")), False
    kept, dropped = fraction[:decimals], fraction[decimals:]
    # Liabilities are never understated: any nonzero dropped digit costs a whole unit.
    if dropped.strip("0"):
        return int(whole + kept) + 1, True
    return int(whole + kept), False


def _check_user_id(user_id: str) -> None:
    """Raise ``_BadCell`` unless ``user_id`` is an unambiguous, printable id."""
    if not user_id:
        raise _BadCell("empty user_id")
    if user_id != user_id.strip():
        raise _BadCell(f"user_id {user_id!r} has leading or trailing whitespace")
    # Fast path: printable ASCII of at most 256 characters is always fine.
    if user_id.isascii() and user_id.isprintable() and len(user_id) <= MAX_USER_ID_BYTES:
        return
    for char in user_id:
        category = unicodedata.category(char)
        if category in _FORBIDDEN_CATEGORIES or (category == "Zs" and char != " "):
            raise _BadCell(
                f"user_id {user_id!r} contains the invisible or control character U+{ord(char):04X}"
            )
    size = len(user_id.encode("utf-8"))
    if size > MAX_USER_ID_BYTES:
        raise _BadCell(f"user_id is {size} bytes of UTF-8, at most {MAX_USER_ID_BYTES}")


def _dedup_key(user_id: str) -> str:
    """Return the key two ids must not share: the NFC form (ASCII is already NFC)."""
    if user_id.isascii():
        return user_id
    return unicodedata.normalize("NFC", user_id)


def _decoded_lines(raw: BinaryIO) -> Iterator[str]:
    """Yield the file's lines decoded as strict UTF-8, the BOM dropped from the first.

    Decoding line by line (a UTF-8 sequence never contains a newline byte) lets a decode
    error be blamed on the right line; the caller knows which line is being read.
    """
    first = raw.readline()
    yield first.decode("utf-8-sig")
    yield from map(bytes.decode, raw)


class _Reader:
    """One pass over a liabilities file: header, then rows, with the line of each row."""

    def __init__(self, path: Path, config: Config, raw: BinaryIO) -> None:
        self.file = str(path)
        self.config = config
        self.rows = csv.reader(_decoded_lines(raw), strict=True)
        self.row_line = 1  # line on which the row being read starts

    def error(self, line: int | None, field: str | None, reason: str) -> InputError:
        return InputError(self.file, line, field, reason)

    def next_row(self) -> list[str] | None:
        """Return the next row, or None at the end of the file."""
        self.row_line = self.rows.line_num + 1
        try:
            return next(self.rows)
        except StopIteration:
            return None
        except UnicodeDecodeError as exc:
            # The failing line was not counted: it is the one after the last one read.
            line = self.rows.line_num + 1
            raise self.error(
                line,
                None,
                f"invalid UTF-8 (byte 0x{exc.object[exc.start]:02x} at byte "
                f"{exc.start + 1} of the line)",
            ) from None
        except csv.Error as exc:
            raise self.error(self.row_line, None, f"malformed CSV: {exc}") from None

    def header(self) -> list[tuple[int, int]]:
        """Read the header; return ``(column, asset index)`` for each asset column."""
        row = self.next_row()
        expected = ",".join([USER_ID_COLUMN, *(a.symbol for a in self.config.assets)])
        if row is None:
            raise self.error(1, "header", f"empty file: expected a header such as {expected!r}")
        if not row or row[0] != USER_ID_COLUMN:
            first = row[0] if row else ""
            raise self.error(
                1, "header", f"the first column must be {USER_ID_COLUMN!r}, found {first!r}"
            )
        index = {asset.symbol: i for i, asset in enumerate(self.config.assets)}
        seen: dict[str, int] = {USER_ID_COLUMN: 1}
        columns = []
        for column, name in enumerate(row[1:], start=2):
            if name in seen:
                raise self.error(
                    1, "header", f"duplicate column {name!r} (columns {seen[name]} and {column})"
                )
            seen[name] = column
            if name not in index:
                known = ", ".join(index)
                raise self.error(
                    1, "header", f"unknown asset column {name!r} (configured assets: {known})"
                )
            columns.append((column - 1, index[name]))
        missing = [symbol for symbol in index if symbol not in seen]
        if missing:
            raise self.error(1, "header", f"missing asset column(s): {', '.join(missing)}")
        return columns

    def read(self) -> Snapshot:
        """Read the whole file into a ``Snapshot``; raise ``InputError`` at the first bad row."""
        assets = self.config.assets
        columns = self.header()
        width = len(columns) + 1
        # (column, asset index, decimals, symbol) for each cell, in column order.
        cells = [(c, a, assets[a].decimals, assets[a].symbol) for c, a in columns]
        snap = Snapshot(assets=assets)
        snap.rounded = {asset.symbol: 0 for asset in assets}
        totals = [0] * len(assets)
        rounded = [0] * len(assets)
        seen: set[str] = set()
        lines = array("Q")  # start line of each account, for the duplicate message
        values = [0] * len(assets)
        while (row := self.next_row()) is not None:
            line = self.row_line
            if len(row) != width:
                raise self.error(line, None, self._width_reason(row, width))
            user_id = row[0]
            try:
                _check_user_id(user_id)
            except _BadCell as exc:
                raise self.error(line, USER_ID_COLUMN, str(exc)) from None
            key = _dedup_key(user_id)
            if key in seen:
                reason = self._duplicate_reason(snap, lines, user_id, key)
                raise self.error(line, USER_ID_COLUMN, reason)
            for column, asset, decimals, symbol in cells:
                try:
                    units, was_rounded = parse_amount(row[column], decimals)
                except _BadCell as exc:
                    raise self.error(line, symbol, str(exc)) from None
                if units >= BALANCE_LIMIT:
                    raise self.error(
                        line,
                        symbol,
                        f"{row[column]!r} does not fit 64 bits after scaling "
                        f"to {decimals} decimals",
                    )
                rounded[asset] += was_rounded
                total = totals[asset] + units
                if total >= TOTAL_LIMIT:
                    raise self.error(
                        line,
                        symbol,
                        f"the total of {symbol} up to this row does not fit {TOTAL_BITS} bits",
                    )
                totals[asset] = total
                values[asset] = units
            seen.add(key)
            snap.user_ids.append(user_id)
            snap.balances.extend(values)
            lines.append(line)
        if not snap.user_ids:
            raise self.error(None, None, "no accounts: the file has a header but no rows")
        snap.totals = totals
        snap.rounded = {asset.symbol: n for asset, n in zip(assets, rounded, strict=True)}
        return snap

    @staticmethod
    def _width_reason(row: list[str], width: int) -> str:
        if not row:
            return "empty row (blank line)"
        many = "too many" if len(row) > width else "too few"
        return f"{many} cells: expected {width} (user_id and one per asset), found {len(row)}"

    @staticmethod
    def _duplicate_reason(snap: Snapshot, lines: array[int], user_id: str, key: str) -> str:
        # Only on the error path: a linear search instead of a dict of lines in memory.
        first = next(i for i, other in enumerate(snap.user_ids) if _dedup_key(other) == key)
        same = "" if snap.user_ids[first] == user_id else " (same after Unicode NFC normalisation)"
        return f"duplicate user_id{same}, first seen on line {lines[first]}"


def read_liabilities(path: Path, config: Config) -> Snapshot:
    """Read and validate ``liabilities.csv`` against ``config``; see the module docstring.

    Raises ``InputError`` (file, line, field, reason) at the first problem; writes nothing.
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(str(path), None, None, f"cannot read: {exc.strerror}") from None
    with raw:
        return _Reader(path, config, raw).read()


__all__ = ["InputError", "Snapshot", "parse_amount", "read_liabilities"]
