"""``heartbeat-bot init URL``: a first config/heartbeat.toml for a blog that publishes a feed.

URL is the feed itself or any page of the site (its feed is found through the page's
``<link rel="alternate">``). The feed is read once, so the file is written only for a
feed that works; it is never written over an existing file, and the three newest entries
are printed as they would go out, for the user to check before enabling any channel.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import HeartbeatError
from heartbeat_bot.models import Post
from heartbeat_bot.sources.feed_discovery import discover
from heartbeat_bot.sources.feed_parse import FeedDocument
from heartbeat_bot.sources.feed_post import entry_post

TIMEOUT = 30.0

_TAIL = """
[state]
# SQLite file holding what was sent where.
path = "state/heartbeat.sqlite3"

# Channels stay off until you enable them; every key is documented in the example config
# shipped with heartbeat-bot (config/heartbeat.example.toml).
[discourse]
enabled = false

[discord]
enabled = false

[twitter]
enabled = false
"""


def init_feed(url: str, target: Path) -> int:
    """Find the feed at ``url``, write ``target`` for it, print its newest entries."""
    if target.exists():
        raise HeartbeatError(f"{target} exists; it is never overwritten (remove it or edit it)")
    feed_url, document = asyncio.run(_discover(url))
    text = feed_config_text(feed_url, document)
    posts = _posts(document)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as handle:  # never over a file made meanwhile
        handle.write(text)
    found = "" if feed_url == url else f", named by {url}"
    print(f"wrote {target} (the {_format(document)} feed {feed_url}{found})")
    print(f"{len(posts)} entries in the feed; the newest three, as they would go out:")
    for post in sorted(posts, key=lambda p: p.published_at, reverse=True)[:3]:
        summary = " ".join((post.description_long or "(no summary)").split())
        print(f"\n  {post.title}\n  {post.url}\n  {post.published_at.isoformat()}")
        print(f"  {summary[:160]}")
    print("\nCheck them; then set the channels in the file and run `heartbeat-bot check`.")
    return 0


async def _discover(url: str) -> tuple[str, FeedDocument]:
    from heartbeat_bot import __version__

    async with httpx.AsyncClient() as http:
        return await discover(http, url, timeout=TIMEOUT, agent=f"heartbeat-bot/{__version__}")


def feed_config_text(feed_url: str, document: FeedDocument) -> str:
    """The commented TOML settings for the feed at ``feed_url``."""
    name = " ".join((document.title or "").split()) or "the blog"
    lines = [
        "# heartbeat-bot settings written by `heartbeat-bot init` for a blog's feed.",
        "",
        "[blog]",
        "# The blog's feed (RSS, Atom or JSON Feed): each entry is a post, its link the URL.",
        f"feed_url = {json.dumps(feed_url)}",
        "# Shown in announcements and used to pad short Discourse titles.",
        f"site_name = {json.dumps(name[:100], ensure_ascii=False)}",
        "# Seconds between two fetches of the feed (an unchanged feed costs a 304).",
        "poll_interval = 60",
        "# Time zone in which a post's date is shown.",
        'timezone = "UTC"',
    ]
    return "\n".join(lines) + "\n" + _TAIL


def _posts(document: FeedDocument) -> list[Post]:
    blog = BlogConfig()
    now = datetime.now(UTC)
    posts = []
    for entry in document.entries:
        try:
            posts.append(entry_post(entry, blog, feed_authors=document.authors, first_seen=now))
        except HeartbeatError:
            continue
    return posts


def _format(document: FeedDocument) -> str:
    names = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
    return next((v for k, v in names.items() if document.format.startswith(k)), "feed")
