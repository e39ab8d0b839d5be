"""Writing the comments URL back: one line changes, every other byte stays."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from heartbeat_bot.posts import read_frontmatter
from heartbeat_bot.sources.writeback import WriteBackError, with_comments_url, write_comments_url
from heartbeat_bot.sources.writeback_position import learn
from tests.conftest import CORPUS, DVC_POSTS

URL = "https://discuss.example/t/a-topic/42"


def changed_lines(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_a_comments_url_of_the_post_s_own_is_never_overwritten() -> None:
    """A post that has a commentsUrl (a person's) is refused, naming the value kept."""
    raw = (DVC_POSTS / "2022-04-15-april-22-heartbeat.md").read_bytes()
    with pytest.raises(WriteBackError, match=r"has its own commentsUrl .*never overwritten"):
        with_comments_url(raw, URL)
    assert with_comments_url(raw, "https://discuss.dvc.org/t/april-22-hearbeat/1158") is raw


def test_the_line_goes_after_author_or_where_the_blog_keeps_it() -> None:
    """Without a learnt position the line follows `author:` (and its list), else it ends the
    frontmatter; with one, it follows that key; the body is untouched."""
    raw = (DVC_POSTS / "2023-12-11-dvc-git-lfs.md").read_bytes()
    line = f"commentsUrl: {URL}\n".encode()
    updated = with_comments_url(raw, URL)
    lines = updated.splitlines(keepends=True)
    before = lines[: lines.index(line)]
    assert before[-1].startswith(b"  - ") and before[-2].startswith(b"authors:")
    assert updated.replace(line, b"", 1) == raw
    after_title = with_comments_url(raw, URL, position="title").splitlines(keepends=True)
    assert after_title[after_title.index(line) - 1].startswith(b"title:")
    plain = b"---\ntitle: x\nauthors:\n  - a\n  - b\ntags: [t]\n---\nbody\n"
    assert with_comments_url(plain, URL) == (
        b"---\ntitle: x\nauthors:\n  - a\n  - b\n" + line + b"tags: [t]\n---\nbody\n"
    )
    assert with_comments_url(b"---\ntitle: x\n---\nbody\n", URL) == (
        b"---\ntitle: x\n" + line + b"---\nbody\n"
    )


def test_the_position_is_learnt_from_the_other_posts() -> None:
    """The key most posts keep right before commentsUrl is the one learnt; none without."""
    with_author = b"---\ntitle: a\nauthor: x\ncommentsUrl: u\ntags: [t]\n---\n"
    with_tags = b"---\ntitle: a\ntags:\n  - t\ncommentsUrl: u\n---\n"
    assert learn([with_author, with_author, with_tags, b"no frontmatter"]) == "author"
    assert learn([b"---\ntitle: a\n---\n"]) is None


def test_keeps_bom_and_crlf() -> None:
    """A byte-order mark and CRLF line endings survive the edit."""
    raw = b"\xef\xbb\xbf---\r\ntitle: x\r\n---\r\nbody\r\n"
    assert with_comments_url(raw, URL) == (
        f"\ufeff---\r\ntitle: x\r\ncommentsUrl: {URL}\r\n---\r\nbody\r\n".encode()
    )
    bom_post = next((CORPUS / "malformed" / "bom-2022-08-snapshot").glob("*.md")).read_bytes()
    if b"commentsUrl" not in bom_post:
        assert with_comments_url(bom_post, URL).startswith(b"\xef\xbb\xbf---")


def test_file_is_written_atomically_and_only_when_unchanged(tmp_path: Path) -> None:
    """The file is replaced when it is as read, refused when it changed meanwhile."""
    path = tmp_path / "post.md"
    raw = b"---\ntitle: x\n---\nbody\n"
    path.write_bytes(raw)
    digest = hashlib.sha256(raw).hexdigest()
    assert write_comments_url(path, URL, digest) is True
    assert path.read_bytes() == f"---\ntitle: x\ncommentsUrl: {URL}\n---\nbody\n".encode()
    with pytest.raises(WriteBackError, match="changed since it was read"):
        write_comments_url(path, "https://other/t/x/1", digest)
    assert URL.encode() in path.read_bytes()
    assert list(tmp_path.iterdir()) == [path], "no temporary file left behind"


def test_refuses_a_file_without_frontmatter() -> None:
    """A file that does not start with --- is not edited."""
    with pytest.raises(WriteBackError, match="frontmatter"):
        with_comments_url(b"# just markdown\n", URL)


def test_a_file_that_links_the_url_already_is_left_alone_even_if_it_changed(
    tmp_path: Path,
) -> None:
    """Another run wrote the link since this one read the post: nothing to write, no error."""
    path = tmp_path / "post.md"
    path.write_bytes(b"---\ntitle: A post\n---\n\nBody.\n")
    stale_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    url = "https://discuss.example/t/a-post/1"
    assert write_comments_url(path, url, stale_hash) is True
    linked = path.read_bytes()
    assert write_comments_url(path, url, stale_hash) is False
    assert path.read_bytes() == linked
    with pytest.raises(WriteBackError, match="changed since it was read"):
        write_comments_url(path, url + "0", stale_hash)


@pytest.mark.parametrize(
    "url",
    [
        "https://discuss.example/t/a: b/42",
        "https://discuss.example/t/a #b/42",
    ],
)
def test_a_url_yaml_would_misread_is_quoted_and_reads_back_exactly(
    tmp_path: Path, url: str
) -> None:
    """A topic URL holding `: ` or ` #` is written quoted as YAML needs, so the post's
    frontmatter still parses and gives back exactly that URL."""
    path = tmp_path / "post.md"
    raw = b"---\ntitle: A post\ndate: 2022-01-01\n---\nBody\n"
    path.write_bytes(raw)
    assert write_comments_url(path, url, hashlib.sha256(raw).hexdigest()) is True
    meta, body = read_frontmatter(path, path.read_bytes())
    assert meta == {"title": "A post", "date": date(2022, 1, 1), "commentsUrl": url}
    assert body == "Body"
    assert write_comments_url(path, url, "stale") is False, "it reads back as linked already"


@pytest.mark.parametrize(
    "raw",
    [
        b"---\n{title: A post, date: 2022-01-01}\n---\nBody\n",
        b'---\ntitle: "A long\ncommentsUrl: in the title"\n---\nBody\n',
    ],
    ids=["flow-mapping", "key-inside-a-quoted-title"],
)
def test_an_edit_that_would_not_read_back_is_refused(tmp_path: Path, raw: bytes) -> None:
    """When the one-line edit would break the frontmatter or change another key (the line
    learnt to go after `title:` would land inside its quoted value), the file is left byte
    for byte as it was and the error says why."""
    path = tmp_path / "post.md"
    path.write_bytes(raw)
    with pytest.raises(WriteBackError, match=r"post\.md: commentsUrl .*the file is left as it is"):
        write_comments_url(path, URL, hashlib.sha256(raw).hexdigest(), position="title")
    assert path.read_bytes() == raw
    assert list(tmp_path.iterdir()) == [path], "no temporary file left behind"


def test_a_symbolic_link_is_never_replaced(tmp_path: Path) -> None:
    """A post file that is a symbolic link is refused: the link stays a link, and the file
    it leads to is not edited either."""
    target = tmp_path / "drafts" / "post.md"
    target.parent.mkdir()
    raw = b"---\ntitle: A post\n---\nBody\n"
    target.write_bytes(raw)
    link = tmp_path / "2024-01-01-post.md"
    link.symlink_to(target)
    with pytest.raises(WriteBackError, match="is a symbolic link"):
        write_comments_url(link, URL, hashlib.sha256(raw).hexdigest())
    assert link.is_symlink() and link.readlink() == target
    assert target.read_bytes() == raw
