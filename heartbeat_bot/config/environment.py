"""The environment: ``HEARTBEAT_<SECTION>__<KEY>`` variables override the file's settings.

Read strictly, because a variable that silently does nothing is how a secret ends up
missing in production: every variable shaped like a setting — ``HEARTBEAT_<SECTION>__<KEY>``,
or ``HEARTBEAT_<SECTION>_<KEY>`` with a known section — must name one, and an error names
the variable and its right spelling. Other ``HEARTBEAT_`` variables (``HEARTBEAT_CONFIG``,
the test suite's) are left alone. Names are matched ignoring case.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from heartbeat_bot.config.fields import show
from heartbeat_bot.errors import ConfigError

PREFIX = "HEARTBEAT_"
DELIMITER = "__"
CONFIG_ENV_VAR = "HEARTBEAT_CONFIG"
# HEARTBEAT_ variables that are not settings: the settings file's path, and the test
# suite's (where the shared corpus is; rewrite the snapshots).
NOT_SETTINGS = frozenset({CONFIG_ENV_VAR, "HEARTBEAT_SHARED", "HEARTBEAT_UPDATE_SNAPSHOTS"})
# What Kubernetes puts in every pod's environment for a Service named "heartbeat"
# (HEARTBEAT_SERVICE_HOST, HEARTBEAT_SERVICE_PORT, HEARTBEAT_SERVICE_PORT_HTTP): not ours,
# though shaped like the [service] section's settings.
_SERVICE_LINKS = re.compile(r"HEARTBEAT_SERVICE_(?:HOST|PORT(?:_[A-Z0-9_]+)?)")


@dataclass(frozen=True)
class Environment:
    """The settings found in the environment, by section, and the variable of each."""

    values: dict[str, dict[str, Any]]
    origins: dict[str, str]  # "section.key" -> the variable that set it


def sections_of(settings_cls: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """The sections of the settings model, by name."""
    found: dict[str, type[BaseModel]] = {}
    for name, field in settings_cls.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            found[name] = field.annotation
    return found


def variable_name(section: str, key: str) -> str:
    """The environment variable of a setting: ``HEARTBEAT_DISCOURSE__API_KEY``."""
    return f"{PREFIX}{section.upper()}{DELIMITER}{key.upper()}"


def read_environment(settings_cls: type[BaseModel], environ: Mapping[str, str]) -> Environment:
    """Every setting ``environ`` holds; ConfigError for a variable that names no setting."""
    sections = sections_of(settings_cls)
    values: dict[str, dict[str, Any]] = {}
    origins: dict[str, str] = {}
    for name in sorted(environ):
        target = _setting_of(name, sections)
        if target is None:
            continue
        section, key = target
        dotted = f"{section}.{key}"
        if dotted in origins:
            raise ConfigError(
                f"environment variables {origins[dotted]} and {name} both set {dotted} (keep one)",
                key=dotted,
            )
        field = sections[section].model_fields[key]
        values.setdefault(section, {})[key] = _decode(name, dotted, field, environ[name])
        origins[dotted] = name
    return Environment(values, origins)


def _setting_of(name: str, sections: dict[str, type[BaseModel]]) -> tuple[str, str] | None:
    """The (section, key) that ``name`` sets, None if it is no setting's shape."""
    upper = name.upper()
    if upper in NOT_SETTINGS or not upper.startswith(PREFIX) or _SERVICE_LINKS.fullmatch(upper):
        return None
    rest = upper[len(PREFIX) :].lower()
    section, delimiter, key = rest.partition(DELIMITER)
    if delimiter:
        if section not in sections:
            raise ConfigError(
                f"environment variable {name}: {section} is not a known section"
                + _hint(section, key, sections),
                key=section,
            )
        if key not in sections[section].model_fields:
            raise ConfigError(
                f"environment variable {name}: {section}.{key} is not a known setting"
                + _hint(section, key, sections),
                key=f"{section}.{key}",
            )
        return section, key
    for known in sorted(sections, key=len, reverse=True):
        if rest == known:
            example = variable_name(known, next(iter(sections[known].model_fields)))
            raise ConfigError(
                f"environment variable {name}: set each [{known}] setting in a variable of "
                f"its own, such as {example}",
                key=known,
            )
        if rest.startswith(f"{known}_"):
            raise ConfigError(
                f"environment variable {name} names no setting: two underscores go between "
                f"the section and the key, {PREFIX}<SECTION>{DELIMITER}<KEY>"
                + _hint(known, rest[len(known) + 1 :], sections),
                key=known,
            )
    return None


def _hint(section: str, key: str, sections: dict[str, type[BaseModel]]) -> str:
    """`` (did you mean HEARTBEAT_X__Y?)``, or the names to choose from."""
    if section not in sections:
        closest = _closest(section, sections)
        if closest is None:
            return f" (the sections are {', '.join(sorted(sections))})"
        section = closest
    keys = sections[section].model_fields
    if key not in keys:
        closest = _closest(key, keys)
        if closest is None:
            return f" (the [{section}] settings are {', '.join(keys)})"
        key = closest
    return f" (did you mean {variable_name(section, key)}?)"


def _closest(word: str, options: typing.Iterable[str]) -> str | None:
    found = difflib.get_close_matches(word, list(options), n=1, cutoff=0.7)
    return found[0] if found else None


def _decode(name: str, dotted: str, field: FieldInfo, value: str) -> Any:
    """The variable's value as the model reads it: lists are JSON, the rest is text."""
    if not holds(field.annotation, list) or not value:
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        shown = "" if holds(field.annotation, SecretStr) else f", got {show(value)}"
        raise ConfigError(
            f"environment variable {name}: {dotted} must be a JSON list such as "
            f"[123, 456]{shown} (not JSON: {exc.msg} at character {exc.pos})",
            key=dotted,
        ) from None


def holds(annotation: Any, kind: type) -> bool:
    """Whether ``annotation`` is ``kind``, a generic of it, or a union with one."""
    if annotation is kind or typing.get_origin(annotation) is kind:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(holds(arg, kind) for arg in typing.get_args(annotation))
    return False
