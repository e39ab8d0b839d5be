"""The posts of the latest scan as the console lists them, for blogs of 50,000 posts.

What does not change between two scans is worked out once per scan (:class:`Index`): the
order (newest first), the slugs, which posts have problems, the moments a post's state
changes, and a digest of what the pages show. Each post's state and filters are worked
out from the ledger in a few queries for the whole blog, again only when the ledger, the
scan or the clock changed something; a request then builds the rows of the page it shows
(:mod:`heartbeat_bot.web.console.model`).
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from heartbeat_bot.app.approval import shown_state
from heartbeat_bot.errors import DuplicatePost, PostError
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.models import Post
from heartbeat_bot.sources.stored_post import StoredPost, whole
from heartbeat_bot.web.console.model import Shown

Items = list[Post | PostError]
# Pair states the posts page filters by.
TROUBLE = ("failed", "unknown", "waiting")
PAGE_SIZE = 100
FEW = 2 * PAGE_SIZE


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of the scan, as the list needs it without reading the post again."""

    position: int  # in the scan's items
    url: str
    slug: str
    path: Path
    sort_key: float
    post: bool  # False: a file held back (a duplicate) or broken
    problems: bool


@dataclass(frozen=True, slots=True)
class Listed:
    """An entry with its state now and the filters it belongs to."""

    entry: Entry
    state: str
    tags: frozenset[str]


class Index:
    """One scan's items, ordered and indexed once."""

    def __init__(self, items: Items, problems: Callable[[Sequence[Post]], dict[Path, bool]]):
        self.items = items
        self.size = len(items)
        posts = [item for item in items if isinstance(item, Post)]
        flagged = problems(posts)
        entries = []
        digest = hashlib.sha256()
        moments: list[float] = []
        self.by_slug: dict[str, int] = {}
        for position, item in enumerate(items):
            if isinstance(item, Post):
                entry = Entry(
                    position,
                    item.url,
                    item.slug,
                    item.path,
                    item.published_at.timestamp(),
                    True,
                    flagged[item.path],
                )
                self.by_slug.setdefault(item.slug, position)
                moments.append(entry.sort_key)
                if item.expires_at is not None:
                    moments.append(item.expires_at.timestamp())
                digest.update(f"{item.path}\0{item.url}\0{item.content_hash}\n".encode())
            else:
                entry = Entry(
                    position,
                    item.url if isinstance(item, DuplicatePost) else "",
                    item.slug if isinstance(item, DuplicatePost) else "",
                    item.path,
                    float("inf"),
                    False,
                    True,
                )
                digest.update(f"{item.path}\0{item}\n".encode())
            entries.append(entry)
        entries.sort(key=lambda e: e.sort_key, reverse=True)
        self.entries = entries
        self.digest = digest.hexdigest()[:16]
        moments.sort()
        self.moments = moments

    def passed(self, now: datetime) -> int:
        """How many of the moments a post goes live or expires are past at ``now``."""
        return bisect.bisect_right(self.moments, now.timestamp())

    def scheduled(self, now: datetime) -> list[Post]:
        """The posts due later than ``now``: only the newest entries are looked at."""
        moment = now.timestamp()
        found = []
        for entry in self.entries:
            if entry.post:
                if entry.sort_key <= moment:
                    break
                item = self.items[entry.position]
                if isinstance(item, Post) and item.state(now) == "scheduled":
                    found.append(item)
        return found

    def broken(self) -> list[PostError]:
        """The files held back or broken (first in the order)."""
        found = []
        for entry in self.entries:
            if entry.post:
                break
            item = self.items[entry.position]
            if isinstance(item, PostError):
                found.append(item)
        return found

    def find(self, slug: str) -> Post | None:
        position = self.by_slug.get(slug)
        if position is None:
            return None
        found = self.items[position]
        return found if isinstance(found, Post) else None


