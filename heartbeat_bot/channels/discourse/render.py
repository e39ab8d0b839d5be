"""Pure: a Post -> the body of Discourse's ``POST /posts.json`` that opens its topic."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from heartbeat_bot.models import Post
from heartbeat_bot.render.context import template_context
from heartbeat_bot.render.preview import Line, PreviewBlock
from heartbeat_bot.render.templates import render_template
from heartbeat_bot.render.text import fit_lines, markdown_to_discord, truncate_words

# Discourse's own defaults (site settings an admin may change).
MAX_TITLE_LENGTH = 255
MAX_POST_LENGTH = 32_000
MIN_POST_LENGTH = 20
EXTERNAL_ID_LENGTH = 50

# DiscourseTagging::TAGS_FILTER_REGEXP: characters Discourse strips from tag names.
_TAG_FILTER = re.compile(r"[/?#\[\]@!$&'()*+,;=.%\\`^\s|{}\"<>]+")
_DASHES = re.compile(r"-{2,}")
_UNSAFE_ID = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True)
class DiscourseTopic:
    """The body of ``POST /posts.json`` that opens the post's comment thread."""

    title: str
    raw: str
    category: int | None
    tags: tuple[str, ...]
    external_id: str
    embed_url: str

    def body(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "raw": self.raw,
            "category": self.category,
            "tags": list(self.tags),
            "external_id": self.external_id,
            "embed_url": self.embed_url,
        }


@dataclass(frozen=True)
class DiscourseOptions:
    """What the renderer needs from ``[discourse]`` and ``[blog]``."""

    category: int | None = None
    max_tags: int = 5
    max_tag_length: int = 20
    min_title_length: int = 15
    site_name: str = "the blog"


def render_discourse_topic(
    post: Post, options: DiscourseOptions, template: str, *, comments_url: str | None = None
) -> DiscourseTopic:
    """The topic body for ``post``; every Discourse limit is enforced on the result."""
    summary = markdown_to_discord(post.description_long or "", post.url)
    context = template_context(
        post, comments_url=comments_url, summary=summary, site_name=options.site_name
    )
    raw = render_template(template, **context).strip()
    if len(raw) < MIN_POST_LENGTH:
        # A template that renders (almost) nothing still yields a valid first post.
        raw = f"{raw}\n\n{post.url}".strip()
    return DiscourseTopic(
        title=topic_title(post.title, options.min_title_length, options.site_name),
        raw=fit_lines(raw, MAX_POST_LENGTH),
        category=options.category,
        tags=discourse_tags(post.tags, options.max_tags, options.max_tag_length),
        external_id=external_id(post),
        embed_url=embed_url(post.url),
    )


def topic_title(title: str, min_length: int, site_name: str) -> str:
    """The title, padded with the site name when Discourse would find it too short."""
    title = " ".join(title.split())
    if len(title) > MAX_TITLE_LENGTH:
        cut = truncate_words(title, MAX_TITLE_LENGTH)
        # A word longer than the whole limit: cut it, rather than keep next to nothing.
        return cut if len(cut) >= min_length else title[: MAX_TITLE_LENGTH - 1] + "…"
    for candidate in (title, f"{title} – {site_name}", f"{title} – new on the {site_name} blog"):
        if min_length <= len(candidate) <= MAX_TITLE_LENGTH:
            return candidate
    # A very short title and site name: pad with words rather than be refused.
    padded = f"{title} – new blog post"
    while len(padded) < min_length:
        padded += " ·"
    return padded


def clean_tag(tag: str, max_length: int) -> str:
    """A tag as Discourse stores it (``DiscourseTagging.clean_tag``): lower-case, dashed.

    A tag longer than ``max_length`` keeps its whole words that fit ("Modular
    Infrastructure" at 20 becomes "modular"), or is empty when its first word alone is
    too long: Discourse would cut it mid-word.
    """
    cleaned = _TAG_FILTER.sub("-", tag.strip().lower())
    cleaned = _DASHES.sub("-", cleaned).strip("-")
    if len(cleaned) <= max_length:
        return cleaned
    return cleaned[: max_length + 1].rpartition("-")[0].strip("-")


def discourse_tags(tags: tuple[str, ...], max_tags: int, max_length: int = 20) -> tuple[str, ...]:
    """Tags in Discourse's form, de-duplicated case-insensitively, at most ``max_tags``."""
    seen: dict[str, None] = {}
    for tag in tags:
        cleaned = clean_tag(tag, max_length)
        if cleaned and cleaned not in seen:
            seen[cleaned] = None
    return tuple(seen)[:max_tags]


def external_id(post: Post) -> str:
    """A stable id of at most 50 ``[a-z0-9_-]``: a readable slug prefix and a URL hash.

    Discourse compares external ids case-insensitively, so the id is lower-case; the hash
    keeps two posts whose slugs clean to the same prefix apart.
    """
    digest = hashlib.sha256(post.url.encode("utf-8")).hexdigest()[:10]
    prefix = _UNSAFE_ID.sub("-", post.slug.lower()).strip("-")
    prefix = prefix[: EXTERNAL_ID_LENGTH - len(digest) - 1].rstrip("-")
    return f"{prefix}-{digest}" if prefix else digest


def embed_url(url: str) -> str:
    """The post URL as Discourse's embed widget looks it up: lower-case, no trailing slash."""
    return url.strip().rstrip("/").lower()


def preview(topic: DiscourseTopic) -> tuple[PreviewBlock, ...]:
    """The topic as a person reads it in ``preview``."""
    lines = (
        Line(f"Title: {topic.title}", "bold"),
        Line(f"Category: {topic.category}  Tags: {', '.join(topic.tags) or '-'}"),
        Line(f"external_id: {topic.external_id}  embed_url: {topic.embed_url}"),
        Line(""),
        Line(topic.raw),
    )
    return (PreviewBlock("Discourse topic", lines),)


def chat_lines(topic: DiscourseTopic) -> tuple[str, ...]:
    """The topic in the slash command's preview (Discord Markdown)."""
    return (f"**Discourse topic:** {topic.title}",)
