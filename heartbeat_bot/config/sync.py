"""``[sync]``: how announcements follow a post after they went out (edits, unpublishing)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from heartbeat_bot.config.fields import Section

# The channels whose messages heartbeat-bot can edit (X posts are never edited).
EDITABLE = ("discourse", "discord", "mastodon")


class SyncConfig(Section):
    """When an announced post changes: which of our messages are edited, and what an
    unpublished post does to them."""

    # true: edit on every channel that can; false: never; or a list of channel names.
    edits: bool | list[str] = True
    # "report": log, alert and show in status; "unlist": also unlist the Discourse topic
    # and delete the Discord message (only those heartbeat-bot created).
    on_unpublish: Literal["report", "unlist"] = "report"

    @field_validator("edits")
    @classmethod
    def _channels(cls, value: bool | list[str]) -> bool | list[str]:
        if isinstance(value, list):
            unknown = [name for name in value if name not in EDITABLE]
            if unknown:
                raise ValueError(
                    f"unknown or never edited channel {unknown[0]!r} (use {', '.join(EDITABLE)})"
                )
        return value

    def edits_on(self, channel: str) -> bool:
        """Whether messages heartbeat-bot sent on ``channel`` follow the post's changes."""
        if channel not in EDITABLE:
            return False
        return self.edits if isinstance(self.edits, bool) else channel in self.edits
