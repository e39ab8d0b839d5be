"""Settings: a TOML file plus ``HEARTBEAT_<SECTION>__<KEY>`` environment overrides.

Built once at start-up by :func:`load_config`. Every key is declared here; an unknown
key (a typo) is an error naming it. Secrets are ``SecretStr``: they never show up in a
``repr``, a log line or an error message.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from heartbeat_bot.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/heartbeat.toml")
CONFIG_ENV_VAR = "HEARTBEAT_CONFIG"

Snowflake = Annotated[int, Field(ge=0)]
Seconds = Annotated[float, Field(ge=0)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BlogConfig(Section):
    """Where posts live and how the site turns them into public URLs."""

    posts_dir: Path = Path("posts")
    post_url: str = "https://example.com/blog/{slug}"
    # How a file name becomes a slug: drop its leading digits and dashes (dvc.org,
    # Gatsby-style: 2023-12-31-2024-plans.md -> plans), or only a leading date
    # (Jekyll/Hugo-style: 2023-12-31-2024-plans.md -> 2024-plans).
    slug_from_file: Literal["strip-digits", "strip-date"] = "strip-digits"
    picture_url: str | None = None
    authors_dir: Path | None = None
    timezone: str = "UTC"
    publish_time: str = "00:00"
    site_name: str = "the blog"
    write_back: Literal["off", "file", "commit", "pull_request"] = "off"
    # A blog kept in git: its URL (or a local path), branch, and the posts folder in it.
    git_url: str | None = None
    git_branch: str = "main"
    git_path: str = ""
    git_ssh_key: Path | None = None
    git_author_name: str = "heartbeat-bot"
    git_author_email: str = "heartbeat-bot@users.noreply.github.com"
    poll_interval: Annotated[float, Field(gt=0)] = 60.0
    require_live: bool = False
    live_timeout: Seconds = 1800.0

    @field_validator("post_url")
    @classmethod
    def _post_url_has_slug(cls, value: str) -> str:
        if "{slug}" not in value:
            raise ValueError("must contain {slug}")
        return value

    @field_validator("picture_url")
    @classmethod
    def _picture_url_has_picture(cls, value: str | None) -> str | None:
        if value is not None and "{picture}" not in value:
            raise ValueError("must contain {picture}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f'must be an IANA time zone name such as "Europe/Paris", got "{value}"'
            ) from None
        return value

    @field_validator("publish_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError(f'must be "HH:MM" (24-hour), got "{value}"')
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def publish_clock(self) -> time:
        hours, minutes = self.publish_time.split(":")
        return time(int(hours), int(minutes))


class GitHubConfig(Section):
    """The GitHub repository of a blog kept in git: pull requests and push webhooks."""

    api_url: str = "https://api.github.com"
    # Also the HTTPS token for cloning and pushing blog.git_url.
    token: SecretStr | None = None
    repository: str | None = None
    webhook_secret: SecretStr | None = None
    pull_branch: str = "heartbeat-bot/comments"

    @field_validator("repository")
    @classmethod
    def _owner_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", value):
            raise ValueError(f'must be "owner/name", got "{value}"')
        return value


class StateConfig(Section):
    path: Path = Path("state/heartbeat.sqlite3")


class ServiceConfig(Section):
    """``heartbeat-bot run``: the long-running service."""

    # host:port of the health and metrics listener; "" turns it off.
    http: str = "127.0.0.1:8080"
    backfill_interval: Seconds = 60.0
    max_attempts: Annotated[int, Field(ge=1)] = 8

    @field_validator("http")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if value and not re.fullmatch(r"\[?[\w.:-]*\]?:\d{1,5}", value):
            raise ValueError(f'must be "host:port" or "" (off), got "{value}"')
        return value


class AlertsConfig(Section):
    """Where to say that something needs a person (a Discord webhook)."""

    discord_webhook_url: SecretStr | None = None


class DiscourseConfig(Section):
    enabled: bool = False
    url: str | None = None
    api_username: str | None = None
    api_key: SecretStr | None = None
    category: int | None = None
    max_tags: Annotated[int, Field(ge=0)] = 5
    max_tag_length: Annotated[int, Field(ge=1)] = 20
    min_title_length: Annotated[int, Field(ge=1, le=255)] = 15
    template: Path | None = None

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> DiscourseConfig:
        if self.enabled:
            _require(self, "discourse", ("url", "api_username", "api_key"))
        return self


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

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> DiscordConfig:
        if self.enabled:
            needed = ("bot_token", "channel_id") if self.mode == "bot" else ("webhook_url",)
            _require(self, "discord", needed)
        if self.publish and self.mode != "bot":
            raise ValueError('discord.publish needs mode = "bot" (a webhook cannot publish)')
        return self


class TwitterConfig(Section):
    enabled: bool = False
    api_url: str = "https://api.x.com"
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    access_token_secret: SecretStr | None = None
    max_tweets: Annotated[int, Field(ge=1, le=25)] = 4
    hashtags: Annotated[int, Field(ge=0, le=10)] = 0
    template: Path | None = None

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> TwitterConfig:
        if self.enabled:
            _require(
                self,
                "twitter",
                ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
            )
        return self


def _require(section: BaseModel, name: str, keys: tuple[str, ...]) -> None:
    for key in keys:
        if getattr(section, key) is None:
            raise ValueError(f"{name}.{key} is required when {name} is enabled")


class Config(BaseSettings):
    """All settings. Build it with :func:`load_config`, which also resolves relative paths."""

    model_config = SettingsConfigDict(
        env_prefix="HEARTBEAT_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    blog: BlogConfig = Field(default_factory=BlogConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    discourse: DiscourseConfig = Field(default_factory=DiscourseConfig)
    discord: DiscordConfig = Field(default_factory=DiscordConfig)
    twitter: TwitterConfig = Field(default_factory=TwitterConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    github: GitHubConfig = Field(default_factory=GitHubConfig)

    # Where the file was read from; relative paths in it are relative to its folder.
    source: Path | None = Field(default=None, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file, which arrives as init keyword arguments.
        return (env_settings, init_settings)

    def resolve(self, path: Path) -> Path:
        """``path`` made absolute against the config file's folder (or the working one)."""
        base = self.source.parent if self.source is not None else Path.cwd()
        return path if path.is_absolute() else (base / path)

    @property
    def posts_dir(self) -> Path:
        clone = self.git_clone_dir
        if clone is not None:
            return clone / self.blog.git_path
        return self.resolve(self.blog.posts_dir)

    @property
    def authors_dir(self) -> Path | None:
        if not self.blog.authors_dir:
            return None
        clone = self.git_clone_dir
        return (
            clone / self.blog.authors_dir
            if clone is not None
            else self.resolve(self.blog.authors_dir)
        )

    @property
    def git_remote(self) -> str | None:
        """blog.git_url: a URL as given, or a local path made absolute."""
        url = self.blog.git_url
        if not url or "://" in url or re.match(r"^[\w.-]+@[\w.-]+:", url):
            return url
        return str(self.resolve(Path(url)))

    @property
    def git_clone_dir(self) -> Path | None:
        """heartbeat-bot's own clone of the blog, beside the ledger."""
        remote = self.git_remote
        if remote is None:
            return None
        digest = hashlib.sha256(remote.encode("utf-8")).hexdigest()[:12]
        return self.state_path.parent / "git" / digest

    @model_validator(mode="after")
    def _write_back_needs_git(self) -> Config:
        mode = self.blog.write_back
        if mode in {"commit", "pull_request"} and not self.blog.git_url:
            raise ValueError(f'blog.write_back = "{mode}" needs blog.git_url')
        if mode == "file" and self.blog.git_url:
            # The clone is reset to the branch at every fetch: an edit there would vanish.
            raise ValueError(
                'blog.write_back = "file" is for a plain folder; with blog.git_url use '
                '"commit" or "pull_request"'
            )
        if mode == "pull_request" and (self.github.repository is None or self.github.token is None):
            raise ValueError(
                'blog.write_back = "pull_request" needs github.repository and github.token'
            )
        return self

    @property
    def state_path(self) -> Path:
        return self.resolve(self.state.path)

    def enabled_channels(self) -> tuple[str, ...]:
        return tuple(
            name
            for name, section in (
                ("discourse", self.discourse),
                ("discord", self.discord),
                ("twitter", self.twitter),
            )
            if section.enabled
        )


