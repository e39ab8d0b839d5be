"""The first scan, the service's one large burst of allocations, and memory given back after.

Before it, what start-up built (modules, classes, clients, settings: they live as long as
the service) is moved out of the garbage collector's reach (``gc.freeze``), and automatic
collections are paused while it runs (:func:`first_scan`): at 50,000 posts the heap grows
by hundreds of thousands of objects, and every automatic collection meanwhile, full ones
included, walked them all again (close to a second of a warm start). One collection after
it finds its garbage.

The first scan of a large blog builds and drops many temporary lists, sets and rows; what
was freed in between the posts kept stays with the process unless the C allocator is asked
to return it (``malloc_trim``, glibc only). The objects left are then frozen too: they live
as long as the service, and a full collection no longer walks them all.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
from collections.abc import Awaitable, Callable

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.sources.collector import collector_paused
from heartbeat_bot.sources.folder import FolderSource

log = logging.getLogger("heartbeat_bot.service")


async def first_scan(scan: Awaitable[None]) -> None:
    """Run the first scan with start-up's objects frozen and automatic collections paused
    (on again at the end, even when it fails); then :func:`settle_memory`, while they are
    still paused."""
    gc.freeze()
    with collector_paused():
        await scan
        # Before automatic collections resume: the first of them would walk every object
        # the scan left (all in the youngest generation) just before this walks them again.
        settle_memory()


def keep_lean(
    source: object, blog: BlogConfig, posts: dict[str, Post], items: list[Post | PostError]
) -> None:
    """The posts a folder source parsed whole (the first scan of a blog new to the parse
    cache) kept as their heads from now on, in the source and in the service's ``posts``
    and ``items``, as a restart would load them: a blog of 50,000 posts no longer holds
    50,000 titles and summaries (read back from the cache when one is shown or sent)."""
    if not isinstance(source, FolderSource):
        return
    lean = source.keep_lean(blog)
    if not lean:
        return

    def swapped(post: Post) -> Post:
        kept = lean.get(post.path)
        same = kept is not None and (kept.url, kept.content_hash) == (post.url, post.content_hash)
        return kept if same and kept is not None and type(post) is Post else post

    for url, post in posts.items():
        posts[url] = swapped(post)
    items[:] = [swapped(item) if isinstance(item, Post) else item for item in items]


def settle_memory() -> None:
    """Collect, return free memory to the system where the C library can, and freeze."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    gc.freeze()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to ask
        return None
    return trim
