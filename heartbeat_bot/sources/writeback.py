"""Write the Discourse topic URL back into the post's frontmatter (``commentsUrl``).

Only the ``commentsUrl`` line changes (or is added as the frontmatter's last line); every
other byte of the file stays as it was, line endings and byte-order mark included. The
file is replaced atomically, and never when it changed since the post was read.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from heartbeat_bot.errors import HeartbeatError
from heartbeat_bot.models import Post

_BOM = b"\xef\xbb\xbf"
_FENCE = re.compile(rb"^---[ \t]*\r?$")
_KEY = re.compile(rb"^commentsUrl[ \t]*:")


class WriteBackError(HeartbeatError):
    """The comments URL could not be written into the post file."""


def with_comments_url(raw: bytes, url: str) -> bytes:
    """``raw`` with its frontmatter's ``commentsUrl`` set to ``url`` (pure)."""
    if "\n" in url or "\r" in url:
        raise WriteBackError(f"refusing a comments URL with a line break: {url!r}")
    body = raw[len(_BOM) :] if raw.startswith(_BOM) else raw
    lines = body.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0].rstrip(b"\n")):
        raise WriteBackError("the file does not start with a --- frontmatter block")
    newline = b"\r\n" if lines[0].endswith(b"\r\n") else b"\n"
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i].rstrip(b"\n"))), None)
    if end is None:
        raise WriteBackError("the frontmatter block is not closed by ---")
    new_line = b"commentsUrl: " + url.encode("utf-8") + newline
    for i in range(1, end):
        if _KEY.match(lines[i]):
            ending = newline if lines[i].endswith((b"\n", b"\r")) else b""
            lines[i] = new_line[: -len(newline)] + ending
            # A value continued on indented lines below (a folded block) goes with it.
            j = i + 1
            while j < end and lines[j][:1] in (b" ", b"\t") and lines[j].strip():
                del lines[j]
                end -= 1
            break
    else:
        lines.insert(end, new_line)
    prefix = _BOM if raw.startswith(_BOM) else b""
    return prefix + b"".join(lines)


def write_comments_url(path: Path, url: str, expected_hash: str) -> bool:
    """Set ``commentsUrl`` in the file at ``path``; False when it already holds ``url``.

    ``expected_hash`` is the sha256 of the bytes the post was parsed from: if the file
    changed since, nothing is written and WriteBackError says so.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WriteBackError(f"{path}: cannot read ({exc})") from exc
    updated = with_comments_url(raw, url)
    if updated == raw:  # linked already (by another run, say), whatever else changed
        return False
    if hashlib.sha256(raw).hexdigest() != expected_hash:
        raise WriteBackError(f"{path}: changed since it was read; commentsUrl not written")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(updated)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, path.stat().st_mode & 0o7777)
        # A last look right before the swap narrows the window for an editor's save.
        if hashlib.sha256(path.read_bytes()).hexdigest() != expected_hash:
            raise WriteBackError(f"{path}: changed since it was read; commentsUrl not written")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True


class FileWriteBack:
    """``blog.write_back = "file"``: edit the post file in place."""

    async def write(self, post: Post, url: str) -> str | None:
        if write_comments_url(post.path, url, post.content_hash):
            return f"commentsUrl written to {post.path}"
        return None