class Listing:
    """The index of the latest scan (built again when the service's items are another
    scan's), and which posts have problems, remembered by file and content."""

    def __init__(self, items: Callable[[], Items]) -> None:
        self._items = items
        self._index: Index | None = None
        self._lock = threading.Lock()
        self._classified: tuple[Index, object, list[Listed], dict[str, int]] | None = None

    def index(self) -> Index:
        """The latest scan's index, built now if the scan is newer than the last one."""
        index = self._index
        if index is not None and self._current(index):
            return index
        with self._lock:
            index = self._index
            if index is None or not self._current(index):
                index = self._index = Index(self._items(), self._problems)
            return index

    async def fresh(self) -> Index:
        """:meth:`index`, built in a worker thread when it must be (the first one after a
        start reads every post's problems back from the parse cache): the service's
        loop keeps running meanwhile."""
        index = self._index
        if index is not None and self._current(index):
            return index
        return await asyncio.to_thread(self.index)

    def classified(
        self, ledger: Ledger, now: datetime, awaiting: frozenset[str]
    ) -> tuple[Index, list[Listed], dict[str, int]]:
        """The index, :func:`classify` and how many entries each filter holds, worked out
        again only when something they depend on changed: the scan, a publish moment
        passing, the ledger's last change, the held, unpublished or waiting posts."""
        index = self.index()
        held = ledger.urls_with_status("held")
        gone = ledger.urls_with_status("unpublished")
        key = (index.passed(now), ledger.last_change(), held, gone, awaiting)
        memo = self._classified
        if memo is not None and memo[0] is index and memo[1] == key:
            return index, memo[2], memo[3]
        listed = classify(index, ledger, now, awaiting, held, gone)
        counts: dict[str, int] = {}
        for shown in listed:
            for tag in shown.tags:
                counts[tag] = counts.get(tag, 0) + 1
        self._classified = (index, key, listed, counts)
        return index, listed, counts

    def _current(self, index: Index) -> bool:
        items = self._items()
        return index.items is items and index.size == len(items)

    def _problems(self, posts: Sequence[Post]) -> dict[Path, bool]:
        """Whether each post has problems: from the previous scan's index for the same
        file and content, from the post when held whole, else read back from the parse
        cache in one pass."""
        known: dict[Path, tuple[str, bool]] = {}
        before = self._index
        if before is not None:
            for entry in before.entries:
                item = before.items[entry.position] if entry.position < before.size else None
                if isinstance(item, Post) and item.path == entry.path:
                    known[entry.path] = (item.content_hash, entry.problems)
        found: dict[Path, bool] = {}
        stored = []
        for post in posts:
            remembered = known.get(post.path)
            if remembered is not None and remembered[0] == post.content_hash:
                found[post.path] = remembered[1]
            elif isinstance(post, StoredPost):
                stored.append(post)
            else:
                found[post.path] = bool(post.problems)
        for full in whole(stored):
            found[full.path] = bool(full.problems)
        return found


def classify(
    index: Index,
    ledger: Ledger,
    now: datetime,
    awaiting: frozenset[str],
    held: set[str],
    gone: set[str],
) -> list[Listed]:
    """Every entry, newest first, with its state and filters (``held`` and ``gone``: the
    URLs of the held and unpublished posts; one more query for the pairs in trouble)."""
    troubled = ledger.pair_states_by_url(TROUBLE)
    listed = []
    for entry in index.entries:
        if not entry.post:
            duplicate = isinstance(index.items[entry.position], DuplicatePost)
            marks = frozenset({"held", "problems"} if duplicate else {"problems"})
            listed.append(Listed(entry, "held" if duplicate else "error", marks))
            continue
        item = index.items[entry.position]
        assert isinstance(item, Post)
        url = entry.url
        status = "held" if url in held else "unpublished" if url in gone else "active"
        state = _state(item, status, now, awaiting)
        tags = _tags(state, troubled.get(url, set()), entry.problems)
        listed.append(Listed(entry, state, tags))
    return listed


def _state(post: Post, status: str, now: datetime, awaiting: frozenset[str]) -> str:
    state: str = post.state(now) if status == "active" else status
    return shown_state(state, post.url, awaiting)


def _tags(state: str, pairs: Collection[str], problems: bool) -> frozenset[str]:
    tags = set(pairs)
    if state in {"scheduled", "draft", "awaiting_approval", "held"}:
        tags.add(state)
    if problems:
        tags.add("problems")
    found = frozenset(tags)
    return _TAG_SETS.setdefault(found, found)  # a few distinct sets shared by every post


_TAG_SETS: dict[frozenset[str], frozenset[str]] = {}


def state_of(post: Post, ledger: Ledger, awaiting: frozenset[str]) -> Shown:
    """One post with its state and filters, from its own ledger rows only."""
    recorded = ledger.posts_with_urls([post.url])
    status = recorded[0].status if recorded else "active"
    pairs = ledger.deliveries_of([recorded[0].id])[recorded[0].id] if recorded else []
    state = _state(post, status, datetime.now(UTC), awaiting)
    troubled = {str(d.state) for d in pairs} & set(TROUBLE)
    return post, state, _tags(state, troubled, bool(post.problems))


def select(
    index: Index,
    listed: list[Listed],
    wanted: str | None,
    query: str,
    matching: Callable[[str], set[Path] | None],
) -> list[Listed]:
    """The entries in the filter ``wanted`` (any with None) whose title, slug or URL holds
    every word of ``query``: titles searched in the parse cache's index when there is one
    and many entries are left, not read back post by post."""
    if wanted is not None:
        listed = [e for e in listed if wanted in e.tags]
    for word in query.casefold().split():
        # Few entries left (a filter): their titles read back cost less than the index.
        paths = matching(word) if len(listed) > FEW else None
        kept = []
        for shown in listed:
            entry = shown.entry
            if word in entry.slug.casefold() or word in entry.url.casefold():
                kept.append(shown)
            elif not entry.post:
                if word in entry.path.name.casefold():
                    kept.append(shown)
            elif paths is not None:
                if entry.path in paths:
                    kept.append(shown)
            elif word in _title(index.items[entry.position]).casefold():
                kept.append(shown)
        listed = kept
    return listed


def _title(item: Post | PostError) -> str:
    return item.title if isinstance(item, Post) else item.path.name
