"""I/O: the post files of a posts folder, with their stamps, in one walk.

Directly in the folder, or (``recursive``) in its subfolders too: a folder holding
``index.md`` (``.mdx``, ``.markdown``) is a page bundle whose post is that file, its other
files listed with it (a picture may be among them); names starting with ``.`` are
skipped, and in subfolders mode names starting with ``_`` too (Hugo's and Zola's
``_index.md`` section pages, Jekyll's ``_drafts``).

A rescan lists a large folder every few seconds, mostly to find nothing changed, so the
walk does little more per file than its ``stat``: a plain post file (the common case) is
one name check, then either compared with the last listing's entry for it, in the order
the folder lists its files (nothing built for a file that did not change), or one
stamp in a dict: its size, mtime_ns and inode as one int (:func:`stamp_of`; one object per
file, not a tuple of three).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from pathlib import Path

POST_SUFFIXES = (".md", ".mdx", ".markdown")
_BUNDLE_INDEXES = frozenset(f"index{suffix}" for suffix in POST_SUFFIXES)
# What pathlib's is_file() takes for "not a file" (gone, a broken or looping link), not a failure.
_NOT_A_FILE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})
# A folder opened once and its files stat-ed relative to it (fstatat): the kernel looks up
# one name per file rather than the whole path again.
_BY_FD = os.scandir in os.supports_fd and hasattr(os, "O_DIRECTORY")

# A file's size, mtime_ns and inode as one int (see stamp_of): one object per file kept.
Stamp = int
# (path below the folder, stamp, is a symbolic link, a bundle's other file names)
Listed = tuple[str, Stamp, bool, tuple[str, ...]]
Odd = tuple[bool, tuple[str, ...]]  # a post file that is a link or a page bundle's index
# The name and stamp objects kept for a name already, if any (see read_listing).
Held = Callable[[str], tuple[str, Stamp] | None]
_PLAIN: Odd = (False, ())
_END = ("", -1)  # past the last entry of an earlier listing
_LOW = (1 << 64) - 1


def pack_stamp(size: int, mtime_ns: int, inode: int) -> Stamp:
    """A file's size, mtime_ns and inode as one int: ``mtime_ns·2¹²⁸ + inode·2⁶⁴ + size``
    (size and inode below 2⁶⁴, mtime_ns any int, before 1970 too), so two stamps are equal
    exactly when all three are."""
    return (mtime_ns << 128) + (inode << 64) + size


def stamp_of(info: os.stat_result) -> Stamp:
    """The stamp of a file from its ``stat``."""
    return (info.st_mtime_ns << 128) + (info.st_ino << 64) + info.st_size


def stamp_parts(packed: Stamp) -> tuple[int, int, int]:
    """A stamp's size, mtime_ns and inode."""
    return packed & _LOW, packed >> 128, (packed >> 64) & _LOW


def stamp_mtime(packed: Stamp) -> int:
    """A stamp's mtime_ns."""
    return packed >> 128


