"""Pure: where a post file sits in the blog, as the source found it.

The parser does no I/O, so the source hands it what only a listing can tell: the file's
path below the posts folder, the posts folder's own name, and, for a page bundle
(``name/index.md``), the names of the other files in the bundle's folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

_POST_SUFFIX = re.compile(r"\.(md|mdx|markdown)$", re.IGNORECASE)
_BUNDLE_INDEX = re.compile(r"index\.(md|mdx|markdown)", re.IGNORECASE)
_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[-_]|$)")


@dataclass(frozen=True, slots=True)
class Place:
    """``relative``: the path below the posts folder, ``/``-separated; ``folder_name``: the
    posts folder's own name; ``bundle_files``: a bundle's other file names (empty for a
    single file). ``is_bundle``: ``name/index.md``, a post named by its folder; ``name``:
    the post's own name, the file without extension or the bundle's folder."""

    relative: str
    folder_name: str = ""
    bundle_files: tuple[str, ...] = ()
    is_bundle: bool = field(init=False, compare=False)
    name: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        head, _, last = self.relative.rpartition("/")
        bundle = bool(head) and bool(_BUNDLE_INDEX.fullmatch(last))
        object.__setattr__(self, "is_bundle", bundle)
        name = head.rpartition("/")[2] if bundle else _POST_SUFFIX.sub("", last)
        object.__setattr__(self, "name", name)

    @classmethod
    def of(cls, path: Path) -> Place:
        """A file read on its own: directly in its folder."""
        return cls(path.name, path.parent.name)

    @property
    def folders(self) -> tuple[str, ...]:
        """The folders between the posts folder and the post (a bundle's own excluded)."""
        parts = tuple(self.relative.split("/")[:-1])
        return parts[:-1] if self.is_bundle else parts

    @property
    def section(self) -> str:
        """Hugo's section: the first folder under the posts folder, else the posts folder."""
        return self.folders[0] if self.folders else self.folder_name


def name_date(name: str) -> date | None:
    """The ``YYYY-MM-DD`` a file or folder name starts with, or None (also for 2024-13-45)."""
    match = _DATE_PREFIX.match(name)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def strip_date(name: str) -> str:
    """``name`` without a leading ``YYYY-MM-DD-`` (or ``_``)."""
    match = _DATE_PREFIX.match(name)
    return name if match is None else name[match.end() :]
