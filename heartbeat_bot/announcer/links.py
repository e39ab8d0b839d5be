"""Writing a new topic's URL into its post's ``commentsUrl``, and trying again later.

The link is the least urgent part of an announcement: it never holds up Discord or X. A
write that fails (the post changed since it was read, a conflict, a refused push, GitHub
down) is remembered in the ledger's markers with its error and the time of the next try,
and the service tries again from the post as it reads then.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from heartbeat_bot.announcer.protocols import WriteBack
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.models import Post
from heartbeat_bot.sources.writeback import WriteBackError

NOT_WRITTEN = "commentsUrl not written"  # how a note about a failed write-back starts
log = logging.getLogger("heartbeat_bot.announcer")

# Ledger marker key prefix (+ post URL) of a comments URL not yet written into its post.
WRITE_BACK_PENDING = "writeback:"
# The first retry comes at once (the usual failure, an edited post, is over by the next
# scan); then waits double from a minute up to an hour: 8 tries span about an hour.
FIRST_BACKOFF = 60.0
MAX_BACKOFF = 3600.0


@dataclass(frozen=True)
class PendingLink:
    """A comments URL not written yet: how many tries failed, the last error, the next try."""

    attempts: int
    error: str
    next_at: float


def backoff(attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed tries."""
    if attempts <= 1:
        return 0.0
    return min(MAX_BACKOFF, FIRST_BACKOFF * 2.0 ** (attempts - 2))


class Links:
    """Puts a topic's URL into its post through ``write_back``, remembering failures."""

    def __init__(
        self,
        ledger: Ledger,
        write_back: WriteBack | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ledger = ledger
        self.write_back = write_back
        self.clock = clock

    def pending(self) -> dict[str, PendingLink]:
        """Post URL -> its pending link, for every link not written yet."""
        entries = self.ledger.meta_with_prefix(WRITE_BACK_PENDING)
        return {
            key.removeprefix(WRITE_BACK_PENDING): _entry(value) for key, value in entries.items()
        }

    async def retry(self, post: Post) -> str | None:
        """Write the recorded comments URL into ``post`` (as read now) after a failure."""
        row = self.ledger.find_post(post.url)
        if row is None or row.comments_url is None or post.comments_url is not None:
            # Nothing known to write, or a person set the link meanwhile: theirs stands.
            self.forget(post.url)
            return None
        return await self.write(post, row.comments_url)

    def expect(self, post: Post, url: str, *, not_before: float) -> None:
        """Note that ``url`` is to be written into ``post``, before anything else is sent:
        a crash before the write leaves the marker, and the service writes it, but not
        before ``not_before`` (when this run must be over)."""
        key = WRITE_BACK_PENDING + post.url
        if self.write_back is None or post.comments_url == url or self.ledger.get_meta(key):
            return
        entry = {
            "attempts": 0,
            "error": "to be written once the announcement is out",
            "next_at": not_before,
        }
        self.ledger.set_meta(key, json.dumps(entry))

    def forget(self, post_url: str) -> None:
        self.ledger.delete_meta(WRITE_BACK_PENDING + post_url)

    async def write(self, post: Post, url: str) -> str | None:
        """Put ``url`` into the post's ``commentsUrl``; a note for the report, or None."""
        if self.write_back is None or post.comments_url == url:
            self.forget(post.url)
            return None
        try:
            note = await self.write_back.write(post, url)
        except Exception as exc:  # the link can wait; nothing else must
            if isinstance(exc, WriteBackError):
                log.debug("write-back: %s", exc)  # the caller reports the returned note
            else:
                log.exception("write-back of %s failed unexpectedly", post.slug)
            self._failed(post.url, str(exc))
            return f"{NOT_WRITTEN}: {exc}"
        self.forget(post.url)
        return note

    def _failed(self, post_url: str, error: str) -> None:
        key = WRITE_BACK_PENDING + post_url
        earlier = self.ledger.get_meta(key)
        attempts = 1 + (_entry(earlier).attempts if earlier else 0)
        entry = {"attempts": attempts, "error": error, "next_at": self.clock() + backoff(attempts)}
        self.ledger.set_meta(key, json.dumps(entry))


def _entry(value: str) -> PendingLink:
    data = json.loads(value)
    return PendingLink(
        int(data.get("attempts", 1)), str(data.get("error", "")), float(data.get("next_at", 0))
    )
