"""Pure: one feed entry as a :class:`Post`, and a post's identity in its feed.

An entry's identity is its ``id``/``guid``, else its link; it stands where a file's path
stands for a post file (``Post.path``, percent-encoded so that it holds no ``/``), so the
ledger recognises an entry whose link changed as the same post. The public URL is the
entry's link; the summary is its ``summary``, else its ``content``, as Markdown.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts.parse import DEFAULT_CHANNEL_NAMES
from heartbeat_bot.sources.feed_html import html_to_markdown
from heartbeat_bot.sources.feed_parse import FeedEntry

MAX_TITLE = 1000
_SAFE_ID = ":@,;=+!*'()$&~"
_SLUG_UNSAFE = re.compile(r"[^\w.~-]+")
# The footer WordPress SEO plugins (Yoast) add to every entry of a feed: not the post's.
_FEED_FOOTER = re.compile(r"\n*The post \[[^\n]*\]\([^\n]*\) appeared first on [^\n]*\Z")


def entry_key(entry: FeedEntry) -> str | None:
    """The entry's identity: its id, else its link (None: it has neither)."""
    return entry.id or entry.link


def key_path(key: str) -> Path:
    """The ``Post.path`` standing for an entry identity (no ``/``, so one name)."""
    return Path(quote(key, safe=_SAFE_ID))


def path_key(path: Path) -> str:
    """The entry identity a ``Post.path`` stands for."""
    return unquote(path.name)


def entry_post(
    entry: FeedEntry,
    blog: BlogConfig,
    *,
    feed_authors: Iterable[str] = (),
    first_seen: datetime,
    picture: str | None = None,
    channels: Iterable[str] = DEFAULT_CHANNEL_NAMES.values(),
) -> Post:
    """The Post for one entry; PostError (naming the entry) if it cannot be announced.

    ``first_seen``: when the source first saw the entry, its publish moment when the feed
    gives it no date. ``picture``: the page's og:image, when asked for and found.
    ``channels``: every channel's name (an entry cannot opt out of one).
    """
    key = entry_key(entry)
    if key is None:
        raise PostError(Path("(entry without id or link)"), "has neither an id nor a link")
    path = key_path(key)
    link = entry.link
    if link is None and entry.id and urlsplit(entry.id).scheme in ("http", "https"):
        link = entry.id  # an Atom id, or a guid with isPermaLink, that is its page
    if link is None or urlsplit(link).scheme not in ("http", "https"):
        raise PostError(path, "has no http(s) link to its page", field="link")
    title = _title(entry, path)
    problems: list[str] = []
    published = entry.published or entry.updated
    if published is None:
        published = first_seen
        problems.append("no date in the feed; taken as published when first seen")
    summary_html = entry.summary_html or entry.content_html
    summary = html_to_markdown(summary_html, link) if summary_html else ""
    summary = _FEED_FOOTER.sub("", summary).strip()
    if not summary:
        problems.append("no summary or content in the feed")
    authors = entry.authors or tuple(feed_authors)
    image = entry.image or picture
    slug = _slug(link, key)
    fields = {
        "title": title,
        "link": link,
        "published": published.isoformat(),
        "summary": summary,
        "tags": list(entry.tags),
        "authors": list(authors),
        "image": entry.image,  # not a page's og:image, fetched or not
    }
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode("utf-8")).hexdigest()
    return Post(
        path=path,
        slug=slug,
        url=link,
        title=title,
        date=published.astimezone(blog.tz).date(),
        published_at=published,
        picture_url=image,
        authors=authors,
        author_ids=authors,
        tags=entry.tags,
        description=None,
        description_long=summary or None,
        comments_url=None,
        draft=False,
        channels=frozenset(channels),
        content_hash=digest,
        problems=tuple(problems),
        updated_at=entry.updated,
        summary_source=("summary" if entry.summary_html else "content") if summary else None,
    )


def _title(entry: FeedEntry, path: Path) -> str:
    text = entry.title or ""
    if entry.title_is_html:
        import html

        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    text = " ".join(text.split())
    if not text:
        raise PostError(path, "has no title", field="title")
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1] + "…"


def _slug(link: str, key: str) -> str:
    """The last segment of the link's path (``/2024/05/hello-world/`` -> ``hello-world``),
    else a short hash of the entry's identity."""
    parts = urlsplit(link)
    segments = [s for s in unquote(parts.path).split("/") if s]
    if segments:
        last = re.sub(r"\.(html?|php|aspx?)$", "", segments[-1], flags=re.I)
        slug = _SLUG_UNSAFE.sub("-", last).strip("-.")
        if slug:
            return slug[:120]
    query = _SLUG_UNSAFE.sub("-", parts.query).strip("-.")
    return query[:120] if query else "entry-" + hashlib.sha256(key.encode()).hexdigest()[:10]
