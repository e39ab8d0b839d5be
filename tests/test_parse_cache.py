"""The parse cache in the state folder: what it spares, what invalidates it, damage, and
several processes at once.

A file the cache must not parse again is proven unread the hard way: its bytes are
replaced by the same number of other bytes and its mtime put back, so its stamp (size,
mtime_ns, inode) is unchanged; had it been read and parsed again, it would show as broken.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.parse_cache import ParseCache, cache_path
from tests.conftest import DVC_AUTHORS, DVC_POSTS
from tests.test_cli import run, write_config

POSTS = (
    "2021-05-21-may-21-dvc-heartbeat.md",
    "2022-05-24-MLEM-release.md",
    "2023-12-11-dvc-git-lfs.md",
)
HOUR_NS = 3600 * 10**9


def settle(path: Path) -> None:
    """Put ``path``'s mtime an hour back: written well before any scan, so its stamp is trusted."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - HOUR_NS))


def settled_blog(
    tmp_path: Path, blog: BlogConfig, names: tuple[str, ...] = POSTS
) -> tuple[Path, BlogConfig]:
    """A posts folder of the corpus posts ``names``, each settled, and ``blog`` on it."""
    posts = tmp_path / "posts"
    posts.mkdir()
    for name in names:
        shutil.copy(DVC_POSTS / name, posts / name)
        settle(posts / name)
    return posts, blog.model_copy(update={"posts_dir": posts})


def scramble(path: Path) -> None:
    """Replace ``path``'s bytes with as many unparseable ones, its stamp left as it was."""
    info = path.stat()
    with path.open("r+b") as stream:  # same inode, same size
        stream.write(b"\x00" * info.st_size)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        info.st_size,
        info.st_mtime_ns,
        info.st_ino,
    )


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    """Three real posts, settled, and a config whose ledger lives in ``tmp_path/state``."""
    posts = tmp_path / "posts"
    posts.mkdir()
    for name in POSTS:
        shutil.copy(DVC_POSTS / name, posts / name)
        settle(posts / name)
    write_config(tmp_path, posts, '[state]\npath = "state/heartbeat.sqlite3"\n')
    return tmp_path


def listed(root: Path) -> dict[str, str]:
    """``list --json`` of the blog at ``root``: file name -> title, or ``error: <problems>``."""
    done = run("--config", str(root / "heartbeat.toml"), "list", "--json")
    assert done.returncode == 0, done.stderr
    return {
        Path(row["path"]).name: row["title"] or f"error: {row['problems']}" for row in _rows(done)
    }


