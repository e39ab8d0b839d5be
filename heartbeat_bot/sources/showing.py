"""What the last rescan of a posts folder showed, kept so that a targeted rescan (the
files a watcher event names) redoes only what those files touch: the names in order, and
the posts by public URL, so a slug clash is found among the few files that share a URL
rather than over the whole folder."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

from heartbeat_bot.errors import DuplicatePost, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import mark_duplicates
from heartbeat_bot.sources.scan_result import Entry, ScanResult

# The file names of the posts at one URL: the name itself for one (the common case, no
# list made per post of a large blog), else a sorted list of several (a clash).
Names = str | list[str]


def url_key(post: Post) -> str:
    """The URL two posts clash on (as :func:`~heartbeat_bot.posts.mark_duplicates`
    compares them): %-decoded, without a trailing slash."""
    return unquote(post.url).rstrip("/")


class Showing:
    """Each current file's Post or PostError (a post sharing its URL with another is a
    :class:`~heartbeat_bot.errors.DuplicatePost`), by file name, with the names sorted.

    ``recheck``: names a targeted rescan looks at again although no event names them (a
    file whose stamp cannot be trusted yet, or that vanished between listing and reading),
    as a whole rescan would.
    """

    def __init__(self) -> None:
        self.shown: dict[str, Post | PostError] = {}
        self.order: list[str] = []
        self.recheck: set[str] = set()
        self._by_url: dict[str, Names] | None = None  # built at the first targeted use

    def items(self) -> list[Post | PostError]:
        """Every file's result, in file-name order."""
        return list(map(self.shown.__getitem__, self.order))

    def reset(
        self, names: list[str], items: list[Post | PostError], entries: Mapping[str, Entry]
    ) -> tuple[list[Path], list[PostError], list[Post]]:
        """After a whole rescan, ``items`` of the sorted ``names`` (``entries``, by name):
        the files whose result changed, the PostErrors and the Posts among them."""
        changed: list[Path] = []
        errors_new: list[PostError] = []
        fresh: list[Post] = []
        for index, name in enumerate(names):
            before = self.shown.get(name)
            result = items[index] = _unless_same_clash(items[index], before)
            if result is not before:
                _changed(result, entries[name].path, changed, errors_new, fresh)
        self.shown = dict(zip(names, items, strict=True))
        self.order = names
        self._by_url = None
        return changed, errors_new, fresh

    def patch(
        self, entries: Mapping[str, Entry], before: Mapping[str, Entry], after: Mapping[str, Entry]
    ) -> ScanResult:
        """Redo what the files named in ``before`` (their entries then) and ``after`` (now)
        change; ``entries`` is every current file's, ``after`` included. The result is the
        one a whole rescan of the same files gives."""
        by_url = self._index(entries, before)
        touched = before.keys() | after.keys()
        clashes: set[str] = set()
        for name in touched:
            for entry in (before.get(name), after.get(name)):
                if entry is not None and isinstance(entry.result, Post):
                    clashes.add(url_key(entry.result))
        for name in sorted(touched):
            old, new = before.get(name), after.get(name)
            old_key = url_key(old.result) if old and isinstance(old.result, Post) else None
            new_key = url_key(new.result) if new and isinstance(new.result, Post) else None
            if old_key is not None:
                _drop(by_url, old_key, name)
            if new_key is not None:
                _add(by_url, new_key, name)
            if new is None and name in self.shown:
                del self.order[bisect_left(self.order, name)]
            elif new is not None and name not in self.shown:
                insort(self.order, name)
        redone: dict[str, Post | PostError] = {}
        for name in touched:
            entry = after.get(name)
            if entry is not None:
                redone[name] = entry.result
        for key in clashes:
            group = _names(by_url, key)
            marked = mark_duplicates([entries[n].result for n in group])
            redone.update(zip(group, marked, strict=True))
        return self._compare(entries, before, redone)

    def _compare(
        self,
        entries: Mapping[str, Entry],
        before: Mapping[str, Entry],
        redone: dict[str, Post | PostError],
    ) -> ScanResult:
        changed: list[Path] = []
        errors_new: list[PostError] = []
        fresh: list[Post] = []
        removed: list[Path] = []
        for name in sorted(redone.keys() | before.keys()):
            if name not in redone:  # gone: it was in ``before``
                del self.shown[name]
                removed.append(before[name].path)
                continue
            shown = self.shown.get(name)
            result = _unless_same_clash(redone[name], shown)
            if result is not shown:
                _changed(result, entries[name].path, changed, errors_new, fresh)
            self.shown[name] = result
        return ScanResult(self.items(), changed, removed, errors_new, fresh)

    def _index(self, entries: Mapping[str, Entry], before: Mapping[str, Entry]) -> dict[str, Names]:
        """Names of the posts by URL key, as they were before this patch."""
        if self._by_url is None:
            by_url: dict[str, Names] = {}
            for name in self.order:  # the names before this patch, sorted
                entry = before[name] if name in before else entries[name]
                if isinstance(entry.result, Post):
                    _add(by_url, url_key(entry.result), name)
            self._by_url = by_url
        return self._by_url


def _names(by_url: dict[str, Names], key: str) -> list[str]:
    """The names of the posts at URL key ``key``, sorted."""
    found = by_url.get(key)
    if found is None:
        return []
    return [found] if isinstance(found, str) else found


def _add(by_url: dict[str, Names], key: str, name: str) -> None:
    found = by_url.get(key)
    if found is None:
        by_url[key] = name
    elif isinstance(found, str):
        by_url[key] = sorted((found, name))
    else:
        insort(found, name)


def _drop(by_url: dict[str, Names], key: str, name: str) -> None:
    names = by_url.get(key)
    if names is None:
        return
    if isinstance(names, str):
        if names == name:
            del by_url[key]
        return
    index = bisect_left(names, name)
    if index < len(names) and names[index] == name:
        del names[index]
    if len(names) == 1:
        by_url[key] = names[0]
    elif not names:
        del by_url[key]


def _unless_same_clash(
    result: Post | PostError, before: Post | PostError | None
) -> Post | PostError:
    """``before`` when both are the same slug/URL clash (not news), else ``result``."""
    if (
        isinstance(result, DuplicatePost)
        and isinstance(before, DuplicatePost)
        and str(result) == str(before)
    ):
        return before
    return result


def _changed(
    result: Post | PostError,
    path: Path,
    changed: list[Path],
    errors_new: list[PostError],
    fresh: list[Post],
) -> None:
    """A file whose result changed: its path into ``changed``, the result into the
    errors or the posts."""
    changed.append(path)
    if isinstance(result, PostError):
        errors_new.append(result)
    else:
        fresh.append(result)
