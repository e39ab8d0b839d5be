"""I/O: post files from one folder (and, by the engine's rules, its subfolders and page
bundles), author names and tag labels from the files beside them.

The only place that touches the files; parsing itself is :func:`heartbeat_bot.posts.parse_post`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import ConfigError, DuplicatePost, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import mark_duplicates, parse_post, read_frontmatter
from heartbeat_bot.posts.engines import rules_for
from heartbeat_bot.posts.place import Place
from heartbeat_bot.sources.listing import Listed, list_posts
from heartbeat_bot.sources.sitedata import read_authors_file, read_tags_file

# A file written this close to (or after) the moment a rescan starts may be written again
# within the same mtime tick (coarse kernel clock, 2 s on FAT) without its stamp changing,
# as git's "racy clean" problem; such a file is checked by content at the next rescan.
RACY_NS = 2_000_000_000
# Opening a symbolic link with O_NOFOLLOW fails with ELOOP (EMLINK on FreeBSD).
_IS_A_LINK = frozenset({errno.ELOOP, errno.EMLINK})
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_UNREADABLE = ("unreadable",)  # the stamp of an authors folder that cannot be listed


@dataclass(frozen=True, slots=True)
class ScanResult:
    """One :meth:`FolderSource.rescan`: everything, plus what differs from the previous one.

    ``items`` holds every current post file's Post or PostError, in file-name order.
    ``changed`` lists files that are new or whose result changed since the previous
    rescan (their content, or another file now or no longer giving the same slug);
    ``removed`` those that are gone. ``errors_new`` holds the PostErrors of the files in
    ``changed`` only, so a malformed post is reported once, not at every rescan.
    """

    items: list[Post | PostError]
    changed: list[Path]
    removed: list[Path]
    errors_new: list[PostError]


@dataclass(frozen=True, slots=True)
class _Entry:
    """What the previous rescan learnt about one file."""

    path: Path
    bundle: tuple[str, ...]  # a page bundle's other files, when they were listed
    stamp: tuple[int, int, int]  # size, mtime_ns, inode
    digest: str | None  # sha256 hex of the bytes read; None when they could not be read
    result: Post | PostError
    settled: bool  # the stamp can be trusted: no read at all while it stays the same


class FolderSource:
    """Post files inside ``posts_dir``; author files ``authors_dir/<id>.md``.

    With ``blog.recursive`` (every engine but gatsby), subfolders are read too: a folder
    holding ``index.md`` (``.mdx``, ``.markdown``) is a page bundle whose post is that
    file, and names starting with ``.`` or ``_`` (Hugo's ``_index.md``, Jekyll's
    ``_drafts``) are skipped. ``authors_file`` and ``tags_file`` (YAML or JSON maps,
    Docusaurus's ``authors.yml`` and ``tags.yml``) default to the engine's, beside the posts.
    The author map is read on first use and read again whenever ``authors_file`` or a file
    of ``authors_dir`` changes (their stamps are compared at each use), so an author added
    while the service runs is shown by name from the next scan on.
    A symbolic link is read only when it leads to a file inside ``posts_dir``; one that
    leads out is a PostError. Posts that share a slug or public URL are all PostErrors
    (:func:`heartbeat_bot.posts.mark_duplicates`).
    """

    def __init__(
        self,
        posts_dir: Path,
        authors_dir: Path | None = None,
        channels: Mapping[str, str] | None = None,
        *,
        authors_file: Path | None = None,
        tags_file: Path | None = None,
    ) -> None:
        self.posts_dir = posts_dir
        self.authors_dir = authors_dir
        # The names the posts' `announce` key may list (see parse_post).
        self.channels = channels
        self.authors_file = authors_file
        self.tags_file = tags_file
        self._authors: dict[str, str] | None = None
        self._authors_read: object = None  # the stamp of the author files when last read
        self._tags: dict[str, str] | None = None
        self._recursive = False
        # Author files that could not be used, kept so `list` can show them.
        self.author_errors: list[PostError] = []
        # rescan()'s memory, by file name (cheaper than Path keys on a large folder), and
        # the settings the files were parsed with.
        self._entries: dict[str, _Entry] = {}
        self._entries_blog: BlogConfig | None = None
        self._shown: dict[str, Post | PostError] = {}  # rescan()'s items, by file name

    def files(self, blog: BlogConfig | None = None) -> list[Path]:
        """The post files (``*.md``, ``*.mdx``, ``*.markdown``, not hidden), sorted by their
        path below the folder; subfolders too when ``blog``'s engine reads them."""
        self._check_posts_dir()
        if blog is not None:
            self._use(blog)
        return [self.posts_dir / key for key, _stamp, _link, _bundle in self._listing()]

    def _use(self, blog: BlogConfig) -> None:
        """Take the engine's listing rule and its data files (unless given)."""
        rules = rules_for(blog)
        self._recursive = rules.recursive
        for which in ("authors_file", "tags_file"):
            name = getattr(rules.preset, which)
            if getattr(self, which) is None and getattr(blog, which) is None and name:
                setattr(self, which, self.posts_dir / name)
            elif getattr(self, which) is None and getattr(blog, which) is not None:
                setattr(self, which, getattr(blog, which))

    def _check_posts_dir(self) -> None:
        if not self.posts_dir.is_dir():
            state = "is not a folder" if self.posts_dir.exists() else "does not exist"
            raise ConfigError(
                f"blog.posts_dir {self.posts_dir} {state} (set it to the folder of post files)",
                key="blog.posts_dir",
            )

    def authors(self) -> dict[str, str]:
        """Author id → display name (the ``name`` in each author file's frontmatter).

        A broken or nameless author file is skipped and recorded in ``author_errors``.
        """
        stamp = self._authors_stamp()
        if self._authors is not None and stamp in (self._authors_read, _UNREADABLE):
            return self._authors  # unchanged, or gone meanwhile: the names last read stay
        self._authors_read = stamp
        self.author_errors = []
        names: dict[str, str] = {}
        if self.authors_file is not None:
            names |= read_authors_file(self.authors_file, self.author_errors)
        if self.authors_dir is None:
            self._authors = names
            return self._authors
        if not self.authors_dir.is_dir():
            state = "is not a folder" if self.authors_dir.exists() else "does not exist"
            raise ConfigError(
                f"blog.authors_dir {self.authors_dir} {state} (fix it or remove the setting)",
                key="blog.authors_dir",
            )
        for path in sorted(self.authors_dir.glob("*.md")):
            try:
                meta, _body = read_frontmatter(path, path.read_bytes())
            except OSError as exc:
                self.author_errors.append(
                    PostError(path, f"cannot be read ({exc.strerror or exc})")
                )
                continue
            except PostError as exc:
                self.author_errors.append(exc)
                continue
            name = meta.get("name")
            if isinstance(name, str) and name.strip():
                names[path.stem] = " ".join(name.split())
            else:
                message = "author file has no `name:`; its id is shown instead"
                self.author_errors.append(PostError(path, message, field="name"))
        self._authors = names
        return names

    def _authors_stamp(self) -> object:
        """What changes when an author file is added, removed or edited."""
        file_stamp = None
        if self.authors_file is not None:
            try:
                info = self.authors_file.stat()
                file_stamp = (info.st_size, info.st_mtime_ns, info.st_ino)
            except OSError:
                file_stamp = None
        if self.authors_dir is None:
            return file_stamp
        try:
            with os.scandir(self.authors_dir) as listing:
                found = []
                for entry in listing:
                    if entry.name.endswith(".md"):
                        info = entry.stat()
                        found.append((entry.name, info.st_size, info.st_mtime_ns, info.st_ino))
        except OSError:
            return _UNREADABLE
        return (file_stamp, tuple(sorted(found)))

    def tags(self) -> dict[str, str]:
        """Tag key → label (``tags_file``), read once; empty without one."""
        if self._tags is None:
            path = self.tags_file
            self._tags = {} if path is None else read_tags_file(path, self.author_errors)
        return self._tags

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
        with os.fdopen(handle, "rb") as stream:
            return stream.read()

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

    def load(self, path: Path, blog: BlogConfig, authors: dict[str, str] | None = None) -> Post:
        """One post, read and parsed; any failure is a PostError naming the file."""
        try:
            raw = self.read(path)
        except OSError as exc:
            raise _unreadable(path, exc) from exc
        self._use(blog)
        place = self.place(path)
        chosen = self.authors() if authors is None else authors
        return parse_post(
            path, raw, blog, chosen, self.channels, place=place, tag_labels=self.tags()
        )

    def scan(self, blog: BlogConfig) -> list[Post | PostError]:
        """Every post file, parsed; a bad file gives its PostError in place of a Post, and
        so do posts that share a slug or public URL."""
        results: list[Post | PostError] = []
        self._use(blog)  # the engine's authors file, before the names are read
        authors = self.authors()
        for path in self.files(blog):
            try:
                results.append(self.load(path, blog, authors))
            except PostError as exc:
                results.append(exc)
        return mark_duplicates(results)

    def rescan(self, blog: BlogConfig) -> ScanResult:
        """Like :meth:`scan`, but a file whose stamp did not change is not read again.

        The stamp is (size, mtime_ns, inode), taken from the directory listing with one
        ``stat`` per file. A file written within ``RACY_NS`` of the rescan is read again
        next time and compared by content, since a second write in the same mtime tick
        leaves its stamp alone. A file that vanishes between listing and reading counts as
        removed. New settings (``blog``) drop everything remembered: it was parsed with
        the old ones.
        """
        if blog != self._entries_blog:
            self._entries, self._entries_blog = {}, blog
        self._use(blog)
        started = time.time_ns()
        known = self._authors
        authors = self.authors()
        labels = self.tags()
        previous = self._entries
        if known is not None and authors is not known:  # an author file changed
            renamed = {k for k in known.keys() | authors.keys() if known.get(k) != authors.get(k)}
            previous = {
                name: entry
                for name, entry in previous.items()
                if not (isinstance(entry.result, Post) and renamed & set(entry.result.author_ids))
            }
        current: dict[str, _Entry] = {}
        items: list[Post | PostError] = []
        changed: list[Path] = []
        errors_new: list[PostError] = []
        names: list[str] = []
        reread = False
        folder_name = self.posts_dir.name
        for name, stamp, link, bundle in self._listing():
            old = previous.get(name)
            if old is not None and old.settled and old.stamp == stamp:
                entry = old
            else:
                reread = True
                path = old.path if old is not None else self.posts_dir / name
                place = Place(name, folder_name, bundle)
                new = self._read_entry(
                    path, place, stamp, link, old, blog, authors, labels, started
                )
                if new is None:  # vanished since the listing
                    continue
                entry = new
            current[name] = entry
            names.append(name)
            items.append(entry.result)
        self._entries = current
        if not reread and len(current) == len(previous) == len(self._shown):
            return ScanResult(list(self._shown.values()), [], [], [])  # nothing to compare
        items = mark_duplicates(items)
        shown_before = self._shown
        for index, name in enumerate(names):
            result, before = items[index], shown_before.get(name)
            if (
                isinstance(result, DuplicatePost)
                and isinstance(before, DuplicatePost)
                and str(result) == str(before)
            ):  # the same clash as last time: not news
                result = items[index] = before
            if result is not before:
                changed.append(current[name].path)
                if isinstance(result, PostError):
                    errors_new.append(result)
        self._shown = dict(zip(names, items, strict=True))
        removed = [previous[name].path for name in sorted(previous.keys() - current.keys())]
        return ScanResult(items, changed, removed, errors_new)

    def _listing(self) -> list[Listed]:
        """The post files :meth:`files` lists, by their path below the folder, sorted."""
        try:
            return list_posts(self.posts_dir, recursive=self._recursive)
        except OSError:
            self._check_posts_dir()  # the one-line ConfigError for a missing folder
            raise

    def _read_entry(
        self,
        path: Path,
        place: Place,
        stamp: tuple[int, int, int],
        link: bool,
        old: _Entry | None,
        blog: BlogConfig,
        authors: dict[str, str],
        labels: dict[str, str],
        started: int,
    ) -> _Entry | None:
        """Read and parse one file; ``old`` is reused when the bytes are the same as before.

        A link is never settled: where it leads is checked again at every rescan.
        """
        settled = stamp[1] < started - RACY_NS and not link
        try:
            raw = self.read(path)
        except FileNotFoundError:
            return None
        except (OSError, PostError) as exc:  # PostError: a link that leads out of the folder
            error = exc if isinstance(exc, PostError) else _unreadable(path, exc)
            if old is not None and old.digest is None and str(old.result) == str(error):
                return old  # the same failure as last time: retried, not reported again
            return _Entry(path, place.bundle_files, stamp, None, error, settled=False)
        bundle = place.bundle_files
        if old is not None and old.digest is not None and old.bundle == bundle:
            digest = hashlib.sha256(raw).hexdigest()
            if digest == old.digest:
                return _Entry(path, bundle, stamp, digest, old.result, settled)
        try:
            post = parse_post(
                path, raw, blog, authors, self.channels, place=place, tag_labels=labels
            )
        except PostError as exc:
            return _Entry(path, bundle, stamp, hashlib.sha256(raw).hexdigest(), exc, settled)
        return _Entry(path, bundle, stamp, post.content_hash, post, settled)


def _unreadable(path: Path, exc: OSError) -> PostError:
    return PostError(path, f"cannot be read ({exc.strerror or exc})")
