"""The channels heartbeat-bot knows, in announcement order, and the whole settings model.

The one list of channels: the announcer, the commands (``--only``, ``resolve``,
``status``, ``preview --json``, ``check --online``), the slash commands, metrics and alerts
learn the channels from here. Discourse comes first: it is the thread provider whose link
the others carry.

Adding a channel: its folder (``settings.py``, ``render.py``, ``client.py``, ``unit.py``),
one line in :data:`UNITS`, and its sandbox stand-in. Importing this module loads no
library (``--help`` stays fast): each unit loads its parts when they are first used.
"""

from __future__ import annotations

from heartbeat_bot.channels.bluesky.unit import UNIT as BLUESKY
from heartbeat_bot.channels.discord.unit import UNIT as DISCORD
from heartbeat_bot.channels.discourse.unit import UNIT as DISCOURSE
from heartbeat_bot.channels.mastodon.unit import UNIT as MASTODON
from heartbeat_bot.channels.twitter.unit import UNIT as TWITTER
from heartbeat_bot.channels.unit import ChannelInfo
from heartbeat_bot.channels.webhook.unit import UNIT as WEBHOOK
from heartbeat_bot.errors import HeartbeatError

# Announcement order. The thread provider (delivery "topic") comes first.
UNITS: tuple[ChannelInfo, ...] = (DISCOURSE, DISCORD, TWITTER, MASTODON, BLUESKY, WEBHOOK)

# Channels registered at run time (tests, and plug-ins of a deployment), after UNITS.
_EXTRA: list[ChannelInfo] = []


def units() -> tuple[ChannelInfo, ...]:
    """Every channel, in announcement order."""
    return (*UNITS, *_EXTRA)


def names() -> tuple[str, ...]:
    """Every channel's name, in announcement order."""
    return tuple(u.name for u in units())


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
    return joined([u.label for u in units()], "and")


def joined(items: list[str], word: str) -> str:
    """``a, b and c`` (or ``or``)."""
    return ", ".join(items[:-1]) + f" {word} {items[-1]}" if len(items) > 1 else "".join(items)


def unit(name: str) -> ChannelInfo:
    """The channel called ``name`` (or one of its aliases); HeartbeatError if none is."""
    wanted = name.strip().lower()
    for found in units():
        if wanted == found.name or wanted in found.aliases:
            return found
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
        raise HeartbeatError(f"no channel is enabled: set enabled = true in {listed}")
    return found


def register(extra: ChannelInfo) -> None:
    """Add a channel after the built-in ones (its section must be in the settings given)."""
    if extra.name in names():
        raise HeartbeatError(f"channel {extra.name!r} is registered already")
    _EXTRA.append(extra)


def unregister(name: str) -> None:
    """Remove a channel added by :func:`register`."""
    _EXTRA[:] = [u for u in _EXTRA if u.name != name]


def _has(config: object, found: ChannelInfo) -> bool:
    return isinstance(getattr(config, found.name, None), found.settings())
