"""Write the Discourse topic URL back into the post's frontmatter (``commentsUrl``).

Only the ``commentsUrl`` line is added, where the blog's other posts keep it
(``writeback_position``), and only when the post has none of its own; every
other byte of the file stays as it was, line endings and byte-order mark included. The
value is written as PyYAML's emitter writes it, quoted when YAML needs it (a ``: `` or a
`` #`` in a topic's slug), and the edited file is read back with the post parser's own
frontmatter reader before anything is written: unless ``commentsUrl`` reads back as
exactly the URL and every other key as before, nothing is written. The file is replaced
atomically, never when it changed since the post was read, and never when it is a
symbolic link (the link would become a file).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from heartbeat_bot.errors import HeartbeatError, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import read_frontmatter
from heartbeat_bot.posts.frontmatter import clip
from heartbeat_bot.sources.writeback_position import frontmatter_lines, insert_at, learn_from_folder

_FIELD = "commentsUrl"
_BOM = b"\xef\xbb\xbf"
_FENCE = re.compile(rb"^---[ \t]*\r?$")
_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")  # what YAML takes for a line break


class WriteBackError(HeartbeatError):
    """The comments URL could not be written into the post file."""


def comments_url_line(url: str) -> bytes:
    """The frontmatter line ``commentsUrl: <url>``, the value quoted as YAML needs it."""
    if _BREAKS.search(url):
        raise WriteBackError(f"refusing a comments URL with a line break: {url!r}")
    text = yaml.safe_dump({_FIELD: url}, default_flow_style=False, width=sys.maxsize)
    return text.rstrip("\n").encode("utf-8")


def with_comments_url(raw: bytes, url: str, position: str | None = None) -> bytes:
    """``raw`` with a ``commentsUrl: <url>`` line added to its frontmatter (pure).

    The line goes after the key ``position`` (where the blog's other posts keep it), else
    after ``author``, else last. ``raw`` itself when it links ``url`` already, however it
    is written; WriteBackError when it has a ``commentsUrl`` of its own (a person's: never
    overwritten), or when the edited frontmatter would not read back with ``commentsUrl``
    exactly ``url`` and every other key as it was.
    """
    line = comments_url_line(url)
    before = _meta(raw, "the post's frontmatter cannot be read")
    if before.get(_FIELD) == url:
        return raw
    if _FIELD in before:
        raise WriteBackError(
            f"the post has its own {_FIELD} ({clip(str(before[_FIELD]))}); it is left as "
            "written, never overwritten"
        )
    updated = _edit(raw, line, position)
    after = _meta(updated, f"{_FIELD} {clip(url)} would make the frontmatter unreadable")
    others_before = {k: v for k, v in before.items() if k != _FIELD}
    others_after = {k: v for k, v in after.items() if k != _FIELD}
    if after.get(_FIELD) != url or others_after != others_before:
        raise WriteBackError(
            f"{_FIELD} {clip(url)} would not read back as written (the frontmatter's layout "
            "or the URL defeats a one-line edit); the file is left as it is: add it by hand"
        )
    return updated


def _meta(raw: bytes, problem: str) -> dict[str, Any]:
    try:
        meta, _ = read_frontmatter(Path("post"), raw, body=False)
    except PostError as exc:
        raise WriteBackError(f"{problem} ({exc.message}); the file is left as it is") from exc
    return meta


def _edit(raw: bytes, line: bytes, after: str | None) -> bytes:
    """``raw`` with ``line`` added where :func:`insert_at` says."""
    found = frontmatter_lines(raw)
    if found is None:
        body = raw[len(_BOM) :] if raw.startswith(_BOM) else raw
        if not _FENCE.match(body.split(b"\n", 1)[0]):
            raise WriteBackError("the file does not start with a --- frontmatter block")
        raise WriteBackError("the frontmatter block is not closed by ---")
    lines, end = found
    newline = b"\r\n" if lines[0].endswith(b"\r\n") else b"\n"
    lines.insert(insert_at(lines, end, after), line + newline)
    prefix = _BOM if raw.startswith(_BOM) else b""
    return prefix + b"".join(lines)


def write_comments_url(path: Path, url: str, expected_hash: str, after: str | None = None) -> bool:
    """Set ``commentsUrl`` in the file at ``path``; False when it already holds ``url``.

    ``expected_hash`` is the sha256 of the bytes the post was parsed from: if the file
    changed since, nothing is written and WriteBackError says so. A symbolic link is
    refused, not replaced by a file.
    """
    _refuse_link(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WriteBackError(f"{path}: cannot read ({exc})") from exc
    changed = hashlib.sha256(raw).hexdigest() != expected_hash
    try:
        updated = with_comments_url(raw, url, after)
    except WriteBackError as exc:
        raise _changed(path) if changed else WriteBackError(f"{path}: {exc}") from exc
    if updated == raw:  # linked already (by another run, say), whatever else changed
        return False
    if changed:
        raise _changed(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(updated)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, path.stat().st_mode & 0o7777)
        # A last look right before the swap narrows the window for an editor's save.
        _refuse_link(path)
        if hashlib.sha256(path.read_bytes()).hexdigest() != expected_hash:
            raise _changed(path)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True


def _changed(path: Path) -> WriteBackError:
    return WriteBackError(f"{path}: changed since it was read; commentsUrl not written")


def _refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise WriteBackError(
            f"{path} is a symbolic link; commentsUrl not written (a link is never replaced "
            "by a file: add the line to the file it leads to by hand)"
        )


class FileWriteBack:
    """``blog.write_back = "file"``: edit the post file in place."""

    async def write(self, post: Post, url: str) -> str | None:
        after = learn_from_folder(post.path.parent, skip=post.path)
        if write_comments_url(post.path, url, post.content_hash, after):
            return f"commentsUrl written to {post.path}"
        return None
