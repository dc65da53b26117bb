"""Read the zkpor/2 liabilities snapshot in long format, strictly (issue 13).

``zkpor prove --registry`` reads the book with this module (``publisher.attest.pipeline2``),
next to the registry (``publisher.attest.registry``); without ``--registry`` it reads the
zkpor/1 wide CSV (``publisher.attest.ingest``), which stays accepted. The format is
normative in docs/protocol.md §16.

Format: one row per account and asset held::

    account,asset,equity,debt
    alice,BTC,0.5,0
    alice,USDT,1000.25,0
    "bob, jr.",ETH,12,0
    "bob, jr.",USDT,0,15000
    alice,ETH,0,0.25
    carol,USDT,0,0

* UTF-8 (a leading byte order mark is tolerated), RFC 4180 as the stdlib ``csv`` module
  reads it, as for the wide format.
* The header is exactly ``account,asset,equity,debt``.
* ``account``: the rules of the wide format's ``user_id`` (1..256 bytes of UTF-8, no
  leading or trailing whitespace, no control, invisible-format or non-ASCII space
  characters). An account's rows may come in any order and be spread over the file; they
  must spell the account the same way: two spellings equal after Unicode NFC
  normalisation are an error, as two such ids are in the wide format.
* ``asset``: a registry symbol, exactly. An (account, asset) pair appears once; a repeated
  pair is an error naming both lines.
* ``equity`` (what the exchange owes the account) and ``debt`` (what the account owes the
  exchange): plain decimal strings, as in the wide format, each in ``[0, 2^64)`` units of
  the asset once scaled; per asset, the totals of equity and of debt must each be below
  ``2^96`` (far below the field, as zkpor/1's totals).
* A row whose equity and debt are both 0 (after rounding) is allowed and ignored: it adds
  no entry to the account, but it still counts for the repeated-pair check, and an
  account named only by such rows is an account holding nothing (it gets a leaf, as an
  all-zero account does in zkpor/1, so its user can still find it).
* Debt in an asset whose registry price is 0 is an error: its value would be 0, so the
  collateral check could never see it, while it would still lower that asset's net
  liability.
* A file with no row is an error: an attestation of nothing proves nothing.

Rounding: equity UP, debt DOWN
------------------------------
Amounts with more fractional digits than the asset's decimals are rounded to a whole
unit and counted per asset (``Snapshot2.rounded_equity``, ``Snapshot2.rounded_debt``;
trailing zeros are exact and not counted). The rule is that every published number is at
least as bad for the exchange as the truth:

* **Equity rounds UP**, as in zkpor/1: it is a liability; rounding it down would
  understate what the exchange owes.
* **Debt rounds DOWN**: it is a receivable, subtracted from the asset's liabilities (net
  liability = equity - debt). Rounding it up would publish up to a unit per row of debt
  nobody owes and understate the net liability: that flatters the exchange. Rounded down,
  the published net liability is never below the true one.
* The collateral check runs on the published numbers, and those are the numbers the
  exchange commits to: with more equity and less debt than the truth, an account that
  passes has its *counted* debt covered by the collateral the exchange admits owing it.
  Debt left out by rounding (under a unit per row) is never counted, so it cannot hide
  a liability. Rounding debt up would make the check stricter but, as above, put debt
  that does not exist into the totals; the totals are what the attestation is about.

Streaming
---------
Rows go, in chunks, into a private SQLite file (``LongStore``; the wide format's
``AccountStore`` is left as it is): a UNIQUE index on (account key, asset) finds repeated
pairs, and the accounts are put together by SQL once every row is in. Memory holds one
chunk of rows, the per-asset totals and counts, and, when iterating, one account's
entries: never the whole file. The file lives in ``workdir`` (default: the system's
temporary folder), is private (``mkstemp``: 0600) and is deleted on error and when the
snapshot is closed.

Errors are ``InputError(file, line, field, reason)``, the field being ``header``,
``account``, ``asset``, ``equity`` or ``debt``. As in the wide format, they never quote an
account id or an amount: ``zkpor prove`` runs in CI, whose logs may be public. Of several
problems the one on the earliest line is reported, except that a differently spelled
account and an under-collateralised account are only found once the rows before them are
in (the first is still reported before a later bad row).

The collateral check
--------------------
``collateral_check(entries, registry)`` computes, natively, what the zkpor/2 circuit will
prove for an account (``publisher.snark.account2``): the tiered collateral value of its
equity and the value of its debt, both x 100 in the registry's value units, and whether
the first covers the second. ``Snapshot2.shortfalls()`` yields every account that fails
it and ``Snapshot2.check_collateral()`` raises the ``InputError`` that ``zkpor prove``
will show to refuse such a snapshot before proving, naming the account's first line.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from publisher.attest.accounts import SUFFIX, close_scratch, open_scratch
from publisher.attest.ingest import (
    BALANCE_LIMIT,
    MAX_USER_ID_BYTES,
    TOTAL_LIMIT,
    _check_user_id,
    _decoded_lines,
    _utf8_reason,
    dedup_key,
    parse_amount,
)
from publisher.attest.registry import Registry
from publisher.errors import InputError
from publisher.snark.account2 import Entry, account_values
from verifier import text_fields
from verifier.protocol import TOTAL_BITS

HEADER = ("account", "asset", "equity", "debt")
PREFIX = ".accounts2-"
#: Rows per executemany: the rows waiting in Python.
CHUNK = 4096

_SIGN = 1 << 63
_MASK = (1 << 64) - 1


def _signed(value: int) -> int:
    """Return a ``[0, 2^64)`` value as the signed 64-bit integer SQLite stores (0 stays 0)."""
    return value - (1 << 64) if value >= _SIGN else value


# -- amounts ------------------------------------------------------------------------------


def parse_debt(text: str, decimals: int) -> tuple[int, bool]:
    """Return ``(units, rounded)``: ``text`` scaled to ``10^-decimals`` units, rounded DOWN.

    ``rounded`` is true when nonzero digits beyond ``decimals`` were dropped. Anything but
    a plain, unsigned decimal string, and a result of ``2^64`` units or more, raises
    ``ValueError`` with the reason ``publisher.attest.ingest.parse_amount`` gives.
    """
    whole, dot, fraction = text.partition(".")
    if (
        text.isascii()
        and whole.isdigit()
        and (fraction.isdigit() or not dot)
        and len(whole.lstrip("0")) <= 20
    ):
        digits = (whole + fraction[:decimals].ljust(decimals, "0")).lstrip("0")
        units = int(digits or "0")
        if units < BALANCE_LIMIT:
            return units, bool(fraction[decimals:].strip("0"))
    parse_amount(text, decimals)  # raises the reason: rounded up, it is at least as large
    raise ValueError("amount does not fit 64 bits after scaling")  # pragma: no cover


# -- the account model --------------------------------------------------------------------


def collateral_check(entries: Sequence[Entry], registry: Registry) -> tuple[int, int, bool]:
    """Return ``(collateral_value_x100, debt_value_x100, ok)`` of one account.

    ``entries`` are ``(asset index, equity, debt)``. The collateral value is the sum over
    the entries of the tiered value of the equity (``TierTable.collateral_x100``, in
    value units x 100), the debt value ``100 Σ debt × unit_price``; ``ok`` when the first
    is at least the second, which is what the zkpor/2 circuit proves.
    """
    tables = [registry.assets[index].tiers for index, _, _ in entries]
    collateral, debt = account_values(entries, tables)
    return collateral, debt, collateral >= debt


@dataclass(frozen=True)
class Account2:
    """One account: its id, the line of its first row, and its held assets."""

    index: int
    account: str
    line: int
    #: ``(asset index, equity, debt)``, sorted by registry index, no all-zero entry.
    entries: tuple[Entry, ...]
    #: The line of each entry's row.
    lines: tuple[int, ...]


@dataclass(frozen=True)
class Shortfall:
    """An account whose tiered collateral does not cover its debt."""

    account: Account2
    collateral_x100: int
    debt_value_x100: int


class DuplicatePair(Exception):
    """The row on ``line`` repeats the (account, asset) of the row on ``first_line``."""

    def __init__(self, line: int, first_line: int) -> None:
        super().__init__(f"line {line} repeats the pair of line {first_line}")
        self.line, self.first_line = line, first_line


class LongStore:
    """A private, temporary SQLite file of long-format rows, and the accounts they form.

    Tables: ``rows`` (the row's line, the account's duplicate key and spelling, the asset
    index, equity and debt as signed 64-bit integers; UNIQUE (key, asset)) and, once
    ``finish`` has run, ``accounts`` (the line of its first row, its key, its spelling
    there). An account's index is its rank by first line.
    """

    def __init__(self, folder: Path | None = None) -> None:
        # The rows hold balances: a temporary table or sort must never reach SQLite's
        # temporary folder, outside --private. None is needed (every query below walks an
        # index, tests/attest/test_ingest2.py checks their plans), so memory is safe.
        self.path, self.db = open_scratch(folder, PREFIX, ["temp_store = MEMORY"])
        self.db.executescript(
            """
            CREATE TABLE rows (
                line INTEGER PRIMARY KEY, key TEXT NOT NULL, account TEXT NOT NULL,
                asset INTEGER NOT NULL, equity INTEGER NOT NULL, debt INTEGER NOT NULL,
                UNIQUE (key, asset));
            CREATE TABLE accounts (
                line INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, account TEXT NOT NULL);
            """
        )
        self.count = 0
        self.accounts_count = 0
        self._pending: list[tuple[int, str, str, int, int, int]] = []
        self._finalizer = weakref.finalize(self, close_scratch, self.db, self.path, os.getpid())

    def add(self, line: int, account: str, key: str, asset: int, equity: int, debt: int) -> None:
        """Queue one row (written by ``flush``, or by the next ``add`` in a chunk)."""
        self._pending.append((line, key, account, asset, _signed(equity), _signed(debt)))
        self.count += 1
        if len(self._pending) >= CHUNK:
            self.flush()

    def pending(self) -> int:
        """Return how many rows wait in memory."""
        return len(self._pending)

    def flush(self) -> None:
        """Write the queued rows; raise ``DuplicatePair`` at the first repeated pair, the
        rows before it written."""
        rows, self._pending = self._pending, []
        insert = "INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?)"
        try:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany(insert, rows)
            return
        except sqlite3.IntegrityError:
            pass
        # The chunk was rolled back: insert it row by row, up to the repeated pair.
        duplicate = None
        with self.db:
            self.db.execute("BEGIN")
            for row in rows:
                try:
                    self.db.execute(insert, row)
                except sqlite3.IntegrityError:
                    first = self.db.execute(
                        "SELECT line FROM rows WHERE key = ? AND asset = ?", (row[1], row[3])
                    ).fetchone()
                    duplicate = DuplicatePair(row[0], int(first[0]))
                    break
        if duplicate is not None:
            raise duplicate

    def finish(self) -> None:
        """Put the written rows together into accounts (after a ``flush``).

        No sort: the GROUP BY walks the (key, asset) index, and an account's rowid is the
        line of its first row, so that accounts come out in order of appearance.
        """
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM accounts")
            # With min(), SQLite takes the bare column (account) from the row of the minimum.
            self.db.execute(
                "INSERT INTO accounts SELECT min(line), key, account FROM rows GROUP BY key"
            )
        self.accounts_count = int(self.db.execute("SELECT count(*) FROM accounts").fetchone()[0])

    def spelling_conflict(self) -> tuple[int, int] | None:
        """Return (line, first line) of the first row that spells its account other than
        the account's first row does; None if there is none (after ``finish``)."""
        row = self.db.execute(
            "SELECT r.line, a.line FROM rows r JOIN accounts a ON a.key = r.key "
            "WHERE r.account != a.account ORDER BY r.line LIMIT 1"
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def accounts(self) -> Iterator[Account2]:
        """Yield every account in order of its first row, entries sorted by asset index."""
        cursor = self.db.execute(
            "SELECT a.line, a.account, r.asset, r.equity, r.debt, r.line "
            "FROM accounts a LEFT JOIN rows r "
            "ON r.key = a.key AND (r.equity != 0 OR r.debt != 0) "
            "ORDER BY a.line, r.asset"
        )
        groups = groupby(cursor, key=lambda row: row[:2])
        for i, ((line, account), rows) in enumerate(groups):
            entries: list[Entry] = []
            lines: list[int] = []
            for *_, asset, equity, debt, row_line in rows:
                if asset is not None:
                    entries.append((asset, equity & _MASK, debt & _MASK))
                    lines.append(row_line)
            yield Account2(i, account, line, tuple(entries), tuple(lines))

    def account(self, i: int) -> Account2:
        """Return account ``i`` (a scan of ``i`` accounts: for spot checks)."""
        row = self.db.execute(
            "SELECT key, account, line FROM accounts ORDER BY line LIMIT 1 OFFSET ?", (i,)
        ).fetchone()
        if row is None or i < 0:
            raise IndexError(f"account {i} out of range 0..{self.accounts_count - 1}")
        rows = self.db.execute(
            "SELECT asset, equity, debt, line FROM rows WHERE key = ? "
            "AND (equity != 0 OR debt != 0) ORDER BY asset",
            (row[0],),
        ).fetchall()
        entries = tuple((a, e & _MASK, d & _MASK) for a, e, d, _ in rows)
        return Account2(i, row[1], row[2], entries, tuple(r[3] for r in rows))

    def close(self) -> None:
        """Close and delete the file."""
        self._finalizer()


class Snapshot2:
    """The accounts of one long-format snapshot, against one registry.

    Per registry asset: ``equity_totals``, ``debt_totals`` (units), and, by symbol, how
    many rows had their equity rounded up (``rounded_equity``) or their debt rounded down
    (``rounded_debt``). ``rows`` counts the rows read, ``ignored`` those that were all
    zero. Close it (or use it as a context manager) to delete its file.
    """

    def __init__(self, file: str, registry: Registry, store: LongStore) -> None:
        self.file = file
        self.registry = registry
        self.store = store
        self.equity_totals: tuple[int, ...] = ()
        self.debt_totals: tuple[int, ...] = ()
        self.rounded_equity: dict[str, int] = {}
        self.rounded_debt: dict[str, int] = {}
        self.rows = 0
        self.ignored = 0

    def __len__(self) -> int:
        return self.store.accounts_count

    def accounts(self) -> Iterator[Account2]:
        """Yield every account, in order of its first row; entries sorted by asset index."""
        return self.store.accounts()

    def account(self, i: int) -> Account2:
        return self.store.account(i)

    def shortfalls(self) -> Iterator[Shortfall]:
        """Yield every under-collateralised account, in order of its first row."""
        for account in self.accounts():
            collateral, debt, ok = collateral_check(account.entries, self.registry)
            if not ok:
                yield Shortfall(account, collateral, debt)

    def check_collateral(self) -> None:
        """Raise ``InputError`` at the first under-collateralised account (its first line)."""
        for shortfall in self.shortfalls():
            account = shortfall.account
            debts = [
                line
                for (_, _, debt), line in zip(account.entries, account.lines, strict=True)
                if debt
            ]
            shown = ", ".join(map(str, debts[:5])) + (", ..." if len(debts) > 5 else "")
            raise InputError(
                self.file,
                account.line,
                "account",
                "under-collateralised at the registry's prices and tier tables: the value "
                f"of its debt (rows on lines {shown}) exceeds the tiered value of its "
                "equity; the zkpor/2 circuit cannot prove this account",
            )

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Snapshot2:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# -- reading ------------------------------------------------------------------------------


class _Reader:
    """One pass over a long-format file: header, then rows, with the line of each row."""

    def __init__(self, path: Path, registry: Registry, raw: BinaryIO, store: LongStore) -> None:
        self.file = str(path)
        self.registry = registry
        self.rows = csv.reader(_decoded_lines(raw), strict=True)
        self.snap = Snapshot2(self.file, registry, store)
        self.respelled = False  # an account id was seen that is not its own NFC form

    def error(self, line: int | None, field: str | None, reason: str) -> InputError:
        return InputError(self.file, line, field, reason)

    def header(self) -> None:
        expected = ",".join(HEADER)
        try:
            row = next(self.rows, None)
        except UnicodeDecodeError as exc:
            raise self.error(1, None, _utf8_reason(exc)) from None
        except csv.Error as exc:
            raise self.error(1, None, f"malformed CSV: {exc}") from None
        if row is None:
            raise self.error(1, "header", f"empty file: expected the header {expected!r}")
        if tuple(row) != HEADER:
            # Not quoted: without a header, line 1 is an account's row.
            raise self.error(
                1,
                "header",
                f"must be exactly {expected!r} (the long format: one row per account and "
                "asset; is the header missing, or is this a zkpor/1 wide file?)",
            )

    def read(self) -> Snapshot2:
        """Read the whole file; raise ``InputError`` at the first problem (see the module)."""
        store = self.snap.store
        try:
            self.header()
            self.read_rows()
            store.flush()
        except InputError as exc:
            raise self.earlier_problem() or exc from None
        except DuplicatePair as duplicate:
            raise self.spelling_error() or self.duplicate_error(duplicate) from None
        if problem := self.spelling_error():
            raise problem
        if not store.count:
            raise self.error(None, None, "no accounts: the file has a header but no rows")
        if not self.respelled:
            store.finish()
        return self.snap

    def earlier_problem(self) -> InputError | None:
        """Return the error of a repeated pair or a respelled account among the rows read
        before a bad one (all on earlier lines), or None."""
        try:
            self.snap.store.flush()
        except DuplicatePair as duplicate:
            return self.spelling_error() or self.duplicate_error(duplicate)
        return self.spelling_error()

    def spelling_error(self) -> InputError | None:
        if not self.respelled:
            return None
        self.snap.store.finish()
        conflict = self.snap.store.spelling_conflict()
        if conflict is None:
            return None
        line, first = conflict
        return self.error(
            line,
            "account",
            f"the account of line {first}, spelled differently (equal after Unicode NFC "
            "normalisation): spell each account one way",
        )

    def duplicate_error(self, duplicate: DuplicatePair) -> InputError:
        return self.error(
            duplicate.line,
            "asset",
            f"repeated account and asset: the same pair is on line {duplicate.first_line}",
        )

    def read_rows(self) -> None:
        registry = self.registry
        indexes = registry.symbol_indexes()
        decimals = [asset.decimals for asset in registry.assets]
        free = [asset.price == 0 for asset in registry.assets]
        n = len(registry.assets)
        equity_totals, debt_totals = [0] * n, [0] * n
        rounded_equity, rounded_debt = [0] * n, [0] * n
        ignored = 0
        add = self.snap.store.add
        rows = self.rows
        last = rows.line_num  # the line the previous row ended on
        try:
            for row in rows:
                line, last = last + 1, rows.line_num
                if len(row) != len(HEADER):
                    raise self.error(line, None, _width_reason(row))
                account, symbol, equity_text, debt_text = row
                key = self.account_key(account, line)
                asset = indexes.get(symbol)
                if asset is None:
                    raise self.error(line, "asset", _unknown_asset(symbol))
                try:
                    equity, up = parse_amount(equity_text, decimals[asset])
                except ValueError as exc:
                    raise self.error(line, "equity", str(exc)) from None
                try:
                    debt, down = parse_debt(debt_text, decimals[asset])
                except ValueError as exc:
                    raise self.error(line, "debt", str(exc)) from None
                if debt and free[asset]:
                    raise self.error(
                        line,
                        "debt",
                        f"a debt in {symbol}, whose registry price is 0: its value would not "
                        "count against the account's collateral",
                    )
                rounded_equity[asset] += up
                rounded_debt[asset] += down
                if not equity and not debt:
                    ignored += 1
                equity_totals[asset] += equity
                debt_totals[asset] += debt
                for field, total in (("equity", equity_totals), ("debt", debt_totals)):
                    if total[asset] >= TOTAL_LIMIT:
                        raise self.error(
                            line,
                            field,
                            f"the total {field} of {symbol} up to this row does not fit "
                            f"{TOTAL_BITS} bits",
                        )
                add(line, account, key, asset, equity, debt)
        except UnicodeDecodeError as exc:
            # The undecodable line was never handed to the reader: it is the next one.
            raise self.error(rows.line_num + 1, None, _utf8_reason(exc)) from None
        except csv.Error as exc:
            raise self.error(last + 1, None, f"malformed CSV: {exc}") from None
        snap = self.snap
        symbols = [asset.symbol for asset in registry.assets]
        snap.equity_totals, snap.debt_totals = tuple(equity_totals), tuple(debt_totals)
        snap.rounded_equity = dict(zip(symbols, rounded_equity, strict=True))
        snap.rounded_debt = dict(zip(symbols, rounded_debt, strict=True))
        snap.rows, snap.ignored = self.snap.store.count, ignored

    def account_key(self, account: str, line: int) -> str:
        """Return the duplicate-detection key of a valid account id; else raise."""
        if (
            account.isascii()
            and account.isprintable()
            and 0 < len(account) <= MAX_USER_ID_BYTES
            and account[0] != " " != account[-1]
        ):
            return account
        try:
            _check_user_id(account)
        except ValueError as exc:
            reason = str(exc).replace("user_id", "account id")
            raise self.error(line, "account", reason) from None
        key = dedup_key(account)
        self.respelled = self.respelled or key != account
        return key


def _unknown_asset(symbol: str) -> str:
    # A symbol-like cell is quoted; anything else may be data in the wrong column.
    if text_fields.symbol_problem(symbol) is None:
        return f"{symbol!r} is not a registry asset"
    return "not a registry asset symbol ([A-Z0-9]{1,12}, as listed in the registry)"


def _width_reason(row: list[str]) -> str:
    if not row:
        return "empty row (blank line)"
    many = "too many" if len(row) > len(HEADER) else "too few"
    return f"{many} cells: expected 4 (account, asset, equity, debt), found {len(row)}"


def read_liabilities2(path: Path, registry: Registry, workdir: Path | None = None) -> Snapshot2:
    """Read and validate a long-format liabilities file against ``registry``.

    The rows go to a private temporary file in ``workdir`` (default: the system's
    temporary folder). Raises ``InputError`` (file, line, field, reason) at the first
    problem, with that file deleted. Does not run the collateral check: call
    ``Snapshot2.check_collateral()`` (``zkpor prove`` will, before proving).
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(str(path), None, None, f"cannot read: {exc.strerror}") from None
    with raw:
        store = LongStore(workdir)
        try:
            return _Reader(path, registry, raw, store).read()
        except BaseException:
            store.close()
            raise


def remove_stale(folder: Path) -> None:
    """Delete the store files a killed run left in ``folder``."""
    for path in folder.glob(f"{PREFIX}*{SUFFIX}"):
        path.unlink(missing_ok=True)


__all__ = [
    "Account2",
    "LongStore",
    "Shortfall",
    "Snapshot2",
    "collateral_check",
    "parse_debt",
    "read_liabilities2",
]
