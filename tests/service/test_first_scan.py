"""The first scan that succeeds is the quiet baseline, also when the first ones failed."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from heartbeat_bot.sandbox import Sandbox
from tests.conftest import DVC_POSTS
from tests.service.test_service import NEW_POST, Running, service_blog, wait_for


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def test_a_posts_folder_missing_at_start_is_baselined_when_it_appears(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """The posts folder is absent when `run` starts (a volume mounted late): its posts,
    once it appears, become the baseline with nothing sent; a post added later goes out."""
    names = tuple(sorted(p.name for p in DVC_POSTS.glob("20*.md"))[:5])
    blog = service_blog(tmp_path, sandbox, names)
    away = tmp_path / "not-yet-mounted"
    shutil.move(blog.posts, away)
    running = Running(blog)
    try:
        wait_for(lambda: "scan failed" in running.text(), what="the failed first scan")
        shutil.move(away, blog.posts)
        baseline = "5 published posts recorded as baseline"
        wait_for(lambda: baseline in running.text(), what="the baseline")
        time.sleep(1.0)  # a send would be under way by now
        assert [r for r in sandbox.requests if r["method"] == "POST"] == []
        shutil.copy(DVC_POSTS / NEW_POST, blog.posts / NEW_POST)
        wait_for(lambda: len(sandbox.discord.messages) == 1 and sandbox.x.tweets, what="announce")
        assert len(sandbox.discourse.topics) == 1
    finally:
        assert running.stop() == 0
