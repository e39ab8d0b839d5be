"""What the announcer needs from each channel client (the real ones live in channels/)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from heartbeat_bot.models import Post, Sent


class Limited(Protocol):
    """A client that says when its service's rate-limit window is used up."""

    @property
    def exhausted_until(self) -> float | None:
        """The epoch second the service takes requests again; None while it does."""
        ...


class TopicService(Limited, Protocol):
    async def create_topic(self, body: dict[str, Any]) -> Sent: ...

    async def find_topic(self, external_id: str, embed_url: str) -> Sent | None: ...


class MessageService(Limited, Protocol):
    @property
    def can_confirm(self) -> bool: ...

    async def send(self, body: dict[str, Any], nonce: str | None) -> Sent: ...

    async def find_sent(
        self, post_url: str, *, since: datetime | int | None = None
    ) -> Sent | None: ...

    async def publish(self, message_id: str) -> None: ...


class TweetService(Limited, Protocol):
    async def post_tweet(self, text: str, reply_to: str | None) -> Sent: ...

    async def find_tweet(self, text: str, reply_to: str | None) -> Sent | None: ...


class WriteBack(Protocol):
    """Records a new topic's URL in the post's source (a file, a commit, a pull request)."""

    async def write(self, post: Post, url: str) -> str | None:
        """Write it; a note for the report (None: nothing to do). Raises WriteBackError."""
        ...
