"""Helpers the three channel clients share: reading error bodies and keeping secrets out.

Everything here is pure. The clients must not import each other (import-linter), so what
they have in common lives here.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from heartbeat_bot.errors import ChannelError, Permanent, Retryable, Uncertain

SNIPPET = 200
"""How many characters of an answer we quote in an error message."""

_WEBHOOK = re.compile(r"/webhooks/(\d+)/[^/?#\s\"'<>]+")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")


def redact(text: str) -> str:
    """``text`` with every Discord webhook token replaced by ``***``.

    A webhook URL is a credential: whoever holds it can post. URLs show up in library
    exceptions and logs, so anything we surface goes through this first.
    """
    return _WEBHOOK.sub(r"/webhooks/\1/***", text)


def snippet(text: str, limit: int = SNIPPET) -> str:
    """The first ``limit`` characters of ``text`` on one line (errors are one line)."""
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def json_object(body: str) -> dict[str, Any] | None:
    """``body`` parsed as a JSON object, or None when it is not one (HTML, text, a list)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def describe_body(body: str) -> str:
    """A short, readable description of an answer we could not use.

    Proxies and maintenance pages answer with HTML; quoting the page's title says more
    than its first 200 characters of markup.
    """
    stripped = body.strip()
    if not stripped:
        return "an empty answer"
    if stripped.startswith("<") and "html" in stripped[:500].lower():
        found = _TITLE.search(stripped)
        title = snippet(html.unescape(found.group(1)), 80) if found else ""
        return f'an HTML page "{title}"' if title else "an HTML page"
    return snippet(redact(stripped))


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with lower-cased names: HTTP header names are case-insensitive."""
    return {str(k).lower(): str(v) for k, v in headers.items()}


def seconds(value: object) -> float | None:
    """A non-negative, finite number of seconds from a header or JSON value, else None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return max(0.0, number)


def join_messages(messages: Iterable[object]) -> str:
    """The service's own messages, de-duplicated, in order, as one line."""
    seen: list[str] = []
    for message in messages:
        text = snippet(redact(str(message)), 300)
        if text and text not in seen:
            seen.append(text)
    return "; ".join(seen)


def classify_status(
    *,
    channel: str,
    service: str,
    status: int,
    body: str,
    detail: str,
    wait: float | None,
    refused: str,
) -> ChannelError:
    """The rules every service shares, once its own details have been read.

    ``detail`` is the service's own message (or a description of the body), ``wait`` the
    delay it asked for, ``refused`` what to say when the credentials are refused.
    """
    detail = detail or describe_body(body)
    if status == 429:
        return Retryable(channel, f"{service} is rate limiting us: {detail}", wait=wait, status=429)
    if status >= 500 or status == 408:
        return Retryable(channel, f"{service} had a server problem: {detail}", status=status)
    if status in (401, 403):
        return Permanent(channel, f"{refused} ({detail})", status=status)
    if 200 <= status < 300:
        return Permanent(
            channel, f"unexpected answer from {service}: {snippet(redact(body))}", status=status
        )
    if 300 <= status < 400:
        return Permanent(channel, f"unexpected redirect from {service}: {detail}", status=status)
    return Permanent(channel, detail, status=status)


def describe(exc: BaseException) -> str:
    """An exception as "Type: message", with webhook tokens masked."""
    text = redact(str(exc).strip())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def unexpected(channel: str, service: str, body: str, status: int | None = None) -> Permanent:
    """The error for a successful status whose body lacks what we need."""
    return Permanent(
        channel, f"unexpected answer from {service}: {snippet(redact(body))}", status=status
    )


def unreadable_success(channel: str, service: str, body: str, status: int | None) -> Uncertain:
    """A create answered with success but a body we cannot use: it probably went through.

    Reported as Uncertain so the caller looks it up instead of failing (and later resending).
    """
    return Uncertain(
        channel,
        f"{service} accepted the request but its answer cannot be read "
        f"({snippet(redact(body))}); it may have been created",
        status=status,
    )


def safe_cause(cause: BaseException, *secrets: str) -> BaseException | None:
    """``cause`` to chain with ``raise ... from``, or None if its text would leak a secret.

    Tracebacks (``--debug``) print the cause; a library exception holding a webhook URL
    or a token must not end up there.
    """
    text = f"{cause!s} {cause!r}"
    leaks = any(secret and secret in text for secret in secrets) or redact(text) != text
    return None if leaks else cause


def idempotency_key(channel: str, post_id: int, generation: int, index: int, text: str) -> str:
    """A request's ``Idempotency-Key``: the same for every resend of one item of one pair,
    new with each forced resend (``generation``). The item's text is part of it, so two
    ledgers posting to one account never share a key."""
    digest = hashlib.sha256(
        "\x1f".join((channel, str(post_id), str(generation), str(index), text)).encode("utf-8")
    )
    return f"heartbeat-{digest.hexdigest()[:40]}"
