"""The ledger's attempt log and its key-value markers (baseline, alerts sent, links to write,
rate-limit gates), and the transactions every part of the ledger shares."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from heartbeat_bot.ledger.connection import Connection


class Journal:
    """The append-only log of what happened to each pair, and the ``meta`` table.

    A part of :class:`~heartbeat_bot.ledger.store.Ledger`, which opens the connection.
    """

    _db: Connection
    identity: str
    clock: Callable[[], float]

    def transaction(self) -> AbstractContextManager[None]:
        """Group several writes into one commit (all or nothing); joins one already open."""
        return self._db.transaction()

    def _transaction(self) -> AbstractContextManager[None]:
        return self._db.transaction()

    def log(self, delivery_id: int, event: str, detail: str | None = None) -> None:
        self._log(delivery_id, event, detail, self.clock())

    def _log(self, delivery_id: int, event: str, detail: str | None, at: float) -> None:
        self._db.execute(
            "INSERT INTO attempts (delivery_id, at, event, detail, process) VALUES (?, ?, ?, ?, ?)",
            (delivery_id, at, event, detail, self.identity),
        )

    def history(self, delivery_id: int) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT at, event, detail, process FROM attempts WHERE delivery_id = ? ORDER BY id",
            (delivery_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def all_attempts(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            """SELECT a.delivery_id, d.channel, a.at, a.event, a.detail, a.process
               FROM attempts a JOIN deliveries d ON d.id = a.delivery_id ORDER BY a.id"""
        ).fetchall()
        return [dict(r) for r in rows]

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row["value"]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def delete_meta(self, key: str) -> None:
        self._db.execute("DELETE FROM meta WHERE key = ?", (key,))

    def meta_with_prefix(self, prefix: str) -> dict[str, str]:
        """Every meta entry whose key starts with ``prefix`` (taken literally)."""
        rows = self._db.execute(
            "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key",
            (len(prefix), prefix),
        ).fetchall()
        return {str(r["key"]): str(r["value"]) for r in rows}

    def last_change(self) -> tuple[int, float, float]:
        """The newest logged event's number, the latest pair update and the latest approval
        request or decision: a cheap fingerprint that changes whenever any pair's or
        post's state does (the console polls it)."""
        logged = self._db.execute("SELECT COALESCE(MAX(id), 0) AS n FROM attempts").fetchone()
        updated = self._db.execute(
            "SELECT COALESCE(MAX(updated_at), 0) AS t FROM deliveries"
        ).fetchone()
        decided = self._db.execute(
            "SELECT COALESCE(MAX(MAX(COALESCE(decided_at, 0), COALESCE(requested_at, 0))), 0)"
            " AS t FROM approvals"
        ).fetchone()
        return int(logged["n"]), float(updated["t"]), float(decided["t"])
