"""I/O: a blog that publishes a feed (RSS, Atom or JSON Feed) as a source of posts.

:class:`FeedSource` gives what :class:`~heartbeat_bot.sources.folder.FolderSource` gives
(``scan`` for the commands, ``rescan``/``poll`` as a :class:`ScanResult` of what changed
for the service), from the entries of ``blog.feed_url`` instead of files. Each poll is a
conditional GET: a 304, or a 200 whose bytes did not change, parses nothing. While the
server asks for a pause (``Retry-After``), polls are skipped. A WebSub push hands in a
feed document (often only the new entries), merged into what is known.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import time
from collections.abc import Coroutine, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import find_post, mark_duplicates
from heartbeat_bot.posts.parse import DEFAULT_CHANNEL_NAMES
from heartbeat_bot.sources.feed_fetch import (
    FeedUnavailable,
    Validators,
    fetch_feed,
    fetch_og_image,
    shown,
)
from heartbeat_bot.sources.feed_parse import FeedDocument, FeedError, parse_feed
from heartbeat_bot.sources.feed_post import entry_key, entry_post, key_path, path_key
from heartbeat_bot.sources.scan_result import ScanResult
from heartbeat_bot.transport import tls_context

log = logging.getLogger(__name__)

T = TypeVar("T")
OG_CONCURRENCY = 4


class FeedSource:
    """The entries of the feed at ``url``, as posts.

    ``problem`` is why the last fetch failed (None once one succeeds); ``hub`` and
    ``topic`` are the WebSub hub and topic URL the feed names, if any. ``parses`` counts
    the feed documents parsed, ``unchanged`` the fetches that found nothing new.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        fetch_og_image: bool = False,
        agent: str = "",
        channels: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url
        # Every channel's name (the values of the registry's vocabulary).
        self.channels = frozenset((channels or DEFAULT_CHANNEL_NAMES).values())
        self.timeout = timeout
        self.og_images = fetch_og_image
        self.agent = agent or "heartbeat-bot"
        self.validators = Validators()
        self.problem: str | None = None
        self.hub: str | None = None
        self.topic: str | None = None
        self.parses = 0
        self.unchanged = 0
        self._pause_until = 0.0  # monotonic: Retry-After
        self._digest: str | None = None
        self._items: dict[str, Post | PostError] = {}
        self._first_seen: dict[str, datetime] = {}
        self._og: dict[str, str | None] = {}
        self._blog: BlogConfig | None = None
        self._polled = False
        self._moved_told = False

    @property
    def posts_dir(self) -> str:
        """What `list` and errors name as where the posts come from."""
        return shown(self.url)

    # -- the service ------------------------------------------------------------------

    async def poll(
        self, blog: BlogConfig, http: httpx.AsyncClient | None = None, *, force: bool = False
    ) -> ScanResult | None:
        """Fetch the feed and say what changed since the last poll; None when the server
        asked for a pause that is not over (``force``: fetch all the same, a push).

        Raises FeedError (FeedUnavailable for a fetch) with one line; the previous items
        are kept, so a feed that is down never reads as every post deleted.
        """
        if not force and time.monotonic() < self._pause_until:
            return None
        if blog != self._blog:  # new settings: everything is fetched and mapped again
            self._items, self._digest, self._blog = {}, None, blog
            self.validators = Validators()
        try:
            if http is None:
                async with httpx.AsyncClient(verify=tls_context()) as own:
                    return await self._poll(blog, own)
            return await self._poll(blog, http)
        except FeedUnavailable as exc:
            if exc.retry_after is not None:
                self._pause_until = time.monotonic() + exc.retry_after
            self.problem = self._line(exc)
            raise FeedUnavailable(self.problem, exc.retry_after) from exc
        except FeedError as exc:
            self.problem = self._line(exc)
            raise FeedError(self.problem) from exc

    def _line(self, exc: Exception) -> str:
        return f"blog.feed_url {shown(self.url)} {exc}"

    async def _poll(self, blog: BlogConfig, http: httpx.AsyncClient) -> ScanResult:
        fetched = await fetch_feed(
            http, self.url, self.validators, timeout=self.timeout, agent=self.agent
        )
        digest = hashlib.sha256(fetched.body).hexdigest() if fetched.body is not None else None
        if fetched.body is None or digest == self._digest:
            self.unchanged += 1
            self.problem = None
            self.validators = fetched.validators
            return self._same()
        # In a thread: a large feed takes feedparser a while, and the service's loop (the
        # Discord gateway, /healthz) must not wait for it.
        document = await asyncio.to_thread(
            parse_feed, fetched.body, fetched.url, fetched.content_type
        )
        self.parses += 1
        if fetched.url != self.url and not self._moved_told:
            self._moved_told = True
            log.warning(
                "blog.feed_url %s redirects to %s: set it to the new address",
                shown(self.url),
                shown(fetched.url),
            )
        result = await self._apply(document, blog, http, merge=False)
        # WebSub discovery: the answer's Link header first, then the document's links.
        self.hub = fetched.links.get("hub") or document.hub
        self.topic = fetched.links.get("self") or document.self_url or self.url
        # Kept only once the document was read: a feed that failed to parse is fetched whole.
        self.validators, self._digest, self.problem = fetched.validators, digest, None
        return result

    async def take_push(
        self, body: bytes, content_type: str | None, blog: BlogConfig, http: httpx.AsyncClient
    ) -> ScanResult:
        """Merge a pushed feed document (WebSub): its entries are new or changed, none is
        taken as deleted."""
        document = await asyncio.to_thread(parse_feed, body, self.topic or self.url, content_type)
        self.parses += 1
        return await self._apply(document, blog, http, merge=True)

    def items(self) -> list[Post | PostError]:
        """The entries as last read (none before the first read)."""
        return list(self._items.values())

    def _same(self) -> ScanResult:
        return ScanResult(self.items(), [], [], [])

    async def _apply(
        self, document: FeedDocument, blog: BlogConfig, http: httpx.AsyncClient, *, merge: bool
    ) -> ScanResult:
        first = not self._polled
        self._polled = True
        now = datetime.now(UTC)
        previous = self._items
        current: dict[str, Post | PostError] = dict(previous) if merge else {}
        fresh: dict[str, Post | PostError] = {}
        for index, entry in enumerate(document.entries):
            key = entry_key(entry)
            if key is None:
                where = Path(f"(entry {index + 1} of the feed)")
                fresh[f"#{index}"] = PostError(where, "has neither an id nor a link")
                continue
            if key in fresh:
                fresh[key] = PostError(key_path(key), "appears twice in the feed (the same id)")
                continue
            seen = self._first_seen.setdefault(key, now)
            picture = None
            if self.og_images and not first and key not in previous and not entry.image:
                picture = await self._og_image(http, entry.link)
            elif entry.link in self._og:
                picture = self._og[entry.link]
            try:
                fresh[key] = entry_post(
                    entry,
                    blog,
                    feed_authors=document.authors,
                    first_seen=seen,
                    picture=picture,
                    channels=self.channels,
                )
            except PostError as exc:
                fresh[key] = exc
            except Exception as exc:  # an entry no rule expected: that entry, not the feed
                log.warning("feed entry %s could not be read", key, exc_info=True)
                fresh[key] = PostError(key_path(key), f"could not be read ({type(exc).__name__})")
        current.update(fresh)
        if not merge:  # forget the entries that left the feed
            self._first_seen = {k: v for k, v in self._first_seen.items() if k in current}
        keys = list(current)
        items = mark_duplicates(list(current.values()))
        self._items = dict(zip(keys, items, strict=True))
        changed = [
            _path(key, item)
            for key, item in self._items.items()
            if key not in previous or _differs(previous[key], item)
        ]
        errors_new = [
            item
            for key, item in self._items.items()
            if isinstance(item, PostError)
            and (key not in previous or _differs(previous[key], item))
        ]
        removed = [] if merge else [_path(k, v) for k, v in previous.items() if k not in current]
        return ScanResult(list(self._items.values()), changed, removed, errors_new)

    async def _og_image(self, http: httpx.AsyncClient, link: str | None) -> str | None:
        if link is None:
            return None
        if link not in self._og:
            self._og[link] = await fetch_og_image(http, link, timeout=self.timeout)
        return self._og[link]

    # -- the commands -----------------------------------------------------------------

    def scan(self, blog: BlogConfig) -> list[Post | PostError]:
        """Every entry of the feed as it is now; FeedError when it cannot be read."""
        self.validators, self._digest = Validators(), None  # a whole answer, not a 304
        result = _run(self.poll(blog, force=True))
        assert result is not None
        return result.items

    def rescan(self, blog: BlogConfig, only: Iterable[Path] | None = None) -> ScanResult:
        """What changed since the last call (a conditional GET); nothing while paused.
        ``only`` (the files a watcher names, for a folder) means nothing to a feed."""
        result = _run(self.poll(blog))
        return result if result is not None else self._same()

    def find(self, items: list[Post | PostError], ref: str) -> Post | PostError | None:
        """The entry ``ref`` names: its id (guid), its link, or its slug."""
        wanted = ref.strip()
        for item in items:
            if path_key(item.path) == wanted:
                return item
        return find_post([i for i in items if isinstance(i, Post)], wanted)

    def with_og_image(self, post: Post) -> Post:
        """``post`` with its page's og:image as picture (``blog.fetch_og_image``, none set)."""
        if not self.og_images or post.picture_url is not None:
            return post

        async def look() -> str | None:
            async with httpx.AsyncClient(verify=tls_context()) as http:
                return await fetch_og_image(http, post.url, timeout=self.timeout)

        from dataclasses import replace

        picture = _run(look())
        return replace(post, picture_url=picture) if picture else post


def _path(key: str, item: Post | PostError) -> Path:
    return item.path if key.startswith("#") else key_path(key)


def _differs(before: Post | PostError, after: Post | PostError) -> bool:
    if isinstance(before, Post) and isinstance(after, Post):
        return before.content_hash != after.content_hash or before.url != after.url
    return type(before) is not type(after) or str(before) != str(after)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end from synchronous code, even inside a running loop
    (the slash commands): in a thread of its own, with a loop of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
