"""X, the pure part: what an unusable answer means, when a used-up window reopens, and
tweet text as X gives it back.

Kept apart from the client (``channels/twitter.py``) so it can be table-tested without
tweepy's HTTP machinery.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from heartbeat_bot.channels.common import (
    classify_status,
    join_messages,
    json_object,
    lower_keys,
)
from heartbeat_bot.errors import ChannelError, Duplicate

CHANNEL = "twitter"
SERVICE = "X"
_CREDENTIALS = (
    "twitter.consumer_key / twitter.consumer_secret / twitter.access_token / "
    "twitter.access_token_secret were refused"
)
_FORBIDDEN = (
    "X refused the request: check the app has Read and Write permission, then regenerate "
    "twitter.access_token / twitter.access_token_secret"
)
# X's rate-limit windows, each announced as <prefix>-remaining and <prefix>-reset (epoch s).
_WINDOWS = ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour")


def classify_twitter(
    status: int, headers: Mapping[str, str], body: str, *, now: float
) -> ChannelError:
    """The error an unusable X answer stands for (pure; ``now`` is the epoch in seconds).

    429 waits until ``x-rate-limit-reset`` (never negative), or the daily cap's reset when
    that cap is what ran out; a 403 saying "duplicate content" is a Duplicate (the tweet
    went out before); 401/403 name the credentials and the app permission to check.
    """
    data = json_object(body) or {}
    detail = _messages(data)
    if status == 403 and "duplicate content" in body.lower():
        return Duplicate(CHANNEL, f"X refused a duplicate tweet ({detail})", status=403)
    wait = None
    if status == 429:
        lowered = lower_keys(headers)
        resets = [lowered.get("x-rate-limit-reset")]
        for scope in ("user", "app"):
            if lowered.get(f"x-{scope}-limit-24hour-remaining") == "0":
                resets.append(lowered.get(f"x-{scope}-limit-24hour-reset"))
        waits = [w for w in (_until(reset, now) for reset in resets) if w is not None]
        wait = max(waits) if waits else None
    return classify_status(
        channel=CHANNEL,
        service=SERVICE,
        status=status,
        body=body,
        detail=detail,
        wait=wait,
        refused=_CREDENTIALS if status == 401 else _FORBIDDEN,
    )


def _until(reset: str | None, now: float) -> float | None:
    try:
        return max(0.0, int(reset or "") - now)
    except ValueError:
        return None


def _messages(data: Mapping[str, Any]) -> str:
    """X's v2 error bodies: ``errors[].message``/``detail``, a top-level ``detail``."""
    found: list[object] = []
    errors = data.get("errors")
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict):
            found.append(error.get("message") or error.get("detail") or "")
        elif isinstance(error, str):
            found.append(error)
    for key in ("detail", "error"):
        if isinstance(data.get(key), str):
            found.append(data[key])
    if not any(found) and isinstance(data.get("title"), str):
        found.append(data["title"])
    if isinstance(data.get("reason"), str):
        found.append(f"reason: {data['reason']}")
    return join_messages(found)


def normalise(text: str, *, from_x: bool = False) -> str:
    """Tweet text comparable with what X returns.

    X rewrites every link (even a bare ``example.com``) to a ``https://t.co/...`` link
    and HTML-escapes ``&``, ``<`` and ``>`` in the text it returns. Each word that looks
    like a link becomes a placeholder on both sides, and whitespace is collapsed.
    """
    if from_x:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    return " ".join("<url>" if _URLISH.search(word) else word for word in text.split())


_URLISH = re.compile(r"://|(?:^|[^\w@])[\w-]+(?:\.[\w-]+)*\.(?:[^\W\d_]{2,}|xn--[\w-]+)\b")


def used_up_until(headers: Mapping[str, str]) -> float | None:
    """When X takes requests again (epoch seconds), by an answer's headers: the latest
    reset of the windows whose remaining count is 0 (the 15-minute window of the
    endpoint, the user's and the app's 24-hour caps); None when none is used up."""
    lowered = lower_keys(headers)
    resets: list[float] = []
    for prefix in _WINDOWS:
        if lowered.get(f"{prefix}-remaining", "").strip() == "0":
            reset = lowered.get(f"{prefix}-reset", "").strip()
            if reset.isdigit():
                resets.append(float(reset))
    return max(resets) if resets else None
