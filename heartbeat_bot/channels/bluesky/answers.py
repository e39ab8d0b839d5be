"""Pure: what an XRPC answer from a Bluesky PDS means for delivery.

Every XRPC error is ``{"error": Name, "message": text}``. Rate limits come as
``RateLimit-Reset`` (the epoch second the window reopens) and, on a 429, ``Retry-After``.
``ExpiredToken`` and ``InvalidToken`` (400) mean the session must be refreshed, not that
the request was wrong; the client does that before an answer gets here.
"""

from __future__ import annotations

from collections.abc import Mapping

from heartbeat_bot.channels.common import (
    classify_status,
    json_object,
    lower_keys,
    seconds,
    snippet,
)
from heartbeat_bot.errors import ChannelError, Permanent

CHANNEL = "bluesky"
SERVICE = "Bluesky"
REFUSED = "bluesky.handle / bluesky.app_password were refused"
SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
_ACCOUNT = frozenset(
    {"AccountTakedown", "AccountDeactivated", "AccountNotFound", "AuthFactorTokenRequired"}
)


def xrpc_error(body: str) -> tuple[str, str]:
    """The ``error`` name and ``message`` of an XRPC error body ("" for what is missing)."""
    data = json_object(body) or {}
    name, message = data.get("error"), data.get("message")
    return (
        name if isinstance(name, str) else "",
        snippet(message, 300) if isinstance(message, str) else "",
    )


def rate_limit_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until the PDS takes requests again: ``RateLimit-Reset``, else ``Retry-After``."""
    found = lower_keys(headers)
    reset = seconds(found.get("ratelimit-reset"))
    if reset is not None and reset > 0:
        return max(0.0, reset - now)
    return seconds(found.get("retry-after"))


def classify_bluesky(
    status: int, headers: Mapping[str, str], body: str, *, now: float
) -> ChannelError:
    """The error an unusable PDS answer stands for (one table test per rule).

    429 waits until ``RateLimit-Reset``; 5xx and 408 are retryable; 401, 403 and a session
    that cannot be refreshed name the credentials; an account problem (taken down,
    deactivated, needing a sign-in code) says so; any other 4xx is the PDS's refusal.
    """
    name, message = xrpc_error(body)
    detail = f"{name}: {message}" if name and message else name or message
    wait = rate_limit_wait(headers, now) if status == 429 else None
    if name in _ACCOUNT:
        return Permanent(CHANNEL, f"the Bluesky account cannot post ({detail})", status=status)
    if name in SESSION_ERRORS:
        return Permanent(CHANNEL, f"{REFUSED}: the session ended ({detail})", status=status)
    if status == 413:
        return Permanent(CHANNEL, f"too large for {SERVICE}: {detail}", status=status)
    return classify_status(
        channel=CHANNEL,
        service=SERVICE,
        status=status,
        body=body,
        detail=detail,
        wait=wait,
        refused=REFUSED,
    )
