"""The ledger's record of edits to messages already sent, by the hash of each payload.

An edit is recorded ``sending`` (with the payload's hash) before its request and ``done``
after, so a restart never repeats a finished edit; one interrupted is simply made again
(an edit replaces the message's text, so making it twice changes nothing). A message that
is out of date and cannot be edited (X, or edits turned off) is recorded ``stale``.
"""

from __future__ import annotations

import hashlib

from heartbeat_bot.ledger.journal import Journal
from heartbeat_bot.ledger.records import DEFAULT_LEASE, claimer_alive

EditState = str  # "sending", "done", "failed" or "stale"


def payload_hash(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class Edits(Journal):
    """A part of :class:`~heartbeat_bot.ledger.store.Ledger`, which opens the connection."""

    def edit_state(self, delivery_id: int, digest: str) -> EditState | None:
        row = self._db.execute(
            "SELECT state FROM edits WHERE delivery_id = ? AND payload_hash = ?",
            (delivery_id, digest),
        ).fetchone()
        return str(row["state"]) if row else None

    def claim_edit(self, delivery_id: int, digest: str, *, lease: float = DEFAULT_LEASE) -> bool:
        """Record the edit to ``digest`` as ``sending`` by this process, unless another
        live process is making it (its claim younger than ``lease``) or has already made
        it (the message's last edit done is to ``digest``); whether it is ours.

        The second check is what keeps an edit once between two runs: each reads what the
        message holds before it claims, so the slower one may still see the old hash
        after the faster one has edited and recorded it. An edit cut short by a process
        that is gone (or whose lease ran out) is taken over: made twice, it changes nothing.
        """
        now = self.clock()
        with self._transaction():
            if self._latest_done(delivery_id) == digest:
                return False
            row = self._db.execute(
                "SELECT state, process, at FROM edits WHERE delivery_id = ? AND payload_hash = ?",
                (delivery_id, digest),
            ).fetchone()
            busy = (
                row is not None
                and row["state"] == "sending"
                and row["process"] != self.identity
                and row["at"] + lease > now
                and claimer_alive(row["process"], self.identity)
            )
            if busy:
                return False
            self._db.execute(
                """INSERT INTO edits (delivery_id, payload_hash, state, detail, at, process)
                   VALUES (?, ?, 'sending', NULL, ?, ?) ON CONFLICT (delivery_id, payload_hash)
                   DO UPDATE SET state = 'sending', detail = NULL, at = excluded.at,
                     process = excluded.process""",
                (delivery_id, digest, now, self.identity),
            )
            self._log(delivery_id, "edit-sending", digest[:12], now)
        return True

    def record_edit(
        self, delivery_id: int, digest: str, state: EditState, detail: str | None = None
    ) -> None:
        """Commit the edit's state (``sending`` before the request, then its outcome)."""
        now = self.clock()
        with self._transaction():
            self._db.execute(
                """INSERT INTO edits (delivery_id, payload_hash, state, detail, at)
                   VALUES (?, ?, ?, ?, ?) ON CONFLICT (delivery_id, payload_hash)
                   DO UPDATE SET state = excluded.state, detail = excluded.detail,
                     at = excluded.at""",
                (delivery_id, digest, state, detail, now),
            )
            if state == "done":  # what was cut short or refused before is superseded
                self._db.execute(
                    """DELETE FROM edits WHERE delivery_id = ? AND payload_hash != ?
                       AND state IN ('sending', 'failed')""",
                    (delivery_id, digest),
                )
            self._log(delivery_id, f"edit-{state}", detail or digest[:12], now)

    def current_hash(self, delivery_id: int) -> str | None:
        """The hash of what the message holds now: its last edit done, else None (the
        payload it was sent with)."""
        return self._latest_done(delivery_id, withdrawn=False)

    def _latest_done(self, delivery_id: int, *, withdrawn: bool = True) -> str | None:
        """The hash of the delivery's last edit done (a withdrawal counted or not)."""
        row = self._db.execute(
            """SELECT payload_hash FROM edits WHERE delivery_id = ? AND state = 'done'
               AND (? OR payload_hash != 'withdrawn') ORDER BY at DESC, rowid DESC LIMIT 1""",
            (delivery_id, withdrawn),
        ).fetchone()
        return str(row["payload_hash"]) if row else None

    def stale(self, delivery_id: int) -> bool:
        """Whether the sent message is out of date and was not (or cannot be) edited."""
        row = self._db.execute(
            """SELECT state FROM edits WHERE delivery_id = ? AND payload_hash != 'withdrawn'
               ORDER BY at DESC, rowid DESC LIMIT 1""",
            (delivery_id,),
        ).fetchone()
        return bool(row and row["state"] == "stale")

    def edits_in_flight(self, post_id: int) -> bool:
        """Whether an edit of one of the post's messages was cut short or failed (to be
        made again)."""
        row = self._db.execute(
            """SELECT 1 FROM edits e JOIN deliveries d ON d.id = e.delivery_id
               WHERE d.post_id = ? AND e.state IN ('sending', 'failed') LIMIT 1""",
            (post_id,),
        ).fetchone()
        return row is not None
