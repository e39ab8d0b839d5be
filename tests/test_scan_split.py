"""A rescan split into its count of problem files, its posts and those new or changed,
over a real folder."""

from __future__ import annotations

import os
from pathlib import Path

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.models import Post
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.scan_result import split

PAST_NS = 1_600_000_000 * 10**9


def write(path: Path, title: str) -> None:
    path.write_text(f"---\ntitle: {title}\ndate: 2020-01-02\n---\n\nBody.\n")
    os.utime(path, ns=(PAST_NS, PAST_NS))


def test_a_rescan_splits_into_problems_posts_and_fresh_posts(tmp_path: Path) -> None:
    """The first scan's fresh posts are all of them; a rescan finding nothing new has none;
    one after an edit has the edited post alone; broken files are counted, never posts."""
    blog = BlogConfig(post_url="https://blog.example/{slug}")
    for name in ("a.md", "b.md", "c.md"):
        write(tmp_path / name, name[0].upper())
    (tmp_path / "broken.md").write_text("no frontmatter\n")
    source = FolderSource(tmp_path)
    _result, problems, current, fresh = split(source.rescan(blog), first=True)
    assert problems == 1 and [p.path.name for p in current] == ["a.md", "b.md", "c.md"]
    assert fresh == current and all(isinstance(p, Post) for p in current)
    _result, problems, current, fresh = split(source.rescan(blog), first=False)
    assert problems == 1 and len(current) == 3 and fresh == []
    write(tmp_path / "b.md", "B edited")
    _result, problems, current, fresh = split(source.rescan(blog), first=False)
    assert problems == 1 and len(current) == 3
    assert [(p.path.name, p.title) for p in fresh] == [("b.md", "B edited")]
