"""The channels heartbeat-bot knows, in announcement order, and the whole settings model.

The one list of channels: the announcer, the commands (``--only``, ``resolve``,
``status``, ``preview --json``, ``check --online``), the slash commands, metrics and alerts
learn the channels from here. Discourse comes first: it is the thread provider whose link
the others carry.

Adding a channel: its folder (``settings.py``, ``render.py``, ``client.py``, ``unit.py``),
one line in :data:`BUILT_IN`, and its sandbox stand-in. Importing this module loads no
unit and no library (``--help`` stays fast): the units load when first asked for, and
each unit loads its parts when they are first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from heartbeat_bot.channels.unit import ChannelInfo

# Announcement order: each channel's name, label and the module whose ``UNIT`` it is. The
# thread provider (delivery "topic") comes first. Names and labels are here as well as in
# each unit, so the command line's help lists the channels without loading them (a test
# holds the two equal); the units load when first asked for.
BUILT_IN: tuple[tuple[str, str, str], ...] = (
    ("discourse", "Discourse", "heartbeat_bot.channels.discourse.unit"),
    ("discord", "Discord", "heartbeat_bot.channels.discord.unit"),
    ("twitter", "X", "heartbeat_bot.channels.twitter.unit"),
    ("mastodon", "Mastodon", "heartbeat_bot.channels.mastodon.unit"),
    ("bluesky", "Bluesky", "heartbeat_bot.channels.bluesky.unit"),
    ("webhook", "the webhook", "heartbeat_bot.channels.webhook.unit"),
)

# The built-in units, once loaded (assigned whole: two threads asking first load them twice,
# harmlessly, and never see half a list).
_built: tuple[ChannelInfo, ...] | None = None

# Channels registered at run time (tests, and plug-ins of a deployment), after the others.
_EXTRA: list[ChannelInfo] = []


def built_in() -> tuple[ChannelInfo, ...]:
    """The built-in channels' units, in announcement order (loaded on the first call)."""
    global _built
    if _built is None:
        _built = tuple(importlib.import_module(module).UNIT for _, _, module in BUILT_IN)
    return _built


def units() -> tuple[ChannelInfo, ...]:
    """Every channel, in announcement order."""
    return (*built_in(), *_EXTRA)


def names() -> tuple[str, ...]:
    """Every channel's name, in announcement order."""
    return (*(name for name, _, _ in BUILT_IN), *(u.name for u in _EXTRA))


def vocabulary() -> dict[str, str]:
    """Every name and alias a post's ``announce`` key may list -> the channel's name."""
    found: dict[str, str] = {}
    for u in units():
        found[u.name] = u.name
    for u in units():
        for alias in u.aliases:
            found.setdefault(alias, u.name)
    return found


def labels() -> str:
    """The services as people call them, in order: ``Discourse, Discord and X``."""
    return joined([label for _, label, _ in BUILT_IN] + [u.label for u in _EXTRA], "and")


def joined(items: list[str], word: str) -> str:
    """``a, b and c`` (or ``or``)."""
    return ", ".join(items[:-1]) + f" {word} {items[-1]}" if len(items) > 1 else "".join(items)


def unit(name: str) -> ChannelInfo:
    """The channel called ``name`` (or one of its aliases); HeartbeatError if none is."""
    wanted = name.strip().lower()
    for found in units():
        if wanted == found.name or wanted in found.aliases:
            return found
    from heartbeat_bot.errors import HeartbeatError

    raise HeartbeatError(f"unknown channel {name!r} (use {', '.join(names())})")


def thread_provider() -> ChannelInfo | None:
    """The channel whose thread the others link to (Discourse), when there is one."""
    return next((u for u in units() if u.delivery == "topic"), None)


def enabled(config: object) -> tuple[str, ...]:
    """The names of the channels ``config`` enables, in announcement order."""
    return tuple(u.name for u in units() if _has(config, u) and u.enabled(config))


def require_enabled(config: object) -> tuple[str, ...]:
    """:func:`enabled`, or a HeartbeatError naming every channel's section when none is."""
    found = enabled(config)
    if not found:
        listed = joined([f"[{name}]" for name in names()], "or")
        from heartbeat_bot.errors import HeartbeatError

        raise HeartbeatError(f"no channel is enabled: set enabled = true in {listed}")
    return found


def register(extra: ChannelInfo) -> None:
    """Add a channel after the built-in ones (its section must be in the settings given)."""
    if extra.name in names():
        from heartbeat_bot.errors import HeartbeatError

        raise HeartbeatError(f"channel {extra.name!r} is registered already")
    _EXTRA.append(extra)


def unregister(name: str) -> None:
    """Remove a channel added by :func:`register`."""
    _EXTRA[:] = [u for u in _EXTRA if u.name != name]


def _has(config: object, found: ChannelInfo) -> bool:
    return isinstance(getattr(config, found.name, None), found.settings())
