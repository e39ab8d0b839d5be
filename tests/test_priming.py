"""A blog new to the parse cache parsed by worker processes: the same results as a scan
in one process, slug clashes across the workers' shares found, and a failed worker's
files parsed by the scan itself."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import DuplicatePost, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.sources import priming
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.parse_cache import ParseCache
from heartbeat_bot.sources.stored_post import StoredPost, whole
from tests.conftest import DVC_AUTHORS, DVC_POSTS
from tests.test_parse_cache import settle


@pytest.fixture
def blog(tmp_path: Path, dvc_blog: BlogConfig, monkeypatch: pytest.MonkeyPatch) -> BlogConfig:
    """dvc.org's 117 posts (one copied under another name: a slug clash), settled, with
    workers started from 10 missing files on, two of them whatever the machine."""
    posts = tmp_path / "posts"
    shutil.copytree(DVC_POSTS, posts)
    first = sorted(posts.glob("*.md"))[0]
    shutil.copy(first, posts / f"2030-01-01-{first.name[11:]}")  # the same slug, a later date
    for path in posts.glob("*.md"):
        settle(path)
    monkeypatch.setattr(priming, "PRIME_MIN", 10)
    monkeypatch.setattr(priming, "cores", lambda: 2)
    return dvc_blog.model_copy(update={"posts_dir": posts})


def described(items: list[Post | PostError]) -> list[object]:
    """Each item as comparable values: a post's fields, an error's class and message."""
    shown: list[object] = []
    for item in items:
        if isinstance(item, PostError):
            shown.append((type(item).__name__, str(item)))
        else:
            shown.append(item)
    return shown


def test_workers_fill_the_cache_with_what_one_process_parses(
    tmp_path: Path, blog: BlogConfig, caplog: pytest.LogCaptureFixture
) -> None:
    """The scan's results with workers equal a scan without any cache, field by field."""
    assert blog.posts_dir is not None
    plain = FolderSource(blog.posts_dir, DVC_AUTHORS).rescan(blog).items
    cache = ParseCache(tmp_path / "cache.sqlite3")
    with caplog.at_level(logging.INFO, logger="heartbeat_bot.sources"):
        primed = FolderSource(blog.posts_dir, DVC_AUTHORS, cache=cache).rescan(blog).items
    assert "118 post files parsed for the parse cache by 2 processes" in caplog.text
    posts = [item for item in primed if isinstance(item, Post)]
    assert posts and all(isinstance(post, StoredPost) for post in posts)  # from the cache
    by_path = {post.path: post for post in whole(posts)}
    wholes = [by_path[i.path] if isinstance(i, Post) else i for i in primed]
    assert described(wholes) == described(plain)
    clashes = [item for item in primed if isinstance(item, DuplicatePost)]
    assert len(clashes) == 2  # found although each worker parsed one of the two


def test_a_failed_worker_leaves_its_files_to_the_scan(
    tmp_path: Path,
    blog: BlogConfig,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Workers that cannot run are reported in one warning each; the scan parses every
    file itself and gives the same results."""
    assert blog.posts_dir is not None
    plain = FolderSource(blog.posts_dir, DVC_AUTHORS).rescan(blog).items
    monkeypatch.setattr(sys, "executable", shutil.which("false") or "/bin/false")
    cache = ParseCache(tmp_path / "cache.sqlite3")
    with caplog.at_level(logging.INFO, logger="heartbeat_bot.sources"):
        scanned = FolderSource(blog.posts_dir, DVC_AUTHORS, cache=cache).rescan(blog).items
    failures = [r for r in caplog.records if "worker parsing post files" in r.getMessage()]
    assert len(failures) == 2 and "parsed for the parse cache" not in caplog.text
    assert described(scanned) == described(plain)


def test_few_missing_files_start_no_worker(
    tmp_path: Path, blog: BlogConfig, caplog: pytest.LogCaptureFixture
) -> None:
    """Below the threshold the scan parses the files itself, starting no process."""
    assert blog.posts_dir is not None
    cache = ParseCache(tmp_path / "cache.sqlite3")
    source = FolderSource(blog.posts_dir, DVC_AUTHORS, cache=cache)
    source.rescan(blog)
    changed = sorted(blog.posts_dir.glob("*.md"))[:3]
    for path in changed:
        path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        settle(path)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="heartbeat_bot.sources"):
        again = FolderSource(blog.posts_dir, DVC_AUTHORS, cache=cache).rescan(blog)
    assert "parsed for the parse cache" not in caplog.text
    assert len(again.items) == 118


def test_many_cores_start_at_most_four_workers(
    tmp_path: Path,
    blog: BlogConfig,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a machine of sixteen cores the files are parsed by four workers, not sixteen."""
    assert blog.posts_dir is not None
    monkeypatch.setattr(priming, "cores", lambda: 16)
    cache = ParseCache(tmp_path / "cache.sqlite3")
    with caplog.at_level(logging.INFO, logger="heartbeat_bot.sources"):
        items = FolderSource(blog.posts_dir, DVC_AUTHORS, cache=cache).rescan(blog).items
    assert "118 post files parsed for the parse cache by 4 processes" in caplog.text
    assert len(items) == 118
