"""I/O: reading one post file again for a rescan, reusing what is known when its bytes
are the same as before."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import parse_post
from heartbeat_bot.posts.place import Place
from heartbeat_bot.sources.listing import Stamp, stamp_mtime
from heartbeat_bot.sources.scan_result import Entry

if TYPE_CHECKING:
    from heartbeat_bot.sources.folder import FolderSource

# A file written this close to (or after) the moment a rescan starts may be written again
# within the same mtime tick (coarse kernel clock, 2 s on FAT) without its stamp changing,
# as git's "racy clean" problem; such a file is checked by content at the next rescan.
RACY_NS = 2_000_000_000


def read_entry(
    source: FolderSource,
    path: Path,
    place: Place,
    stamp: Stamp,
    link: bool,
    old: Entry | None,
    blog: BlogConfig,
    authors: dict[str, str],
    labels: dict[str, str],
    started: int,
) -> Entry | None:
    """Read and parse one file; ``old`` is reused when the bytes are the same as before.

    A link is never settled: where it leads is checked again at every rescan.
    """
    settled = stamp_mtime(stamp) < started - RACY_NS and not link
    try:
        raw = source.read(path)
    except FileNotFoundError:
        return None
    except (OSError, PostError) as exc:  # PostError: a link that leads out of the folder
        error = exc if isinstance(exc, PostError) else unreadable(path, exc)
        if old is not None and old.digest is None and str(old.result) == str(error):
            return old  # the same failure as last time: retried, not reported again
        return Entry(path, place.bundle_files, stamp, None, error, settled=False)
    bundle = place.bundle_files
    if old is not None and old.digest is not None and old.bundle == bundle:
        digest = hashlib.sha256(raw).hexdigest()
        if digest == old.digest:
            return Entry(path, bundle, stamp, digest, old.result, settled)
    try:
        post = parse_post(path, raw, blog, authors, source.channels, place=place, tag_labels=labels)
    except PostError as exc:
        return Entry(path, bundle, stamp, hashlib.sha256(raw).hexdigest(), exc, settled)
    return Entry(path, bundle, stamp, post.content_hash, post, settled)


def without_renamed(
    entries: dict[str, Entry], known: Mapping[str, str], authors: Mapping[str, str]
) -> dict[str, Entry]:
    """``entries`` less the posts of an author whose name changed from ``known`` to
    ``authors`` (they are parsed again, to show the new name)."""
    renamed = {k for k in known.keys() | authors.keys() if known.get(k) != authors.get(k)}
    return {
        name: entry
        for name, entry in entries.items()
        if not (isinstance(entry.result, Post) and renamed & set(entry.result.author_ids))
    }


def unreadable(path: Path, exc: OSError) -> PostError:
    return PostError(path, f"cannot be read ({exc.strerror or exc})")
