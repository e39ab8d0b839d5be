"""I/O: the feed at a URL, or the feed a site's page names (for ``heartbeat-bot init``).

A site's pages name their feeds in ``<link rel="alternate" type="application/rss+xml"
href="...">`` (Atom and JSON Feed alike), as WordPress, Ghost, Substack, Medium, Hugo and
Jekyll all do; the first one that reads as a feed is taken.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from heartbeat_bot.sources.feed_fetch import Validators, fetch_feed, shown
from heartbeat_bot.sources.feed_parse import FeedDocument, FeedError, parse_feed

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
)
TRIED = 3
"""Feeds named by a page tried at most, in the page's order."""


async def discover(
    http: httpx.AsyncClient, url: str, *, timeout: float, agent: str
) -> tuple[str, FeedDocument]:
    """The feed's URL and document: ``url`` itself when it is a feed, else the first feed
    its page names. FeedError (one line naming ``url``) when neither is found."""
    fetched = await fetch_feed(http, url, Validators(), timeout=timeout, agent=agent)
    body = fetched.body or b""
    try:
        return fetched.url, parse_feed(body, fetched.url, fetched.content_type)
    except FeedError as exc:
        if "HTML page" not in str(exc):
            raise FeedError(f"{shown(url)} {exc}") from exc
    named = feed_links(body.decode("utf-8", "replace"), fetched.url)
    if not named:
        raise FeedError(
            f'{shown(url)} is a page that names no feed (no <link rel="alternate" '
            'type="application/rss+xml"> or Atom or JSON Feed); give the feed\'s URL'
        )
    problems = []
    for candidate in named[:TRIED]:
        try:
            got = await fetch_feed(http, candidate, Validators(), timeout=timeout, agent=agent)
            return got.url, parse_feed(got.body or b"", got.url, got.content_type)
        except FeedError as exc:
            problems.append(f"{shown(candidate)} {exc}")
    raise FeedError(f"{shown(url)} names feeds that cannot be read: {'; '.join(problems)}")


def feed_links(html: str, base: str) -> list[str]:
    """The feeds a page names, absolute, in its order (comments' feeds last)."""
    finder = _Alternates()
    finder.feed(html)
    links = [urljoin(base, href) for href in finder.found]
    return sorted(dict.fromkeys(links), key=lambda link: "comments" in link.lower())


class _Alternates(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = dict(attrs)
        rels = (values.get("rel") or "").lower().split()
        kind = (values.get("type") or "").split(";")[0].strip().lower()
        href = values.get("href")
        if "alternate" in rels and kind in FEED_TYPES and href:
            self.found.append(href.strip())
