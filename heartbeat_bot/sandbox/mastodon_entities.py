"""The JSON entities the fake Mastodon serves, shaped as ``REST::*Serializer`` writes them.

``Instance`` (``/api/v2/instance``), ``Account`` and ``Status``; ids as Mastodon makes
them; times as ``iso8601(3)`` in bodies and ``iso8601(6)`` in rate-limit headers.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from heartbeat_bot.sandbox import mastodon_rules as rules
from heartbeat_bot.sandbox.server import JSON


def iso_time(epoch: float, digits: int = 3) -> str:
    """A UTC moment as Mastodon writes it (``iso8601(3)`` in JSON, ``(6)`` in headers)."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[: 20 + digits] + "Z"


class Ids:
    """Mastodon's status ids: milliseconds since 1970 shifted 16 bits, plus a sequence."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            self._last = max(int(time.time() * 1000) << 16, self._last + 1)
            return str(self._last)


def instance(host: str, max_characters: int, url_chars: int) -> JSON:
    """``GET /api/v2/instance``, with the limits clients must read."""
    return {
        "domain": host,
        "title": "Heartbeat sandbox",
        "version": "4.3.2",
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "A loopback stand-in of a Mastodon instance.",
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": f"ws://{host}"},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": max_characters,
                "max_media_attachments": 4,
                "characters_reserved_per_url": url_chars,
            },
            "polls": {"max_options": 4, "max_characters_per_option": 50},
        },
        "registrations": {"enabled": False, "approval_required": False},
        "contact": {"email": "admin@example.org"},
        "rules": [],
    }


def account(base_url: str, account_id: str, username: str, statuses_count: int) -> JSON:
    """The ``Account`` entity of the instance's one local user."""
    return {
        "id": account_id,
        "username": username,
        "acct": username,
        "display_name": "Heartbeat",
        "locked": False,
        "bot": True,
        "url": f"{base_url}/@{username}",
        "statuses_count": statuses_count,
        "created_at": "2022-11-14T00:00:00.000Z",
    }


def status(record: JSON, base_url: str, author: JSON) -> JSON:
    """The ``Status`` entity of a stored status (its HTML ``content``, never its text)."""
    username, status_id = author["username"], record["id"]
    return {
        "id": status_id,
        "created_at": record["created_at"],
        "in_reply_to_id": record["in_reply_to_id"],
        "in_reply_to_account_id": author["id"] if record["in_reply_to_id"] else None,
        "sensitive": bool(record["spoiler_text"]),
        "spoiler_text": record["spoiler_text"],
        "visibility": record["visibility"],
        "language": record["language"],
        "uri": f"{base_url}/users/{username}/statuses/{status_id}",
        "url": f"{base_url}/@{username}/{status_id}",
        "replies_count": record["_replies"],
        "reblogs_count": 0,
        "favourites_count": 0,
        "edited_at": record["edited_at"],
        "content": record["content"],
        "reblog": None,
        "application": {"name": "heartbeat-bot", "website": None},
        "account": author,
        "media_attachments": [],
        "mentions": [],
        "tags": rules.tags_of(record["text"], base_url),
        "emojis": [],
        "card": None,
        "poll": None,
    }


def ancestors(records: list[JSON], status: JSON) -> list[JSON]:
    """The statuses ``status`` replies to, up the thread, oldest first."""
    by_id = {r["id"]: r for r in records}
    found: list[JSON] = []
    parent = by_id.get(status["in_reply_to_id"] or "")
    while parent is not None and parent not in found:
        found.insert(0, parent)
        parent = by_id.get(parent["in_reply_to_id"] or "")
    return found


def descendants(records: list[JSON], status: JSON) -> list[JSON]:
    """The replies below ``status``, depth first, each branch in the order posted."""
    found: list[JSON] = []

    def walk(parent_id: str) -> None:
        for child in (r for r in records if r["in_reply_to_id"] == parent_id):
            if child not in found:
                found.append(child)
                walk(child["id"])

    walk(status["id"])
    return found
