"""A slug look-up that trusts the parse cache's index (``preview``): only the file found is
checked, and anything it cannot vouch for sends the look-up back to a rescan."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.models import Post
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.parse_cache import ParseCache
from tests.conftest import DVC_AUTHORS, DVC_POSTS
from tests.test_cli import run, write_config
from tests.test_parse_cache import POSTS, scramble, settle, settled_blog


@pytest.fixture
def folder(tmp_path: Path, dvc_blog: BlogConfig) -> tuple[Path, BlogConfig, ParseCache, str]:
    """Three settled posts, their cache filled by a rescan, and the slug of the second."""
    posts, blog = settled_blog(tmp_path, dvc_blog)
    cache = ParseCache(tmp_path / "cache.sqlite3")
    items = FolderSource(posts, DVC_AUTHORS, cache=cache).rescan(blog).items
    slug = next(p.slug for p in items if isinstance(p, Post) and p.path.name == POSTS[1])
    return posts, blog, cache, slug


def look(folder: tuple[Path, BlogConfig, ParseCache, str]) -> tuple[Post | None, Post | None]:
    """The look-up trusting the index, and the one checking every file."""
    posts, blog, cache, slug = folder
    source = FolderSource(posts, DVC_AUTHORS, cache=cache)
    return source.lookup(slug, blog, trusting=True), source.lookup(slug, blog)


def test_only_the_found_file_is_checked(folder: tuple[Path, BlogConfig, ParseCache, str]) -> None:
    """Another file touched since the cache was written stops the full check, not the
    trusting one, which still answers from the index (the found file scrambled, unread)."""
    posts, _blog, _cache, slug = folder
    other = posts / POSTS[0]
    info = other.stat()
    os.utime(other, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    scramble(posts / POSTS[1])
    trusted, checked = look(folder)
    assert trusted is not None and trusted.slug == slug
    assert checked is None


def test_a_changed_found_file_is_not_trusted(
    folder: tuple[Path, BlogConfig, ParseCache, str],
) -> None:
    """The found file edited since it was parsed: neither look-up answers (rescan)."""
    path = folder[0] / POSTS[1]
    path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    settle(path)
    assert look(folder) == (None, None)


def test_a_vanished_found_file_is_not_trusted(
    folder: tuple[Path, BlogConfig, ParseCache, str],
) -> None:
    """The found file deleted since it was parsed: no answer from the index."""
    (folder[0] / POSTS[1]).unlink()
    assert look(folder) == (None, None)


def test_a_new_file_is_not_trusted(folder: tuple[Path, BlogConfig, ParseCache, str]) -> None:
    """A file the cache does not know (it may share the slug): no answer from the index."""
    posts = folder[0]
    shutil.copy(posts / POSTS[1], posts / "2024-01-01-copy.md")
    settle(posts / "2024-01-01-copy.md")
    assert look(folder) == (None, None)


def test_preview_still_refuses_a_new_clash(tmp_path: Path) -> None:
    """``preview SLUG`` after ``list``, once a copy with the same slug lands, shows the
    clash (the rescan it falls back to), not the cached post."""
    posts = tmp_path / "posts"
    posts.mkdir()
    for name in POSTS:
        shutil.copy(DVC_POSTS / name, posts / name)
        settle(posts / name)
    config = write_config(tmp_path, posts, '[state]\npath = "state/heartbeat.sqlite3"\n')
    assert run("--config", str(config), "list", "--json").returncode == 0
    shown = run("--config", str(config), "preview", "mlem-release", "--json")
    assert shown.returncode == 0, shown.stderr
    slug = json.loads(shown.stdout)["post"]["slug"]
    text = (posts / POSTS[1]).read_text(encoding="utf-8")
    copy = text.replace("\n---", f"\nslug: {slug}\n---", 1)
    (posts / "2024-01-01-copy.md").write_text(copy, encoding="utf-8")
    done = run("--config", str(config), "preview", slug, "--json")
    assert done.returncode != 0 and "also the slug of" in done.stderr
