"""I/O: finding one post in the parse cache's index, without parsing any file.

Two ways, from safest to quickest:

- :func:`find_indexed` checks the stamp of every file of the folder first (one ``stat``
  each), so the answer is the one a full rescan would give;
- :func:`find_trusted` checks only that the folder holds the same file names as the cache
  and that the file found is the one parsed (one ``stat``): an unchanged name whose file
  was edited to take the same slug as another is not noticed, so it is for commands that
  only show a post (``preview``), never for one that sends it.

Either gives None when it cannot answer with certainty; the caller then rescans.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from heartbeat_bot.models import Post
from heartbeat_bot.sources.listing import POST_SUFFIXES, Stamp, stamp_of
from heartbeat_bot.sources.parse_cache import ParseCache

Listing = list[tuple[str, Stamp, bool, tuple[str, ...]]]


def find_indexed(
    cache: ParseCache, key: str, folder: Path, listing: Callable[[], Listing], ref: str
) -> Post | None:
    """The post ``ref`` names, from the cache's index, parsing nothing: only when the cache
    holds every file ``listing()`` gives with its current stamp and bundle, settled (and not
    a link), and no other post shares its public URL; None otherwise (then rescan)."""
    known = cache.stamps(key)
    if not known:
        return None
    listed = listing()
    if len(listed) != len(known):
        return None
    for name, stamp, link, bundle in listed:
        if link or known.get(name) != (stamp, bundle, True):
            return None
    found = cache.find(key, folder, ref)
    return found[0] if found is not None and len(found) == 1 else None


def find_trusted(cache: ParseCache, key: str, folder: Path, ref: str) -> Post | None:
    """The post ``ref`` names, from the cache's index, when the folder (not its
    subfolders) lists exactly the file names the cache holds and the file found still has
    the stamp it was parsed with (settled, not a link), and no other post shares its public
    URL; None otherwise (then :func:`find_indexed` or a rescan)."""
    known = cache.names(key)
    if not known:
        return None
    try:
        listed = _post_names(folder)
    except OSError:
        return None
    if listed != known:  # a file added, removed or renamed since the cache was written
        return None
    found = cache.find(key, folder, ref)
    if found is None or len(found) != 1:
        return None
    post = found[0]
    remembered = cache.stamp_of(key, post.path.relative_to(folder).as_posix())
    try:
        info = os.lstat(post.path)
    except OSError:  # vanished since
        return None
    if remembered is None or not stat.S_ISREG(info.st_mode):
        return None
    stamp, bundle, settled = remembered
    if not settled or bundle or stamp_of(info) != stamp:
        return None  # changed (or within the mtime tick) since it was parsed
    return post


def _post_names(folder: Path) -> set[str]:
    """The post files directly in ``folder`` (as a listing that does not read subfolders
    gives them), by name, without a ``stat`` of each."""
    with os.scandir(folder) as scanner:
        return {
            entry.name
            for entry in scanner
            if not entry.name.startswith(".")
            and entry.name.lower().endswith(POST_SUFFIXES)
            and entry.is_file()
        }
