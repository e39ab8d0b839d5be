"""Discord, the pure part: what an unusable answer or a library error means, when a used-up
rate limit reopens, and which mentions a payload allows.

Kept apart from the client (``channels/discord/client.py``) so it can be table-tested without
discord.py's HTTP machinery.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import aiohttp
import discord

from heartbeat_bot.channels.common import (
    classify_status,
    describe,
    join_messages,
    json_object,
    lower_keys,
    seconds,
    unexpected,
    unreadable_success,
)
from heartbeat_bot.channels.discord.transport import Answer, Refusal
from heartbeat_bot.errors import ChannelError, Permanent, Retryable, Uncertain
from heartbeat_bot.transport import AnswerTooLarge, RedirectRefused

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


def used_up_until(answer: Answer, now: float) -> float | None:
    """When Discord takes requests again (epoch seconds), by its last answer: a 429's wait
    (the JSON ``retry_after``, else ``Retry-After``), or the reset of a bucket whose
    ``X-RateLimit-Remaining`` is 0; None when nothing is used up."""
    lowered = lower_keys(answer.headers)
    waits: list[float | None] = []
    if answer.status == 429:
        body = json_object(answer.body.decode("utf-8", "replace")) or {}
        waits.append(seconds(body.get("retry_after")) or seconds(lowered.get("retry-after")))
    if lowered.get("x-ratelimit-remaining", "").strip() == "0":
        waits.append(seconds(lowered.get("x-ratelimit-reset-after")))
    found = [wait for wait in waits if wait is not None]
    return now + max(found) if found else None


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


def map_error(exc: Exception, answer: Answer, *, changes: bool, mode: Mode) -> ChannelError | None:
    """The ChannelError for what discord.py or aiohttp raised (None: not ours to map)."""
    if isinstance(exc, RedirectRefused):
        setting = "discord.api_url" if mode == "bot" else "discord.webhook_url"
        return Permanent(
            CHANNEL,
            f"Discord answered with a redirect to {exc.host}, which was not followed "
            f"({exc.reason}); check {setting}",
            status=exc.status,
        )
    if isinstance(exc, AnswerTooLarge):
        if 200 <= exc.status < 300:
            if changes:
                return unreadable_success(CHANNEL, SERVICE, exc.description, exc.status)
            return unexpected(CHANNEL, SERVICE, exc.description, exc.status)
        exc = Refusal(exc.status, exc.headers, exc.description)
    if (
        isinstance(exc, Refusal)
        and changes
        and mode == "webhook"
        and exc.status >= 500
        and exc.status != 503
    ):
        # A webhook takes no nonce and cannot be read back: after a server error the
        # message may exist, and resending could post it twice (at most once).
        return Uncertain(
            CHANNEL, f"Discord answered {exc.status} to the webhook; it may have posted"
        )
    if isinstance(exc, Refusal):
        return classify_discord(exc.status, exc.headers, exc.body, mode=mode)
    if isinstance(exc, discord.RateLimited):
        wait = exc.retry_after
        message = f"Discord is rate limiting us for {wait:.1f} s"
        return Retryable(CHANNEL, message, wait=wait, status=429)
    if isinstance(exc, discord.LoginFailure):
        return Permanent(CHANNEL, "discord.bot_token was refused (improper token)", status=401)
    if isinstance(exc, discord.HTTPException):
        if answer.status != exc.status:  # no trace on a session of the caller's
            body = json.dumps({"code": exc.code, "message": exc.text}) if exc.code else exc.text
            headers = getattr(exc.response, "headers", None) or {}
            return classify_discord(exc.status, headers, body, mode=mode)
        return _classify_answer(answer, mode)
    if isinstance(exc, aiohttp.InvalidURL):
        return Permanent(CHANNEL, f"discord.api_url cannot be used: {describe(exc)}")
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return Retryable(CHANNEL, f"could not connect to Discord ({describe(exc)})")
    if isinstance(exc, TimeoutError | aiohttp.ClientError | OSError):
        if not changes:
            return Retryable(CHANNEL, f"no answer from Discord ({describe(exc)})")
        return Uncertain(
            CHANNEL,
            f"no answer from Discord after the message was sent ({describe(exc)}); "
            "it may have been posted",
        )
    if isinstance(exc, KeyError | TypeError | ValueError | AttributeError):
        # discord.py could not read an answer: judge it by its status instead.
        if changes and answer.status is not None and 200 <= answer.status < 300:
            body = answer.body.decode("utf-8", "replace")
            return unreadable_success(CHANNEL, SERVICE, body, answer.status)
        if answer.status is not None:
            return _classify_answer(answer, mode)
        return Permanent(CHANNEL, f"unexpected answer from Discord ({describe(exc)})")
    return None


def _classify_answer(answer: Answer, mode: Mode) -> ChannelError:
    body = answer.body.decode("utf-8", "replace")
    return classify_discord(answer.status or 0, answer.headers, body, mode=mode)
