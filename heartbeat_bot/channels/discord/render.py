"""Pure: a Post -> the body of the Discord message that announces it (one embed)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from heartbeat_bot.models import Post
from heartbeat_bot.render.context import template_context
from heartbeat_bot.render.preview import Line, PreviewBlock
from heartbeat_bot.render.templates import render_template
from heartbeat_bot.render.text import fit_lines, markdown_to_discord, truncate_words

# Discord's documented limits (characters).
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
URL_LIMIT = 2048  # longer URLs are refused as invalid form bodies

EMBED_COLOR = 0x945DD6


@dataclass(frozen=True)
class DiscordMessage:
    """The body of a Discord create-message call (transport fields such as a nonce excluded)."""

    content: str
    embeds: tuple[dict[str, Any], ...]
    allowed_mentions: dict[str, Any] = dataclasses.field(default_factory=lambda: {"parse": []})

    def body(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "embeds": [dict(e) for e in self.embeds],
            "allowed_mentions": dict(self.allowed_mentions),
        }


@dataclass(frozen=True)
class DiscordOptions:
    """What the renderer needs from ``[discord]`` and ``[blog]``."""

    site_name: str = "the blog"
    mention_role_id: int | None = None


def render_discord_message(
    post: Post, options: DiscordOptions, template: str, *, comments_url: str | None = None
) -> DiscordMessage:
    """The message for ``post``: one embed within every limit, mentions disabled."""
    summary = markdown_to_discord(post.description_long or "", post.url)
    context = template_context(
        post, comments_url=comments_url, summary=summary, site_name=options.site_name
    )
    description = render_template(template, **context).strip()

    embed: dict[str, Any] = {
        "type": "rich",
        "title": truncate_words(" ".join(post.title.split()), TITLE_LIMIT),
        "url": post.url,
        "color": EMBED_COLOR,
        "timestamp": post.published_at.astimezone(UTC).isoformat(),
    }
    if post.authors:
        embed["author"] = {"name": truncate_words(", ".join(post.authors), AUTHOR_LIMIT)}
    if post.picture_url and len(post.picture_url) <= URL_LIMIT:
        embed["image"] = {"url": post.picture_url}
    if comments_url and len(comments_url) <= FIELD_VALUE_LIMIT - 40:
        embed["fields"] = [
            {"name": "Discuss", "value": f"[Join the discussion]({comments_url})", "inline": False}
        ]
    embed["footer"] = {"text": truncate_words(options.site_name, AUTHOR_LIMIT)}

    # The description takes whatever the 6000-character budget leaves, up to its own limit.
    budget = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - embed_length(embed))
    if description:
        embed["description"] = fit_lines(description, budget)

    content = ""
    allowed_mentions: dict[str, Any] = {"parse": []}
    if options.mention_role_id is not None:
        # The one ping a team may opt into: its announcement role, named explicitly.
        content = f"<@&{options.mention_role_id}>"
        allowed_mentions = {"parse": [], "roles": [str(options.mention_role_id)]}
    return DiscordMessage(content=content, embeds=(embed,), allowed_mentions=allowed_mentions)


def embed_length(embed: dict[str, Any]) -> int:
    """The characters Discord counts toward the 6000 total of a message's embeds."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", ""))
    total += len(embed.get("author", {}).get("name", ""))
    for field in embed.get("fields", []):
        total += len(field.get("name", "")) + len(field.get("value", ""))
    return total


def preview(message: DiscordMessage) -> tuple[PreviewBlock, ...]:
    """The message's embed as a person reads it in ``preview``."""
    embed: dict[str, Any] = message.embeds[0]
    lines = [Line(embed.get("title", ""), "bold"), Line(embed.get("url", ""))]
    if "author" in embed:
        lines.append(Line(f"by {embed['author']['name']}", "italic"))
    if embed.get("description"):
        lines += [Line(""), Line(embed["description"])]
    for field_ in embed.get("fields", []):
        lines += [Line(""), Line(f"{field_['name']}: {field_['value']}")]
    if "image" in embed:
        lines += [Line(""), Line(f"image: {embed['image']['url']}", "dim")]
    return (PreviewBlock("Discord message", tuple(lines)),)


def chat_lines(message: DiscordMessage) -> tuple[str, ...]:
    """The message in the slash command's preview (shown below it, as it will be posted)."""
    return ("**Discord message** (below, as it will be posted):",)
