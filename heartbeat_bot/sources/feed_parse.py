"""Pure: the bytes of a feed as a :class:`FeedDocument` of :class:`FeedEntry` records.

RSS 0.9x–2.0, RSS 1.0 and Atom (0.3 and 1.0) are read by ``feedparser``, always from bytes
(given a string it would fetch a URL); JSON Feed 1.0 and 1.1 by its specification
(https://www.jsonfeed.org/version/1.1/), which feedparser's releases do not read. Either
way the result is the same neutral record, so the rest of the source does not care which
format a blog publishes. A document that is not a feed (an HTML page, XML that is not
well-formed, JSON without ``items``) raises :class:`FeedError` with one line saying what
was served.
"""

from __future__ import annotations

import json
import re
import xml.sax
from calendar import timegm
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from heartbeat_bot.errors import HeartbeatError

JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)
_FEED_START = re.compile(rb"<(?:rss|feed|rdf:RDF)\b")
_IMAGE_TYPE = re.compile(r"^image/", re.I)


class FeedError(HeartbeatError):
    """The feed could not be fetched or read; one line naming ``blog.feed_url``."""


@dataclass(frozen=True)
class FeedEntry:
    """One entry, whatever the format: texts as given (HTML where the feed has HTML)."""

    id: str | None
    link: str | None
    title: str | None
    title_is_html: bool
    published: datetime | None
    updated: datetime | None
    summary_html: str | None
    content_html: str | None
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    image: str | None


@dataclass(frozen=True)
class FeedDocument:
    """A feed: its format, its WebSub hub and topic (``self``) when it names them, entries."""

    format: str
    title: str | None
    link: str | None
    hub: str | None
    self_url: str | None
    authors: tuple[str, ...]
    entries: tuple[FeedEntry, ...] = field(default=())


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> FeedDocument:
    """Parse a feed fetched from ``url`` (relative links resolve against it).

    Whatever the bytes, the only error is a FeedError.
    """
    try:
        return _parse(body, url, content_type)
    except FeedError:
        raise
    except Exception as exc:  # a parser's own failure on bytes it was not made for
        raise FeedError(f"could not be read ({type(exc).__name__}: {_one_line(str(exc))})") from exc


def _parse(body: bytes, url: str, content_type: str | None) -> FeedDocument:
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if stripped.startswith(b"{") or media in ("application/feed+json", "application/json"):
        return _json_feed(stripped, url)
    # Servers label feeds text/html now and then: the content decides, not the label.
    if _HTML_START.match(stripped[:4096]) or (
        media == "text/html" and not _FEED_START.search(stripped[:2048])
    ):
        raise FeedError(
            "serves an HTML page, not a feed: set blog.feed_url to the feed itself (the page "
            'names it in <link rel="alternate" type="application/rss+xml">)'
        )
    return _xml_feed(body, url, content_type)


# -- RSS and Atom ---------------------------------------------------------------------


def _xml_feed(body: bytes, url: str, content_type: str | None) -> FeedDocument:
    import feedparser

    # Read as XML whatever the label says (feedparser would read "text/html" loosely, and
    # a cut feed read loosely loses entries without a word).
    label = content_type or "application/xml"
    if not re.search(r"xml", label, re.I):
        label = "application/xml"
    headers = {"content-location": url, "content-type": label}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    problem = parsed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXException):
        # feedparser's loose parser would go on, but a cut or broken feed read loosely
        # can miss entries, and a missing entry must never be taken for a deleted one.
        raise FeedError(f"is not well-formed XML ({_one_line(str(problem))})")
    if not parsed.get("version"):
        raise FeedError("is not an RSS, Atom or JSON feed (no feed element found)")
    feed = parsed.get("feed", {})
    links = feed.get("links", [])
    entries = tuple(_xml_entry(entry) for entry in parsed.get("entries", []))
    return FeedDocument(
        format=str(parsed["version"]),
        title=feed.get("title"),
        link=feed.get("link"),
        hub=_rel(links, "hub"),
        self_url=_rel(links, "self"),
        authors=_names(feed.get("authors")),
        entries=entries,
    )


def _own(entry: Mapping[str, Any], key: str) -> Any:
    """``entry[key]`` as the feed gave it, or None (not feedparser's stand-in value)."""
    return dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)


def _rel(links: list[Mapping[str, Any]], rel: str) -> str | None:
    for link in links:
        if link.get("rel") == rel and link.get("href"):
            return str(link["href"])
    return None


