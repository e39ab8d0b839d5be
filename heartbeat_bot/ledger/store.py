"""The ledger: what was sent where, in SQLite, committed before and after every request.

Every (post, channel) pair moves ``pending -> sending -> done``, or to ``waiting`` (retry
at ``next_attempt_at``), ``failed`` (refused, or retries exhausted), ``unknown`` (the
outcome could not be confirmed) or ``skipped`` (settled by hand). X threads also keep
one row per tweet. ``sending`` is taken with a conditional UPDATE, so of two processes
only one can claim a pair; the claim carries the process and a lease. A claim whose
lease expired, or whose process is gone, can be taken over, but only to reconcile it
with the service, never to resend blindly.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from heartbeat_bot.ledger.approvals import Approvals
from heartbeat_bot.ledger.connection import Connection
from heartbeat_bot.ledger.edits import Edits
from heartbeat_bot.ledger.posts import PostBook
from heartbeat_bot.ledger.records import (
    DEFAULT_LEASE,
    Delivery,
    State,
    claimer_alive,
    process_identity,
)
from heartbeat_bot.ledger.tweets import Tweets
from heartbeat_bot.ledger.upkeep import Upkeep
from heartbeat_bot.models import Sent

log = logging.getLogger("heartbeat_bot.ledger")


class Ledger(PostBook, Edits, Tweets, Upkeep, Approvals):
    """One SQLite file, opened in WAL mode; safe to share between processes."""

    def __init__(
        self,
        path: Path,
        *,
        identity: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.identity = identity or process_identity()
        self.clock = clock
        self._db = Connection(path)
        try:
            self.migrate()
            self._check_on_opening()
            self._stamp()
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- deliveries ----------------------------------------------------------------

    def ensure(self, post_id: int, channel: str) -> Delivery:
        """The pair's row, created ``pending`` the first time."""
        now = self.clock()
        self._db.execute(
            """INSERT INTO deliveries (post_id, channel, created_at, updated_at)
               VALUES (?, ?, ?, ?) ON CONFLICT (post_id, channel) DO NOTHING""",
            (post_id, channel, now, now),
        )
        row = self._db.execute(
            "SELECT * FROM deliveries WHERE post_id = ? AND channel = ?", (post_id, channel)
        ).fetchone()
        return _delivery(row)

    def get(self, delivery_id: int) -> Delivery:
        row = self._db.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
        return _delivery(row)

    def deliveries(self, post_id: int) -> list[Delivery]:
        rows = self._db.execute(
            "SELECT * FROM deliveries WHERE post_id = ? ORDER BY id", (post_id,)
        ).fetchall()
        return [_delivery(r) for r in rows]

    def deliveries_of(self, post_ids: Collection[int]) -> dict[int, list[Delivery]]:
        """The pairs of each of ``post_ids`` (by id), in a query per 500 posts, not one each."""
        found: dict[int, list[Delivery]] = {post_id: [] for post_id in post_ids}
        wanted = list(found)
        for start in range(0, len(wanted), 500):  # within SQLite's count of parameters
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT * FROM deliveries WHERE post_id IN ({marks}) ORDER BY id", chunk
            ).fetchall()
            for row in rows:
                found[row["post_id"]].append(_delivery(row))
        return found

    def pair_states_by_url(self, states: Collection[str]) -> dict[str, set[str]]:
        """For each post (by its current URL) with a pair in one of ``states``: which of
        them its pairs are in (one query for the whole ledger)."""
        marks = ", ".join("?" * len(states))
        rows = self._db.execute(
            f"SELECT p.url, d.state FROM deliveries d JOIN posts p ON p.id = d.post_id "
            f"WHERE d.state IN ({marks})",
            list(states),
            plain=True,
        ).fetchall()
        found: dict[str, set[str]] = {}
        for url, state in rows:
            found.setdefault(url, set()).add(state)
        return found

    def pair_counts(self) -> dict[tuple[str, str], int]:
        """How many pairs each (channel, state) has, for the metrics."""
        rows = self._db.execute(
            "SELECT channel, state, COUNT(*) AS n FROM deliveries GROUP BY channel, state"
        ).fetchall()
        return {(row["channel"], row["state"]): int(row["n"]) for row in rows}

    def due(self, now: float | None = None) -> list[Delivery]:
        """Pairs to look at again now: waits that ended, unknowns to re-check, dead claims."""
        moment = self.clock() if now is None else now
        rows = self._db.execute(
            """SELECT * FROM deliveries
               WHERE (state IN ('waiting', 'unknown') AND next_attempt_at <= ?)
                  OR (state = 'sending' AND lease_expires_at < ?)""",
            (moment, moment),
        ).fetchall()
        return [_delivery(r) for r in rows]

    def claim(
        self,
        delivery_id: int,
        *,
        payload: str,
        nonce: str | None = None,
        from_states: tuple[str, ...] = ("pending", "waiting"),
        lease: float = DEFAULT_LEASE,
    ) -> Delivery | None:
        """Move the pair to ``sending`` for this process, or None if another has it.

        The payload (and nonce) are kept from the first claim on, so a resend is
        byte-identical; the caller must send the returned row's payload.
        """
        now = self.clock()
        marks = ",".join("?" for _ in from_states)
        with self._transaction():
            cursor = self._db.execute(
                f"""UPDATE deliveries SET state = 'sending', claimed_by = ?,
                      lease_expires_at = ?, attempts = attempts + 1,
                      payload = COALESCE(payload, ?), nonce = COALESCE(nonce, ?),
                      next_attempt_at = NULL, updated_at = ?
                    WHERE id = ? AND state IN ({marks})""",
                (self.identity, now + lease, payload, nonce, now, delivery_id, *from_states),
            )
            if cursor.rowcount == 1:
                self._log(delivery_id, "sending", None, now)
        return self.get(delivery_id) if cursor.rowcount == 1 else None

    def take_over(self, delivery_id: int, *, lease: float = DEFAULT_LEASE) -> Delivery | None:
        """Take a ``sending`` claim whose lease expired or whose process is gone.

        The caller must reconcile with the service before any resend.
        """
        row = self.get(delivery_id)
        if row.state != "sending":
            return None
        now = self.clock()
        expired = row.lease_expires_at is None or row.lease_expires_at < now
        if not expired and claimer_alive(row.claimed_by, self.identity):
            return None
        cursor = self._db.execute(
            """UPDATE deliveries SET claimed_by = ?, lease_expires_at = ?, updated_at = ?
               WHERE id = ? AND state = 'sending' AND claimed_by IS ?""",
            (self.identity, now + lease, now, delivery_id, row.claimed_by),
        )
        if cursor.rowcount != 1:
            return None
        self.log(delivery_id, "reconciling", f"claim of {row.claimed_by} taken over")
        return self.get(delivery_id)

    def renew(self, delivery_id: int, *, lease: float = DEFAULT_LEASE) -> None:
        """Extend this process's lease while it is still working on the pair."""
        self._db.execute(
            """UPDATE deliveries SET lease_expires_at = ? WHERE id = ? AND claimed_by = ?
               AND state = 'sending'""",
            (self.clock() + lease, delivery_id, self.identity),
        )

    def finish(
        self, delivery_id: int, sent: Sent, *, event: str = "done", owned: bool = True
    ) -> None:
        """``done``, with what the service created, right after its answer.

        ``owned=False`` records a pair this process never claimed (an adopted topic).
        """
        self._settle(
            delivery_id,
            "done",
            event,
            sent.url or sent.remote_id,
            owned=owned,
            remote_id=sent.remote_id,
            remote_url=sent.url,
            last_error=None,
        )

    def wait(self, delivery_id: int, error: str, next_attempt_at: float) -> None:
        self._settle(
            delivery_id,
            "waiting",
            "waiting",
            error,
            last_error=error,
            next_attempt_at=next_attempt_at,
        )

    def fail(self, delivery_id: int, error: str) -> None:
        self._settle(delivery_id, "failed", "failed", error, last_error=error)

    def mark_unknown(self, delivery_id: int, error: str, retry_at: float | None = None) -> None:
        """Unconfirmed; ``retry_at`` asks for another look-up then (the service does it)."""
        self._settle(
            delivery_id, "unknown", "unknown", error, last_error=error, next_attempt_at=retry_at
        )

    def defer(self, delivery_id: int, note: str, next_attempt_at: float) -> State | None:
        """Put off a pair no process is sending, spending no attempt (a rate limit's wait).

        It becomes ``waiting`` until ``next_attempt_at``; an ``unknown`` one stays unknown,
        with its reason, and is checked then. Returns the new state, or None when the
        pair is being sent or settled meanwhile.
        """
        now = self.clock()
        with self._transaction():
            cursor = self._db.execute(
                """UPDATE deliveries SET
                     state = CASE state WHEN 'unknown' THEN 'unknown' ELSE 'waiting' END,
                     last_error = CASE state WHEN 'unknown' THEN last_error ELSE ? END,
                     next_attempt_at = ?, updated_at = ?
                   WHERE id = ? AND state IN ('pending', 'waiting', 'failed', 'unknown')""",
                (note, next_attempt_at, now, delivery_id),
            )
            if cursor.rowcount != 1:
                return None
            self._log(delivery_id, "deferred", note, now)
        return self.get(delivery_id).state

    def refund(self, delivery_id: int) -> None:
        """Give back the attempt this process's claim counted: it sent nothing the service
        carried out (the service's rate limit was used up)."""
        self._db.execute(
            """UPDATE deliveries SET attempts = MAX(attempts - 1, 0)
               WHERE id = ? AND state = 'sending' AND claimed_by = ?""",
            (delivery_id, self.identity),
        )

    def release(self, delivery_id: int, note: str) -> None:
        """Back to ``pending``, e.g. when reconciliation proved nothing was sent."""
        self._settle(delivery_id, "pending", "released", note)

    def resolve(self, delivery_id: int, state: State, note: str, sent: Sent | None = None) -> None:
        """A person settled the pair by hand (``heartbeat-bot resolve``)."""
        fields: dict[str, Any] = {"last_error": None, "next_attempt_at": None}
        if sent is not None:
            fields.update(remote_id=sent.remote_id, remote_url=sent.url)
        if state == "pending":
            fields.update(payload=None, nonce=None, attempts=0)
            self._db.execute("DELETE FROM tweets WHERE delivery_id = ?", (delivery_id,))
        self._settle(delivery_id, state, f"resolved:{state}", note, owned=False, **fields)

    def restart(self, delivery_id: int, note: str) -> None:
        """Forget the stored payload so the pair is rendered and sent anew (``--force``)."""
        self._settle(
            delivery_id,
            "pending",
            "forced",
            note,
            owned=False,
            payload=None,
            nonce=None,
            last_error=None,
            attempts=0,
        )
        self._db.execute("DELETE FROM tweets WHERE delivery_id = ?", (delivery_id,))

    def _settle(
        self,
        delivery_id: int,
        state: State,
        event: str,
        detail: str | None,
        *,
        owned: bool = True,
        **fields: Any,
    ) -> None:
        """Commit a pair's new state. ``owned``: only while this process holds the claim.

        A process whose claim was taken over (its lease ran out) must not overwrite what
        the new owner records; it logs that and leaves the row alone.
        """
        now = self.clock()
        assignments = ", ".join(f"{name} = ?" for name in fields)
        extra = f", {assignments}" if assignments else ""
        guard = " AND state = 'sending' AND claimed_by = ?" if owned else ""
        with self._transaction():
            cursor = self._db.execute(
                f"""UPDATE deliveries SET state = ?, claimed_by = NULL, lease_expires_at = NULL,
                      updated_at = ?{extra} WHERE id = ?{guard}""",
                (state, now, *fields.values(), delivery_id, *((self.identity,) if owned else ())),
            )
            if cursor.rowcount == 0:
                log.warning(
                    "pair %s was taken over by another process; %s not recorded", delivery_id, state
                )
                return
            self._log(delivery_id, event, detail, now)


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(**{name: row[name] for name in Delivery.__dataclass_fields__})
