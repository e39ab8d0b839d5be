"""What a rescan of the posts folder gives, and what it remembers of each file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post


@dataclass(frozen=True, slots=True)
class ScanResult:
    """One :meth:`FolderSource.rescan`: everything, plus what differs from the previous one.

    ``items`` holds every current post file's Post or PostError, in file-name order.
    ``changed`` lists files that are new or whose result changed since the previous
    rescan (their content, or another file now or no longer giving the same slug);
    ``removed`` those that are gone. ``errors_new`` holds the PostErrors of the files in
    ``changed`` only, so a malformed post is reported once, not at every rescan.
    ``fresh``: the Posts of the files in ``changed``, in order, when the source has them
    at hand (None: :func:`split` finds them among ``items``).
    """

    items: list[Post | PostError]
    changed: list[Path]
    removed: list[Path]
    errors_new: list[PostError]
    fresh: list[Post] | None = None


# A rescan, its count of problem files, its posts, and those new or changed.
Scan = tuple[ScanResult, int, list[Post], list[Post]]


def split(result: ScanResult, *, first: bool) -> Scan:
    """A rescan, its count of problem files, its posts, and those that are new or changed
    (all of them on the first)."""
    current = [i for i in result.items if isinstance(i, Post)]
    problems = len(result.items) - len(current)
    if first:  # every post: no set of every path to hash (50,000 at a large blog's start)
        return result, problems, current, current
    if not result.changed:  # the usual rescan: no path of every post hashed to find none
        return result, problems, current, []
    if result.fresh is not None:
        return result, problems, current, result.fresh
    changed = set(result.changed)
    return result, problems, current, [i for i in current if i.path in changed]


@dataclass(frozen=True, slots=True)
class Entry:
    """What the previous rescan learnt about one file (and what the parse cache keeps)."""

    path: Path
    bundle: tuple[str, ...]  # a page bundle's other files, when they were listed
    stamp: int  # size, mtime_ns and inode as one int (listing.stamp)
    digest: str | None  # sha256 hex of the bytes read; None when they could not be read
    result: Post | PostError
    settled: bool  # the stamp can be trusted: no read at all while it stays the same


def held_name(name: str, path: Path) -> str:
    """The name string ``path`` holds as its last part when it is ``name`` (a plain file
    directly in the folder), so that the records of a file share one copy of its name."""
    last = path.name
    return last if last == name else name


def held(entries: Mapping[str, Entry], name: str) -> tuple[str, int] | None:
    """The name and stamp objects the record of ``name`` holds (None: no record), for the
    listing to hold the same ones (:func:`~heartbeat_bot.sources.listing.read_listing`)."""
    entry = entries.get(name)
    return None if entry is None else (held_name(name, entry.path), entry.stamp)
