"""Settings: a TOML file plus ``HEARTBEAT_<SECTION>__<KEY>`` environment overrides.

Built once at start-up by :func:`load_config`. Every key is declared in the section
models here and checked when it is read (types, ranges, URL forms, placeholders); an
unknown key or environment variable (a typo) is an error naming it. Secrets are
``SecretStr``: they never show up in a ``repr``, a log line or an error message.

Modules: :mod:`.fields` and :mod:`.urls` (shared checks), one module per section group
(:mod:`.blog`, :mod:`.discourse`, :mod:`.discord`, :mod:`.twitter`, :mod:`.service`),
:mod:`.settings` (the whole), :mod:`.environment`, :mod:`.loading` and :mod:`.messages`.
"""

from __future__ import annotations

from heartbeat_bot.config.blog import BlogConfig
from heartbeat_bot.config.discord import DiscordConfig
from heartbeat_bot.config.discourse import DiscourseConfig
from heartbeat_bot.config.environment import CONFIG_ENV_VAR, NOT_SETTINGS
from heartbeat_bot.config.fields import Section, Snowflake
from heartbeat_bot.config.loading import DEFAULT_CONFIG_PATH, config_path, load_config
from heartbeat_bot.config.mastodon import MastodonConfig
from heartbeat_bot.config.messages import describe_validation_error
from heartbeat_bot.config.service import AlertsConfig, GitHubConfig, ServiceConfig, StateConfig
from heartbeat_bot.config.settings import Config
from heartbeat_bot.config.twitter import TwitterConfig
from heartbeat_bot.config.webhook import WebhookConfig

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_PATH",
    "NOT_SETTINGS",
    "AlertsConfig",
    "BlogConfig",
    "Config",
    "DiscordConfig",
    "DiscourseConfig",
    "GitHubConfig",
    "MastodonConfig",
    "Section",
    "ServiceConfig",
    "Snowflake",
    "StateConfig",
    "TwitterConfig",
    "WebhookConfig",
    "config_path",
    "describe_validation_error",
    "load_config",
]