def config_path(
    explicit: str | os.PathLike[str] | None, environ: dict[str, str] | None = None
) -> Path:
    """The file to read: ``--config``, else ``$HEARTBEAT_CONFIG``, else the default path."""
    env = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if env.get(CONFIG_ENV_VAR):
        return Path(env[CONFIG_ENV_VAR])
    return DEFAULT_CONFIG_PATH


def load_config(path: Path, *, required: bool = True) -> Config:
    """Read ``path`` (TOML) and the environment into a Config, or raise one-line ConfigError.

    With ``required=False`` a missing file means "defaults plus environment" (used by
    commands such as ``preview FILE`` that can work without a config).
    """
    data: dict[str, Any] = {}
    source: Path | None = None
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read ({exc})") from exc
        source = path.resolve()
    elif required:
        raise ConfigError(
            f"{path}: no such file (pass --config PATH or set {CONFIG_ENV_VAR}; "
            "config/heartbeat.example.toml is a starting point)"
        )
    _check_environment_sections(os.environ)
    try:
        return Config(**data, source=source)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc), key=_first_key(exc)) from None


def _check_environment_sections(environ: Mapping[str, str]) -> None:
    """A ``HEARTBEAT_<SECTION>__<KEY>`` variable must name a known section: pydantic-settings
    would silently ignore a misspelled one, and the setting would keep its default."""
    sections = {name for name in Config.model_fields if name != "source"}
    for name in sorted(environ):
        head, sep, _ = name.partition("__")
        if not sep or not head.upper().startswith("HEARTBEAT_"):
            continue
        section = head[len("HEARTBEAT_") :].lower()
        if section not in sections:
            raise ConfigError(
                f"environment variable {name}: {section} is not a known section "
                f"(one of {', '.join(sorted(sections))})",
                key=section,
            )


_TYPE_WORDS = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "float_parsing": "a number (of seconds)",
    "float_type": "a number (of seconds)",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "model_type": "a table",
    "dict_type": "a table",
}


def _first_key(exc: ValidationError) -> str | None:
    errors = exc.errors()
    return ".".join(str(p) for p in errors[0]["loc"]) if errors else None


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem of a ValidationError as one line naming the setting.

    Secrets never appear: the offending value is only echoed for non-secret keys.
    """
    error = exc.errors()[0]
    loc = [str(p) for p in error["loc"] if not isinstance(p, int)]
    key = ".".join(loc) or "config"
    kind = error["type"]
    value = error.get("input")
    secret = any(word in key for word in ("key", "token", "secret", "webhook_url"))
    shown = "" if secret or isinstance(value, dict) else f", got {_show(value)}"
    if kind == "extra_forbidden":
        return f"{key} is not a known setting (check its spelling)"
    if kind in _TYPE_WORDS:
        return f"{key} must be {_TYPE_WORDS[kind]}{shown}"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{key} must be one of {expected}{shown}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error" and message.startswith(
        tuple(f"{s}." for s in ("discourse", "discord", "twitter"))
    ):
        return message
    if kind == "value_error":
        return f"{key} {message}"
    return f"{key}: {message}{shown}"


def _show(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)
