"""Pure: a Post -> the Mastodon thread that announces it.

The template gives the same four blocks as X's (``head``, ``summary``, ``link``,
``discuss``); they are fitted into statuses of at most the instance's ``max_characters``,
counted as the instance counts them (``channels.mastodon.text``: grapheme clusters, each
URL as ``characters_reserved_per_url``). The first status holds the head, the start of the
summary and the post link; the discussion link goes in the last; the summary is split as
a person would (``render.thread``). Every @ that would mention someone is neutralised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from heartbeat_bot.channels.mastodon.text import (
    DEFAULT_MAX_CHARACTERS,
    DEFAULT_URL_CHARACTERS,
    neutralise_mentions,
    status_length,
)
from heartbeat_bot.models import Post
from heartbeat_bot.render.context import template_context
from heartbeat_bot.render.preview import PreviewBlock, thread_blocks, thread_chat_lines
from heartbeat_bot.render.templates import (
    default_template,
    has_block,
    render_block,
    render_template,
)
from heartbeat_bot.render.text import markdown_to_plain, truncate_words
from heartbeat_bot.render.thread import Room, chunk_text, pack, remembered, units

BLOCKS = ("head", "summary", "link", "discuss")
ELLIPSIS = "…"
GAP = "\n\n"
# Summary characters kept per status allowed: far more than a status can show.
_BODY_FACTOR = 4
# The link and discussion lines may take at most this share of a status each.
_LINE_SHARE = 3


@dataclass(frozen=True)
class MastodonOptions:
    """The instance's limits (from ``/api/v2/instance``) and the thread's length."""

    site_name: str = "the blog"
    max_posts: int = 4
    max_characters: int = DEFAULT_MAX_CHARACTERS
    url_chars: int = DEFAULT_URL_CHARACTERS


@dataclass(frozen=True)
class MastodonThread:
    """The statuses of the announcement thread, in order; each replies to the one before."""

    statuses: tuple[str, ...]

    def body(self) -> dict[str, Any]:
        return {"statuses": list(self.statuses)}

    def parts(self) -> tuple[str, ...]:
        """The texts of the thread, in order (what a thread delivery posts)."""
        return self.statuses


def render_mastodon_thread(
    post: Post, options: MastodonOptions, template: str, *, comments_url: str | None = None
) -> MastodonThread:
    """The thread for ``post``: at most ``max_posts`` statuses within the instance's limit."""
    summary = neutralise_mentions(markdown_to_plain(post.description_long or "", post.url))
    quiet = replace(
        post,
        title=neutralise_mentions(post.title),
        authors=tuple(neutralise_mentions(a) for a in post.authors),
        description=neutralise_mentions(post.description or ""),
        description_long=neutralise_mentions(post.description_long or ""),
    )
    context = template_context(
        quiet, comments_url=comments_url, summary=summary, site_name=options.site_name
    )
    head = _one_line(_block(template, "head", context))
    link = _one_line(_block(template, "link", context))
    discuss = _one_line(_block(template, "discuss", context))
    room = options.max_posts * options.max_characters * _BODY_FACTOR
    body = _block(template, "summary", context).strip()[:room]
    statuses = pack_statuses(head, body, link, discuss, options)
    return MastodonThread(tuple(statuses) or (post.url,))


def _block(template: str, name: str, context: dict[str, Any]) -> str:
    """A block of the team's template, or of the default one where theirs lacks it."""
    if name == "summary" and not any(has_block(template, b) for b in BLOCKS):
        return render_template(template, **context)
    if not has_block(template, name):
        template = default_template("heartbeat_bot.channels.mastodon")
    return render_block(template, name, **context)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class _Frame:
    """The fixed parts of the thread around the summary chunks."""

    head: str
    link: str
    discuss: str
    limit: int
    measure: Callable[[str], int]

    def status(self, index: int, chunk: str, *, last: bool) -> str:
        parts = [self.head, chunk, self.link] if index == 0 else [chunk]
        if last:
            parts.append(self.discuss)
        return GAP.join(p for p in parts if p)

    def room(self, index: int, last: bool) -> int:
        """Length left for the summary chunk of status ``index`` (separators included)."""
        fixed = self.measure(self.status(index, "", last=last))
        return self.limit - fixed - (len(GAP) if fixed else 0)

    def rooms(self) -> Room:
        table = {(i, last): self.room(i, last) for i in (0, 1) for last in (False, True)}
        return lambda index, last: table[min(index, 1), last]


def pack_statuses(
    head: str, body: str, link: str, discuss: str, options: MastodonOptions
) -> list[str]:
    """Fit head, body, link and discuss into at most ``max_posts`` statuses."""
    limit = options.max_characters

    def count(text: str) -> int:
        return status_length(text, options.url_chars)

    measure = remembered(count)  # every text is counted once
    line_room = max(limit // _LINE_SHARE, 1)
    link = _fit(link, line_room, measure)
    discuss = _fit(discuss, line_room, measure)
    last_too = discuss if options.max_posts == 1 else ""
    reserve = sum(measure(GAP + x) for x in (link, last_too) if x)
    head = _fit(head, limit - reserve - len(GAP), measure)
    frame = _Frame(head, link, discuss, limit, measure)
    chunks = pack(units(body, measure), frame.rooms(), options.max_posts, measure)
    last = len(chunks) - 1
    statuses = [frame.status(i, chunk_text(c), last=i == last) for i, c in enumerate(chunks)]
    # Lengths add up across units; this guards the limit should they ever not.
    return [s for s in (_fit(s, limit, measure) for s in statuses) if s]


def _fit(text: str, room: int, measure: Callable[[str], int]) -> str:
    if measure(text) <= room:
        return text
    if room <= 0:
        return ""
    return truncate_words(text, room, measure, ellipsis=ELLIPSIS)


def preview(thread: MastodonThread) -> tuple[PreviewBlock, ...]:
    """Each status as a person reads it in ``preview``, with its length at 500/23."""
    return thread_blocks("Mastodon status", thread.statuses, status_length, DEFAULT_MAX_CHARACTERS)


def chat_lines(thread: MastodonThread) -> tuple[str, ...]:
    """The thread in the slash command's preview (Discord Markdown)."""
    heading = f"Mastodon thread ({len(thread.statuses)} statuses)"
    return thread_chat_lines(heading, thread.statuses)