class Listing:
    """The post files below a folder, by path below it: ``plain`` holds the plain files
    directly in the folder (not links), in the order the folder lists them, and ``rest``
    the others (in subfolders, links, names the fast check passes over), with ``odd`` for
    the links and page bundles among them. A name is in one of ``plain`` and ``rest``."""

    __slots__ = ("odd", "plain", "rest")

    def __init__(self) -> None:
        self.plain: dict[str, Stamp] = {}
        self.rest: dict[str, Stamp] = {}
        self.odd: dict[str, Odd] = {}

    def __len__(self) -> int:
        return len(self.plain) + len(self.rest)

    def __contains__(self, name: object) -> bool:
        return name in self.plain or name in self.rest

    def get(self, name: str) -> Listed | None:
        """``name``'s entry, None when it is not listed."""
        found = self.plain.get(name)
        if found is None:
            found = self.rest.get(name)
            if found is None:
                return None
        link, bundle = self.odd.get(name, _PLAIN)
        return (name, found, link, bundle)

    def sorted(self, like: Sequence[str] | None = None) -> list[Listed]:
        """Every entry, sorted by path below the folder.

        ``like``: the sorted names of an earlier listing; when the folder holds the same
        names, they are put in that order by looking each up, not sorted again (sorting
        many names holds the interpreter's lock, so other threads wait; a look-up per name
        does not).
        """
        if like is not None and len(like) == len(self) and all(n in self for n in like):
            names: Iterable[str] = like  # as many, all found: the same names
        else:
            names = sorted([*self.plain, *self.rest])
        return [item for item in map(self.get, names) if item is not None]

    def changes(self, before: Listing) -> dict[str, Listed | None]:
        """What differs from ``before``: each name's entry now, None for one gone."""
        changed: dict[str, Listed | None] = {}
        for stamps in (self.plain, self.rest):
            for name in stamps:  # a loop, not a set operation: other threads run meanwhile
                now = self.get(name)
                if before.get(name) != now:
                    changed[name] = now
        for stamps in (before.plain, before.rest):
            for name in stamps:
                if name not in self:
                    changed[name] = None
        return changed

    def update(self, changes: dict[str, Listed | None]) -> None:
        """Take ``changes`` (see :meth:`changes`) in."""
        for name, listed in changes.items():
            self.plain.pop(name, None)
            self.rest.pop(name, None)
            self.odd.pop(name, None)
            if listed is not None:
                self.rest[name] = listed[1]
                if listed[2] or listed[3]:
                    self.odd[name] = (listed[2], listed[3])


def list_posts(folder: Path, *, recursive: bool, like: Sequence[str] | None = None) -> list[Listed]:
    """The post files below ``folder``, sorted by their ``/``-separated relative path
    (``like``: see :meth:`Listing.sorted`)."""
    return read_listing(folder, recursive=recursive).sorted(like)


def read_listing(
    folder: Path, *, recursive: bool, before: Listing | None = None, held: Held | None = None
) -> Listing:
    """The post files below ``folder``, with their stamps.

    ``before``: an earlier listing of the folder; when the folder lists the same plain
    files with the same stamps in the same order, their entries are checked one by one as
    they come, not built again (no object made per unchanged file), and ``before`` itself
    is the answer if nothing else differs either.

    ``held`` (without ``before``): the name and stamp objects already kept for a name (the
    records of the files, read from a cache); a plain file directly in the folder listed
    with the same name and stamp holds those, not copies of its own (half the memory, at
    a first scan of a large folder, of a listing that only repeats what is known).
    """
    listing = Listing()
    _walk(folder, "", listing, recursive=recursive, before=before, held=held)
    if (
        before is not None
        and listing.plain is before.plain
        and listing.rest == before.rest
        and listing.odd == before.odd
    ):
        return before
    return listing


