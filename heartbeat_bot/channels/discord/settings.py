"""``[discord]``: the announcement channel (bot or webhook) and the slash commands."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from heartbeat_bot.config.fields import Section, Snowflake, check_credential, require
from heartbeat_bot.config.urls import check_discord_webhook, check_http_url, check_websocket_url


class DiscordConfig(Section):
    enabled: bool = False
    mode: Literal["bot", "webhook"] = "webhook"
    bot_token: SecretStr | None = None
    webhook_url: SecretStr | None = None
    channel_id: Snowflake | None = None
    guild_id: Snowflake | None = None
    allowed_role_ids: list[Snowflake] = Field(default_factory=list)
    # Who may use /preview and /status; unset means the same as allowed_role_ids.
    read_role_ids: list[Snowflake] | None = None
    mention_role_id: Snowflake | None = None
    # In an announcement channel, publish each message to the servers following it.
    publish: bool = False
    # Also register the slash commands globally (they then show in DMs and other servers,
    # where they are refused); guild registration alone is instant and enough.
    sync_global: bool = False
    api_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg"
    template: Path | None = None

    @field_validator("bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        return check_credential(value)

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, value: SecretStr | None) -> SecretStr | None:
        # The client posts to the webhook's own channel: a ?thread_id= would be ignored.
        return check_discord_webhook(value)

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return check_http_url(value, base=True, credentials="discord.bot_token")

    @field_validator("gateway_url")
    @classmethod
    def _gateway_url(cls, value: str) -> str:
        return check_websocket_url(value)

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> DiscordConfig:
        if self.enabled:
            needed = ("bot_token", "channel_id") if self.mode == "bot" else ("webhook_url",)
            require(self, "discord", needed)
        if self.publish and self.mode != "bot":
            raise ValueError('discord.publish needs mode = "bot" (a webhook cannot publish)')
        return self
