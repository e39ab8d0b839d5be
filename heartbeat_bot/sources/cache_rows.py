"""Pure: how the parse cache stores one file's result in a row, and reads it back.

A post is stored twice over: whole (``result``: its fields after the path, pickled as a
tuple, half the cost of loading a pickled Post) and as its ``head``, the few fields
scheduling reads (:data:`HEAD_FIELDS`), stored before the result so that reading a head
does not read the pages a long result spills onto. A source can so keep thousands of
posts in memory as :class:`~heartbeat_bot.sources.stored_post.StoredPost` and read the
rest of one only when it is shown or sent.
"""

from __future__ import annotations

import functools
import json
import pickle
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts.lookup import url_key
from heartbeat_bot.sources.listing import stamp_parts

POST_FIELDS = tuple(field.name for field in fields(Post))[1:]  # all but the path
# What a post keeps in memory once it is in the cache (the rest is read on use).
HEAD_FIELDS = (
    "slug",
    "url",
    "date",
    "published_at",
    "draft",
    "channels",
    "content_hash",
    "expires_at",
    "unlisted",
    "author_ids",
)

CREATE_FILES = """
CREATE TABLE IF NOT EXISTS files (
    key TEXT NOT NULL, name TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
    settled INTEGER NOT NULL, digest TEXT, bundle TEXT NOT NULL,
    slug TEXT, slug_lower TEXT, url_key TEXT, dup_key TEXT, file TEXT, stem TEXT,
    title_lower TEXT, head BLOB, result BLOB NOT NULL,
    PRIMARY KEY (key, name)
) WITHOUT ROWID
"""


class Item(Protocol):
    """One file's record to be stored (the cache's own ``Cached``)."""

    @property
    def name(self) -> str: ...
    @property
    def bundle(self) -> tuple[str, ...]: ...
    @property
    def stamp(self) -> int: ...
    @property
    def digest(self) -> str | None: ...
    @property
    def result(self) -> Post | PostError: ...
    @property
    def settled(self) -> bool: ...


def encode(key: str, item: Item) -> tuple[object, ...]:
    """The row of ``item`` under the settings ``key``, in the table's column order."""
    result = item.result
    size, mtime, inode = stamp_parts(item.stamp)
    head: bytes | None = None
    slug: str | None
    lower: str | None
    url: str | None
    dup: str | None
    file: str | None
    stem: str | None
    title: str | None  # lowercased, for the slash commands' suggestions
    if isinstance(result, Post):
        values = tuple(getattr(result, name) for name in POST_FIELDS)
        blob = pickle.dumps(("post", values), protocol=pickle.HIGHEST_PROTOCOL)
        head = pickle.dumps(head_values(result), protocol=pickle.HIGHEST_PROTOCOL)
        slug, lower = result.slug, result.slug.lower()
        url = json.dumps(url_key(result.url))
        dup = unquote(result.url).rstrip("/")
        file, stem = result.path.name, result.path.stem
        title = result.title.lower()
    else:  # an exception's pickle keeps only its message: store what rebuilds it
        record = ("error", str(result.path), result.message, result.field)
        blob = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        slug = lower = url = dup = file = stem = title = None
    bundle = json.dumps(list(item.bundle))
    settled = int(item.settled)
    start = (key, item.name, size, mtime, inode, settled, item.digest, bundle)
    return (*start, slug, lower, url, dup, file, stem, title, head, blob)


def child(folder: Path, name: str) -> Path:
    """``folder / name`` for a ``/``-separated ``name`` below ``folder``; for a plain file
    name, built from ``folder``'s parsed parts rather than parsed again (a quarter of the
    time: a warm start builds one per post), holding ``name`` itself as its last part."""
    if "/" in name or name in ("", ".", "..") or _CHILD is None:
        return folder / name
    made: Path = _CHILD(folder, name)
    return made


# CPython's own shortcut for a directory's entries (pathlib up to 3.12), when present.
_CHILD: Callable[[Path, str], Path] | None = getattr(Path, "_make_child_relpath", None)


def bundle_files(text: str) -> tuple[str, ...]:
    return () if text == "[]" else tuple(json.loads(text))


def decode(blob: object, path: Path) -> Post | PostError | None:
    """A stored result for the file at ``path``, or None for a row that cannot be decoded
    (it is parsed again)."""
    value = _unpickle(blob)
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "post":
        try:
            return Post(path, *value[1])
        except TypeError:  # fields of another model: a miss
            return None
    if isinstance(value, tuple) and len(value) == 4 and value[0] == "error":
        _, _stored, message, field = value
        return PostError(path, message, field=field)
    return None


def head_values(post: Post) -> tuple[object, ...]:
    """A post's :data:`HEAD_FIELDS` as plain values, quick to unpickle (a date or datetime
    object costs several times a string): the date as its ordinal, a moment in a named
    zone (or UTC) as its ISO text and the zone's name, the channels as their sorted names
    joined by commas (one string to unpickle; a tuple should a name hold a comma)."""
    return (
        post.slug,
        post.url,
        post.date.toordinal(),
        _plain_moment(post.published_at),
        post.draft,
        _plain_channels(post.channels),
        post.content_hash,
        None if post.expires_at is None else _plain_moment(post.expires_at),
        post.unlisted,
        post.author_ids,
    )


def decode_head(blob: object) -> tuple[Any, ...] | None:
    """A post's :data:`HEAD_FIELDS` values, or None for a head that cannot be read."""
    value = _unpickle(blob)
    if not isinstance(value, tuple) or len(value) != len(HEAD_FIELDS):
        return None
    slug, url, day, published, draft, channels, digest, expires, unlisted, author_ids = value
    try:
        return (
            slug,
            url,
            date.fromordinal(day),
            _moment(published),
            draft,
            _channel_set(channels),
            digest,
            None if expires is None else _moment(expires),
            unlisted,
            author_ids,
        )
    except (TypeError, ValueError, LookupError):  # a head of another layout: a miss
        return None


def _plain_channels(channels: frozenset[str]) -> object:
    names = sorted(channels)
    return tuple(names) if any("," in name for name in names) else ",".join(names)


@functools.lru_cache(maxsize=256)  # a blog's posts share a few sets of channels
def _channel_set(stored: object) -> frozenset[str]:
    """The channels a head stored (as :func:`_plain_channels` gives them, or a tuple)."""
    if isinstance(stored, str):
        return frozenset(stored.split(",")) if stored else frozenset()
    if isinstance(stored, tuple) and all(isinstance(name, str) for name in stored):
        return frozenset(stored)
    raise TypeError("not stored channels")


def _plain_moment(moment: datetime) -> object:
    """``moment`` as (ISO text, zone name) when its zone is named or UTC; else itself."""
    zone = moment.tzinfo
    if isinstance(zone, ZoneInfo) and zone.key:
        return (moment.isoformat(), zone.key)
    if zone is UTC:
        return (moment.isoformat(), None)
    return moment


def _moment(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, tuple) or len(value) != 2:
        raise TypeError("not a stored moment")
    text, key = value
    moment = datetime.fromisoformat(text)
    return moment if key is None else moment.astimezone(_zone(key))


@functools.cache
def _zone(key: str) -> ZoneInfo:
    return ZoneInfo(key)


def _unpickle(blob: object) -> object:
    if not isinstance(blob, bytes):
        return None
    try:
        return pickle.loads(blob)
    except Exception:  # a damaged or foreign row: a miss, never trusted
        return None
