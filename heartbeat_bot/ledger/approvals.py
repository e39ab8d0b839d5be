"""A person's go-ahead for a post: awaiting, approved or rejected, decided once.

A decision is one conditional write, so of two people deciding at once exactly one wins;
the other learns who did. Part of :class:`~heartbeat_bot.ledger.store.Ledger`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from heartbeat_bot.ledger.connection import Connection

ApprovalState = Literal["awaiting", "approved", "rejected"]


@dataclass(frozen=True)
class ApprovalRow:
    post_id: int
    state: ApprovalState
    requested_at: float | None
    decided_at: float | None
    decided_by: str | None
    via: str | None
    message_id: str | None


class Approvals:
    """The ``approvals`` table (schema 4)."""

    _db: Connection
    clock: Callable[[], float]

    def approval(self, post_id: int) -> ApprovalRow | None:
        row = self._db.execute("SELECT * FROM approvals WHERE post_id = ?", (post_id,)).fetchone()
        return _row(row) if row else None

    def approvals(self, state: ApprovalState | None = None) -> list[ApprovalRow]:
        """Every decision (or request), oldest request first; only ``state`` when given."""
        sql = "SELECT * FROM approvals"
        rows = (
            self._db.execute(sql + " WHERE state = ? ORDER BY post_id", (state,))
            if state is not None
            else self._db.execute(sql + " ORDER BY post_id")
        ).fetchall()
        return [_row(r) for r in rows]

    def request_approval(self, post_id: int) -> tuple[ApprovalRow, bool]:
        """The post waits for a person from now on (unless decided already); True when
        this call made the request."""
        with self._db.transaction():
            cursor = self._db.execute(
                "INSERT INTO approvals (post_id, state, requested_at) VALUES (?, 'awaiting', ?) "
                "ON CONFLICT (post_id) DO NOTHING",
                (post_id, self.clock()),
            )
        found = self.approval(post_id)
        assert found is not None
        return found, cursor.rowcount == 1

    def decide(
        self, post_id: int, state: Literal["approved", "rejected"], who: str, via: str
    ) -> tuple[ApprovalRow, bool]:
        """Record a decision unless one was made already; True when this call made it.

        A post not yet waiting is decided ahead (a person announced it, say).
        """
        with self._db.transaction():
            cursor = self._db.execute(
                """INSERT INTO approvals (post_id, state, decided_at, decided_by, via)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (post_id) DO UPDATE SET state = excluded.state,
                       decided_at = excluded.decided_at, decided_by = excluded.decided_by,
                       via = excluded.via
                   WHERE approvals.state = 'awaiting'""",
                (post_id, state, self.clock(), who, via),
            )
        found = self.approval(post_id)
        assert found is not None
        return found, cursor.rowcount == 1

    def withdraw_approval(self, post_id: int) -> bool:
        """Forget a request nobody decided (the post is no longer due); True when there
        was one. A decision already made is kept."""
        with self._db.transaction():
            cursor = self._db.execute(
                "DELETE FROM approvals WHERE post_id = ? AND state = 'awaiting'", (post_id,)
            )
        return cursor.rowcount == 1

    def set_approval_message(self, post_id: int, message_id: str) -> None:
        """The Discord message that asks the staff channel about the post."""
        self._db.execute(
            "UPDATE approvals SET message_id = ? WHERE post_id = ?", (message_id, post_id)
        )


def _row(row: object) -> ApprovalRow:
    return ApprovalRow(**{name: row[name] for name in ApprovalRow.__dataclass_fields__})  # type: ignore[index]
