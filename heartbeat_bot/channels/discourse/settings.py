"""``[discourse]``: the forum where each post gets its comment thread."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator

from heartbeat_bot.config.fields import (
    NUMBER,
    DiscourseId,
    Section,
    check_credential,
    check_one_line,
    require,
)
from heartbeat_bot.config.urls import check_http_url


class DiscourseConfig(Section):
    enabled: bool = False
    url: str | None = None
    api_username: str | None = None
    api_key: SecretStr | None = None
    category: DiscourseId | None = None
    # Discourse's max_tags_per_topic, max_tag_length and min_topic_title_length.
    max_tags: Annotated[int, NUMBER, Field(ge=0, le=100)] = 5
    max_tag_length: Annotated[int, NUMBER, Field(ge=1, le=100)] = 20
    min_title_length: Annotated[int, NUMBER, Field(ge=1, le=255)] = 15
    template: Path | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_http_url(value, base=True, basic_auth=True)

    @field_validator("api_username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        if value is not None and (not value or " " in value):
            raise ValueError("must be a Discourse username (not empty, no spaces)")
        return check_one_line(value)

    @field_validator("api_key")
    @classmethod
    def _key(cls, value: SecretStr | None) -> SecretStr | None:
        return check_credential(value)

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> DiscourseConfig:
        if self.enabled:
            require(self, "discourse", ("url", "api_username", "api_key"))
        return self
