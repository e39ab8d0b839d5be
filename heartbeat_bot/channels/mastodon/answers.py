"""Mastodon, the pure part: what an unusable answer means, when a used-up budget reopens,
and a status's text read back from the HTML the instance serves.

Mastodon's errors are ``{"error": "..."}`` (``Api::BaseController``), sometimes with an
``error_description`` (OAuth). Its rate-limit headers (``X-RateLimit-Limit``,
``-Remaining``, ``-Reset``) give the reset as an ISO 8601 time (``2026-12-03T06:40:00.000000Z``);
older versions and other servers (GoToSocial, Pleroma) may send epoch seconds.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime

from heartbeat_bot.channels.common import (
    classify_status,
    join_messages,
    json_object,
    lower_keys,
    seconds,
)
from heartbeat_bot.errors import ChannelError, Permanent

CHANNEL = "mastodon"
SERVICE = "Mastodon"
_REFUSED = "mastodon.access_token was refused (revoked, or of another instance than mastodon.url)"
_SCOPES = (
    "mastodon.access_token lacks a scope: its application needs write:statuses, "
    "read:accounts and read:statuses"
)


def reset_at(value: str | None) -> float | None:
    """``X-RateLimit-Reset`` as epoch seconds: an ISO 8601 time, or a number of seconds."""
    text = (value or "").strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def classify_mastodon(
    status: int, headers: Mapping[str, str], body: str, *, now: float
) -> ChannelError:
    """The error an unusable Mastodon answer stands for (pure; ``now`` in epoch seconds).

    429 waits until ``X-RateLimit-Reset`` (never negative), else ``Retry-After``; 422 is
    the instance refusing the status (too long, blank...), for good; 401 names the token,
    403 the scopes; 5xx and 408 are retryable.
    """
    data = json_object(body) or {}
    detail = join_messages(
        [data[k] for k in ("error", "error_description") if isinstance(data.get(k), str)]
    )
    wait = None
    lowered = lower_keys(headers)
    if status == 429:
        reset = reset_at(lowered.get("x-ratelimit-reset"))
        wait = max(0.0, reset - now) if reset is not None else None
        if wait is None:
            wait = seconds(lowered.get("retry-after"))
    if status == 404 and "reply to" in detail:
        return Permanent(
            CHANNEL, f"the status to reply to is gone (deleted?): {detail}", status=404
        )
    if status == 404 and not detail:
        detail = "not found (check mastodon.url)"
    return classify_status(
        channel=CHANNEL,
        service=SERVICE,
        status=status,
        body=body,
        detail=detail,
        wait=wait,
        refused=_REFUSED if status == 401 else _SCOPES,
    )


def used_up_until(headers: Mapping[str, str]) -> float | None:
    """When the instance takes requests again (epoch seconds), if the budget is used up."""
    lowered = lower_keys(headers)
    if lowered.get("x-ratelimit-remaining", "").strip() != "0":
        return None
    return reset_at(lowered.get("x-ratelimit-reset"))


_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"</p>\s*<p[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def plain_text(content: str) -> str:
    """The text of a status's HTML ``content``: paragraphs and line breaks kept, links as
    their full URL (Mastodon hides the scheme and cuts long links in invisible spans, whose
    text is still there)."""
    text = _PARAGRAPH.sub("\n\n", content)
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def comparable(text: str) -> str:
    """Text reduced to what survives Mastodon's formatting: NFC, whitespace collapsed,
    word joiners dropped."""
    text = unicodedata.normalize("NFC", text).replace("\u2060", "")
    return " ".join(text.split())
