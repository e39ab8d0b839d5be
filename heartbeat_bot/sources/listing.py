"""I/O: the post files of a posts folder, with their stamps, in one walk.

Directly in the folder, or (``recursive``) in its subfolders too: a folder holding
``index.md`` (``.mdx``, ``.markdown``) is a page bundle whose post is that file, its other
files listed with it (a picture may be among them); names starting with ``.`` are
skipped, and in subfolders mode names starting with ``_`` too (Hugo's and Zola's
``_index.md`` section pages, Jekyll's ``_drafts``).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Sequence
from operator import itemgetter
from pathlib import Path

POST_SUFFIXES = (".md", ".mdx", ".markdown")
_BUNDLE_INDEXES = frozenset(f"index{suffix}" for suffix in POST_SUFFIXES)
# What pathlib's is_file() takes for "not a file" (gone, a broken or looping link), not a failure.
_NOT_A_FILE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})

Stamp = tuple[int, int, int]  # size, mtime_ns, inode
# (path below the folder, stamp, is a symbolic link, a bundle's other file names)
Listed = tuple[str, Stamp, bool, tuple[str, ...]]


def list_posts(folder: Path, *, recursive: bool, like: Sequence[str] | None = None) -> list[Listed]:
    """The post files below ``folder``, sorted by their ``/``-separated relative path.

    ``like``: the sorted names of an earlier listing; when the folder holds the same names,
    they are put in that order by looking each up, not sorted again (sorting many names
    holds the interpreter's lock, so other threads wait; a look-up per name does not).
    """
    found: list[Listed] = []
    _walk(folder, "", found, recursive=recursive, top=True)
    if like is not None and len(like) == len(found):
        by_name = {item[0]: item for item in found}
        if all(name in by_name for name in like):  # as many, all found: the same names
            return [by_name[name] for name in like]
    found.sort(key=itemgetter(0))
    return found


def _walk(folder: Path, prefix: str, found: list[Listed], *, recursive: bool, top: bool) -> None:
    folders: list[str] = []
    posts: list[tuple[str, Stamp, bool]] = []
    others: list[str] = []
    with os.scandir(folder / prefix if prefix else folder) as scanner:
        for entry in scanner:
            name = entry.name
            if name.startswith("."):
                continue
            if not name.lower().endswith(POST_SUFFIXES):
                if recursive and not name.startswith("_"):
                    try:
                        (folders if entry.is_dir(follow_symlinks=False) else others).append(name)
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
            posts.append((name, (info.st_size, info.st_mtime_ns, info.st_ino), entry.is_symlink()))
    index = None if top else next((p for p in posts if p[0].lower() in _BUNDLE_INDEXES), None)
    if index is not None:  # a page bundle: its index is the post
        rest = tuple(sorted(others + [p[0] for p in posts if p is not index]))
        found.append((prefix + index[0], index[1], index[2], rest))
        return
    found += [(prefix + name, stamp, link, ()) for name, stamp, link in posts]
    for name in folders:
        try:
            _walk(folder, f"{prefix}{name}/", found, recursive=recursive, top=False)
        except OSError:
            continue  # gone or unreadable since the listing: the next scan sees it


def patch_listing(
    folder: Path, listed: dict[str, Listed], paths: Iterable[Path], *, recursive: bool
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
        patched[name] = (name, (info.st_size, info.st_mtime_ns, info.st_ino), link, ())
    return patched
