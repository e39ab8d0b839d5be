"""A post as the parse cache remembers it, holding in memory only what scheduling reads.

A source that keeps every post of a large blog in memory (the service, the slash-command
bot) keeps those it took from the cache as :class:`StoredPost`: the path and the
:data:`~heartbeat_bot.sources.cache_rows.HEAD_FIELDS` (slug, URL, dates, draft, channels,
content hash...). Any other field (title, summary, tags...) is read when first asked for,
from the cache row of the same content, else from the file parsed again (the row was
rewritten meanwhile); the last few posts read are kept whole (:class:`PostStore`). A
StoredPost equals the Post parsed from the same bytes, and hashes as it does.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from heartbeat_bot.models import Post, shared
from heartbeat_bot.sources.cache_rows import HEAD_FIELDS

if TYPE_CHECKING:
    from heartbeat_bot.sources.parse_cache import ParseCache

_ALL_FIELDS = tuple(field.name for field in fields(Post))
_LAZY = frozenset(_ALL_FIELDS) - {"path", *HEAD_FIELDS}
# Values many posts hold alike (a set of channels, an author list, a day of a busy blog):
# one object each.
_SHARED_HEAD = frozenset({"channels", "author_ids", "date"})
RECENT = 256  # posts kept whole after a read: a page of the console, a burst of work


class PostStore:
    """Where the stored posts of one folder and one settings key read their other fields."""

    def __init__(
        self, cache: ParseCache, key: str, folder: Path, reparse: Callable[[Path], Post]
    ) -> None:
        self.cache = cache
        self.key = key
        self.folder = folder
        self.reparse = reparse
        self._recent: OrderedDict[Path, Post] = OrderedDict()
        self._lock = threading.Lock()

    def full(self, post: Post) -> Post:
        """The whole post ``post`` stands for."""
        with self._lock:
            hit = self._recent.get(post.path)
            if hit is not None and hit.content_hash == post.content_hash:
                self._recent.move_to_end(post.path)
                return hit
        name = post.path.relative_to(self.folder).as_posix()
        found = self.cache.result(self.key, name, self.folder)
        if not isinstance(found, Post) or found.content_hash != post.content_hash:
            found = self.reparse(post.path)  # the row is another content's now
        with self._lock:
            self._recent[post.path] = found
            self._recent.move_to_end(post.path)
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return found


class StoredPost(Post):
    """A :class:`~heartbeat_bot.models.Post` whose other fields stay in the parse cache."""

    __slots__ = ("_store",)

    def __getattr__(self, name: str) -> Any:  # only for the fields not held
        if name not in _LAZY:
            raise AttributeError(name)
        store: PostStore = object.__getattribute__(self, "_store")
        return getattr(store.full(self), name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Post):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in _ALL_FIELDS)

    __hash__ = Post.__hash__


def stored_post(path: Path, head: tuple[Any, ...], store: PostStore) -> StoredPost:
    """The StoredPost of the file at ``path`` from its cached head values."""
    post = _new(StoredPost)
    _set_path(post, path)
    for setter, value in zip(_HEAD_SETTERS, head, strict=True):
        setter(post, value)
    for setter, index in _SHARED_SETTERS:
        setter(post, shared(head[index]))
    _set_store(post, store)
    return post


def lean_copy(post: Post, store: PostStore) -> StoredPost:
    """``post``, parsed whole and now in ``store``'s cache, as the StoredPost a restart
    would load (its other fields read back on use)."""
    return stored_post(post.path, tuple(getattr(post, name) for name in HEAD_FIELDS), store)


# The slots' own setters (a frozen post refuses setattr), looked up once, not per post.
_new = object.__new__
_set_path: Callable[[Post, object], None] = vars(Post)["path"].__set__
_set_store: Callable[[StoredPost, object], None] = vars(StoredPost)["_store"].__set__
_HEAD_SETTERS = tuple(vars(Post)[name].__set__ for name in HEAD_FIELDS)
_SHARED_SETTERS = tuple(
    (vars(Post)[name].__set__, HEAD_FIELDS.index(name)) for name in sorted(_SHARED_HEAD)
)


def whole(posts: Iterable[Post]) -> Iterator[Post]:
    """``posts`` with every field held, in no set order: the stored ones read back from
    their cache in one pass (for thousands of posts at once, not one query each)."""
    waiting: dict[PostStore, dict[str, StoredPost]] = {}
    for post in posts:
        if isinstance(post, StoredPost):
            store: PostStore = object.__getattribute__(post, "_store")
            name = post.path.relative_to(store.folder).as_posix()
            waiting.setdefault(store, {})[name] = post
        else:
            yield post
    for store, stored in waiting.items():
        for name, found in store.cache.results(store.key, store.folder):
            wanted = stored.pop(name, None)
            if wanted is None:
                continue
            if isinstance(found, Post) and found.content_hash == wanted.content_hash:
                yield found
            else:
                yield store.full(wanted)
        yield from (store.full(left) for left in stored.values())  # rows gone meanwhile
