"""Write the Discourse topic URL back into the post's frontmatter (``commentsUrl``).

Only the ``commentsUrl`` line changes (or is added as the frontmatter's last line); every
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

_FIELD = "commentsUrl"
_BOM = b"\xef\xbb\xbf"
_FENCE = re.compile(rb"^---[ \t]*\r?$")
_KEY = re.compile(rb"^commentsUrl[ \t]*:")
_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")  # what YAML takes for a line break


class WriteBackError(HeartbeatError):
    """The comments URL could not be written into the post file."""


def comments_url_line(url: str) -> bytes:
    """The frontmatter line ``commentsUrl: <url>``, the value quoted as YAML needs it."""
    if _BREAKS.search(url):
        raise WriteBackError(f"refusing a comments URL with a line break: {url!r}")
    text = yaml.safe_dump({_FIELD: url}, default_flow_style=False, width=sys.maxsize)
    return text.rstrip("\n").encode("utf-8")


def with_comments_url(raw: bytes, url: str) -> bytes:
    """``raw`` with its frontmatter's ``commentsUrl`` set to ``url`` (pure).

    ``raw`` itself when it links ``url`` already, however it is written. WriteBackError
    when the edited frontmatter would not read back with ``commentsUrl`` exactly ``url``
    and every other key as it was.
    """
    line = comments_url_line(url)
    before = _meta(raw, "the post's frontmatter cannot be read")
    if before.get(_FIELD) == url:
        return raw
    updated = _edit(raw, line)
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


def _edit(raw: bytes, line: bytes) -> bytes:
    """``raw`` with ``line`` in place of its ``commentsUrl`` line, or added last."""
    body = raw[len(_BOM) :] if raw.startswith(_BOM) else raw
    lines = body.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0].rstrip(b"\n")):
        raise WriteBackError("the file does not start with a --- frontmatter block")
    newline = b"\r\n" if lines[0].endswith(b"\r\n") else b"\n"
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i].rstrip(b"\n"))), None)
    if end is None:
        raise WriteBackError("the frontmatter block is not closed by ---")
    for i in range(1, end):
        if _KEY.match(lines[i]):
            lines[i] = line + (newline if lines[i].endswith((b"\n", b"\r")) else b"")
            # A value continued on indented lines below (a folded block) goes with it.
            j = i + 1
            while j < end and lines[j][:1] in (b" ", b"\t") and lines[j].strip():
                del lines[j]
                end -= 1
            break
    else:
        lines.insert(end, line + newline)
    prefix = _BOM if raw.startswith(_BOM) else b""
    return prefix + b"".join(lines)


def write_comments_url(path: Path, url: str, expected_hash: str) -> bool:
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
        updated = with_comments_url(raw, url)
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
        if write_comments_url(post.path, url, post.content_hash):
            return f"commentsUrl written to {post.path}"
        return None
