"""Posts taken from the parse cache hold only what scheduling reads; the rest is read from
the cache when asked for, or from the file when the cache row cannot give it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.models import Post
from heartbeat_bot.sources.cache_rows import HEAD_FIELDS
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.parse_cache import ParseCache
from heartbeat_bot.sources.stored_post import StoredPost, whole
from tests.conftest import DVC_AUTHORS
from tests.test_parse_cache import scramble, settled_blog


def cached_twice(tmp_path: Path, blog: BlogConfig) -> tuple[list[Post], list[Post], Path]:
    """The posts of a first rescan (parsed) and of a second source over the same cache."""
    posts, blog = settled_blog(tmp_path, blog)
    cache_file = tmp_path / "cache.sqlite3"
    first = FolderSource(posts, DVC_AUTHORS, cache=ParseCache(cache_file)).rescan(blog).items
    second = FolderSource(posts, DVC_AUTHORS, cache=ParseCache(cache_file)).rescan(blog).items
    parsed = [item for item in first if isinstance(item, Post)]
    stored = [item for item in second if isinstance(item, Post)]
    return parsed, stored, cache_file


def test_stored_posts_hold_only_their_head(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """Taken from the cache, a post holds its head fields, not its title or summary."""
    parsed, stored, _ = cached_twice(tmp_path, dvc_blog)
    assert stored and all(isinstance(post, StoredPost) for post in stored)
    for post, twin in zip(stored, parsed, strict=True):
        for name in HEAD_FIELDS:
            assert object.__getattribute__(post, name) == getattr(twin, name)
        for name in ("title", "description_long", "tags"):
            try:
                object.__getattribute__(post, name)
            except AttributeError:
                continue
            raise AssertionError(f"{name} is held in memory")


def test_other_fields_come_from_the_cache(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """Asked for, the other fields are those parsed (the files scrambled: not read), and a
    stored post equals, and hashes as, its parsed twin."""
    parsed, stored, _ = cached_twice(tmp_path, dvc_blog)
    for post in stored:
        scramble(post.path)
    for post, twin in zip(stored, parsed, strict=True):
        assert (post.title, post.description_long, post.tags) == (
            twin.title,
            twin.description_long,
            twin.tags,
        )
        assert post == twin and twin == post and hash(post) == hash(twin)
        assert post.summary() == twin.summary()


def test_an_unusable_row_reads_the_file(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """When the cache row can no longer give a stored post's fields (damaged, or rewritten
    for other content), they are parsed from the file again."""
    parsed, stored, cache_file = cached_twice(tmp_path, dvc_blog)
    with sqlite3.connect(cache_file) as db:
        db.execute("UPDATE files SET result = x'00ff'")
    assert [post.title for post in stored] == [twin.title for twin in parsed]


def test_whole_reads_every_stored_post_in_one_pass(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """``whole`` gives each post with every field (files scrambled: from the cache), the
    parsed ones as they are, and falls back to the file for a row that cannot give it."""
    parsed, stored, cache_file = cached_twice(tmp_path, dvc_blog)
    given = list(whole([*stored[1:], parsed[0]]))
    assert not any(isinstance(post, StoredPost) for post in given)
    assert sorted(given, key=lambda p: p.path) == sorted(parsed, key=lambda p: p.path)
    with sqlite3.connect(cache_file) as db:
        db.execute("UPDATE files SET result = x'00ff'")
    assert [post.title for post in whole(stored)] == [twin.title for twin in parsed]


def test_stored_moments_keep_their_zone(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """A stored post's moments are the parsed ones to the zone and the text: same instant,
    same named zone, same ISO form (they are stored as text and zone name)."""
    berlin = dvc_blog.model_copy(update={"timezone": "Europe/Berlin"})
    parsed, stored, _ = cached_twice(tmp_path, berlin)
    for post, twin in zip(stored, parsed, strict=True):
        held = object.__getattribute__(post, "published_at")
        assert held.isoformat() == twin.published_at.isoformat()
        assert held.tzinfo == twin.published_at.tzinfo == berlin.tz
        assert object.__getattribute__(post, "date") == twin.date
        assert object.__getattribute__(post, "channels") == twin.channels


def test_posts_parsed_whole_are_kept_lean_once_cached(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """After a first rescan (every file parsed whole, then saved), ``keep_lean`` turns each
    post into its head, as a restart would load it: equal to the parsed one, its other
    fields read back from the cache (the files scrambled), and a rescan sees no change."""
    posts, blog = settled_blog(tmp_path, dvc_blog)
    source = FolderSource(posts, DVC_AUTHORS, cache=ParseCache(tmp_path / "cache.sqlite3"))
    parsed = [item for item in source.rescan(blog).items if isinstance(item, Post)]
    assert parsed and not any(isinstance(post, StoredPost) for post in parsed)
    assert source.keep_lean(blog.model_copy(update={"site_name": "Other"})) == {}
    lean = source.keep_lean(blog)
    assert sorted(lean) == sorted(post.path for post in parsed)
    for post in parsed:
        scramble(post.path)
    for twin in parsed:
        post = lean[twin.path]
        assert isinstance(post, StoredPost)
        assert post == twin and hash(post) == hash(twin) and post.title == twin.title
    again = source.rescan(blog)
    assert again.changed == [] and set(again.items) == set(lean.values())
    assert source.keep_lean(blog) == {}  # lean already
