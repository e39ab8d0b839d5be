"""Pure: a Post -> the Bluesky thread that announces it, as ``app.bsky.feed.post`` records.

The template gives five blocks (``head``, ``summary``, ``link``, ``tags``, ``discuss``),
fitted into at most ``max_posts`` posts of at most 300 graphemes and 3000 UTF-8 bytes: the
first post holds the head, the start of the summary, the post link and the hashtags; the
discussion link goes in the last. The summary is split as a person would
(``render.thread``). Every link and hashtag gets its facet (``facets.detect_facets``, the
official RichText's rules). With ``link_card`` the first post embeds an
``app.bsky.embed.external`` card of the post (the picture is uploaded at send time, as
its ``thumb``, so the payload names the picture beside the records). Replies carry no
``reply`` here: the client adds the root and parent references, which exist only once
the posts before do.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from heartbeat_bot.channels.bluesky.facets import (
    MAX_GRAPHEMES,
    detect_facets,
    fits,
    grapheme_length,
    measure,
)
from heartbeat_bot.models import Post
from heartbeat_bot.render.context import template_context
from heartbeat_bot.render.preview import Line, PreviewBlock, thread_chat_lines
from heartbeat_bot.render.templates import (
    default_template,
    has_block,
    render_block,
    render_template,
)
from heartbeat_bot.render.text import markdown_to_plain, truncate_words
from heartbeat_bot.render.thread import chunk_text, pack, units

PACKAGE = "heartbeat_bot.channels.bluesky"
POST = "app.bsky.feed.post"
EXTERNAL = "app.bsky.embed.external"
BLOCKS = ("head", "summary", "link", "tags", "discuss")
ELLIPSIS = "…"
GAP = "\n\n"
MAX_HASHTAGS = 3
MAX_CARD_DESCRIPTION = 300
"""Graphemes of the card's description: the app shows three lines of it."""
_MAX_LINE = 120
_MAX_BODY_PER_POST = 1500


@dataclass(frozen=True)
class BlueskyOptions:
    """``max_posts``: the thread's length; ``link_card``: embed a card of the post;
    ``card_picture``: give the card the post's picture (fetched and uploaded when sent)."""

    max_posts: int = 4
    link_card: bool = True
    card_picture: bool = True
    site_name: str = "the blog"


@dataclass(frozen=True)
class BlueskyThread:
    """The records of the thread, in order; each after the first replies to the one before.

    ``picture_url`` is the picture the client uploads as the link card's thumb (None
    without a card or a picture); ``body()`` carries it beside the records.
    """

    posts: tuple[dict[str, Any], ...]
    picture_url: str | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"posts": [dict(p) for p in self.posts]}
        if self.picture_url:
            body["picture_url"] = self.picture_url
        return body

    def parts(self) -> tuple[str, ...]:
        """The posts' texts, in order."""
        return self.texts

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(str(p["text"]) for p in self.posts)


