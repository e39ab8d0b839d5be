"""I/O: one post file of a posts folder, read without following a link out of it, and
where it sits below the folder (:class:`PostFiles`, the base of the folder source)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from heartbeat_bot.errors import PostError
from heartbeat_bot.posts.place import Place

# Opening a symbolic link with O_NOFOLLOW fails with ELOOP (EMLINK on FreeBSD).
_IS_A_LINK = frozenset({errno.ELOOP, errno.EMLINK})
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _read_all(handle: int) -> bytes:
    """Everything from ``handle`` to the end of the file, in as few reads as its size allows
    (no buffered stream made for one read of a few kilobytes)."""
    size = os.fstat(handle).st_size
    data = os.read(handle, size + 1)
    if not data:
        return data
    chunks = [data]
    while chunk := os.read(handle, max(size, 1 << 16)):  # grown meanwhile, or a short read
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class PostFiles:
    """The files of the posts folder ``posts_dir``, one at a time."""

    posts_dir: Path

    def place(self, path: Path) -> Place:
        """Where ``path`` sits below the posts folder (a bundle's other files listed)."""
        try:
            relative = path.relative_to(self.posts_dir)
        except ValueError:
            return Place.of(path)
        place = Place(relative.as_posix(), self.posts_dir.name)
        if not place.is_bundle:
            return place
        try:
            others = sorted(p.name for p in path.parent.iterdir() if p.name != path.name)
        except OSError:
            others = []
        return Place(place.relative, place.folder_name, tuple(others))

    def read(self, path: Path) -> bytes:
        """The raw bytes of one post file; PostError for a link that leads out of the folder.

        The file is opened without following a link, so a link put in its place after
        the check is refused by the kernel, not read.
        """
        try:
            handle = os.open(path, os.O_RDONLY | _NOFOLLOW)
        except OSError as exc:
            if exc.errno not in _IS_A_LINK or not path.is_symlink():
                raise
            handle = os.open(self._link_target(path), os.O_RDONLY | _NOFOLLOW)
        try:
            return _read_all(handle)
        finally:
            os.close(handle)

    def _link_target(self, path: Path) -> Path:
        """Where the link at ``path`` leads, if that is inside ``posts_dir``; else PostError."""
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(os.path.realpath(self.posts_dir)):
            raise PostError(
                path,
                f"is a symbolic link to {target}, outside blog.posts_dir; not read "
                "(put the post itself in the folder)",
            )
        return target
