"""Slash-command suggestions on posts taken from the parse cache: the same choices as on
posts parsed whole, with only the titles shown read back from the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from heartbeat_bot.bot.replies import choices
from heartbeat_bot.config import BlogConfig
from heartbeat_bot.models import Post
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.parse_cache import ParseCache
from heartbeat_bot.sources.stored_post import PostStore, StoredPost
from tests.conftest import DVC_AUTHORS, DVC_POSTS
from tests.test_parse_cache import settled_blog

QUERIES = ["dvc", "DVC ", "heartbeat", "Release", "é", "data version", "nothing-matches"]


def whole_and_stored(tmp_path: Path, blog: BlogConfig) -> tuple[list[Post], FolderSource]:
    """Every corpus post parsed whole, and a second source over the same parse cache
    (whose posts are kept lean)."""
    every = tuple(sorted(path.name for path in DVC_POSTS.glob("*.md")))
    posts, blog = settled_blog(tmp_path, blog, every)
    cache = tmp_path / "cache.sqlite3"
    first = FolderSource(posts, DVC_AUTHORS, cache=ParseCache(cache)).rescan(blog).items
    second = FolderSource(posts, DVC_AUTHORS, cache=ParseCache(cache))
    second.rescan(blog)
    return [p for p in first if isinstance(p, Post)], second


def lean(source: FolderSource, blog: BlogConfig) -> list[Post]:
    items = source.rescan(blog.model_copy(update={"posts_dir": source.posts_dir})).items
    posts = [p for p in items if isinstance(p, Post)]
    assert posts and all(isinstance(p, StoredPost) for p in posts)
    return posts


def read_back(posts: list[Post]) -> int:
    """How many posts' other fields (title...) have been read back from the cache."""
    stores = {id(s): s for s in (object.__getattribute__(p, "_store") for p in posts)}
    (store,) = stores.values()
    assert isinstance(store, PostStore)
    return len(store._recent)


@pytest.mark.parametrize("query", QUERIES)
def test_choices_from_the_cache_equal_those_of_whole_posts(
    tmp_path: Path, dvc_blog: BlogConfig, query: str
) -> None:
    """Whatever is typed, the files the cache finds give the choices that reading every
    post's slug and title gives."""
    parsed, source = whole_and_stored(tmp_path, dvc_blog)
    stored = lean(source, dvc_blog)
    found = source.matching(query.strip().lower())
    assert found is not None
    assert choices(stored, query, found) == choices(parsed, query)


def test_only_the_titles_shown_are_read_back(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """A text few slugs hold reads back the titles of the posts suggested, not of every
    post (at 50,000 posts that took seconds, past Discord's 3 s for an answer)."""
    _, source = whole_and_stored(tmp_path, dvc_blog)
    stored = lean(source, dvc_blog)
    found = source.matching("release")
    assert found is not None
    shown = choices(stored, "release", found)
    assert 0 < len(shown) < len(stored) // 4
    assert read_back(stored) == len(shown)


def test_no_cache_no_matching(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """Without a parse cache the source cannot tell, and suggestions read every title."""
    source = FolderSource(DVC_POSTS, DVC_AUTHORS)
    source.rescan(dvc_blog)
    assert source.matching("dvc") is None
