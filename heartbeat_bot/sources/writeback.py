"""Write the Discourse topic URL back into the post's frontmatter (``blog.comments_key``,
``commentsUrl`` by default), in the post's own frontmatter format.

Only the key's line changes (or one line is added: last in a YAML ``---`` or TOML ``+++``
block, first in a JSON object); every other byte of the file stays as it was, line
endings and byte-order mark included. The value is written as the format needs it:
PyYAML's emitter for YAML (quoted when a ``: `` or a `` #`` in a topic's slug asks for
it), a basic string for TOML, a JSON string for JSON. The edited file is read back with
the post parser's own frontmatter reader before anything is written: unless the key reads
back as exactly the URL and every other key as before, nothing is written. The file is
replaced atomically, never when it changed since the post was read, and never when it is a
symbolic link (the link would become a file).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from heartbeat_bot.errors import HeartbeatError, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import read_frontmatter
from heartbeat_bot.posts.frontmatter import Format, clip, frontmatter_format
from heartbeat_bot.sources.writeback_position import learn_from_folder, yaml_insert_at

_FIELD = "commentsUrl"
_BOM = b"\xef\xbb\xbf"
_TABLE = re.compile(rb"^[ \t]*\[")
_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")  # what YAML takes for a line break


class WriteBackError(HeartbeatError):
    """The comments URL could not be written into the post file."""


@dataclass(frozen=True)
class _Layout:
    """How one frontmatter format is fenced and how its key line looks."""

    opening: re.Pattern[bytes]
    closing: re.Pattern[bytes]
    key_line: str  # a pattern with {key}
    first: bool  # a new line goes first in the block (JSON), not last

    def key(self, key: str) -> re.Pattern[bytes]:
        return re.compile(self.key_line.format(key=re.escape(key)).encode())


_LAYOUTS: dict[Format, _Layout] = {
    "yaml": _Layout(
        re.compile(rb"^---(?:ya?ml)?[ \t]*\r?$"),
        re.compile(rb"^---[ \t]*\r?$"),
        r"^{key}[ \t]*:",
        first=False,
    ),
    "toml": _Layout(
        re.compile(rb"^\+\+\+[ \t]*\r?$"),
        re.compile(rb"^\+\+\+[ \t]*\r?$"),
        r"^{key}[ \t]*=",
        first=False,
    ),
    "json": _Layout(
        re.compile(rb"^(?:---json[ \t]*\r?|[ \t]*\{[ \t]*\r?)$"),
        re.compile(rb"^(?:---|\})[ \t]*\r?$"),
        r'^[ \t]*"{key}"[ \t]*:',
        first=True,
    ),
}


def comments_url_line(url: str, fmt: Format = "yaml", key: str = _FIELD) -> bytes:
    """The frontmatter line setting ``key`` to ``url``, quoted as ``fmt`` needs it (a JSON
    line ends with a comma: it is added first in its object)."""
    if _BREAKS.search(url):
        raise WriteBackError(f"refusing a comments URL with a line break: {url!r}")
    if fmt == "toml":
        return f"{key} = {json.dumps(url, ensure_ascii=False)}".encode()
    if fmt == "json":
        return f"{json.dumps(key)}: {json.dumps(url, ensure_ascii=False)},".encode()
    text = yaml.safe_dump({key: url}, default_flow_style=False, width=sys.maxsize)
    return text.rstrip("\n").encode("utf-8")


def with_comments_url(
    raw: bytes, url: str, key: str = _FIELD, position: str | None = None
) -> bytes:
    """``raw`` with ``key: url`` added to its frontmatter (pure), in the file's format.

    In YAML the line goes after the key ``position`` (where the blog's other posts keep
    it), else after ``author``, else last. ``raw`` itself when it links ``url`` already,
    however it is written. WriteBackError when the post has ``key`` of its own (a
    person's: never overwritten), or when the edited frontmatter would not read back with
    ``key`` exactly ``url`` and every other key as it was.
    """
    fmt = frontmatter_format(raw)
    if fmt is None:
        raise WriteBackError("the file does not start with a frontmatter block")
    line = comments_url_line(url, fmt, key)
    before = _meta(raw, "the post's frontmatter cannot be read")
    if before.get(key) == url:
        return raw
    if key in before:
        raise WriteBackError(
            f"the post has its own {key} ({clip(str(before[key]))}); it is left as "
            "written, never overwritten"
        )
    updated = _edit(raw, line, fmt, key, position)
    after = _meta(updated, f"{key} {clip(url)} would make the frontmatter unreadable")
    others_before = {k: v for k, v in before.items() if k != key}
    others_after = {k: v for k, v in after.items() if k != key}
    if after.get(key) != url or others_after != others_before:
        raise WriteBackError(
            f"{key} {clip(url)} would not read back as written (the frontmatter's layout "
            "or the URL defeats a one-line edit); the file is left as it is: add it by hand"
        )
    return updated


def _meta(raw: bytes, problem: str) -> dict[str, Any]:
    try:
        meta, _ = read_frontmatter(Path("post"), raw, body=False)
    except PostError as exc:
        raise WriteBackError(f"{problem} ({exc.message}); the file is left as it is") from exc
    return meta


def _edit(raw: bytes, line: bytes, fmt: Format, key: str, position: str | None = None) -> bytes:
    """``raw`` with ``line`` in place of its ``key`` line, or added where ``fmt`` allows."""
    layout = _LAYOUTS[fmt]
    body = raw[len(_BOM) :] if raw.startswith(_BOM) else raw
    lines = body.splitlines(keepends=True)
    start = next((i for i, text in enumerate(lines) if text.strip()), None)
    if start is None or not layout.opening.match(lines[start].rstrip(b"\n")):
        raise WriteBackError(f"the file does not start with a {fmt.upper()} frontmatter block")
    newline = b"\r\n" if lines[start].endswith(b"\r\n") else b"\n"
    if fmt == "json" and lines[start].startswith(b"---") and start + 1 < len(lines):
        start += 1  # Eleventy's ---json: the object opens on the next line
        if lines[start].strip() != b"{":
            raise WriteBackError("the JSON frontmatter does not open with a '{' line")
    end = next(
        (i for i in range(start + 1, len(lines)) if layout.closing.match(lines[i].rstrip(b"\n"))),
        None,
    )
    if end is None:
        raise WriteBackError("the frontmatter block is not closed")
    pattern = layout.key(key)
    for i in range(start + 1, end):
        if pattern.match(lines[i]):
            text = line if fmt != "json" or lines[i].rstrip().endswith(b",") else line[:-1]
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            lines[i] = indent + text + (newline if lines[i].endswith((b"\n", b"\r")) else b"")
            # A value continued on indented lines below (a folded block) goes with it.
            j = i + 1
            while fmt == "yaml" and j < end and lines[j][:1] in (b" ", b"\t") and lines[j].strip():
                del lines[j]
                end -= 1
            break
    else:
        # A TOML key after a [table] header would belong to that table.
        tables = (i for i in range(start + 1, end) if fmt == "toml" and _TABLE.match(lines[i]))
        at = insert_at(lines, start, next(tables, end), first=layout.first)
        if fmt == "yaml":  # where the blog keeps it, else after the author, else last
            at = yaml_insert_at(lines, start, end, position)
        indent = b""
        if fmt == "json" and at < end:
            indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
        if fmt == "json" and not any(t.strip() for t in lines[start + 1 : end]):
            line = line[:-1]  # the object's only key: no comma
        lines.insert(at, indent + line + newline)
    prefix = _BOM if raw.startswith(_BOM) else b""
    return prefix + b"".join(lines)


def insert_at(lines: list[bytes], start: int, end: int, *, first: bool) -> int:
    """Where a new key line goes among ``lines[start + 1 : end]`` (the block between the
    fences at ``start`` and ``end``): first (JSON, where the comma must follow) or last."""
    return start + 1 if first else end


def write_comments_url(
    path: Path, url: str, expected_hash: str, key: str = _FIELD, position: str | None = None
) -> bool:
    """Set ``key`` in the file at ``path``; False when it already holds ``url``.

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
        updated = with_comments_url(raw, url, key, position)
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
    """``blog.write_back = "file"``: edit the post file in place (key ``blog.comments_key``)."""

    def __init__(self, key: str = _FIELD) -> None:
        self.key = key

    async def write(self, post: Post, url: str) -> str | None:
        position = learn_from_folder(post.path.parent, post.path, self.key)
        if write_comments_url(post.path, url, post.content_hash, self.key, position):
            return f"{self.key} written to {post.path}"
        return None