def timestamp(moment: datetime) -> str:
    """``createdAt`` as Bluesky writes it: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def render_bluesky_thread(
    post: Post,
    options: BlueskyOptions,
    template: str,
    *,
    comments_url: str | None = None,
    created_at: datetime | None = None,
) -> BlueskyThread:
    """The thread for ``post``: at most ``max_posts`` records, each text within the limits.

    ``created_at`` is the records' ``createdAt`` (the caller's "now"); the post's publish
    moment when not given.
    """
    summary = markdown_to_plain(post.description_long or "", post.url)
    context = template_context(
        post, comments_url=comments_url, summary=summary, site_name=options.site_name
    )
    context["hashtags"] = hashtags(post.tags)
    head = _one_line(_block(template, "head", context))
    link = _one_line(_block(template, "link", context))
    tags = _one_line(_block(template, "tags", context))
    discuss = _one_line(_block(template, "discuss", context))
    body = _block(template, "summary", context).strip()[: options.max_posts * _MAX_BODY_PER_POST]
    texts = pack_posts(head, body, link, tags, discuss, max(1, options.max_posts))
    created = timestamp(created_at or post.published_at)
    records = [_record(text, created) for text in texts or [_fit(post.url, MAX_GRAPHEMES)]]
    if not options.link_card:
        return BlueskyThread(tuple(records))
    records[0]["embed"] = link_card(post)
    return BlueskyThread(tuple(records), post.picture_url if options.card_picture else None)


def link_card(post: Post) -> dict[str, Any]:
    """The ``app.bsky.embed.external`` card of the post (its ``thumb`` is added when sent)."""
    description = markdown_to_plain(post.description or post.description_long or "", post.url)
    return {
        "$type": EXTERNAL,
        "external": {
            "uri": post.url,
            "title": post.title,
            "description": _fit(" ".join(description.split()), MAX_CARD_DESCRIPTION),
        },
    }


def hashtags(tags: tuple[str, ...], count: int = MAX_HASHTAGS) -> str:
    """The first ``count`` distinct tags as hashtags ("Data Science" -> "#DataScience")."""
    found: dict[str, str] = {}
    for tag in tags:
        if len(found) >= count:
            break
        words = ["".join(c for c in word if _tag_char(c)) for word in tag.split()]
        name = "".join(w[:1].upper() + w[1:] if len(words) > 1 else w for w in words)
        has_letter = any(unicodedata.category(c).startswith("L") for c in name)
        if has_letter and name.lower() not in found and grapheme_length(name) <= 64:
            found[name.lower()] = "#" + name
    return " ".join(found.values())


def _tag_char(char: str) -> bool:
    return char == "_" or unicodedata.category(char)[0] in "LMN"


def _record(text: str, created: str) -> dict[str, Any]:
    record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": created}
    facets = detect_facets(text)
    if facets:
        record["facets"] = facets
    return record


def _block(template: str, name: str, context: dict[str, Any]) -> str:
    """A block of the team's template, or of the default one where theirs lacks it.

    A template without any block is taken as the summary as a whole.
    """
    if name == "summary" and not any(has_block(template, b) for b in BLOCKS):
        return render_template(template, **context)
    if not has_block(template, name):
        template = default_template(PACKAGE)
    return render_block(template, name, **context)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fit(text: str, room: int) -> str:
    if measure(text) <= room:
        return text
    return truncate_words(text, room, measure, ellipsis=ELLIPSIS)


@dataclass(frozen=True)
class _Frame:
    head: str
    link: str
    tags: str
    discuss: str

    def text(self, index: int, chunk: str, *, last: bool) -> str:
        parts = [self.head, chunk, self.link, self.tags] if index == 0 else [chunk]
        if last:
            parts.append(self.discuss)
        return GAP.join(p for p in parts if p)

    def room(self, index: int, last: bool) -> int:
        fixed = measure(self.text(index, "", last=last))
        return MAX_GRAPHEMES - fixed - (len(GAP) if fixed else 0)


def pack_posts(
    head: str, body: str, link: str, tags: str, discuss: str, max_posts: int
) -> list[str]:
    """Fit the blocks into at most ``max_posts`` texts, each within Bluesky's limits."""
    link, discuss = _fit(link, _MAX_LINE), _fit(discuss, _MAX_LINE)
    reserve = sum(measure(GAP + x) for x in (link, tags, discuss if max_posts == 1 else "") if x)
    frame = _Frame(_fit(head, MAX_GRAPHEMES - reserve - len(GAP)), link, tags, discuss)
    if frame.room(0, max_posts == 1) < 0:
        frame = _Frame(frame.head, frame.link, "", frame.discuss)  # hashtags give way first
    table = {(i, last): frame.room(i, last) for i in (0, 1) for last in (False, True)}
    chunks = pack(units(body, measure), lambda i, last: table[min(i, 1), last], max_posts, measure)
    end = len(chunks) - 1
    texts = [frame.text(i, chunk_text(c), last=i == end) for i, c in enumerate(chunks)]
    # Measures add up across units; this guards the limits should they ever not.
    texts = [t if fits(t) else _fit(t, MAX_GRAPHEMES) for t in texts]
    return [t for t in texts if t]


def preview(thread: BlueskyThread) -> tuple[PreviewBlock, ...]:
    """Each post as a person reads it in ``preview``, with its length in graphemes, and
    the link card under the first."""
    count = len(thread.posts)
    blocks = []
    for number, record in enumerate(thread.posts, start=1):
        text = str(record["text"])
        lines = [Line(text)]
        external = (record.get("embed") or {}).get("external")
        if isinstance(external, dict):
            lines.append(Line(f"card: {external['title']} ({external['uri']})", "dim"))
        blocks.append(
            PreviewBlock(
                f"Bluesky post {number}/{count}",
                tuple(lines),
                subtitle=f"{grapheme_length(text)}/{MAX_GRAPHEMES}",
            )
        )
    return tuple(blocks)


def chat_lines(thread: BlueskyThread) -> tuple[str, ...]:
    """The thread in the slash command's preview (Discord Markdown)."""
    return thread_chat_lines(f"Bluesky thread ({len(thread.posts)} posts)", thread.texts)
