"""``[bluesky]``: Bluesky, where each post becomes a thread of posts on the account's PDS."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator

from heartbeat_bot.config.fields import NUMBER, Section, check_credential, require
from heartbeat_bot.config.urls import check_http_url

# A handle is a domain name (alice.bsky.social); a DID works as the identifier too.
_HANDLE = re.compile(
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
)
_DID = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]{1,2000}")


class BlueskyConfig(Section):
    enabled: bool = False
    url: str = "https://bsky.social"
    handle: str | None = None
    app_password: SecretStr | None = None
    max_posts: Annotated[int, NUMBER, Field(ge=1, le=25)] = 4
    link_card: bool = True
    card_picture: bool = True
    template: Path | None = None
    session_file: Path | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_http_url(value, base=True, credentials="bluesky.app_password")

    @field_validator("handle")
    @classmethod
    def _handle(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().removeprefix("@")
        if not (_HANDLE.fullmatch(value) or _DID.fullmatch(value)) or len(value) > 253:
            raise ValueError(
                "must be the account's handle, such as blog.bsky.social (or its did:plc:...)"
            )
        return value

    @field_validator("app_password")
    @classmethod
    def _credential(cls, value: SecretStr | None) -> SecretStr | None:
        return check_credential(value)

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> BlueskyConfig:
        if self.enabled:
            require(self, "bluesky", ("handle", "app_password"))
        return self
