"""The accounts of one snapshot and their places in the tree, on disk (SQLite).

At millions of accounts nothing per account may stay in the coordinating process's
memory: the snapshot, the placement of accounts on leaves and the leaf salts live in a
private SQLite file that ``zkpor prove`` rebuilds on every run (the plan it needs to
resume is in ``plan.json`` and ``leaves.csv``; see ``publisher.attest.pipeline``). SQLite
keeps a bounded page cache and sorts with temporary files, so memory stays flat.

Tables:

* ``accounts``: one row per account in file order (``i`` from 0), its line in the
  liabilities file, its user id, the key two ids must not share (``key``, unique: the
  duplicate check) and its balances (``array('Q')`` bytes, in the config's asset order);
* ``leaves``: per leaf, the account on it (NULL for a padding leaf; each account once)
  and its salt (hex).

The file is private (0600, in the private directory) and deleted when closed; a run
killed before that leaves it behind, and the next run in that directory removes it.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

PREFIX = ".accounts-"
SUFFIX = ".sqlite"
#: SQLite page cache (KiB): the store's whole share of the coordinator's memory.
CACHE_KIB = 32 * 1024
#: Rows per executemany: bounds the rows waiting in Python.
CHUNK = 4096

Row = tuple[int | None, str | None, tuple[int, ...] | None, int]


class DuplicateKey(Exception):
    """The account read on ``line`` repeats the key of ``first_id``, read on ``first_line``."""

    def __init__(self, line: int, user_id: str, first_line: int, first_id: str) -> None:
        super().__init__(f"line {line} repeats the key of line {first_line}")
        self.line, self.user_id = line, user_id
        self.first_line, self.first_id = first_line, first_id


def remove_stale(folder: Path, keep: Path | None = None) -> None:
    """Delete the store files a killed run left in ``folder`` (all but ``keep``)."""
    for path in folder.glob(f"{PREFIX}*{SUFFIX}"):
        if keep is None or path.resolve() != keep.resolve():
            path.unlink(missing_ok=True)


def open_scratch(
    folder: Path | None, prefix: str, pragmas: Sequence[str] = ()
) -> tuple[Path, sqlite3.Connection]:
    """Return a new private (0600, ``mkstemp``) SQLite scratch file in ``folder`` named
    ``<prefix>*.sqlite``, and its connection: rebuilt on every run, so no journal and no
    fsync, with a bounded page cache; ``pragmas`` are set after those."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=SUFFIX)
    os.close(fd)
    db = sqlite3.connect(name, isolation_level=None, check_same_thread=False)
    for pragma in (
        "journal_mode = OFF",
        "synchronous = OFF",
        "locking_mode = EXCLUSIVE",
        f"cache_size = -{CACHE_KIB}",
        *pragmas,
    ):
        db.execute(f"PRAGMA {pragma}")
    return Path(name), db


