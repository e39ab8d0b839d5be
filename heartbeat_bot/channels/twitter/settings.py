"""``[twitter]``: X, where each post becomes a thread."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator

from heartbeat_bot.config.fields import NUMBER, Section, check_credential, require
from heartbeat_bot.config.urls import check_http_url


class TwitterConfig(Section):
    enabled: bool = False
    api_url: str = "https://api.x.com"
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    access_token_secret: SecretStr | None = None
    max_tweets: Annotated[int, NUMBER, Field(ge=1, le=25)] = 4
    hashtags: Annotated[int, NUMBER, Field(ge=0, le=10)] = 0
    template: Path | None = None

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return check_http_url(value, base=True, credentials="the twitter keys")

    @field_validator("consumer_key", "consumer_secret", "access_token", "access_token_secret")
    @classmethod
    def _credential(cls, value: SecretStr | None) -> SecretStr | None:
        return check_credential(value)

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> TwitterConfig:
        if self.enabled:
            require(
                self,
                "twitter",
                ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
            )
        return self
