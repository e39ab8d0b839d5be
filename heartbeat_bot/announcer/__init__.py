"""The announcer: orders Discourse, Discord and X for a post, exactly once per pair."""

from __future__ import annotations

from heartbeat_bot.announcer.core import NOT_PUBLISHED, Announcer
from heartbeat_bot.announcer.links import WRITE_BACK_PENDING, PendingLink
from heartbeat_bot.announcer.outcome import Outcome, PostReport
from heartbeat_bot.announcer.retry import RetryPolicy

__all__ = [
    "NOT_PUBLISHED",
    "WRITE_BACK_PENDING",
    "Announcer",
    "Outcome",
    "PendingLink",
    "PostReport",
    "RetryPolicy",
]