class AccountStore:
    """A private, temporary SQLite file of accounts and leaves."""

    def __init__(self, folder: Path | None = None) -> None:
        self.path, self.db = open_scratch(folder, PREFIX)
        self.db.executescript(
            """
            CREATE TABLE accounts (
                i INTEGER PRIMARY KEY, line INTEGER NOT NULL, user_id TEXT NOT NULL,
                key TEXT NOT NULL UNIQUE, balances BLOB NOT NULL);
            CREATE TABLE leaves (
                leaf INTEGER PRIMARY KEY, account INTEGER UNIQUE, salt TEXT NOT NULL);
            """
        )
        self.count = 0
        self._pending: list[tuple[int, int, str, str, bytes]] = []
        self._finalizer = weakref.finalize(self, close_scratch, self.db, self.path, os.getpid())

    # -- accounts -----------------------------------------------------------------------

    def add(self, line: int, user_id: str, key: str, balances: Sequence[int]) -> None:
        """Queue one account (written by ``flush``, or by the next ``add`` in a chunk)."""
        self._pending.append((self.count, line, user_id, key, array("Q", balances).tobytes()))
        self.count += 1
        if len(self._pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        """Write the queued accounts; raise ``DuplicateKey`` at the first repeated key."""
        rows, self._pending = self._pending, []
        insert = "INSERT INTO accounts VALUES (?, ?, ?, ?, ?)"
        try:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany(insert, rows)
        except sqlite3.IntegrityError:
            # The chunk was rolled back: insert it row by row to find the repeated key.
            with self.db:
                self.db.execute("BEGIN")
                for row in rows:
                    try:
                        self.db.execute(insert, row)
                    except sqlite3.IntegrityError:
                        first = self.db.execute(
                            "SELECT line, user_id FROM accounts WHERE key = ?", (row[3],)
                        ).fetchone()
                        raise DuplicateKey(row[1], row[2], first[0], first[1]) from None

    def __len__(self) -> int:
        return self.count

    def user_id(self, i: int) -> str:
        return str(self._account(i)[0])

    def balances_of(self, i: int) -> tuple[int, ...]:
        return self._balances(self._account(i)[1])

    def _account(self, i: int) -> tuple[str, bytes]:
        row = self.db.execute("SELECT user_id, balances FROM accounts WHERE i = ?", (i,)).fetchone()
        if row is None:
            raise IndexError(f"account {i} out of range 0..{self.count - 1}")
        return row[0], row[1]

    def accounts(self) -> Iterator[tuple[str, tuple[int, ...]]]:
        """Yield (user id, balances) of every account, in file order."""
        for user_id, blob in self.db.execute("SELECT user_id, balances FROM accounts ORDER BY i"):
            yield user_id, self._balances(blob)

    def account_of(self, key: str) -> int | None:
        """Return the index of the account whose key is ``key``, None if there is none."""
        row = self.db.execute("SELECT i FROM accounts WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def _balances(self, blob: bytes) -> tuple[int, ...]:
        return tuple(array("Q", blob))

    # -- leaves -------------------------------------------------------------------------

    def place_randomly(self, n_leaves: int, draw: Callable[[], tuple[int, int]]) -> None:
        """Put every account and ``n_leaves - len(self)`` padding leaves in a uniformly
        random order, each with a salt: ``draw()`` returns (sort key, salt) per leaf.

        The sort runs in SQLite (on disk beyond its cache): no list of leaves in memory.
        """
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM leaves")
            # In this file, not SQLite's temporary folder: the table holds the salts. The
            # index orders the leaves without a sort that would spill the salts there too.
            self.db.execute("CREATE TABLE shuffle (r INTEGER NOT NULL, account INTEGER, salt TEXT)")
            self.db.executemany(
                "INSERT INTO shuffle VALUES (?, ?, ?)",
                (
                    (r, i if i < self.count else None, f"{salt:x}")
                    for i, (r, salt) in ((i, draw()) for i in range(n_leaves))
                ),
            )
            self.db.execute("CREATE INDEX shuffle_r ON shuffle (r)")
            # Ties (two equal sort keys) fall back to insertion order: never in practice.
            self.db.execute(
                "INSERT INTO leaves SELECT row_number() OVER (ORDER BY r, rowid) - 1, "
                "account, salt FROM shuffle"
            )
            self.db.execute("DROP TABLE shuffle")

    def set_leaves(self, leaves: Iterable[tuple[int, int | None, int]]) -> None:
        """Store (leaf, account or None, salt) rows, as a saved plan has them; an account
        placed twice raises ``sqlite3.IntegrityError``."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM leaves")
            self.db.executemany(
                "INSERT INTO leaves VALUES (?, ?, ?)",
                ((leaf, account, f"{salt:x}") for leaf, account, salt in leaves),
            )

    def leaves(self) -> Iterator[tuple[int, str | None, int]]:
        """Yield (leaf, user id or None, salt) of every leaf, in leaf order."""
        for leaf, user_id, salt in self.db.execute(
            "SELECT l.leaf, a.user_id, l.salt FROM leaves l "
            "LEFT JOIN accounts a ON a.i = l.account ORDER BY l.leaf"
        ):
            yield leaf, user_id, int(salt, 16)

    def n_leaves(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM leaves").fetchone()[0])

    def placed(self) -> int:
        """Return how many accounts sit on a leaf."""
        return int(self.db.execute("SELECT count(account) FROM leaves").fetchone()[0])

    def leaf_rows(self, first: int, count: int) -> list[Row]:
        """Return (account, user id, balances, salt) of leaves ``first .. first+count-1``,
        in leaf order; account, user id and balances are None on a padding leaf."""
        rows = self.db.execute(
            "SELECT l.account, a.user_id, a.balances, l.salt FROM leaves l "
            "LEFT JOIN accounts a ON a.i = l.account WHERE l.leaf >= ? AND l.leaf < ? "
            "ORDER BY l.leaf",
            (first, first + count),
        ).fetchall()
        if len(rows) != count:
            raise LookupError(f"leaves {first}..{first + count - 1}: {len(rows)} stored")
        return [
            (account, user_id, None if blob is None else self._balances(blob), int(salt, 16))
            for account, user_id, blob, salt in rows
        ]

    def close(self) -> None:
        """Close and delete the file."""
        self._finalizer()


def close_scratch(db: sqlite3.Connection, path: Path, owner: int) -> None:
    """Close and delete a scratch file, in the process ``owner`` that created it only: a
    forked process (a pool worker) shares the file."""
    if os.getpid() == owner:
        db.close()
        path.unlink(missing_ok=True)
