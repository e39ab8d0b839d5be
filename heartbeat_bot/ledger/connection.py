"""The ledger's SQLite connection, guarded so that a ledger that cannot be used is noticed.

Four things can make the ledger unusable while a process holds it open:

- the disk fills up (or a file size limit is reached): commits fail;
- the file is deleted or replaced: SQLite goes on reading and writing the open, unlinked
  file, so every commit "succeeds" into a file nobody will read again;
- the file is corrupted: reads fail with "database disk image is malformed";
- it becomes read-only.

Each surfaces here as :class:`LedgerUnusable`, never as a raw ``sqlite3`` error. Every
statement outside a transaction, every ``BEGIN`` and every ``COMMIT`` first checks that
the path still names the file that was opened (its device and inode, taken when it was
opened, against ``os.stat`` of the path, for the database and its ``-wal``), and checks
again after each commit, so a claim committed into a file that was deleted meanwhile is
never taken for recorded. The statements inside a transaction are not checked one by one
(two ``stat`` calls each, most of the cost of recording thousands of posts at once):
a file lost meanwhile is found before the ``COMMIT``, and the transaction rolled back.
No file descriptor of our own is held for this: closing any descriptor of a SQLite file
drops the process's POSIX locks on it, which SQLite relies on.

A ledger found deleted or replaced is saved first (SQLite's backup API reads the open,
unlinked file to its last commit) beside the path, then closed: nothing more can be
written into it, and closing it later cannot touch a file put back at the path.
"""

from __future__ import annotations

import logging
import os
import shlex
import sqlite3
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from heartbeat_bot.ledger.records import LedgerError

log = logging.getLogger("heartbeat_bot.ledger")

Kind = Literal["gone", "full", "readonly", "corrupt", "busy", "io"]

# The marker of one ledger file and its copies: a fresh file at the path never has it.
LEDGER_ID_KEY = "ledger_id"
# SQLite's result codes (``sqlite_errorname``, by prefix) and what each means here.
_KINDS: tuple[tuple[str, Kind], ...] = (
    ("SQLITE_FULL", "full"),
    ("SQLITE_READONLY", "readonly"),
    ("SQLITE_CORRUPT", "corrupt"),
    ("SQLITE_NOTADB", "corrupt"),
    ("SQLITE_BUSY", "busy"),
    ("SQLITE_LOCKED", "busy"),
)
_MARKS = ("posts", "deliveries", "attempts")


class LedgerUnusable(LedgerError):
    """The ledger cannot be used now; ``kind`` says why (``gone``, ``full``, ``corrupt``...).

    Nothing may be sent while it is raised: a claim that was not committed is no claim.
    """

    def __init__(self, message: str, *, kind: Kind) -> None:
        super().__init__(message)
        self.kind = kind


def recovery_hint(path: Path) -> str:
    """How a person gets a corrupted ledger back, in one line."""
    shown, rebuilt = shlex.quote(str(path)), shlex.quote(f"{path}.recovered")
    return (
        f'restore it from a backup, or rebuild it with `sqlite3 {shown} ".recover" | '
        f"sqlite3 {rebuilt}` and put that file in its place"
    )


def unusable(path: Path, exc: sqlite3.Error) -> LedgerUnusable:
    """The one-line error for a SQLite error that makes the ledger unusable."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    kind: Kind = next((k for prefix, k in _KINDS if name.startswith(prefix)), "io")
    if kind == "corrupt":
        message = f"state.path: the ledger {path} is corrupted ({exc}); {recovery_hint(path)}"
    elif kind == "busy":
        message = f"state.path: the ledger {path} stayed locked by another process ({exc})"
    else:
        message = f"state.path: cannot use the ledger {path} ({exc})"
    return LedgerUnusable(message, kind=kind)


def _is_unusable(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` is about the file (disk, lock, corruption), not a mistake of ours."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) in {
        sqlite3.DatabaseError,
        sqlite3.InternalError,
    }


@dataclass(frozen=True)
class Fingerprint:
    """Which ledger a file holds (``ledger_id``) and how far it got (highest row ids)."""

    ledger_id: str | None
    marks: tuple[int, ...]

    def continues(self, lost: Fingerprint) -> bool:
        """Whether this file is the ``lost`` ledger, no older than when it was lost."""
        return (
            self.ledger_id is not None
            and self.ledger_id == lost.ledger_id
            and all(mine >= theirs for mine, theirs in zip(self.marks, lost.marks, strict=True))
        )


def fingerprint(db: sqlite3.Connection) -> Fingerprint:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (LEDGER_ID_KEY,)).fetchone()
    marks = tuple(
        int(db.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0])
        for table in _MARKS
    )
    return Fingerprint(str(row[0]) if row else None, marks)


@dataclass(frozen=True)
class Lost:
    """A ledger found deleted or replaced: where its last state was saved, and how far it got."""

    error: LedgerUnusable
    saved: Path | None
    fingerprint: Fingerprint | None


PAGE_CACHE_KIB = 512
"""The most the connection keeps of the ledger's pages in memory, in KiB (SQLite's default,
2 MiB, was full in a service holding a ledger of 5,000 posts: its whole-table reads go past
any cache that size, and its look-ups by index need the tree's upper pages only)."""


