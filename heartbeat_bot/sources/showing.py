"""What the last rescan of a posts folder showed, kept so that a targeted rescan (the
files a watcher event names) redoes only what those files touch: the names in order, and
the posts by public URL, so a slug clash is found among the few files that share a URL
rather than over the whole folder."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from operator import attrgetter
from pathlib import Path
from urllib.parse import unquote

from heartbeat_bot.errors import DuplicatePost, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import mark_duplicates
from heartbeat_bot.sources.scan_result import Entry, ScanResult

_RESULT = attrgetter("result")
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

    A file's result is its record's own (``entries``: the records the last whole rescan
    gave, which targeted rescans update in place), but where it differs: ``differs`` holds
    those (a clash), so that a large blog keeps no second map of every file's result.

    ``recheck``: names a targeted rescan looks at again although no event names them (a
    file whose stamp cannot be trusted yet, or that vanished between listing and reading),
    as a whole rescan would.
    """

    def __init__(self) -> None:
        self.entries: Mapping[str, Entry] = {}
        self.differs: dict[str, Post | PostError] = {}
        self.order: list[str] = []
        self.recheck: set[str] = set()
        self._by_url: dict[str, Names] | None = None  # built at the first targeted use

    def items(self) -> list[Post | PostError]:
        """Every file's result, in file-name order."""
        items: list[Post | PostError] = list(
            map(_RESULT, map(self.entries.__getitem__, self.order))
        )
        for name, result in self.differs.items():  # a few clashes at most
            items[bisect_left(self.order, name)] = result
        return items

    def shown(self, name: str) -> Post | PostError | None:
        """``name``'s result as last shown, None when it is not a current file."""
        found = self.differs.get(name)
        if found is not None:
            return found
        entry = self.entries.get(name)
        return None if entry is None else entry.result

    def _show(self, name: str, result: Post | PostError, entry: Entry) -> None:
        if result is entry.result:
            self.differs.pop(name, None)
        else:
            self.differs[name] = result

    def reset(
        self, names: list[str], items: list[Post | PostError], entries: Mapping[str, Entry]
    ) -> tuple[list[Path], list[PostError], list[Post]]:
        """After a whole rescan, ``items`` of the sorted ``names`` (``entries``, by name):
        the files whose result changed, the PostErrors and the Posts among them."""
        changed: list[Path] = []
        errors_new: list[PostError] = []
        fresh: list[Post] = []
        differs: dict[str, Post | PostError] = {}
        for index, name in enumerate(names):
            before = self.shown(name)
            result = items[index] = _unless_same_clash(items[index], before)
            entry = entries[name]
            if result is not before:
                _changed(result, entry.path, changed, errors_new, fresh)
            if result is not entry.result:
                differs[name] = result
        self.entries, self.differs = entries, differs
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
            if new is None and old is not None:
                del self.order[bisect_left(self.order, name)]
            elif new is not None and old is None:
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
        return self._compare(entries, before, redone, touched)

    def _compare(
        self,
        entries: Mapping[str, Entry],
        before: Mapping[str, Entry],
        redone: dict[str, Post | PostError],
        touched: AbstractSet[str],
    ) -> ScanResult:
        changed: list[Path] = []
        errors_new: list[PostError] = []
        fresh: list[Post] = []
        removed: list[Path] = []
        for name in sorted(redone.keys() | before.keys()):
            if name not in redone:  # gone: it was in ``before``
                self.differs.pop(name, None)
                removed.append(before[name].path)
                continue
            shown = self.differs.get(name)
            if shown is None:  # its record's result before this patch (None: a new file)
                if name in before:
                    shown = before[name].result
                elif name not in touched:  # a file of a clash, itself unchanged
                    shown = entries[name].result
            entry = entries[name]
            result = _unless_same_clash(redone[name], shown)
            if result is not shown:
                _changed(result, entry.path, changed, errors_new, fresh)
            self._show(name, result, entry)
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
