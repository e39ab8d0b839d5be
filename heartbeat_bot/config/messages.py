"""A ValidationError of the settings as one line that names the setting and what is wrong.

Secrets never appear: a value is only quoted for a setting that is not a secret.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from heartbeat_bot.config.environment import holds, sections_of
from heartbeat_bot.config.fields import show

_TYPE_WORDS = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number (of seconds)",
    "float_type": "a number (of seconds)",
    "finite_number": "a finite number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "path_type": "a path",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}
# Words that start a message reading after the setting's name ("blog.post_url must ...").
_PREDICATES = ("must ", "is ", "has ", "holds ", "needs ")


@cache
def _schema(settings: type[BaseModel]) -> dict[str, tuple[str, ...]]:
    return {name: tuple(model.model_fields) for name, model in sections_of(settings).items()}


@cache
def _secrets(settings: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        f"{name}.{key}"
        for name, model in sections_of(settings).items()
        for key, field in model.model_fields.items()
        if holds(field.annotation, SecretStr)
    )


def describe_validation_error(
    exc: ValidationError, settings: type[BaseModel], origins: Mapping[str, str] | None = None
) -> str:
    """The first problem of ``exc`` (raised by the ``settings`` model) as one line naming
    the setting; ``origins`` names the environment variable a setting came from, when it
    did."""
    error = exc.errors()[0]
    loc = [str(p) for p in error["loc"] if not isinstance(p, int)]
    key = ".".join(loc) or "config"
    line = _describe(settings, key, loc, error)
    origin = (origins or {}).get(key)
    return f"{line} (from {origin})" if origin else line


def _describe(settings: type[BaseModel], key: str, loc: list[str], error: Any) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    secret = key in _secrets(settings)
    shown = "" if secret or isinstance(value, dict) else f", got {_show(value)}"
    if kind == "extra_forbidden":
        return f"{key} is not a known setting{_did_you_mean(settings, loc)}"
    if kind in _TYPE_WORDS:
        return f"{key} must be {_TYPE_WORDS[kind]}{shown}"
    if kind in _BOUNDS:
        name, words = _BOUNDS[kind]
        return f"{key} must be {words} {_number(ctx.get(name))}{shown}"
    if kind == "literal_error":
        return f"{key} must be one of {ctx.get('expected', '')}{shown}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        if message.startswith(tuple(f"{section}." for section in _schema(settings))):
            return message  # a check across settings names them itself
        if message.startswith(_PREDICATES):
            return f"{key} {message}"
        return f"{key}: {message}"
    return f"{key}: {message}{shown}"


def _did_you_mean(settings: type[BaseModel], loc: list[str]) -> str:
    """Where an unknown key probably belongs: a close spelling, or another section."""
    schema = _schema(settings)
    if len(loc) == 1:
        (name,) = loc
        homes = [section for section, keys in schema.items() if name in keys]
        if homes:
            return f" (it belongs under [{homes[0]}])"
        close = difflib.get_close_matches(name, list(schema), n=1, cutoff=0.7)
        return f" (did you mean [{close[0]}]?)" if close else ""
    if len(loc) == 2 and loc[0] in schema:
        section, name = loc
        close = difflib.get_close_matches(name, list(schema[section]), n=1, cutoff=0.7)
        if close:
            return f" (did you mean {section}.{close[0]}?)"
        homes = [other for other, keys in schema.items() if name in keys]
        if homes:
            return f" (it belongs under [{homes[0]}])"
        return " (check its spelling)"
    return ""


def _number(limit: object) -> str:
    if isinstance(limit, float):
        return f"{limit:g} (seconds)"
    return str(limit)


def _show(value: object) -> str:
    if isinstance(value, str):
        return show(value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"
