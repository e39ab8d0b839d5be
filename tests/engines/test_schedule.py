"""A Hugo blog against the sandbox: a future publishDate is scheduled, not sent, and an
expired post is never sent; `heartbeat-bot run` as a real process."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import Blog, make_blog
from tests.service.test_service import Running, wait_for


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def hugo_blog(root: Path, sandbox: Sandbox) -> Blog:
    return make_blog(
        root,
        sandbox,
        posts=(),
        overrides={
            "blog": {
                "engine": "hugo",
                "site_url": "https://hugo.example",
                "post_url": "https://hugo.example/blog/{slug}/",
                "poll_interval": 2,
            },
            "service": {"http": "127.0.0.1:0"},
        },
    )


def toml_post(title: str, date: str, extra: str = "") -> str:
    return f'+++\ntitle = "{title}"\ndate = {date}\n{extra}+++\n\nA first paragraph.\n'


def posted(sandbox: Sandbox) -> list[object]:
    return [r for r in sandbox.requests if r["method"] == "POST"]


def test_future_publish_date_is_scheduled_not_sent(tmp_path: Path, sandbox: Sandbox) -> None:
    """A dated post whose publishDate is in 2099 is scheduled by `run` and refused by
    `announce`; nothing reaches any channel; a publishDate seconds ahead goes out after it."""
    blog = hugo_blog(tmp_path, sandbox)
    running = Running(blog)
    try:
        (blog.posts / "far.md").write_text(
            toml_post("Far future", "2024-01-01", "publishDate = 2099-01-01\n")
        )
        wait_for(lambda: "scheduled: far" in running.text(), what="scheduling")
        soon = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        extra = f"publishDate = {soon.isoformat().replace('+00:00', 'Z')}\n"
        (blog.posts / "soon.md").write_text(toml_post("Soon enough", "2024-01-01", extra))
        wait_for(lambda: "scheduled: soon" in running.text(), what="scheduling soon")
        assert posted(sandbox) == []
        wait_for(lambda: sandbox.discord.messages, timeout=15, what="the soon post")
        assert datetime.now(UTC) >= soon
        time.sleep(1.0)
        titles = [t["title"] for t in sandbox.discourse.topics]
        assert all("Far future" not in title for title in titles) and len(titles) == 1
    finally:
        assert running.stop() == 0
    refused = subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", "--config", str(blog.config), "announce", "far"],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "far is scheduled (goes live 2099-01-01" in refused.stderr
    assert len(sandbox.discourse.topics) == 1


def test_expired_post_is_never_sent(tmp_path: Path, sandbox: Sandbox) -> None:
    """A post whose expiryDate has passed is neither announced by `run` nor by `announce`."""
    blog = hugo_blog(tmp_path, sandbox)
    running = Running(blog)
    try:
        (blog.posts / "gone.md").write_text(
            toml_post("Gone already", "2026-01-01T00:00:00Z", "expiryDate = 2026-02-01\n")
        )
        (blog.posts / "live.md").write_text(toml_post("Live and well", "2026-01-02T00:00:00Z"))
        wait_for(lambda: sandbox.discord.messages, what="the live post")
        time.sleep(2.5)  # a poll later, still nothing for the expired one
    finally:
        assert running.stop() == 0
    assert [m["embeds"][0]["title"] for m in sandbox.discord.messages] == ["Live and well"]
    refused = subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", "--config", str(blog.config), "announce", "gone"],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "gone is expired" in refused.stderr
