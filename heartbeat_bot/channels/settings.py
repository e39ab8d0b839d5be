"""The whole settings model: the shared sections plus one section per registered channel.

Each channel's section model lives in its folder (``channels/<name>/settings.py``,
depending only on pydantic and the low-level checks of :mod:`heartbeat_bot.config`); this
module, which may see the registry, adds them to :class:`~heartbeat_bot.config.BaseConfig`
in announcement order, so the file's tables, the ``HEARTBEAT_<SECTION>__<KEY>`` variables
and the unknown-key checks cover every channel without a list of them here. Code reads a
channel's section through its unit (``unit.section(config)``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field, create_model

from heartbeat_bot.channels import registry
from heartbeat_bot.channels.unit import ChannelInfo
from heartbeat_bot.config import BaseConfig, load_settings


def config_model() -> type[BaseConfig]:
    """The model for the channels registered now (built once for each set of them)."""
    return _model(registry.units())


@cache
def _model(units: tuple[ChannelInfo, ...]) -> type[BaseConfig]:
    sections: dict[str, Any] = {
        unit.name: (unit.settings(), Field(default_factory=unit.settings())) for unit in units
    }
    model: type[BaseConfig] = create_model(
        "Config",
        __base__=BaseConfig,
        __module__=__name__,
        __doc__="All settings: the shared sections plus one section per channel.",
        **sections,
    )
    return model


# The model of the built-in channels.
Config: type[BaseConfig] = config_model()


def load_config(path: Path, *, required: bool = True) -> BaseConfig:
    """Read the settings file and the environment into the model of the channels registered
    now (one-line errors)."""
    return load_settings(config_model(), path, required=required)
