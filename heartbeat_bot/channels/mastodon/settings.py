"""``[mastodon]``: one account on a Mastodon instance, where each post becomes a thread."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from heartbeat_bot.config.fields import NUMBER, Section, check_credential, require, show
from heartbeat_bot.config.urls import check_http_url


class MastodonConfig(Section):
    enabled: bool = False
    url: str | None = None
    access_token: SecretStr | None = None
    visibility: Literal["public", "unlisted"] = "public"
    language: str | None = None
    max_posts: Annotated[int, NUMBER, Field(ge=1, le=25)] = 4
    template: Path | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return check_http_url(value, base=True, credentials="mastodon.access_token")

    @field_validator("access_token")
    @classmethod
    def _credential(cls, value: SecretStr | None) -> SecretStr | None:
        return check_credential(value)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z]{2,3}", value):
            raise ValueError(f'must be an ISO 639 language code such as "en", got {show(value)}')
        return value

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> MastodonConfig:
        if self.enabled:
            require(self, "mastodon", ("url", "access_token"))
        return self
