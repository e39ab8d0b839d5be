"""Write-back in the post's own frontmatter format (YAML, TOML, JSON) and key."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.posts import parse_post, read_frontmatter
from heartbeat_bot.sources.writeback import FileWriteBack, WriteBackError, with_comments_url
from tests.engines.sites import ENGINES

URL = "https://forum.example/t/a-topic/42"
ODD = 'https://forum.example/t/say-"hi"-#1/43'  # quotes and a hash: each format quotes its way
RUST = ENGINES / "zola" / "blog.rust-lang.org" / "content" / "1.0-Timeline.md"


def test_toml_post_gets_a_toml_line_last_in_its_block() -> None:
    """A +++ post gets `commentsUrl = "..."` before its closing +++ (after any [table]
    would change its meaning, so the line goes before the first table); the rest is kept."""
    raw = RUST.read_bytes()
    updated = with_comments_url(raw, URL)
    meta, body = read_frontmatter(RUST, updated)
    assert meta["commentsUrl"] == URL
    assert body == read_frontmatter(RUST, raw)[1]
    assert f'commentsUrl = "{URL}"\n'.encode() in updated
    assert updated.replace(f'commentsUrl = "{URL}"\n'.encode(), b"", 1) == raw


def test_toml_with_a_table_keeps_the_key_at_top_level() -> None:
    """With an [extra] table closing the block, the key still reads back at the top level."""
    raw = b'+++\ntitle = "x"\n\n[extra]\nteam = "infra"\n+++\n\nBody.\n'
    updated = with_comments_url(raw, URL)
    meta, _ = read_frontmatter(Path("x.md"), updated)
    assert meta["commentsUrl"] == URL and meta["extra"] == {"team": "infra"}


@pytest.mark.parametrize(
    "raw",
    [
        b'{\n  "title": "x",\n  "date": "2024-01-01"\n}\n\nBody.\n',
        b'---json\n{\n  "title": "x"\n}\n---\nBody.\n',
    ],
)
def test_json_post_gets_a_json_member(raw: bytes) -> None:
    """A JSON post gets a JSON member (comma where one is needed); it reads back exactly."""
    for url in (URL, ODD):
        updated = with_comments_url(raw, url)
        meta, body = read_frontmatter(Path("x.md"), updated)
        assert meta["commentsUrl"] == url and meta["title"] == "x"
        assert body == read_frontmatter(Path("x.md"), raw)[1]


def test_a_post_s_own_comments_url_is_never_overwritten_in_any_format() -> None:
    """A JSON (or any) post that has the key already is refused, whatever its value."""
    raw = b'{\n  "title": "x",\n  "commentsUrl": "https://old.example/t/1"\n}\nBody.\n'
    with pytest.raises(WriteBackError, match="has its own commentsUrl"):
        with_comments_url(raw, URL)


@pytest.mark.parametrize(
    "raw",
    [b"---\ntitle: x\n---\nBody.\n", b'+++\ntitle = "x"\n+++\nBody.\n'],
)
def test_values_are_quoted_as_the_format_needs(raw: bytes) -> None:
    """A URL with quotes and a hash reads back exactly in YAML and TOML."""
    updated = with_comments_url(raw, ODD)
    assert read_frontmatter(Path("x.md"), updated)[0]["commentsUrl"] == ODD


def test_the_key_is_blog_comments_key(tmp_path: Path) -> None:
    """blog.comments_key names the key written back and read as the post's thread."""
    path = tmp_path / "post.md"
    raw = b'+++\ntitle = "A post"\ndate = 2024-01-01\n+++\nBody.\n'
    path.write_bytes(raw)
    note = asyncio.run(FileWriteBack("discussion").write(_post(path, raw), URL))
    assert note == f"discussion written to {path}"
    written = path.read_bytes()
    assert b'discussion = "' in written and b"commentsUrl" not in written
    blog = BlogConfig(engine="hugo", comments_key="discussion")
    assert parse_post(path, written, blog, {}).comments_url == URL


def test_a_file_without_frontmatter_is_refused() -> None:
    """No frontmatter block: nothing to edit, said in one line."""
    with pytest.raises(WriteBackError, match="frontmatter"):
        with_comments_url(b"# Title\n\nText.\n", URL)


def _post(path: Path, raw: bytes):  # type: ignore[no-untyped-def]
    post = parse_post(path, raw, BlogConfig(engine="hugo"), {})
    assert post.content_hash == hashlib.sha256(raw).hexdigest()
    return post
