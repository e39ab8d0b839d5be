"""Pure: a Post and its rendered payloads -> the body of the signed outgoing webhook.

The body carries flat text fields a Slack workflow or an n8n node can use as they are
(``title``, ``url``, ``summary``, ``discussion_url``, ``authors``: all strings, ``""`` when
absent), the post as structured values (``post``), and every other channel's rendered
payload (``payloads``). It is documented by ``heartbeat_bot/schemas/webhook.schema.json``.
:func:`encode` gives the exact bytes that are signed, stored and resent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from heartbeat_bot.models import Post
from heartbeat_bot.render.text import markdown_to_plain

VERSION = 1
EVENT = "post.announced"


def webhook_body(
    post: Post, *, comments_url: str | None, payloads: Mapping[str, Any]
) -> dict[str, Any]:
    """The webhook's JSON body for ``post``; ``payloads``: each other channel's rendered body."""
    summary = markdown_to_plain(post.description_long or post.description or "", post.url)
    return {
        "version": VERSION,
        "event": EVENT,
        "title": post.title,
        "url": post.url,
        "summary": summary,
        "discussion_url": comments_url or "",
        "authors": ", ".join(post.authors),
        "post": {
            "slug": post.slug,
            "url": post.url,
            "title": post.title,
            "published_at": post.published_at.isoformat(),
            "description": post.description or "",
            "picture_url": post.picture_url,
            "authors": list(post.authors),
            "tags": list(post.tags),
            "discussion_url": comments_url,
        },
        "payloads": {name: payloads[name] for name in sorted(payloads)},
    }


def encode(body: Mapping[str, Any]) -> str:
    """The body as the JSON text that is stored, signed and sent (UTF-8, keys sorted)."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