def _walk(
    folder: Path,
    prefix: str,
    listing: Listing,
    *,
    recursive: bool,
    before: Listing | None = None,
    held: Held | None = None,
) -> None:
    top = not prefix
    folders: list[str] = []
    # The top folder's plain files go straight into the listing (or are checked against
    # ``before``'s); a subfolder's posts wait to see whether it is a page bundle.
    plain: dict[str, Stamp] = listing.plain if top else {}
    posts: dict[str, Stamp] = listing.rest if top else plain
    expected = iter(before.plain.items()) if before is not None and top else None
    matched = 0
    links: list[str] = []
    others: list[str] = []
    skip = "._" if recursive else "."  # first characters of names never posts
    path = folder / prefix if prefix else folder
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY) if _BY_FD else None
    try:
        with os.scandir(path if descriptor is None else descriptor) as scanner:
            for entry in scanner:
                name = entry.name
                if (  # a plain post file: nothing else to ask
                    name.endswith(POST_SUFFIXES)
                    and name[0] not in skip
                    and entry.is_file(follow_symlinks=False)
                ):
                    try:
                        info = entry.stat()
                    except OSError as exc:  # removed since the folder listed it
                        if exc.errno in _NOT_A_FILE:
                            continue
                        raise
                    if expected is not None:  # as the last listing had it, in its order?
                        seen, old = next(expected, _END)
                        if seen == name and old == (
                            (info.st_mtime_ns << 128) + (info.st_ino << 64) + info.st_size
                        ):
                            matched += 1
                            continue
                        assert before is not None
                        plain = listing.plain = dict(islice(before.plain.items(), matched))
                        expected = None
                    elif top and held is not None:  # kept already, with the same stamp?
                        found = held(name)
                        if found is not None:
                            known, old = found
                            if known == name and old == stamp_of(info):
                                plain[known] = old
                                continue
                    plain[name] = stamp_of(info)
                    continue
                if name.startswith("."):
                    continue
                if not name.lower().endswith(POST_SUFFIXES):
                    if recursive and not name.startswith("_"):
                        try:
                            (folders if entry.is_dir(follow_symlinks=False) else others).append(
                                name
                            )
                        except OSError:
                            continue
                    continue
                if name.startswith("_") and recursive:
                    continue  # a section page, not a post
                try:
                    if not entry.is_file():
                        continue
                    info = entry.stat()
                except OSError as exc:
                    if exc.errno in _NOT_A_FILE:
                        continue
                    raise
                posts[name] = stamp_of(info)
                if entry.is_symlink():
                    links.append(name)
    finally:
        if descriptor is not None:
            os.close(descriptor)
    if expected is not None:
        assert before is not None
        if next(expected, None) is None:  # every one of them, and no more
            listing.plain = before.plain
        else:
            listing.plain = dict(islice(before.plain.items(), matched))
    if top:
        for name in links:
            listing.odd[name] = (True, ())
    else:
        _place(prefix, posts, links, others, listing)
    for name in folders:
        try:
            _walk(folder, f"{prefix}{name}/", listing, recursive=recursive)
        except OSError:
            continue  # gone or unreadable since the listing: the next scan sees it


def _place(
    prefix: str, posts: dict[str, Stamp], links: list[str], others: list[str], listing: Listing
) -> None:
    """A subfolder's post files into ``listing``: its index alone when it is a page bundle."""
    index = next((name for name in sorted(posts) if name.lower() in _BUNDLE_INDEXES), None)
    if index is not None:  # a page bundle: its index is the post
        rest = tuple(sorted(others + [name for name in posts if name != index]))
        listing.rest[prefix + index] = posts[index]
        listing.odd[prefix + index] = (index in links, rest)
        return
    for name, found in posts.items():
        listing.rest[prefix + name] = found
        if name in links:
            listing.odd[prefix + name] = (True, ())


def patch_listing(
    folder: Path, listed: Listing, paths: Iterable[Path], *, recursive: bool
) -> dict[str, Listed | None] | None:
    """What listing the post files at ``paths`` again changes in ``listed`` (by relative
    path): each name's new entry, None for a name no longer listed. None when one of them
    cannot be placed without listing the folder (a folder, a file below a subfolder, which
    may belong to a page bundle)."""
    patched: dict[str, Listed | None] = {}
    for path in paths:
        try:
            relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(folder))
        except ValueError:
            return None
        name = relative.as_posix()
        if len(relative.parts) != 1:
            return None
        if name.startswith(".") or not name.lower().endswith(POST_SUFFIXES):
            if name in listed:
                return None
            continue  # not a post file: nothing to look at
        if name.startswith("_") and recursive:
            continue
        try:
            info = os.stat(path)
            link = os.path.islink(path)
        except OSError as exc:
            if exc.errno not in _NOT_A_FILE:
                return None
            patched[name] = None
            continue
        if stat.S_ISDIR(info.st_mode):
            return None
        if not stat.S_ISREG(info.st_mode):
            patched[name] = None
            continue
        patched[name] = (name, stamp_of(info), link, ())
    return patched
