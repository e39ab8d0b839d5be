"""The announcer: orders Discourse, Discord and X for a post, exactly once per pair."""

from __future__ import annotations

from heartbeat_bot.announcer.core import Announcer
from heartbeat_bot.announcer.outcome import Outcome, PostReport
from heartbeat_bot.announcer.retry import RetryPolicy

__all__ = ["Announcer", "Outcome", "PostReport", "RetryPolicy"]
