"""I/O: one polite fetch of a feed, and of an entry's page for its ``og:image``.

A fetch sends the validators of the last answer (``If-None-Match``, ``If-Modified-Since``)
so an unchanged feed costs a 304 and no parsing; it is read through the project's bounded
transport (:func:`heartbeat_bot.transport.fetch`): at most :data:`FEED_MAX_BYTES`, within
``blog.feed_timeout`` seconds for the whole answer, at most a few redirects. Every failure
becomes a :class:`~heartbeat_bot.sources.feed_parse.FeedError` of one line, carrying the
wait the server asked for (``Retry-After`` on a 429 or 503).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from heartbeat_bot.sources.feed_parse import FeedError
from heartbeat_bot.transport import AnswerTooLarge, RedirectRefused, fetch, shown_url

FEED_MAX_BYTES = 5 * 1024 * 1024
"""The most of a feed we read, in bytes: the largest blog feeds (full content, 50
entries) are around 2 MB; a larger answer is refused, not cut."""
PAGE_MAX_BYTES = 1024 * 1024
"""The most of an entry's page read to find its og:image (it is in the <head>)."""
MAX_WAIT = 86_400.0
"""A Retry-After longer than a day is taken as a day."""
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/rdf+xml;"
    "q=0.9, application/xml;q=0.8, application/json;q=0.7, text/xml;q=0.7, */*;q=0.1"
)


class FeedUnavailable(FeedError):
    """A fetch that failed; ``retry_after`` is the wait the server asked for, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Validators:
    """What the last full answer said about its version, sent back to get a 304."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Fetched:
    """A 200 (``body`` set) or a 304 (``body`` None), with the validators to send next.

    ``links`` are the answer's ``Link`` header links by relation (WebSub's ``hub`` and
    ``self`` are advertised there first), absolute.
    """

    body: bytes | None
    url: str
    content_type: str | None
    validators: Validators
    links: dict[str, str] = field(default_factory=dict)


async def fetch_feed(
    http: httpx.AsyncClient, url: str, validators: Validators, *, timeout: float, agent: str
) -> Fetched:
    """GET the feed at ``url``; FeedUnavailable with one line when it cannot be had."""
    headers = {"Accept": ACCEPT, "User-Agent": agent, **validators.headers()}
    try:
        answer = await fetch(
            http,
            "GET",
            url,
            redirects="any",
            limit=FEED_MAX_BYTES,
            total=timeout,
            headers=headers,
            timeout=httpx.Timeout(timeout),
        )
    except AnswerTooLarge as exc:
        mb = FEED_MAX_BYTES // (1024 * 1024)
        raise FeedUnavailable(f"answered more than {mb} MB; a feed that large is not read") from exc
    except RedirectRefused as exc:
        raise FeedUnavailable(f"redirects too often ({exc.reason}; last to {exc.host})") from exc
    except httpx.TimeoutException as exc:
        raise FeedUnavailable(f"gave no complete answer within {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise FeedUnavailable(f"cannot be reached ({type(exc).__name__}: {exc})") from exc
    links = header_links(answer.headers.get_list("link"), str(answer.url))
    if answer.status_code == 304:
        return Fetched(None, str(answer.url), None, validators, links)
    if answer.status_code in (429, 503) or answer.status_code >= 500:
        wait = retry_after(answer.headers.get("retry-after"), datetime.now(UTC))
        asked = f", asking to wait {wait:.0f} s" if wait is not None else ""
        raise FeedUnavailable(f"answered HTTP {answer.status_code}{asked}", wait)
    if not answer.is_success:
        raise FeedUnavailable(f"answered HTTP {answer.status_code}")
    fresh = Validators(answer.headers.get("etag"), answer.headers.get("last-modified"))
    ctype = answer.headers.get("content-type")
    return Fetched(answer.content, str(answer.url), ctype, fresh, links)


_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[\w*-]+\s*=\s*(?:"[^"]*"|[^;,"]*))*)')
_REL = re.compile(r';\s*rel\s*=\s*(?:"([^"]*)"|([^;,"\s]*))', re.I)


def header_links(values: list[str], base: str) -> dict[str, str]:
    """``Link`` header values (RFC 8288) as relation -> absolute URL, the first of each."""
    found: dict[str, str] = {}
    for value in values:
        for match in _LINK.finditer(value):
            rel = _REL.search(match.group(2))
            if rel is None:
                continue
            for name in (rel.group(1) or rel.group(2) or "").lower().split():
                found.setdefault(name, urljoin(base, match.group(1).strip()))
    return found


def retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` in seconds (a number, or an HTTP date), at most a day; None if absent."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return min(float(value), MAX_WAIT)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max((moment - now).total_seconds(), 0.0), MAX_WAIT)


async def fetch_og_image(http: httpx.AsyncClient, page: str, *, timeout: float) -> str | None:
    """The ``og:image`` of the page at ``page`` (absolute), or None; never raises."""
    try:
        answer = await fetch(
            http,
            "GET",
            page,
            redirects="any",
            limit=PAGE_MAX_BYTES,
            total=timeout,
            headers={"Accept": "text/html"},
        )
    except (AnswerTooLarge, RedirectRefused, httpx.HTTPError):
        return None
    if not answer.is_success:
        return None
    finder = _OgImage()
    finder.feed(answer.text)
    if finder.found is None:
        return None
    url = urljoin(str(answer.url), finder.found.strip())
    return url if url.startswith(("http://", "https://")) else None


class _OgImage(HTMLParser):
    """The first ``<meta property="og:image" content="...">`` of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta" or self.found is not None:
            return
        values = dict(attrs)
        name = (values.get("property") or values.get("name") or "").lower()
        if name in ("og:image", "og:image:url", "og:image:secure_url") and values.get("content"):
            self.found = values["content"]


def shown(url: str) -> str:
    """The feed URL fit for a message."""
    return shown_url(url)