def _xml_entry(entry: Mapping[str, Any]) -> FeedEntry:
    title_detail = entry.get("title_detail") or {}
    content = entry.get("content") or []
    html = [c.get("value") for c in content if "html" in str(c.get("type", "html"))]
    summary = entry.get("summary")
    if summary is not None and (entry.get("summary_detail") or {}).get("type") == "text/plain":
        summary = _escape_html(summary)
    return FeedEntry(
        id=_string(entry.get("id")),
        link=_string(entry.get("link")),
        title=_string(entry.get("title")),
        title_is_html="html" in str(title_detail.get("type", "")),
        published=_moment(entry.get("published_parsed")),
        # Read past feedparser's mapping (with a warning) of a missing updated to published.
        updated=_moment(_own(entry, "updated_parsed")),
        summary_html=summary,
        content_html=next((value for value in html if value), None),
        tags=tuple(
            str(tag.get("label") or tag.get("term")).strip()
            for tag in entry.get("tags") or []
            if (tag.get("label") or tag.get("term") or "").strip()
        ),
        authors=_names(entry.get("authors")),
        image=_xml_image(entry),
    )


def _xml_image(entry: Mapping[str, Any]) -> str | None:
    """The entry's picture: Media RSS content or thumbnail, else an image enclosure."""
    for media in entry.get("media_content") or []:
        kind = str(media.get("medium") or media.get("type") or "")
        if media.get("url") and (kind == "image" or _IMAGE_TYPE.match(kind)):
            return str(media["url"])
    for thumb in entry.get("media_thumbnail") or []:
        if thumb.get("url"):
            return str(thumb["url"])
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and _IMAGE_TYPE.match(str(link.get("type", ""))):
            return str(link["href"])
    image = entry.get("image")
    if isinstance(image, Mapping) and image.get("href"):
        return str(image["href"])
    return None


def _moment(value: Any) -> datetime | None:
    """feedparser's UTC ``struct_time`` as an aware datetime."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(timegm(value), UTC)
    except (OverflowError, ValueError, TypeError):
        return None


# -- JSON Feed ------------------------------------------------------------------------


def _json_feed(body: bytes, url: str) -> FeedDocument:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedError(f"is not valid JSON ({_one_line(str(exc))})") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FeedError('is JSON but not a JSON Feed (no "items" list)')
    version = data.get("version")
    if version not in JSON_FEED_VERSIONS:
        raise FeedError(f"is a JSON Feed of unknown version {_one_line(str(version))}")
    base = _string(data.get("feed_url")) or url
    hubs = [h for h in data.get("hubs") or [] if isinstance(h, dict)]
    hub = next(
        (
            str(h["url"])
            for h in hubs
            if str(h.get("type", "")).lower() == "websub" and h.get("url")
        ),
        None,
    )
    authors = _json_authors(data)
    entries = tuple(
        _json_entry(item, base, authors) for item in data["items"] if isinstance(item, dict)
    )
    return FeedDocument(
        format="json" + ("11" if version.endswith("1.1") else "10"),
        title=_string(data.get("title")),
        link=_string(data.get("home_page_url")),
        hub=hub,
        self_url=_string(data.get("feed_url")),
        authors=authors,
        entries=entries,
    )


def _json_authors(data: Mapping[str, Any]) -> tuple[str, ...]:
    """``authors`` (1.1), else ``author`` (1.0): their names."""
    found = data.get("authors")
    if not isinstance(found, list):
        found = [data["author"]] if isinstance(data.get("author"), dict) else []
    return tuple(
        " ".join(str(a["name"]).split())
        for a in found
        if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip()
    )


def _json_entry(item: Mapping[str, Any], base: str, feed_authors: tuple[str, ...]) -> FeedEntry:
    item_id = item.get("id")
    link = _string(item.get("url")) or _string(item.get("external_url"))
    text = _string(item.get("content_text"))
    return FeedEntry(
        # 1.1: "id" is a string; 1.0 feeds sometimes give a number, which the spec reads
        # as a string too.
        id=str(item_id) if isinstance(item_id, str | int) and str(item_id) else None,
        link=urljoin(base, link) if link else None,
        title=_string(item.get("title")),
        title_is_html=False,
        published=_iso(item.get("date_published")),
        updated=_iso(item.get("date_modified")),
        summary_html=_escape_html(item["summary"]) if _string(item.get("summary")) else None,
        content_html=_string(item.get("content_html")) or (_escape_html(text) if text else None),
        tags=tuple(t.strip() for t in item.get("tags") or [] if isinstance(t, str) and t.strip()),
        authors=_json_authors(item) or feed_authors,
        image=_string(item.get("image")) or _string(item.get("banner_image")),
    )


def _iso(value: Any) -> datetime | None:
    """An RFC 3339 moment, as JSON Feed dates are; None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- shared ---------------------------------------------------------------------------


def _names(people: Any) -> tuple[str, ...]:
    names = []
    for person in people or []:
        name = person.get("name") if isinstance(person, Mapping) else None
        if isinstance(name, str) and name.strip():
            names.append(" ".join(name.split()))
    return tuple(dict.fromkeys(names))


def _string(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _escape_html(text: str) -> str:
    """Plain text as HTML, paragraphs kept."""
    import html

    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
