"""Settings: a TOML file plus ``HEARTBEAT_<SECTION>__<KEY>`` environment overrides.

Built once at start-up by :func:`load_config`. Every key is declared in the section
models here and checked when it is read (types, ranges, URL forms, placeholders); an
unknown key or environment variable (a typo) is an error naming it. Secrets are
``SecretStr``: they never show up in a ``repr``, a log line or an error message.

Modules: :mod:`.fields` and :mod:`.urls` (shared checks, also used by the channels'
sections, which live with each channel), one module per shared section group
(:mod:`.blog`, :mod:`.service`), :mod:`.settings` (the shared base of the whole model,
which the channel registry completes), :mod:`.environment`, :mod:`.loading` and
:mod:`.messages`.
"""

from __future__ import annotations

from heartbeat_bot.config.approval import ApprovalConfig
from heartbeat_bot.config.blog import BlogConfig
from heartbeat_bot.config.environment import CONFIG_ENV_VAR, NOT_SETTINGS
from heartbeat_bot.config.fields import Section, Snowflake
from heartbeat_bot.config.loading import DEFAULT_CONFIG_PATH, config_path, load_settings
from heartbeat_bot.config.messages import describe_validation_error
from heartbeat_bot.config.service import AlertsConfig, GitHubConfig, ServiceConfig, StateConfig
from heartbeat_bot.config.settings import BaseConfig
from heartbeat_bot.config.web import WebConfig

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_PATH",
    "NOT_SETTINGS",
    "AlertsConfig",
    "ApprovalConfig",
    "BaseConfig",
    "BlogConfig",
    "GitHubConfig",
    "Section",
    "ServiceConfig",
    "Snowflake",
    "StateConfig",
    "WebConfig",
    "config_path",
    "describe_validation_error",
    "load_settings",
]
