"""Discord, the pure part: what an unusable answer means, and which mentions a payload allows.

Kept apart from the client (``channels/discord.py``) so it can be table-tested without
discord.py's HTTP machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import discord

from heartbeat_bot.channels.common import (
    classify_status,
    join_messages,
    json_object,
    lower_keys,
    seconds,
)
from heartbeat_bot.errors import ChannelError

CHANNEL = "discord"
SERVICE = "Discord"
Mode = Literal["bot", "webhook"]


def classify_discord(
    status: int, headers: Mapping[str, str], body: str, *, mode: Mode = "bot"
) -> ChannelError:
    """The error an unusable Discord answer stands for (pure).

    429 waits for the JSON ``retry_after`` (float seconds), else the ``Retry-After``
    header; 5xx/408 are retryable; 401/403 name the setting to check for ``mode``; other
    refusals carry Discord's message and its per-field errors (code 50035).
    """
    data = json_object(body) or {}
    code = data.get("code") if isinstance(data.get("code"), int) else 0
    message = data.get("message") if isinstance(data.get("message"), str) else ""
    head = f"{message} (code {code})" if message and code else message
    detail = join_messages([head, *_field_errors(data.get("errors"))])
    wait = None
    if status == 429:
        wait = seconds(data.get("retry_after"))
        if wait is None:
            wait = seconds(lower_keys(headers).get("retry-after"))
    setting = "discord.bot_token" if mode == "bot" else "discord.webhook_url"
    refused = f"{setting} was refused"
    if status == 403 and code in (50001, 50013):
        refused = (
            "the bot may not post in discord.channel_id "
            "(give it View Channel, Send Messages and Embed Links there)"
        )
    if status == 404 and code == 10003:
        detail = f"discord.channel_id names an unknown channel ({detail})"
    if status == 404 and code == 10015:
        detail = f"discord.webhook_url names an unknown webhook, deleted? ({detail})"
    return classify_status(
        channel=CHANNEL,
        service=SERVICE,
        status=status,
        body=body,
        detail=detail,
        wait=wait,
        refused=refused,
    )


def _field_errors(errors: object, path: str = "") -> list[str]:
    """Discord's nested ``errors`` object as "embeds.0.title: message" lines."""
    if not isinstance(errors, dict):
        return []
    found: list[str] = []
    for key, value in errors.items():
        if key == "_errors" and isinstance(value, list):
            found += [f"{path}: {e.get('message')}" for e in value if isinstance(e, dict)]
        elif isinstance(value, dict):
            found += _field_errors(value, f"{path}.{key}" if path else str(key))
    return found


def allowed_mentions(spec: Mapping[str, Any]) -> discord.AllowedMentions:
    """discord.py's AllowedMentions with exactly the effect of the JSON ``spec``.

    ``{"parse": []}`` pings nobody; ``{"parse": [], "roles": ["123"]}`` only role 123.
    Anything left unset would fall back to discord.py's default, which pings everyone.
    """
    parse = set(spec.get("parse") or [])

    def pick(kind: str) -> bool | list[discord.Object]:
        if kind in parse:
            return True
        ids = spec.get(kind) or []
        return [discord.Object(int(i)) for i in ids] if ids else False

    return discord.AllowedMentions(
        everyone="everyone" in parse,
        users=pick("users"),
        roles=pick("roles"),
        replied_user=bool(spec.get("replied_user", False)),
    )
