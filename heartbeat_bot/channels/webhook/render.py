"""Pure: a Post and the other channels' payloads -> the body of the signed outgoing webhook.

The body carries flat text fields a Slack workflow or an n8n node can use as they are
(``title``, ``url``, ``summary``, ``discussion_url``, ``authors``: all strings, ``""`` when
absent), the post as structured values (``post``), and every other channel's rendered
payload (``payloads``). It is documented by ``heartbeat_bot/schemas/webhook.schema.json``.
``body.encode`` gives the exact bytes that are signed and resent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from heartbeat_bot.channels.webhook.body import encode
from heartbeat_bot.models import Post
from heartbeat_bot.render.preview import Line, PreviewBlock
from heartbeat_bot.render.text import markdown_to_plain

VERSION = 1
EVENT = "post.announced"
__all__ = [
    "WebhookBody",
    "WebhookOptions",
    "chat_lines",
    "encode",
    "preview",
    "render",
    "webhook_body",
]


@dataclass(frozen=True)
class WebhookOptions:
    """What the body carries besides the post: every other channel's payload, by name
    (filled in by the renderers, which know them)."""

    payloads: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookBody:
    """The JSON object POSTed to ``webhook.url``."""

    data: Mapping[str, Any]

    def body(self) -> dict[str, Any]:
        return dict(self.data)


def render(
    post: Post, options: WebhookOptions, template: str, comments_url: str | None
) -> WebhookBody:
    """The webhook's body for ``post`` (``template`` is unused: the body is data)."""
    return WebhookBody(webhook_body(post, comments_url=comments_url, payloads=options.payloads))


def preview(payload: WebhookBody) -> tuple[PreviewBlock, ...]:
    """The flat fields, as a receiver reads them, and which payloads ride along."""
    data = payload.data
    lines = [Line(f"{key}: {data[key]}") for key in ("title", "url", "discussion_url", "authors")]
    lines.append(Line(f"summary: {data['summary']}"))
    lines.append(Line("payloads: " + (", ".join(data["payloads"]) or "none"), "dim"))
    size = len(encode(data).encode("utf-8"))
    return (PreviewBlock("Webhook body", tuple(lines), subtitle=f"{size} bytes, signed"),)


def chat_lines(payload: WebhookBody) -> tuple[str, ...]:
    """The body's flat fields in the slash command's preview (Discord Markdown)."""
    data = payload.data
    return (f"**Webhook:** {data['title']} — {data['url']} (signed JSON POST)",)


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
