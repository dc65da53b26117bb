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

This module must never write anything but its private account store (below) and never
accept a row it does not fully understand: the first bad row raises ``InputError``. Its
messages name the line and the column but never quote a user id or an amount: ``zkpor
prove`` runs in CI, whose logs may be public, and the snapshot is private.

The file is streamed row by row into a private SQLite file (``publisher.attest.accounts``),
which also finds repeated ids: memory stays flat however many accounts the file holds.
The only file written is that one, in ``workdir``, deleted again on error and when the
snapshot is closed.
"""

from __future__ import annotations

import csv
import operator
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

from publisher.attest.accounts import AccountStore, DuplicateKey
from publisher.errors import InputError
from verifier.protocol import BALANCE_BITS, TOTAL_BITS

if TYPE_CHECKING:
    # Imported for annotations only: the config is read before the snapshot.
    from publisher.config import Asset, Config

USER_ID_COLUMN = "user_id"
MAX_USER_ID_BYTES = 256
BALANCE_LIMIT = 1 << BALANCE_BITS
TOTAL_LIMIT = 1 << TOTAL_BITS
# Characters that make two different ids print alike or hide text: controls (Cc), format
# characters such as zero-width spaces and bidi overrides (Cf), line/paragraph separators,
# surrogates and private-use characters. Non-ASCII spaces (Zs) are checked separately.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})


class Snapshot:
    """The accounts of one snapshot, in file order, balances in the config's asset order.

    The accounts are on disk (``store``); ``rounded[symbol]`` counts the amounts rounded
    up to a whole unit; ``totals`` are the per-asset sums of the scaled balances. Close it
    (or use it as a context manager) to delete its file.
    """

    def __init__(self, assets: tuple[Asset, ...], store: AccountStore) -> None:
        self.assets = assets
        self.store = store
        self.rounded: dict[str, int] = {}
        self.totals: list[int] = []

    def __len__(self) -> int:
        return len(self.store)

    def user_id(self, i: int) -> str:
        """Return the user id of account ``i``."""
        return self.store.user_id(i)

    def balances_of(self, i: int) -> tuple[int, ...]:
        """Return the balances of account ``i`` (in the config's asset order)."""
        return self.store.balances_of(i)

    def accounts(self) -> Iterator[tuple[str, tuple[int, ...]]]:
        """Yield (user id, balances) of every account, in file order."""
        return self.store.accounts()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _BadCell(ValueError):
    """A cell is invalid; the caller adds file, line and field."""


def parse_amount(text: str, decimals: int) -> tuple[int, bool]:
    """Return ``(units, rounded)``: ``text`` scaled to ``10^-decimals`` units, rounded up.

    ``rounded`` is true when nonzero digits beyond ``decimals`` were dropped (and one
    unit added). Raises ``ValueError`` with a plain reason for anything but a plain,
    unsigned decimal string, and for a result that does not fit 64 bits.
    """
    if not text:
        raise _BadCell("missing amount (empty cell)")
    negative = text[0] == "-"
    body = text[1:] if negative else text
    whole, dot, fraction = body.partition(".")
    # isdigit() alone accepts non-ASCII digits ("²", "١") that int() would read.
    if not (body.isascii() and whole.isdigit() and (fraction.isdigit() or not dot)):
        raise _BadCell(
            "malformed amount: expected a plain decimal number such as 12.5 (ASCII digits, "
            "at most one '.', no sign, exponent, space or thousands separator)"
        )
    if negative:
        if body.strip("0."):
            raise _BadCell("negative amount")
        raise _BadCell("signed amount: no sign is allowed, not even on zero")
    too_big = _BadCell(
        f"amount does not fit 64 bits after scaling to {decimals} decimals "
        f"(the largest amount is {_largest_amount(decimals)}; fewer decimals allow more)"
    )
    # 2^64 has 20 digits; checking first also keeps int() clear of its 4300-digit limit.
    if len(whole.lstrip("0")) > 20:
        raise too_big
    kept, dropped = fraction[:decimals], fraction[decimals:]
    units = int(whole + kept.ljust(decimals, "0"))
    # Liabilities are never understated: any nonzero dropped digit costs a whole unit.
    rounded = bool(dropped.strip("0"))
    units += rounded
    if units >= BALANCE_LIMIT:
        raise too_big
    return units, rounded


def _largest_amount(decimals: int) -> str:
    """Return the largest amount a 64-bit balance holds at ``decimals``, as a decimal string."""
    digits = str(BALANCE_LIMIT - 1).rjust(decimals + 1, "0")
    whole, fraction = digits[: len(digits) - decimals], digits[len(digits) - decimals :]
    return f"{whole}.{fraction}" if fraction else whole


def _amount_parser(decimals: int, rounded: list[int], slot: int) -> Callable[[str], int]:
    """Return a fast ``text -> units`` for one asset; it counts roundings in ``rounded[slot]``.

    Valid amounts are handled inline (this runs once per cell); anything else goes
    through ``parse_amount``, which raises the reason.
    """
    powers: list[int] = [10**k for k in range(decimals + 1)]

    def parse(text: str) -> int:
        if text == "0":  # most accounts hold nothing of most assets
            return 0
        whole, dot, fraction = text.partition(".")
        size = len(fraction)
        if text.isascii() and whole.isdigit() and (fraction.isdigit() or not dot):
            if size <= decimals:
                units, up = int(whole + fraction) * powers[decimals - size], 0
            else:  # round up, as parse_amount does
                up = 1 if fraction[decimals:].strip("0") else 0
                units = int(whole + fraction[:decimals]) + up
            if units < BALANCE_LIMIT:
                rounded[slot] += up
                return units
        units, was_rounded = parse_amount(text, decimals)  # raises the reason, in practice
        rounded[slot] += was_rounded
        return units

    return parse


def _check_user_id(user_id: str) -> None:
    """Raise ``_BadCell`` unless ``user_id`` is an unambiguous, printable id."""
    if not user_id:
        raise _BadCell("empty user_id")
    if user_id != user_id.strip():
        raise _BadCell("user_id has leading or trailing whitespace")
    # str.isprintable() is false for every forbidden character (and for some allowed ones,
    # such as unassigned code points): only then is each character's category looked up.
    if not user_id.isprintable():
        _check_characters(user_id)
    size = len(user_id.encode("utf-8"))
    if size > MAX_USER_ID_BYTES:
        raise _BadCell(f"user_id is {size} bytes of UTF-8, at most {MAX_USER_ID_BYTES}")


def _check_characters(user_id: str) -> None:
    """Raise ``_BadCell`` at the first control, invisible or non-ASCII space character."""
    for position, char in enumerate(user_id, start=1):
        category = unicodedata.category(char)
        if category in _FORBIDDEN_CATEGORIES or (category == "Zs" and char != " "):
            raise _BadCell(
                f"user_id contains the control, invisible or non-ASCII space character "
                f"U+{ord(char):04X} (character {position})"
            )


def dedup_key(user_id: str) -> str:
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
    if first:  # an empty file has no line at all, not one empty line
        yield first.decode("utf-8-sig")
    yield from map(bytes.decode, raw)


class _Reader:
    """One pass over a liabilities file: header, then rows, with the line of each row."""

    def __init__(self, path: Path, config: Config, raw: BinaryIO, store: AccountStore) -> None:
        self.file = str(path)
        self.config = config
        self.rows = csv.reader(_decoded_lines(raw), strict=True)
        self.row_line = 1  # line on which the row being read starts
        self.snap = Snapshot(config.assets, store)

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
            raise self.error(self.rows.line_num + 1, None, _utf8_reason(exc)) from None
        except csv.Error as exc:
            raise self.error(self.row_line, None, f"malformed CSV: {exc}") from None

    def header(self) -> list[tuple[int, int]]:
        """Read the header; return ``(column, asset index)`` for each asset column."""
        row = self.next_row()
        expected = ",".join([USER_ID_COLUMN, *(a.symbol for a in self.config.assets)])
        if row is None:
            raise self.error(1, "header", f"empty file: expected a header such as {expected!r}")
        if not row or row[0] != USER_ID_COLUMN:
            # The found name is not quoted: without a header, line 1 is an account.
            raise self.error(
                1,
                "header",
                f"the first column must be named {USER_ID_COLUMN!r} (is the header missing? "
                f"expected a header such as {expected!r})",
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
        """Read the whole file into a ``Snapshot``; raise ``InputError`` at the first bad row.

        Accounts reach the store in chunks, and a repeated id is found when its chunk is
        written: before any error is raised the queued rows are written, so that a
        repeated id on an earlier line is the one reported.
        """
        try:
            self.read_rows()
            self.snap.store.flush()
        except InputError as exc:
            try:
                self.snap.store.flush()
            except DuplicateKey as duplicate:
                raise self.duplicate_error(duplicate) from None
            raise exc from None
        except DuplicateKey as duplicate:
            raise self.duplicate_error(duplicate) from None
        if not len(self.snap):
            raise self.error(None, None, "no accounts: the file has a header but no rows")
        return self.snap

    def read_rows(self) -> None:
        """Read every row into the store (the last chunk still queued)."""
        assets = self.config.assets
        columns = self.header()
        width = len(columns) + 1
        rounded = [0] * len(assets)
        # One parser per asset, in the config's order, so a row's values need no reordering.
        parsers = [
            (column, _amount_parser(assets[slot].decimals, rounded, slot))
            for column, slot in sorted(columns, key=lambda pair: pair[1])
        ]
        snap = self.snap
        add = snap.store.add
        totals = [0] * len(assets)
        rows = self.rows
        last = rows.line_num  # the line the previous row ended on
        try:
            for row in rows:
                line, last = last + 1, rows.line_num
                if len(row) != width:
                    raise self.error(line, None, _width_reason(row, width))
                user_id = row[0]
                key = self.account_key(user_id, line)
                try:
                    values = [parse(row[column]) for column, parse in parsers]
                except ValueError:
                    raise self.amount_error(row, line, columns) from None
                totals = list(map(operator.add, totals, values))
                if max(totals) >= TOTAL_LIMIT:
                    raise self.total_error(totals, line)
                add(line, user_id, key, values)
        except UnicodeDecodeError as exc:
            # The undecodable line was never handed to the reader: it is the next one.
            raise self.error(rows.line_num + 1, None, _utf8_reason(exc)) from None
        except csv.Error as exc:
            raise self.error(last + 1, None, f"malformed CSV: {exc}") from None
        snap.totals = totals
        snap.rounded = {asset.symbol: n for asset, n in zip(assets, rounded, strict=True)}

    def account_key(self, user_id: str, line: int) -> str:
        """Return the duplicate-detection key of a valid ``user_id``; else raise."""
        # Fast path: printable ASCII, not padded, at most 256 bytes, is valid and its own key.
        if (
            user_id.isascii()
            and user_id.isprintable()
            and 0 < len(user_id) <= MAX_USER_ID_BYTES
            and user_id[0] != " " != user_id[-1]
        ):
            key = user_id
        else:
            try:
                _check_user_id(user_id)
            except _BadCell as exc:
                raise self.error(line, USER_ID_COLUMN, str(exc)) from None
            key = dedup_key(user_id)
        return key

    def duplicate_error(self, duplicate: DuplicateKey) -> InputError:
        """Return the error of a repeated id, saying where it was first seen."""
        same = (
            ""
            if duplicate.first_id == duplicate.user_id
            else " (equal after Unicode NFC normalisation)"
        )
        reason = f"duplicate user_id{same}, first seen on line {duplicate.first_line}"
        return self.error(duplicate.line, USER_ID_COLUMN, reason)

    def amount_error(self, row: list[str], line: int, columns: list[tuple[int, int]]) -> InputError:
        """Return the error of the first bad amount of ``row``, in column order."""
        for column, slot in columns:
            asset = self.config.assets[slot]
            try:
                parse_amount(row[column], asset.decimals)
            except ValueError as exc:
                return self.error(line, asset.symbol, str(exc))
        raise AssertionError("amount_error called on a row without a bad amount")

    def total_error(self, totals: list[int], line: int) -> InputError:
        """Return the error for the first asset whose running total reached 2^96."""
        slot = next(i for i, total in enumerate(totals) if total >= TOTAL_LIMIT)
        symbol = self.config.assets[slot].symbol
        return self.error(
            line, symbol, f"the total of {symbol} up to this row does not fit {TOTAL_BITS} bits"
        )


def _width_reason(row: list[str], width: int) -> str:
    if not row:
        return "empty row (blank line)"
    many = "too many" if len(row) > width else "too few"
    return f"{many} cells: expected {width} (user_id and one per asset), found {len(row)}"


def _utf8_reason(exc: UnicodeDecodeError) -> str:
    return f"invalid UTF-8 (byte 0x{exc.object[exc.start]:02x}): the file must be saved as UTF-8"


def read_liabilities(path: Path, config: Config, workdir: Path | None = None) -> Snapshot:
    """Read and validate ``liabilities.csv`` against ``config``; see the module docstring.

    The accounts go to a private temporary file in ``workdir`` (default: the system's
    temporary folder). Raises ``InputError`` (file, line, field, reason) at the first
    problem, with that file deleted.
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(str(path), None, None, f"cannot read: {exc.strerror}") from None
    with raw:
        store = AccountStore(workdir)
        try:
            return _Reader(path, config, raw, store).read()
        except BaseException:
            store.close()
            raise


__all__ = ["InputError", "Snapshot", "parse_amount", "read_liabilities"]
