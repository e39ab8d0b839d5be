"""``[state]``, ``[service]``, ``[alerts]`` and ``[github]``: what the running service
keeps, listens on, tells a person, and asks of GitHub."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import SecretStr, field_validator

from heartbeat_bot.config.fields import (
    Attempts,
    Section,
    WaitSeconds,
    check_branch,
    check_credential,
    check_shared_secret,
    show,
)
from heartbeat_bot.config.urls import check_discord_webhook, check_http_url, check_listen_address


class StateConfig(Section):
    """Where the ledger lives."""

    path: Path = Path("state/heartbeat.sqlite3")

    @field_validator("path")
    @classmethod
    def _a_file(cls, value: Path) -> Path:
        if value == Path("."):
            raise ValueError("must name a file, such as state/heartbeat.sqlite3")
        return value


class ServiceConfig(Section):
    """``heartbeat-bot run``: the long-running service."""

    # host:port of the health and metrics listener; "" turns it off.
    http: str = "127.0.0.1:8080"
    backfill_interval: WaitSeconds = 60.0
    max_attempts: Attempts = 8
    # Where people reach the listener (behind a proxy, say): https makes the console's
    # session cookie Secure, and a feed's WebSub hub pushes to <public_url>/websub.
    public_url: str | None = None

    @field_validator("http")
    @classmethod
    def _host_port(cls, value: str) -> str:
        return check_listen_address(value)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return None if value is None else check_http_url(value, base=True)


class AlertsConfig(Section):
    """Where to say that something needs a person (a Discord webhook)."""

    discord_webhook_url: SecretStr | None = None

    @field_validator("discord_webhook_url")
    @classmethod
    def _webhook(cls, value: SecretStr | None) -> SecretStr | None:
        return check_discord_webhook(value, threads=True)


class GitHubConfig(Section):
    """The GitHub repository of a blog kept in git: pull requests and push webhooks."""

    api_url: str = "https://api.github.com"
    # Also the HTTPS token for cloning and pushing blog.git_url.
    token: SecretStr | None = None
    repository: str | None = None
    webhook_secret: SecretStr | None = None
    pull_branch: str = "heartbeat-bot/comments"

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return check_http_url(value, base=True, credentials="github.token")

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        return check_credential(value)

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        return check_shared_secret(value)

    @field_validator("repository")
    @classmethod
    def _owner_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", value, flags=re.ASCII):
            raise ValueError(f'must be "owner/name", got {show(value)}')
        return value

    @field_validator("pull_branch")
    @classmethod
    def _pull_branch(cls, value: str) -> str:
        return check_branch(value)
