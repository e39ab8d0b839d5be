"""``[approval]``: whether a person must say "go" before a post is announced."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from heartbeat_bot.config.fields import DAY, SECONDS, Section, Snowflake

ApprovalSeconds = Annotated[float, SECONDS, Field(ge=0.0, le=30 * DAY, allow_inf_nan=False)]


class ApprovalConfig(Section):
    """A post that comes due waits as ``awaiting_approval`` until approved or rejected."""

    mode: Literal["off", "required"] = "off"
    # Seconds a post waits for a decision before on_timeout applies.
    timeout: ApprovalSeconds = 86_400.0
    on_timeout: Literal["send", "skip", "wait"] = "wait"
    # The staff channel where the bot posts each waiting post's preview with buttons.
    discord_channel_id: Snowflake | None = None