def _rows(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return list(json.loads(done.stdout)["items"])


def test_second_list_parses_no_file(blog: Path) -> None:
    """A second ``list`` takes every unchanged file from the cache: scrambled files still list."""
    first = listed(blog)
    assert len(first) == 3 and not any(t.startswith("error:") for t in first.values())
    for name in POSTS:
        scramble(blog / "posts" / name)
    assert listed(blog) == first
    assert cache_path(blog / "state" / "heartbeat.sqlite3").is_file()


def test_changed_file_is_parsed_again(blog: Path) -> None:
    """A file whose stamp changed is read and parsed again; the others still are not."""
    listed(blog)
    path = blog / "posts" / POSTS[0]
    text = path.read_text(encoding="utf-8").replace("title:", "title: Renamed -", 1)
    path.write_text(text, encoding="utf-8")
    settle(path)
    scramble(blog / "posts" / POSTS[1])
    second = listed(blog)
    assert second[POSTS[0]].startswith("Renamed -")
    assert not second[POSTS[1]].startswith("error:")


def test_settings_change_invalidates(blog: Path) -> None:
    """New [blog] settings make every file parsed again: scrambled files now show broken."""
    first = listed(blog)
    for name in POSTS:
        scramble(blog / "posts" / name)
    config = blog / "heartbeat.toml"
    text = config.read_text(encoding="utf-8").replace("dvc.org/blog/", "dvc.org/posts/")
    config.write_text(text, encoding="utf-8")
    second = listed(blog)
    assert second.keys() == first.keys()
    assert all(second[name].startswith("error:") for name in POSTS)


def test_damaged_cache_is_rebuilt_with_a_warning(blog: Path) -> None:
    """A cache file that is not a database is deleted and rebuilt, with a warning naming it."""
    listed(blog)
    cache = cache_path(blog / "state" / "heartbeat.sqlite3")
    cache.write_bytes(b"this is not a SQLite database" * 100)
    done = run("--config", str(blog / "heartbeat.toml"), "list", "--json")
    assert done.returncode == 0, done.stderr
    assert "parse cache" in done.stderr and "damaged" in done.stderr and str(cache) in done.stderr
    assert len(_rows(done)) == 3
    with sqlite3.connect(cache) as db:  # rebuilt: a database holding the three files again
        assert db.execute("SELECT count(*) FROM files").fetchone() == (3,)


def test_foreign_schema_is_dropped(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """A cache of another schema version is emptied, never read as ours."""
    posts = tmp_path / "posts"
    shutil.copytree(DVC_POSTS, posts)
    cache_file = tmp_path / "cache.sqlite3"
    blog = dvc_blog.model_copy(update={"posts_dir": posts})
    FolderSource(posts, DVC_AUTHORS, cache=ParseCache(cache_file)).rescan(blog)
    with sqlite3.connect(cache_file) as db:
        db.execute("UPDATE meta SET value = 'heartbeat-bot parse cache 0' WHERE name = 'schema'")
    fresh = ParseCache(cache_file)
    assert fresh.stamps("anything") == {}
    with sqlite3.connect(cache_file) as db:
        assert db.execute("SELECT count(*) FROM files").fetchone() == (0,)


def test_two_processes_at_once(blog: Path) -> None:
    """Two ``list`` processes filling the same empty cache at once both succeed and leave
    it whole: a third ``list`` then parses nothing."""
    posts = blog / "posts"
    for number in range(120):
        source = DVC_POSTS / POSTS[number % 3]
        text = source.read_text(encoding="utf-8")
        target = posts / f"2020-01-01-copy-{number:03d}.md"
        target.write_text(text.replace("\n---", f"\nslug: copy-{number:03d}\n---", 1), "utf-8")
        settle(target)
    command = [sys.executable, "-m", "heartbeat_bot", "--config", str(blog / "heartbeat.toml")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    both = [
        subprocess.Popen([*command, "list", "--json"], stdout=subprocess.PIPE, env=env, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in both]
    assert [process.returncode for process in both] == [0, 0]
    assert outputs[0] == outputs[1]
    for path in posts.iterdir():
        scramble(path)
    done = run("--config", str(blog / "heartbeat.toml"), "list", "--json")
    assert done.stdout == outputs[0]


def test_slug_look_up_from_the_index(blog: Path) -> None:
    """``preview SLUG`` after a ``list`` answers from the index, every file scrambled."""
    first = run("--config", str(blog / "heartbeat.toml"), "list", "--json")
    slug = next(row["slug"] for row in _rows(first) if row["path"].endswith(POSTS[1]))
    for name in POSTS:
        scramble(blog / "posts" / name)
    done = run("--config", str(blog / "heartbeat.toml"), "preview", slug, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["post"]["slug"] == slug


def test_index_is_not_used_when_the_folder_changed(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """A new file not yet in the cache sends the look-up back to a rescan (it may clash)."""
    posts, blog = settled_blog(tmp_path, dvc_blog)
    cache = ParseCache(tmp_path / "cache.sqlite3")
    items = FolderSource(posts, DVC_AUTHORS, cache=cache).rescan(blog).items
    slug = next(p.slug for p in items if isinstance(p, Post))
    looked = FolderSource(posts, DVC_AUTHORS, cache=cache).lookup(slug, blog)
    assert looked is not None and looked.slug == slug
    shutil.copy(posts / POSTS[0], posts / "2024-01-01-copy.md")
    assert FolderSource(posts, DVC_AUTHORS, cache=cache).lookup(slug, blog) is None


def test_watcher_paths_rescan_only_those(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """A rescan of the paths an event names reads those files only; a full one finds the rest."""
    posts, blog = settled_blog(tmp_path, dvc_blog)
    source = FolderSource(posts, DVC_AUTHORS)
    source.rescan(blog)
    named, other = posts / POSTS[0], posts / POSTS[1]
    for path in (named, other):
        path.write_text(path.read_text(encoding="utf-8").replace("title:", "title: New -", 1))
    result = source.rescan(blog, only={named})
    assert result.changed == [named]
    titles = {i.path: i.title for i in result.items if isinstance(i, Post)}
    assert titles[named].startswith("New -") and not titles[other].startswith("New -")
    assert source.rescan(blog).changed == [other]


def test_watcher_paths_see_new_and_removed_files(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """An event naming a new file adds it, one naming a deleted file removes it."""
    posts = tmp_path / "posts"
    posts.mkdir()
    shutil.copy(DVC_POSTS / POSTS[0], posts / POSTS[0])
    blog = dvc_blog.model_copy(update={"posts_dir": posts})
    source = FolderSource(posts, DVC_AUTHORS)
    source.rescan(blog)
    added = posts / POSTS[1]
    shutil.copy(DVC_POSTS / POSTS[1], added)
    assert source.rescan(blog, only={added}).changed == [added]
    added.unlink()
    result = source.rescan(blog, only={added, posts / "notes.txt"})
    assert result.removed == [added] and len(result.items) == 1


def test_unreadable_row_is_a_miss(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """A row whose stored result and head cannot be decoded is parsed again, not trusted."""
    posts = tmp_path / "posts"
    posts.mkdir()
    shutil.copy(DVC_POSTS / POSTS[0], posts / POSTS[0])
    settle(posts / POSTS[0])
    blog = dvc_blog.model_copy(update={"posts_dir": posts})
    cache_file = tmp_path / "cache.sqlite3"
    FolderSource(posts, DVC_AUTHORS, cache=ParseCache(cache_file)).rescan(blog)
    with sqlite3.connect(cache_file) as db:
        db.execute("UPDATE files SET result = x'00ff', head = x'00ff'")
    scramble(posts / POSTS[0])
    items = FolderSource(posts, DVC_AUTHORS, cache=ParseCache(cache_file)).rescan(blog).items
    assert isinstance(items[0], PostError)


def test_cached_posts_equal_parsed_ones(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """Every corpus post and broken file comes back from the cache equal to its parse."""
    posts = tmp_path / "posts"
    shutil.copytree(DVC_POSTS, posts)
    (posts / "2020-01-01-broken.md").write_text("no frontmatter\n", encoding="utf-8")
    for path in posts.iterdir():
        settle(path)
    blog = dvc_blog.model_copy(update={"posts_dir": posts})
    cache = ParseCache(tmp_path / "cache.sqlite3")
    parsed = FolderSource(posts, DVC_AUTHORS, cache=cache).rescan(blog).items
    for path in posts.iterdir():
        scramble(path)
    cached = FolderSource(posts, DVC_AUTHORS, cache=cache).rescan(blog).items
    assert [isinstance(item, Post) for item in cached] == [isinstance(i, Post) for i in parsed]
    assert [i for i in cached if isinstance(i, Post)] == [i for i in parsed if isinstance(i, Post)]
    assert [str(i) for i in cached if isinstance(i, PostError)] == [
        str(i) for i in parsed if isinstance(i, PostError)
    ]
    assert any(isinstance(i, PostError) for i in cached)


def test_an_author_edit_reparses_only_their_posts(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """An author's new name re-parses only that author's posts, and the cache then holds
    every file under the new settings: a fresh source parses nothing."""
    posts, authors = tmp_path / "posts", tmp_path / "authors"
    posts.mkdir()
    shutil.copytree(DVC_AUTHORS, authors)
    for name in POSTS:
        shutil.copy(DVC_POSTS / name, posts / name)
        settle(posts / name)
    blog = dvc_blog.model_copy(update={"posts_dir": posts, "authors_dir": authors})
    cache = ParseCache(tmp_path / "cache.sqlite3")
    source = FolderSource(posts, authors, cache=cache)
    first = [i for i in source.rescan(blog).items if isinstance(i, Post)]
    author = first[0].author_ids[0]
    others = [p.path for p in first if author not in p.author_ids]
    assert others, "the test needs a post by someone else"
    text = (authors / f"{author}.md").read_text("utf-8")
    renamed = re.sub(r"(?m)^name:.*$", "name: Somebody Else", text, count=1)
    (authors / f"{author}.md").write_text(renamed, "utf-8")
    result = source.rescan(blog)
    assert result.changed == [p.path for p in first if author in p.author_ids]
    for path in posts.iterdir():
        scramble(path)
    again = FolderSource(posts, authors, cache=cache).rescan(blog).items
    assert [i for i in again if isinstance(i, Post)] == [
        i for i in result.items if isinstance(i, Post)
    ]
    assert (
        "Somebody Else"
        in next(i for i in again if isinstance(i, Post) and i.path == first[0].path).authors
    )


def test_a_file_found_the_same_again_is_not_read_at_the_next_start(
    tmp_path: Path, dvc_blog: BlogConfig
) -> None:
    """A file cached while its stamp was too new to trust, then read again and found the
    same, has its new stamp remembered: the start after that does not read it."""
    posts = tmp_path / "posts"
    posts.mkdir()
    path = posts / POSTS[0]
    shutil.copy(DVC_POSTS / POSTS[0], path)  # just written: not settled yet
    blog = dvc_blog.model_copy(update={"posts_dir": posts})
    cache = ParseCache(tmp_path / "cache.sqlite3")
    FolderSource(posts, DVC_AUTHORS, cache=cache).rescan(blog)
    settle(path)  # time passes (the stamp changes, not the bytes)
    again = FolderSource(posts, DVC_AUTHORS, cache=cache).rescan(blog)
    assert len(again.items) == 1 and isinstance(again.items[0], Post), again.items
    scramble(path)
    third = FolderSource(posts, DVC_AUTHORS, cache=cache).rescan(blog).items
    assert len(third) == 1 and isinstance(third[0], Post), third
