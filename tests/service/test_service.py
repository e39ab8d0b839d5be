"""`heartbeat-bot run` as a real process, on a real folder, against the sandbox."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import Blog, make_blog
from tests.conftest import DVC_POSTS
from tests.service.loopback_site import Site

NEW_POST = "2023-12-11-dvc-git-lfs.md"


def wait_for(check: Callable[[], object], timeout: float = 20.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or check}")


class Running:
    """A `heartbeat-bot run` process and its log."""

    def __init__(self, blog: Blog, *args: str) -> None:
        self.log = blog.root / f"run-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
        self.handle = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "heartbeat_bot", "--config", str(blog.config), "run", *args],
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            env=env,
        )
        wait_for(
            lambda: "watching" in self.text() or self.process.poll() is not None,
            what="the service to start",
        )
        assert self.process.poll() is None, self.text()

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    @property
    def port(self) -> int:
        found = re.search(r"health and metrics on http://127\.0\.0\.1:(\d+)/", self.text())
        assert found, self.text()
        return int(found.group(1))

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.handle.close()
        return code


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def service_blog(root: Path, sandbox: Sandbox, posts: tuple[str, ...]) -> Blog:
    return make_blog(
        root,
        sandbox,
        posts=posts,
        overrides={"blog": {"poll_interval": 2}, "service": {"http": "127.0.0.1:0"}},
    )


def post_text(title: str, when: datetime) -> str:
    return (
        f"---\ntitle: {title}\ndate: {when.isoformat()}\n"
        "descriptionLong: A short summary of the post.\ntags: [News]\n---\n\nBody.\n"
    )


def test_first_run_sends_nothing_then_a_new_post_goes_out(tmp_path: Path, sandbox: Sandbox) -> None:
    """50 published posts become the baseline; a file added later is announced at once."""
    names = tuple(sorted(p.name for p in DVC_POSTS.glob("20*.md"))[:50])
    blog = service_blog(tmp_path, sandbox, names)
    running = Running(blog)
    try:
        time.sleep(1.0)
        posted = [r for r in sandbox.requests if r["method"] == "POST"]
        assert posted == [], "the first run announces nothing"
        shutil.copy(DVC_POSTS / NEW_POST, blog.posts / NEW_POST)
        wait_for(lambda: len(sandbox.discord.messages) == 1 and sandbox.x.tweets, what="announce")
        wait_for(lambda: "announced dvc-git-lfs on twitter" in running.text(), what="log")
        assert len(sandbox.discourse.topics) == 1
        assert "baseline" in running.text()
    finally:
        assert running.stop() == 0
    rows = json.loads(
        subprocess.run(
            [sys.executable, "-m", "heartbeat_bot", "--config", str(blog.config), "list", "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["items"]
    assert len(rows) == 51


def test_scheduled_post_goes_out_at_its_moment(tmp_path: Path, sandbox: Sandbox) -> None:
    """A post dated two seconds ahead is announced right after that moment, not before."""
    blog = service_blog(tmp_path, sandbox, ())
    running = Running(blog)
    try:
        moment = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        (blog.posts / "2030-01-01-soon.md").write_text(post_text("Coming very soon", moment))
        wait_for(lambda: "scheduled: soon" in running.text(), what="scheduling")
        assert sandbox.discord.messages == []
        wait_for(lambda: sandbox.discord.messages, timeout=15, what="announce")
        sent_at = datetime.now(UTC)
        assert sent_at >= moment
        assert (sent_at - moment).total_seconds() < 5
    finally:
        assert running.stop() == 0


def test_backfill_announces_exactly_the_posts_since(tmp_path: Path, sandbox: Sandbox) -> None:
    """--backfill DATE announces the published posts dated since DATE, and no other."""
    names = (
        "2023-06-14-dvc-3.0-ml-experiments-data-versioning.md",
        NEW_POST,
        "2022-04-15-april-22-heartbeat.md",
    )
    blog = make_blog(
        tmp_path,
        sandbox,
        posts=names,
        overrides={"blog": {"poll_interval": 2}, "service": {"http": "", "backfill_interval": 0.2}},
    )
    running = Running(blog, "--backfill", "2023-06-01")
    try:
        wait_for(lambda: len(sandbox.discord.messages) == 2, what="backfill")
        time.sleep(0.5)
        urls = sorted(m["embeds"][0]["url"] for m in sandbox.discord.messages)
        assert urls == [
            "https://dvc.org/blog/dvc-3.0-ml-experiments-data-versioning",
            "https://dvc.org/blog/dvc-git-lfs",
        ]
    finally:
        assert running.stop() == 0


def test_edits_deletions_and_broken_posts(tmp_path: Path, sandbox: Sandbox) -> None:
    """Edited posts are not re-announced, deletions do not crash, broken posts log once."""
    blog = service_blog(tmp_path, sandbox, ())
    running = Running(blog)
    try:
        now = datetime.now(UTC) - timedelta(minutes=1)
        post = blog.posts / "2024-01-01-fresh.md"
        post.write_text(post_text("A fresh post to announce", now))
        wait_for(lambda: sandbox.x.tweets, what="announce")
        post.write_text(post_text("A fresh post to announce, edited", now))
        broken = blog.posts / "2024-01-02-broken.md"
        broken.write_text("---\ntitle: [unclosed\n---\n")
        time.sleep(1.0)
        post.unlink()
        time.sleep(2.5)  # at least one periodic rescan as well
        (blog.posts / "2024-01-03-after.md").write_text(post_text("Posted after all that", now))
        wait_for(lambda: len(sandbox.discord.messages) == 2, what="the loop to go on")
        assert len(sandbox.discourse.topics) == 2
        assert running.text().count("2024-01-02-broken.md") == 1
        assert "Traceback" not in running.text()
    finally:
        assert running.stop() == 0


def test_health_metrics_and_clean_stop(tmp_path: Path, sandbox: Sandbox) -> None:
    """/healthz and /metrics answer (pairs by state, posts with problems, the publish-to-done
    histogram); SIGTERM exits 0 and leaves no pair in flight."""
    blog = service_blog(tmp_path, sandbox, (NEW_POST,))
    running = Running(blog)
    try:
        base = f"http://127.0.0.1:{running.port}"
        assert httpx.get(f"{base}/healthz").status_code == 200
        shutil.copy(DVC_POSTS / "2022-04-15-april-22-heartbeat.md", blog.posts)
        (blog.posts / "2024-01-01-broken.md").write_text("---\ntitle: [oops\n---\n")
        wait_for(lambda: sandbox.x.tweets, what="announce")

        def done_metrics() -> str | None:
            text = httpx.get(f"{base}/metrics").text
            done = 'heartbeat_pairs{channel="discord",state="done"} 1.0' in text
            return text if 'outcome="done"' in text and done else None

        metrics = str(wait_for(done_metrics, what="metrics"))
        assert "heartbeat_last_scan_success_timestamp_seconds" in metrics
        assert 'heartbeat_publish_to_done_seconds_count{channel="discord"} 1.0' in metrics
        assert "process_resident_memory_bytes" in metrics
        assert "\nheartbeat_posts_with_problems 1.0\n" in metrics
        assert 'heartbeat_pairs{channel="twitter",state="done"} 1.0' in metrics
    finally:
        assert running.stop() == 0
    db = sqlite3.connect(blog.root / "state" / "heartbeat.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'sending'").fetchone()[0] == 0


def test_announcing_goes_on_while_the_discord_gateway_is_down(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """With the gateway refusing connections, the scheduler still announces (over REST) and
    stays healthy; the slash-command bot connects once the gateway is back."""
    sandbox.gateway.refusing = True
    blog = service_blog(tmp_path, sandbox, (NEW_POST,))
    running = Running(blog)
    try:
        shutil.copy(DVC_POSTS / "2022-04-15-april-22-heartbeat.md", blog.posts)
        wait_for(lambda: sandbox.x.tweets and sandbox.discord.messages, what="announce")
        assert httpx.get(f"http://127.0.0.1:{running.port}/healthz").status_code == 200
        assert sandbox.gateway.identify_count == 0
        sandbox.gateway.refusing = False
        wait_for(lambda: sandbox.gateway.connected, timeout=90, what="the bot to connect")
    finally:
        assert running.stop() == 0


def test_a_link_not_written_is_written_once_the_edited_post_is_read_again(
    tmp_path: Path,
) -> None:
    """A post edited while its topic was being created is not overwritten; the service
    writes the link into the edited post soon after, keeping the edit."""
    with Sandbox(slow_delay=5.0) as sandbox:  # the window for the edit
        blog = make_blog(
            tmp_path,
            sandbox,
            posts=(),
            channels=("discourse",),
            overrides={
                "blog": {"poll_interval": 1, "write_back": "file"},
                "service": {"http": ""},
            },
        )
        running = Running(blog)
        try:
            sandbox.faults.queue("discourse", "slow", path="/posts.json")
            post = blog.posts / "2024-01-01-fresh.md"
            post.write_text(post_text("A fresh post to announce", datetime.now(UTC)))
            wait_for(lambda: "post found: fresh" in running.text(), what="the post")
            with post.open("a", encoding="utf-8") as edit:
                edit.write("An edit made meanwhile.\n")
            wait_for(lambda: "commentsUrl:" in post.read_text(), what="the link written")
        finally:
            assert running.stop() == 0
        (topic,) = sandbox.discourse.topics
    text = post.read_text(encoding="utf-8")
    assert f"commentsUrl: {topic['url']}\n" in text and text.endswith("An edit made meanwhile.\n")
    assert "changed since it was read" in running.text()


def test_baseline_is_shown_by_list(tmp_path: Path, sandbox: Sandbox) -> None:
    """After a first run, `list --json` marks the posts it took as baseline."""
    blog = service_blog(tmp_path, sandbox, (NEW_POST,))
    Running(blog).stop()
    rows = json.loads(
        subprocess.run(
            [sys.executable, "-m", "heartbeat_bot", "--config", str(blog.config), "list", "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["items"]
    assert [(r["slug"], r["baseline"]) for r in rows] == [("dvc-git-lfs", True)]


def test_json_logs_and_an_alert_for_a_failure(tmp_path: Path, sandbox: Sandbox) -> None:
    """--log-format json writes one JSON object a line, with the post, channel, state,
    attempt and URL as fields; a failed pair posts one alert."""
    blog = make_blog(
        tmp_path,
        sandbox,
        posts=(),
        channels=("discord", "twitter"),
        overrides={
            "blog": {"poll_interval": 2},
            "service": {"http": ""},
            "twitter": {"consumer_secret": "wrong-secret"},
            "alerts": {"discord_webhook_url": sandbox.discord_webhook_url},
        },
    )
    running = Running(blog, "--log-format", "json")
    try:
        now = datetime.now(UTC) - timedelta(minutes=1)
        (blog.posts / "2024-01-01-fresh.md").write_text(post_text("A fresh post to announce", now))
        wait_for(
            lambda: any(
                "Heads up" in str(m) or "failed" in str(m.get("content"))
                for m in sandbox.discord.messages
                if m["via"] == "webhook"
            ),
            what="the alert",
        )
    finally:
        assert running.stop() == 0
    alerts = [m for m in sandbox.discord.messages if m["via"] == "webhook"]
    assert len(alerts) == 1
    assert "twitter" in alerts[0]["content"] and alerts[0]["pinged"] == []
    lines = [json.loads(line) for line in running.text().splitlines() if line.strip()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert "wrong-secret" not in running.text()
    by_channel = {line.get("channel"): line for line in lines if line.get("post") == "fresh"}
    assert by_channel["discord"]["event"] == "announced"
    assert by_channel["discord"]["state"] == "done"
    assert by_channel["discord"]["url"].startswith("http")
    assert by_channel["discord"]["attempt"] == 1
    assert by_channel["twitter"]["state"] == "failed"


def live_blog(root: Path, sandbox: Sandbox, site: Site, channel: str, **settings: Any) -> Blog:
    """A blog with require_live on, announcing on ``channel`` only."""
    blog_settings = {"require_live": True, "post_url": site.post_url, **settings}
    overrides: dict[str, Any] = {"blog": blog_settings, "service": {"http": ""}}
    if channel == "twitter":  # alerts go to the Discord webhook, free in this setup
        overrides["alerts"] = {"discord_webhook_url": sandbox.discord_webhook_url}
    return make_blog(root, sandbox, posts=(), channels=(channel,), overrides=overrides)


def test_require_live_waits_for_the_page(tmp_path: Path, sandbox: Sandbox, site: Site) -> None:
    """With require_live, a post is announced only once its URL answers 200."""
    blog = live_blog(tmp_path, sandbox, site, "discord", poll_interval=2, live_timeout=60)
    running = Running(blog)
    try:
        now = datetime.now(UTC) - timedelta(minutes=1)
        (blog.posts / "2024-01-01-fresh.md").write_text(post_text("A fresh post to announce", now))
        wait_for(lambda: "not live yet" in running.text(), what="a liveness check")
        time.sleep(0.5)
        assert sandbox.discord.messages == []
        site.up.add("/blog/fresh")
        wait_for(lambda: sandbox.discord.messages, timeout=20, what="announce once live")
    finally:
        assert running.stop() == 0


def test_a_page_down_past_live_timeout_is_reported_then_announced_once_up(
    tmp_path: Path, sandbox: Sandbox, site: Site
) -> None:
    """A page still down after live_timeout is reported once (log and alert) and checked
    every poll_interval from then on: when the deploy is fixed, the post goes out."""
    site.down_status = 503
    blog = live_blog(tmp_path, sandbox, site, "twitter", poll_interval=1, live_timeout=1)
    running = Running(blog)
    try:
        now = datetime.now(UTC) - timedelta(minutes=1)
        (blog.posts / "2024-01-01-fresh.md").write_text(post_text("A fresh post to announce", now))
        wait_for(lambda: "not live at" in running.text(), what="the report")
        wait_for(lambda: sandbox.discord.messages, what="the alert")
        time.sleep(2.5)  # a few late checks, all down
        assert sandbox.x.tweets == []
        site.up.add("/blog/fresh")
        wait_for(lambda: sandbox.x.tweets, timeout=20, what="announce once live")
    finally:
        assert running.stop() == 0
    (alert,) = sandbox.discord.messages
    assert "fresh" in alert["content"] and "200" in alert["content"]
    assert running.text().count("not live at") == 1 and "live at last" in running.text()


def test_a_post_made_a_draft_while_its_page_is_awaited_is_not_announced(
    tmp_path: Path, sandbox: Sandbox, site: Site
) -> None:
    """A post turned back into a draft while the service waits for its page is not
    announced when the page comes up."""
    site.down_status = 503
    blog = live_blog(tmp_path, sandbox, site, "twitter", poll_interval=1, live_timeout=1)
    running = Running(blog)
    try:
        now = datetime.now(UTC) - timedelta(minutes=1)
        post = blog.posts / "2024-01-01-fresh.md"
        post.write_text(post_text("A fresh post to announce", now))
        wait_for(lambda: "not live at" in running.text(), what="the report")
        post.write_text(
            post_text("A fresh post to announce", now).replace("---\n\n", "draft: true\n---\n\n")
        )
        # The page wait asks at each check, every second, whether the post is still wanted.
        wait_for(lambda: "stopped waiting for its page" in running.text(), what="the wait to end")
        site.up.add("/blog/fresh")
        time.sleep(2.0)  # were it still waiting, the next check would announce it
        assert sandbox.x.tweets == []
    finally:
        assert running.stop() == 0
    assert "live at last" not in running.text()


def test_a_renamed_post_is_not_announced_again(tmp_path: Path, sandbox: Sandbox) -> None:
    """Editing an announced post's slug changes its URL; it is not announced a second time."""
    blog = service_blog(tmp_path, sandbox, ())
    running = Running(blog)
    try:
        now = datetime.now(UTC) - timedelta(minutes=1)
        post = blog.posts / "2024-01-01-fresh.md"
        post.write_text(post_text("A fresh post to announce", now))
        wait_for(lambda: sandbox.x.tweets, what="announce")
        post.write_text(
            post_text("A fresh post to announce", now).replace("tags:", "slug: renamed-post\ntags:")
        )
        wait_for(lambda: "URL changed" in running.text(), what="the rename to be noticed")
        time.sleep(0.5)
        assert len(sandbox.discord.messages) == 1 and len(sandbox.discourse.topics) == 1
    finally:
        assert running.stop() == 0
