"""Where the ``commentsUrl`` line goes in a post's frontmatter: where the blog keeps it.

Learnt from the blog's other posts (the key most of them keep right before
``commentsUrl``), else after ``author``/``authors``, else at the end. Pure, apart from
:func:`learn_from_folder`, which reads the first lines of a few sibling files.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

_FENCE = re.compile(rb"^---[ \t]*\r?\n?$")
_TOP_KEY = re.compile(rb"^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:")
FIELD = b"commentsUrl"
FALLBACKS = ("author", "authors")
# How many sibling files, and how much of each, are read to learn the position.
SAMPLE_FILES = 40
SAMPLE_BYTES = 16_384


def frontmatter_lines(raw: bytes) -> tuple[list[bytes], int] | None:
    """The file's lines and the index of the frontmatter's closing fence, or None."""
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    lines = body.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0]):
        return None
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i])), None)
    return None if end is None else (lines, end)


def key_before(raw: bytes, field: bytes = FIELD) -> str | None:
    """The top-level key right before ``field`` in this frontmatter, or None."""
    found = frontmatter_lines(raw)
    if found is None:
        return None
    lines, end = found
    last: str | None = None
    for line in lines[1:end]:
        match = _TOP_KEY.match(line)
        if match is None:
            continue
        if match.group(1) == field:
            return last
        last = match.group(1).decode("ascii")
    return None


def learn(samples: Iterable[bytes], field: str = "commentsUrl") -> str | None:
    """The key the blog's posts most often keep right before ``field``."""
    wanted = field.encode("utf-8")
    counts = Counter(k for k in (key_before(raw, wanted) for raw in samples) if k is not None)
    return counts.most_common(1)[0][0] if counts else None


def yaml_insert_at(lines: list[bytes], start: int, end: int, after: str | None) -> int:
    """The line index where the new line goes, in the block between the fences at
    ``start`` and ``end``: after the block of key ``after`` when the frontmatter has it,
    else after ``author``/``authors``, else before the closing fence."""
    for name in (after, *FALLBACKS):
        if name is None:
            continue
        for i in range(start + 1, end):
            match = _TOP_KEY.match(lines[i])
            if match is not None and match.group(1).decode("ascii") == name:
                j = i + 1  # the key's value may go on over indented or list lines
                while j < end and (lines[j][:1] in (b" ", b"\t", b"-") or not lines[j].strip()):
                    j += 1
                return j
    return end


def learn_from_folder(
    folder: Path, skip: Path | None = None, field: str = "commentsUrl"
) -> str | None:
    """:func:`learn` over the first bytes of up to ``SAMPLE_FILES`` posts in ``folder``."""
    samples: list[bytes] = []
    try:
        names = sorted(folder.iterdir(), reverse=True)  # newest first, by dated file names
    except OSError:
        return None
    for path in names:
        if len(samples) >= SAMPLE_FILES:
            break
        if path == skip or path.suffix.lower() not in (".md", ".mdx", ".markdown"):
            continue
        try:
            with path.open("rb") as handle:
                samples.append(handle.read(SAMPLE_BYTES))
        except OSError:
            continue
    return learn(samples, field)
