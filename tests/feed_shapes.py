"""The saved feeds of tests/data/feeds, and new versions of them: an entry added, edited,
or every id and link changed, each in the platform's own shape."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

FEEDS = Path(__file__).parent / "data" / "feeds"


@dataclass(frozen=True)
class Shape:
    """One saved feed, and its first entry's title, link and id as written in the file."""

    file: str
    content_type: str
    title: str
    link: str
    id: str

    def text(self) -> str:
        return (FEEDS / self.file).read_text(encoding="utf-8")


SHAPES = {
    "wordpress": Shape(
        "wordpress.xml",
        "application/rss+xml; charset=UTF-8",
        "Shipping the 2.0 release &#038; what comes next",
        "https://fieldnotes.example.org/2024/05/14/shipping-2-0/",
        "https://fieldnotes.example.org/?p=1287",
    ),
    "ghost": Shape(
        "ghost.xml",
        "application/rss+xml; charset=utf-8",
        "How we cut our build times in half",
        "https://studio.example.com/build-times/",
        "6644678ea5b3e80001d2e4f1",
    ),
    "substack": Shape(
        "substack.xml",
        "application/xml; charset=utf-8",
        "Issue #42: merge queues everywhere",
        "https://weeklydiff.substack.com/p/issue-42-merge-queues-everywhere",
        "https://weeklydiff.substack.com/p/issue-42-merge-queues-everywhere",
    ),
    "medium": Shape(
        "medium.xml",
        "text/xml; charset=UTF-8",
        "Feature stores without the hype",
        "https://medium.com/@priya.raman/feature-stores-without-the-hype-3b1f0c2d9e7a",
        "https://medium.com/p/3b1f0c2d9e7a",
    ),
    "jekyll": Shape(
        "jekyll-atom.xml",
        "application/atom+xml",
        "Profiling async Python &amp;amp; friends",
        "https://notes.example.io/2024/05/19/profiling-async-python.html",
        "https://notes.example.io/2024/05/19/profiling-async-python",
    ),
    "jsonfeed": Shape(
        "jsonfeed.json",
        "application/feed+json",
        "Dark mode is here",
        "https://changelog.example.net/2024/05/18/dark-mode/",
        "https://changelog.example.net/2024/05/18/dark-mode/",
    ),
}

_BLOCK = re.compile(r"<item>.*?</item>|<entry>.*?</entry>", re.DOTALL)


def with_new_entry(
    name: str, text: str, title: str, slug: str, when: datetime | None = None
) -> str:
    """``text`` (a version of the ``name`` feed) with a new first entry: a copy of the
    saved first entry under ``title``, with its link and id ending in ``slug``."""
    shape = SHAPES[name]
    when = when or datetime.now(UTC)
    if name == "jsonfeed":
        data = json.loads(text)
        item = dict(json.loads(shape.text())["items"][0])
        item.update(
            id=f"{shape.id}{slug}/",
            url=f"{shape.link}{slug}/",
            title=title,
            date_published=when.isoformat(),
        )
        item.pop("date_modified", None)
        data["items"].insert(0, item)
        return json.dumps(data, indent=2)
    block = _BLOCK.search(shape.text())
    assert block is not None
    new = block.group(0)
    new = new.replace(shape.link, _with_slug(shape.link, slug))
    new = new.replace(shape.id, _with_slug(shape.id, slug))
    new = new.replace(shape.title, title)
    new = re.sub(r"<pubDate>[^<]*</pubDate>", f"<pubDate>{format_datetime(when)}</pubDate>", new)
    stamp = when.isoformat()
    new = re.sub(r"<(published|updated)>[^<]*</\1>", lambda m: f"<{m[1]}>{stamp}</{m[1]}>", new)
    new = re.sub(
        r"<atom:updated>[^<]*</atom:updated>", f"<atom:updated>{stamp}</atom:updated>", new
    )
    first = _BLOCK.search(text)
    assert first is not None
    return text[: first.start()] + new + text[first.start() :]


def _with_slug(url: str, slug: str) -> str:
    if url.endswith("/"):
        return f"{url}{slug}/"
    if url.endswith(".html"):
        return url[:-5] + f"-{slug}.html"
    return f"{url}-{slug}"


def renumbered(name: str, text: str, marker: str = "migrated") -> str:
    """``text`` with every entry's id and link changed (a move to another platform)."""
    if name == "jsonfeed":
        data = json.loads(text)
        for item in data["items"]:
            item["id"] = f"urn:{marker}:{item['id']}"
            item["url"] = re.sub(r"^(https?)://", rf"\1://{marker}.", item["url"])
        return json.dumps(data, indent=2)
    text = re.sub(
        r"<guid[^>]*>([^<]*)</guid>",
        lambda m: f'<guid isPermaLink="false">urn:{marker}:{m[1]}</guid>',
        text,
    )
    text = re.sub(r"<id>([^<]*)</id>", lambda m: f"<id>urn:{marker}:{m[1]}</id>", text)
    return re.sub(r"(<link>|href=[\"'])(https?)://", lambda m: f"{m[1]}{m[2]}://{marker}.", text)
