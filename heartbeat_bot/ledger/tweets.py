"""The ledger's rows of X threads: one per tweet, committed before and after its request."""

from __future__ import annotations

from heartbeat_bot.ledger.journal import Journal
from heartbeat_bot.ledger.records import State, TweetRow


class Tweets(Journal):
    """Each tweet of a thread and its state.

    A part of :class:`~heartbeat_bot.ledger.store.Ledger`, which opens the connection.
    """

    def ensure_tweets(self, delivery_id: int, texts: list[str]) -> list[TweetRow]:
        now = self.clock()
        self._db.executemany(
            """INSERT INTO tweets (delivery_id, position, text, updated_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (delivery_id, position) DO NOTHING""",
            [(delivery_id, i, text, now) for i, text in enumerate(texts)],
        )
        return self.tweets(delivery_id)

    def tweets(self, delivery_id: int) -> list[TweetRow]:
        rows = self._db.execute(
            "SELECT * FROM tweets WHERE delivery_id = ? ORDER BY position", (delivery_id,)
        ).fetchall()
        return [
            TweetRow(r["position"], r["text"], r["state"], r["remote_id"], r["last_error"])
            for r in rows
        ]

    def set_tweet(
        self,
        delivery_id: int,
        position: int,
        state: State,
        *,
        remote_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Commit one tweet's state (``sending`` before its request, ``done`` after)."""
        now = self.clock()
        with self._transaction():
            self._db.execute(
                """UPDATE tweets SET state = ?, remote_id = COALESCE(?, remote_id),
                     last_error = ?, updated_at = ? WHERE delivery_id = ? AND position = ?""",
                (state, remote_id, error, now, delivery_id, position),
            )
            detail = f"tweet {position + 1}" + (
                f": {remote_id or error}" if remote_id or error else ""
            )
            self._log(delivery_id, f"tweet-{state}", detail, now)

    def set_tweet_text(self, delivery_id: int, position: int, text: str) -> None:
        """Give a tweet never sent a new text (it clashed with another post's tweet)."""
        with self._transaction():
            self._db.execute(
                """UPDATE tweets SET text = ?, updated_at = ? WHERE delivery_id = ?
                   AND position = ? AND state IN ('pending', 'failed')""",
                (text, self.clock(), delivery_id, position),
            )
            self._log(delivery_id, "tweet-reworded", f"tweet {position + 1}", self.clock())

    def tweet_texts_elsewhere(self, delivery_id: int) -> set[str]:
        """The texts of every tweet sent (or maybe sent) for other pairs than this one."""
        rows = self._db.execute(
            """SELECT text FROM tweets WHERE delivery_id != ?
               AND state IN ('done', 'sending', 'unknown')""",
            (delivery_id,),
        ).fetchall()
        return {str(r["text"]) for r in rows}
