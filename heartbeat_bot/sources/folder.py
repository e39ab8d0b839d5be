"""I/O: post files from one folder (and, by the engine's rules, its subfolders and page
bundles), author names and tag labels from the files beside them.

The only place that touches the files; parsing itself is :func:`heartbeat_bot.posts.parse_post`.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import ConfigError, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import mark_duplicates, parse_post, read_frontmatter
from heartbeat_bot.posts.engines import rules_for
from heartbeat_bot.posts.place import Place
from heartbeat_bot.sources import priming
from heartbeat_bot.sources.cache_rows import child
from heartbeat_bot.sources.collector import collector_paused
from heartbeat_bot.sources.entry_read import read_entry, unreadable, without_renamed
from heartbeat_bot.sources.index_lookup import find_indexed, find_trusted
from heartbeat_bot.sources.listing import (
    Held,
    Listed,
    Listing,
    list_posts,
    patch_listing,
    read_listing,
)
from heartbeat_bot.sources.parse_cache import ParseCache, settings_key
from heartbeat_bot.sources.post_files import PostFiles
from heartbeat_bot.sources.scan_result import Entry, ScanResult, held, held_name
from heartbeat_bot.sources.showing import Showing
from heartbeat_bot.sources.sitedata import (
    UNREADABLE,
    authors_stamp,
    read_authors_file,
    read_tags_file,
)
from heartbeat_bot.sources.stored_post import PostStore, lean_copy


class FolderSource(PostFiles):
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
        cache: ParseCache | None = None,
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
        self._entries: dict[str, Entry] = {}
        self._entries_blog: BlogConfig | None = None
        self._showing = Showing()  # rescan()'s items, by file name
        # The parse cache shared with other processes, and the key rescan() last used it with.
        self.cache = cache
        self._cache_key: str | None = None
        self._resave = False
        self._listed = Listing()  # the last listing, patched by targeted rescans
        self._lock = threading.Lock()  # one rescan at a time (they run in worker threads)

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
        stamp = authors_stamp(self.authors_file, self.authors_dir)
        if self._authors is not None and stamp in (self._authors_read, UNREADABLE):
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

    def tags(self) -> dict[str, str]:
        """Tag key → label (``tags_file``), read once; empty without one."""
        if self._tags is None:
            path = self.tags_file
            self._tags = {} if path is None else read_tags_file(path, self.author_errors)
        return self._tags

    def load(self, path: Path, blog: BlogConfig, authors: dict[str, str] | None = None) -> Post:
        """One post, read and parsed; any failure is a PostError naming the file."""
        try:
            raw = self.read(path)
        except OSError as exc:
            raise unreadable(path, exc) from exc
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

    def rescan(self, blog: BlogConfig, only: Iterable[Path] | None = None) -> ScanResult:
        """Like :meth:`scan`, but a file whose stamp did not change is not read again.

        With ``only`` (the paths a watcher event names), only those are looked at again,
        the rest of the folder is taken as the last listing left it; a path the last
        listing cannot place (a folder, a page bundle's file) makes it a whole rescan.
        With a parse cache, files it remembers with their current stamp (and the same
        settings) are not read either, even on a first rescan.

        The stamp is (size, mtime_ns, inode), as one int, taken from the directory listing
        with one ``stat`` per file. A file written within ``entry_read.RACY_NS`` of the
        rescan is read again next time and compared by content, since a second write in the
        same mtime tick leaves its stamp alone. A file that vanishes between listing and
        reading counts as removed. New settings (``blog``) drop everything remembered: it
        was parsed with the old ones.
        """
        with self._lock, collector_paused():  # a scan leaves no cycles (see collector)
            return self._rescan(blog, only)

    def _rescan(self, blog: BlogConfig, only: Iterable[Path] | None) -> ScanResult:
        same = blog == self._entries_blog and bool(self._listed) and not self._resave
        same = same and self._showing.entries is self._entries  # what it shows is theirs
        if blog != self._entries_blog:
            self._entries, self._entries_blog = {}, blog
        self._use(blog)
        started = time.time_ns()
        known, key_before = self._authors, self._cache_key
        authors = self.authors()
        labels = self.tags()
        key = self._from_cache(blog, authors, labels)
        if same and authors is known and key == key_before:
            # Nothing but the files changed since the last rescan: only the files whose
            # listing differs (or that must be looked at again) are redone.
            if only is not None:
                listed, recursive = self._listed, self._recursive
                changes = patch_listing(self.posts_dir, listed, only, recursive=recursive)
                if changes is not None:
                    self._listed.update(changes)
                    return self._targeted(changes, blog, authors, labels, key, started)
            now = self._read_listing(before=self._listed)
            changes = {} if now is self._listed else now.changes(self._listed)
            self._listed = now
            return self._targeted(changes, blog, authors, labels, key, started)
        previous = self._entries
        if known is not None and authors is not known:  # an author file changed
            previous = without_renamed(previous, known, authors)
        current: dict[str, Entry] = {}
        items: list[Post | PostError] = []
        names: list[str] = []
        recheck: set[str] = set()
        reread = False
        folder_name = self.posts_dir.name
        listing = self._list_holding(previous)
        if key is not None and not self._resave:  # a blog new to the cache: parsed apart
            primed = priming.primed(self, previous, blog, key, listing, started)
            if primed is not None:
                self._entries = previous = primed
                listing = self._list_holding(previous)  # the records' names and stamps
        for name, stamp, link, bundle in listing:
            old = previous.get(name)
            if old is not None and old.settled and old.stamp == stamp:
                entry = old
            else:
                reread = True
                path = old.path if old is not None else child(self.posts_dir, name)
                place = Place(name, folder_name, bundle)
                new = read_entry(
                    self, path, place, stamp, link, old, blog, authors, labels, started
                )
                if new is None:  # vanished since the listing
                    recheck.add(name)
                    continue
                entry = new
                if not entry.settled:
                    recheck.add(name)
            name = held_name(name, entry.path)
            current[name] = entry
            names.append(name)
            items.append(entry.result)
        self._entries = current
        self._showing.recheck = recheck
        if self.cache is not None and key is not None:
            self.cache.save_changes(key, {} if self._resave else previous, current)
            self._resave = False
        showing = self._showing
        if not reread and showing.entries is previous and len(current) == len(showing.order):
            showing.entries = current  # the same records
            return ScanResult(showing.items(), [], [], [])  # nothing to compare
        items = mark_duplicates(items)
        changed, errors_new, fresh = self._showing.reset(names, items, current)
        removed = [previous[name].path for name in sorted(previous.keys() - current.keys())]
        return ScanResult(items, changed, removed, errors_new, fresh)

    def _targeted(
        self,
        changes: dict[str, Listed | None],
        blog: BlogConfig,
        authors: dict[str, str],
        labels: dict[str, str],
        key: str | None,
        started: int,
    ) -> ScanResult:
        """A rescan of the files an event names (``changes``: their new listing) and of
        those ``recheck`` holds, the rest taken as the last rescan left them: the same
        result as a whole rescan, in time that grows with the files named, not the folder.
        ``changes`` are already in ``_listed``."""
        entries, showing = self._entries, self._showing
        before = {n: entries[n] for n in changes.keys() | showing.recheck if n in entries}
        after: dict[str, Entry] = {}
        reread = False
        for name in sorted(changes.keys() | showing.recheck):
            showing.recheck.discard(name)
            listed, old = self._listed.get(name), entries.get(name)
            if listed is None:
                continue
            _name, stamp, link, bundle = listed
            if old is not None and old.settled and old.stamp == stamp:
                after[name] = old
                continue
            reread = True
            path = old.path if old is not None else child(self.posts_dir, name)
            place = Place(name, self.posts_dir.name, bundle)
            new = read_entry(self, path, place, stamp, link, old, blog, authors, labels, started)
            if new is None or not new.settled:  # vanished since the listing, or racy
                showing.recheck.add(name)
            if new is not None:
                after[name] = new
        if not reread and before.keys() == after.keys():
            return ScanResult(showing.items(), [], [], [])  # nothing to compare
        for name in before.keys() - after.keys():
            del entries[name]
        entries.update(after)
        if self.cache is not None and key is not None:
            self.cache.save_changes(key, before, after)
        return showing.patch(entries, before, after)

    def keep_lean(self, blog: BlogConfig) -> dict[Path, Post]:
        """Keep the posts parsed whole by the rescans so far, and since saved in the parse
        cache, as their heads only from now on (as a restart would load them: title,
        summary and the rest read back on use); each lean post by its path, for whoever
        holds the whole ones. Nothing without a cache, or for other settings."""
        lean: dict[Path, Post] = {}
        with self._lock:
            key = self._cache_key
            if self.cache is None or key is None or blog != self._entries_blog:
                return lean
            reparse = functools.partial(self.load, blog=blog)
            store = PostStore(self.cache, key, self.posts_dir, reparse)
            for name, entry in self._entries.items():
                post = entry.result
                if type(post) is not Post:  # an error, or lean already
                    continue
                kept = lean[post.path] = lean_copy(post, store)
                self._entries[name] = dataclasses.replace(entry, result=kept)  # shown too
        return lean

    def matching(self, text: str) -> set[Path] | None:
        """The files of the last rescan's settings whose post's slug or title holds
        ``text`` (lowercase), from the parse cache's rows rather than each post's title
        read back; None without a usable cache."""
        key = self._cache_key
        if self.cache is None or key is None:
            return None
        names = self.cache.matching(key, text)
        return None if names is None else {self.posts_dir / name for name in names}

    def lookup(self, ref: str, blog: BlogConfig, *, trusting: bool = False) -> Post | None:
        """The post ``ref`` names, from the parse cache's index without parsing anything
        (:mod:`~heartbeat_bot.sources.index_lookup`: with ``trusting``, only the found file
        is checked when the folder lists the same names); None: ask :meth:`rescan`."""
        if self.cache is None or not ref.strip():
            return None
        with self._lock:
            self._use(blog)
            key = settings_key(self.posts_dir, blog, self.channels, self.authors(), self.tags())
            if trusting and not self._recursive:
                found = find_trusted(self.cache, key, self.posts_dir, ref)
                if found is not None:
                    return found
            return find_indexed(self.cache, key, self.posts_dir, self._listing, ref)

    def _from_cache(
        self, blog: BlogConfig, authors: dict[str, str], labels: dict[str, str]
    ) -> str | None:
        """The cache key for these settings; with nothing remembered yet, the cache's rows.
        With entries remembered (an author file changed), they are kept, and all written
        under the new key after this rescan (``_resave``)."""
        if self.cache is None:
            return None
        key = settings_key(self.posts_dir, blog, self.channels, authors, labels)
        if key != self._cache_key:
            self._cache_key, self._resave = key, bool(self._entries)
            if not self._entries:
                reparse = functools.partial(self.load, blog=blog)
                with collector_paused():  # tens of thousands of records, none garbage
                    rows = self.cache.rows(key, self.posts_dir, reparse)
                    self._entries = {row[0]: Entry(*row[1:]) for row in rows}
        return key

    def _listing(self) -> list[Listed]:
        """The post files :meth:`files` lists, by their path below the folder, sorted."""
        try:
            return list_posts(self.posts_dir, recursive=self._recursive)
        except OSError:
            self._check_posts_dir()  # the one-line ConfigError for a missing folder
            raise

    def _list_holding(self, records: Mapping[str, Entry]) -> list[Listed]:
        """The folder listed into ``_listed`` holding ``records``' names and stamps, sorted."""
        self._listed = self._read_listing(held=functools.partial(held, records))
        return self._listed.sorted(like=self._showing.order)

    def _read_listing(self, before: Listing | None = None, held: Held | None = None) -> Listing:
        """The post files with their stamps, as :meth:`_listing` (unsorted; ``before``,
        ``held``: see :func:`~heartbeat_bot.sources.listing.read_listing`)."""
        try:
            return read_listing(self.posts_dir, recursive=self._recursive, before=before, held=held)
        except OSError:
            self._check_posts_dir()
            raise
