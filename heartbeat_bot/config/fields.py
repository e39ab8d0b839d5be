"""What the sections share: the strict base model, bounded numbers and plain-text checks.

Every check raises ``ValueError`` with a message that reads after the setting's name
(``"must be ..."``, ``"is ..."``, ``"has ..."``) or, for a part of the value, after a
colon (``"port must be ..."``); :mod:`heartbeat_bot.config.messages` joins the two. A
message quotes the value only when the value is not a secret.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import PurePosixPath
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr


class Section(BaseModel):
    """One ``[section]`` of the settings file: unknown keys are errors, values are fixed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _integer(value: object) -> object:
    # pydantic reads true as 1; `category = true` is a mistake, not category 1.
    if isinstance(value, bool):
        raise ValueError(f"must be an integer, got {json.dumps(value)}")
    return value


def _seconds(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError(f"must be a number of seconds, got {json.dumps(value)}")
    try:
        number = float(value) if isinstance(value, str | int | float) else None
    except ValueError:
        return value  # not a number at all: pydantic says so
    if number is not None and not math.isfinite(number):
        raise ValueError(f"must be a finite number of seconds, got {value}")
    return value


# Integers, never booleans; use as Annotated[int, NUMBER, Field(...)].
NUMBER = BeforeValidator(_integer)
SECONDS = BeforeValidator(_seconds)
DAY = 86_400.0

# Durations are finite numbers of seconds within sensible bounds: an infinite, negative or
# astronomically long wait is a typo, and would overflow the scheduler's timers.
PollSeconds = Annotated[float, SECONDS, Field(ge=1.0, le=DAY, allow_inf_nan=False)]
WaitSeconds = Annotated[float, SECONDS, Field(ge=0.0, le=DAY, allow_inf_nan=False)]
LongWaitSeconds = Annotated[float, SECONDS, Field(ge=0.0, le=7 * DAY, allow_inf_nan=False)]
# How long one fetch of a blog's feed may take in all, its answer included.
FeedSeconds = Annotated[float, SECONDS, Field(ge=1.0, le=600.0, allow_inf_nan=False)]
Attempts = Annotated[int, NUMBER, Field(ge=1, le=100)]
# Discord ids ("snowflakes") are positive 64-bit integers.
Snowflake = Annotated[int, NUMBER, Field(ge=1, le=2**64 - 1)]
# Discourse ids are positive PostgreSQL integers.
DiscourseId = Annotated[int, NUMBER, Field(ge=1, le=2**31 - 1)]


# Spaces, line breaks and other control characters: never part of a credential or a name
# sent in an HTTP header.
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_LINE_BREAK = re.compile(r"[\x00-\x1f\x7f]")


def show(value: str, limit: int = 80) -> str:
    """``value`` quoted for a one-line message: escaped, and cut when long."""
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return json.dumps(value, ensure_ascii=False)


def check_credential(value: SecretStr | None) -> SecretStr | None:
    """A key or token: not empty, and no spaces or line breaks (it goes into HTTP headers)."""
    if value is None:
        return None
    text = value.get_secret_value()
    if not text:
        raise ValueError("is empty (leave it unset, or set the real value)")
    if _CONTROL.search(text):
        raise ValueError(
            "holds a space, a line break or a control character (check how it was copied)"
        )
    return value


def check_shared_secret(value: SecretStr | None) -> SecretStr | None:
    """A secret that is only hashed (a webhook's signing key): not empty."""
    if value is not None and not value.get_secret_value():
        raise ValueError("is empty (an empty key would let anyone sign; leave it unset instead)")
    return value


def check_one_line(value: str | None, *, empty_ok: bool = False) -> str | None:
    """Free text shown or sent as one line: no line breaks or control characters."""
    if value is None:
        return None
    if not value.strip() and not empty_ok:
        raise ValueError("must not be empty")
    if _LINE_BREAK.search(value):
        raise ValueError(f"must be one line without control characters, got {show(value)}")
    return value


# What `git check-ref-format --branch` refuses, in short.
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|\.lock(/|$)")


def check_branch(value: str) -> str:
    """A git branch name git itself would accept (and never an option such as ``-x``)."""
    if (
        not value
        or value.startswith(("-", "/", "."))
        or value.endswith(("/", "."))
        or value == "@"
        or _BAD_REF.search(value)
    ):
        raise ValueError(f"must be a valid git branch name, got {show(value)}")
    return value


def check_folder_in_repository(value: str) -> str:
    """A folder inside a repository: relative, without ``..``; ``""`` is its root."""
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or _LINE_BREAK.search(value):
        raise ValueError(
            f"must be a folder inside the repository (relative, no ..), got {show(value)}"
        )
    return value


def check_email(value: str) -> str:
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", value):
        raise ValueError(f"must be an e-mail address, got {show(value)}")
    return value


def check_person_name(value: str) -> str:
    check_one_line(value)
    if "<" in value or ">" in value:
        raise ValueError(f"must not contain < or >, got {show(value)}")
    return value


def require(section: BaseModel, name: str, keys: tuple[str, ...]) -> None:
    """Each of ``keys`` is set, as an enabled channel needs."""
    for key in keys:
        if getattr(section, key) is None:
            raise ValueError(f"{name}.{key} is required when {name} is enabled")
