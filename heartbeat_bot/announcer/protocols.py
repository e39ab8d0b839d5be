"""What the announcer needs from each channel client: the seams of channels/unit.py."""

from __future__ import annotations

from typing import Protocol

from heartbeat_bot.channels.unit import Limited, MessageDelivery, ThreadDelivery, TopicDelivery
from heartbeat_bot.models import Post

TopicService = TopicDelivery
MessageService = MessageDelivery
TweetService = ThreadDelivery

__all__ = ["Limited", "MessageService", "TopicService", "TweetService", "WriteBack"]


class WriteBack(Protocol):
    """Records a new topic's URL in the post's source (a file, a commit, a pull request)."""

    async def write(self, post: Post, url: str) -> str | None:
        """Write it; a note for the report (None: nothing to do). Raises WriteBackError."""
        ...
