"""The ledger's upkeep: its schema, its id, and whether it can be written now."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path

from heartbeat_bot.ledger.connection import LEDGER_ID_KEY, Connection, LedgerUnusable, Lost
from heartbeat_bot.ledger.journal import Journal
from heartbeat_bot.ledger.records import LedgerError
from heartbeat_bot.ledger.schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger("heartbeat_bot.ledger")

# The marker the write probe commits (the time of the last probe).
PROBE_KEY = "probe"


class Upkeep(Journal):
    """A part of :class:`~heartbeat_bot.ledger.store.Ledger`, which opens the connection."""

    path: Path
    _db: Connection
    clock: Callable[[], float]
    # ``PRAGMA data_version`` when the file was checked on opening: the first probe after
    # it checks the file again only if another connection committed since (else None).
    _opened_checked: int | None = None

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Apply the migrations this file lacks, each in its own transaction."""
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"{self.path} was written by a newer heartbeat-bot (schema {version}); "
                "upgrade heartbeat-bot to use it"
            )
        for number in range(version, SCHEMA_VERSION):
            with self._transaction():
                if self.schema_version != number:  # another process migrated meanwhile
                    continue
                for statement in _statements(MIGRATIONS[number]):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")

    def _stamp(self) -> None:
        """Give the file its ledger id once (best effort: a read-only file stays usable)."""
        if self.get_meta(LEDGER_ID_KEY) is not None:
            return
        try:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (LEDGER_ID_KEY, uuid.uuid4().hex),
            )
        except LedgerUnusable as exc:
            log.debug("ledger id not recorded: %s", exc)

    def probe(self) -> None:
        """Raise :class:`LedgerUnusable` unless the ledger can be used now.

        ``PRAGMA quick_check``, then a real commit (a marker with the time), so a damaged
        file or a full disk shows; the first probe after opening skips the check made on
        opening unless another connection committed since. A ledger that was
        deleted or replaced is taken back only when the file now at the path is the same
        ledger, no older than when it was lost (its saved copy, say): a fresh or an older
        file at the path would announce again what was already sent.
        """
        lost = self._db.lost
        if lost is not None:
            self._take_back(lost)
        checked, self._opened_checked = self._opened_checked, None
        if lost is not None or checked is None or checked != self._data_version():
            self._db.quick_check()
        with self._transaction():
            self.set_meta(PROBE_KEY, str(self.clock()))

    def _check_on_opening(self) -> None:
        """``PRAGMA quick_check`` of the file just opened, remembered for :meth:`probe`
        (``run`` probes at once: one pass over a large file, not two)."""
        self._db.quick_check()
        self._opened_checked = self._data_version()

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _take_back(self, lost: Lost) -> None:
        if not self.path.exists():
            raise lost.error
        candidate = Connection(self.path, create=False)
        try:
            candidate.quick_check()
            found = candidate.fingerprint()
            version = int(candidate.execute("PRAGMA user_version").fetchone()[0])
        except BaseException:
            candidate.close()
            raise
        last = lost.fingerprint
        if last is None or version != SCHEMA_VERSION or not found.continues(last):
            candidate.close()
            raise LedgerUnusable(
                f"state.path: {self.path} now holds another ledger, or an older copy of the "
                "one that was deleted; restart heartbeat-bot to use it (announcements it "
                "lacks may be sent again)"
                + (f", or move {lost.saved} there instead" if lost.saved else ""),
                kind="gone",
            )
        self._db = candidate
        log.info("ledger %s is back (the same ledger, as recent as it was)", self.path)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
