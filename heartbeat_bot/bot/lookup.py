"""The posts the slash commands offer in the service, and the one a person acts on, read
again from its file.

In the service the commands offer the posts of its latest scan (held once, not again by
the bot's own source); the post a command or an approval button names is read again from
its file, so an edit made a moment before the press is seen even when the service's rescan
has not read it yet, at the cost of one file rather than the whole folder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.sources.feed import FeedSource
from heartbeat_bot.sources.folder import FolderSource

if TYPE_CHECKING:
    from heartbeat_bot.bot.commands import HeartbeatBot

Latest = Callable[[], Sequence[Post | PostError]]


def shared_posts(latest: Latest | None, source: FolderSource | FeedSource) -> list[Post] | None:
    """The posts of the service's latest scan; None outside the service, for a feed, or
    before its first scan (then the bot's own source reads the folder)."""
    if latest is None or not isinstance(source, FolderSource):
        return None
    items = latest()
    return [item for item in items if isinstance(item, Post)] if items else None


async def post_at(bot: HeartbeatBot, url: str) -> Post | None:
    """The post at ``url`` as its file is now: the file the service's latest scan has there,
    read again (whatever the scan has not seen yet); else, or when that file now gives
    another URL or none, the bot's own reading of every file, as outside the service."""
    source, shared = bot.source, shared_posts(bot.latest, bot.source)
    if shared is not None and isinstance(source, FolderSource):
        held = next((post for post in shared if post.url == url), None)
        if held is not None:
            found = await asyncio.to_thread(reread, source, bot.app.config.blog, held)
            if found is not None:
                return found
        result = await asyncio.to_thread(source.rescan, bot.app.config.blog)
        posts = [item for item in result.items if isinstance(item, Post)]
    else:
        posts = await bot.posts()
    return next((post for post in posts if post.url == url), None)


def reread(source: FolderSource, blog: BlogConfig, post: Post) -> Post | None:
    """``post`` as its file reads now; None when the file is gone or broken, or now gives
    another public URL."""
    try:
        now = source.load(post.path, blog)
    except PostError:
        return None
    return now if now.url == post.url else None