class Connection:
    """One SQLite connection to the ledger file, whose errors are :class:`LedgerUnusable`.

    ``create=False`` never creates a file where none is (to take back a restored ledger).
    """

    def __init__(self, path: Path, *, create: bool = True, timeout: float = 30.0) -> None:
        self.path = path
        self.lost: Lost | None = None
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(path, isolation_level=None, timeout=timeout)
            else:
                uri = "file:" + urllib.parse.quote(str(path)) + "?mode=rw"
                db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=timeout)
        except (sqlite3.Error, OSError) as exc:
            raise LedgerUnusable(
                f"state.path: cannot open the ledger {path} ({exc})", kind="io"
            ) from exc
        self._db = db
        try:
            db.row_factory = sqlite3.Row
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
                db.execute(f"PRAGMA {pragma}")
            db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            db.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
            self._files = {name: _identity(name) for name in (path, _wal(path))}
        except sqlite3.Error as exc:
            db.close()
            if not _is_unusable(exc):
                raise
            raise unusable(path, exc) from exc

    @property
    def in_transaction(self) -> bool:
        return self.lost is None and self._db.in_transaction

    def execute(self, sql: str, parameters: Sequence[Any] = (), *, plain: bool = False) -> Result:
        """Run one statement and fetch its rows, checking the file before and after (inside
        a transaction: before its ``COMMIT`` only). ``plain``: rows as tuples, not
        ``sqlite3.Row`` (half the cost for a query of the whole table)."""
        if not self.in_transaction or _ends_transaction(sql):
            self.check_file()
        try:
            cursor = self._db.cursor()
            if plain:
                cursor.row_factory = None
            cursor.execute(sql, parameters)
            result = Result(cursor.fetchall(), cursor.rowcount)
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc
        if not self._db.in_transaction:  # committed (or read): was it the ledger's file?
            self.check_file()
        return result

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not self.in_transaction:
            self.check_file()
        try:
            self._db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc
        if not self._db.in_transaction:
            self.check_file()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; joins the transaction already open, if any.

        A commit that fails is rolled back, so the connection is never left inside a
        transaction that every later write would join and none would commit.
        """
        if self.in_transaction:
            yield
            return
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def quick_check(self) -> None:
        """``PRAGMA quick_check``: raise :class:`LedgerUnusable` when the file is damaged."""
        rows = [str(r[0]) for r in self.execute("PRAGMA quick_check").fetchall()]
        if rows != ["ok"]:
            problem = rows[0] if rows else "no answer"
            detail = problem if len(problem) <= 120 else problem[:119] + "…"
            raise LedgerUnusable(
                f"state.path: the ledger {self.path} is corrupted ({detail}); "
                f"{recovery_hint(self.path)}",
                kind="corrupt",
            )

    def fingerprint(self) -> Fingerprint:
        try:
            return fingerprint(self._db)
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc

    def check_file(self) -> None:
        """Raise :class:`LedgerUnusable` unless the path still names the file opened."""
        if self.lost is not None:
            raise self.lost.error
        for name, opened in self._files.items():
            now = _identity(name)
            if opened is None:  # the -wal appears with the first read: it is this one
                self._files[name] = now
            elif now != opened:
                self._lose(name)
                assert self.lost is not None
                raise self.lost.error

    def close(self) -> None:
        if self.lost is None:
            self._db.close()

    def _failed(self, exc: sqlite3.Error) -> Exception:
        if self.lost is not None:
            return self.lost.error
        if not _is_unusable(exc):
            return exc
        self._rollback()  # some failures leave the transaction open
        return unusable(self.path, exc)

    def _rollback(self) -> None:
        if self.lost is None and self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                log.warning("ledger: rollback failed", exc_info=True)

    def _lose(self, name: Path) -> None:
        """Save what the open file holds beside the path, then let go of it for good."""
        self._rollback()
        saved: Path | None = None
        note = ""
        try:
            last: Fingerprint | None = fingerprint(self._db)
        except sqlite3.Error:
            last = None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.saved-{stamp}")
        try:
            copy = sqlite3.connect(target)
            try:
                self._db.backup(copy)
            finally:
                copy.close()
            saved = target
            note = f"; its last state was saved as {saved}: put that file back at {self.path}"
        except (sqlite3.Error, OSError) as exc:
            note = f"; its last state could not be saved ({exc})"
            with suppress(OSError):
                target.unlink(missing_ok=True)
        self._db.close()
        what = "database" if name == self.path else f"file {name.name}"
        error = LedgerUnusable(
            f"state.path: the ledger {what} at {self.path} was deleted or replaced while in "
            f"use{note}",
            kind="gone",
        )
        self.lost = Lost(error, saved, last)


class Result:
    """The rows of one statement, fetched while its errors were still being guarded."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows


def _ends_transaction(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("COMMIT", "END"))


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``, or None when there is none."""
    try:
        found = os.stat(path)
    except OSError:  # gone, or its folder is (or is no folder any more)
        return None
    return (found.st_dev, found.st_ino)
