"""Reading the settings: which file, the file itself, the environment, one-line errors."""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from heartbeat_bot.config.environment import CONFIG_ENV_VAR, read_environment
from heartbeat_bot.config.messages import describe_validation_error
from heartbeat_bot.config.settings import BaseConfig
from heartbeat_bot.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/heartbeat.toml")
C = TypeVar("C", bound=BaseConfig)


def example_path() -> Path:
    """The documented example settings, shipped inside the package."""
    return Path(str(resources.files("heartbeat_bot").joinpath("examples/heartbeat.example.toml")))


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


def load_settings(model: type[C], path: Path, *, required: bool = True) -> C:
    """Read ``path`` (TOML) and the environment into ``model`` (the whole settings, every
    section included), or raise one-line ConfigError.

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
            f"{path}: no such file (run `heartbeat-bot init SITE_FOLDER` to write one for "
            f"your site, or copy {example_path()}; or pass --config PATH or set "
            f"{CONFIG_ENV_VAR})"
        )
    for name in data:
        if name.startswith("_"):  # no setting is private; say so before pydantic would
            raise ConfigError(f"{name} is not a known setting", key=name)
    # Misnamed variables first, and which variable set what, for the messages below.
    environment = read_environment(model, os.environ)
    try:
        config = model.model_validate(overlaid(data, environment.values))
    except ValidationError as exc:
        message = describe_validation_error(exc, model, environment.origins)
        raise ConfigError(message, key=_first_key(exc)) from None
    return config.read_from(source)


def overlaid(data: dict[str, Any], environment: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The file's settings with the environment's over them, key by key within a section."""
    merged = dict(data)
    for section, values in environment.items():
        current = merged.get(section)
        merged[section] = {**current, **values} if isinstance(current, dict) else dict(values)
    return merged


def _first_key(exc: ValidationError) -> str | None:
    errors = exc.errors()
    return ".".join(str(p) for p in errors[0]["loc"]) if errors else None
