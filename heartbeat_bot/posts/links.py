"""Pure: links between posts of one blog, checked against the URLs computed for them.

A post's body may link another post of the same blog, absolutely (``https://site/...``)
or from the site root (``/blog/...``). Such a link that is not the URL heartbeat-bot
computes for any post, but names one (its last path segment is that post's slug, file
name or URL's last segment, under the same first folder), is a mismatch: either the link
is stale or heartbeat-bot's settings give the wrong URL. Trailing slashes, ``index.html``,
a ``.html`` ending, queries and fragments are ignored in the comparison.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from heartbeat_bot.models import Post
from heartbeat_bot.posts.place import strip_date

_LINKS = re.compile(
    r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"  # [text](url "title")
    r"|^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)"  # [ref]: url
    r"|href=[\"']([^\"']+)[\"']",  # <a href="url">
    re.MULTILINE,
)
_SUFFIX = re.compile(r"(?:/index\.html?|\.html?|/)+$")
_POST_SUFFIX = re.compile(r"\.(md|mdx|markdown)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LinkMismatch:
    """``source`` links ``link``, which names ``target`` whose computed URL is ``expected``."""

    source: Path
    target: Path
    link: str
    expected: str

    def __str__(self) -> str:
        return (
            f"{self.source} links {self.link}, but heartbeat-bot gives {self.target} the URL "
            f"{self.expected}"
        )


def _key(path: str) -> str:
    return _SUFFIX.sub("", unquote(path)) or "/"


def links_in(body: str) -> list[str]:
    """Every link target in a Markdown (or HTML) body, in order."""
    return [next(g for g in match.groups() if g) for match in _LINKS.finditer(body)]


def cross_check(
    posts: Iterable[Post], bodies: Mapping[Path, str], site_url: str
) -> list[LinkMismatch]:
    """The links between posts (``bodies`` by post path) that miss their target's URL."""
    site = urlsplit(site_url)
    host = site.netloc.lower().removeprefix("www.")
    known: dict[str, Post] = {}
    by_name: dict[str, list[Post]] = {}
    all_posts = list(posts)
    for post in all_posts:
        path = _key(urlsplit(post.url).path)
        known[path] = post
        names = {
            post.slug,
            path.rsplit("/", 1)[-1],
            strip_date(_POST_SUFFIX.sub("", post.path.name)),
        }
        if post.path.stem.lower() == "index":
            names.add(strip_date(post.path.parent.name))
        for name in names:
            by_name.setdefault(name.lower(), []).append(post)
    found: list[LinkMismatch] = []
    for post in all_posts:
        body = bodies.get(post.path)
        if not body:
            continue
        for link in links_in(body):
            parts = urlsplit(link)
            if parts.scheme and parts.scheme.lower() not in ("http", "https"):
                continue
            if parts.netloc and parts.netloc.lower().removeprefix("www.") != host:
                continue
            if not parts.netloc and not parts.path.startswith("/"):
                continue  # relative: a file the generator resolves itself
            path = _key(parts.path)
            if path in known:
                continue
            last = path.rsplit("/", 1)[-1].lower()
            first = path.strip("/").split("/", 1)[0]
            for target in by_name.get(last, []):
                expected = _key(urlsplit(target.url).path)
                if target is not post and expected.strip("/").split("/", 1)[0] == first:
                    found.append(LinkMismatch(post.path, target.path, link, target.url))
                    break
    return found
