"""Announcing on Bluesky end to end: the real wiring, a real ledger, the fake PDS on loopback."""

from __future__ import annotations

import itertools
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from heartbeat_bot.cli.delivery import status_rows
from heartbeat_bot.cli.main import main
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import NEW_POST, make_blog

CHANNELS = ("discourse", "bluesky")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.3, slow_delay=0.2) as sb:
        yield sb


def test_a_post_becomes_one_thread_carrying_the_discussion_link(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """The thread replies post to post, links the new topic last, and is sent once only."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=CHANNELS)
    (report,) = blog.announce("dvc-git-lfs")
    assert report.ok and report.outcomes["bluesky"].action == "sent"
    posts = sandbox.bluesky.posts
    root = posts[0]
    assert root["value"]["embed"]["external"]["uri"] == "https://dvc.org/blog/dvc-git-lfs"
    for earlier, later in itertools.pairwise(posts):
        assert later["value"]["reply"]["parent"]["uri"] == earlier["uri"]
        assert later["value"]["reply"]["root"]["uri"] == root["uri"]
    topic_url = report.outcomes["discourse"].url
    assert topic_url is not None and topic_url in posts[-1]["value"]["text"]
    url = report.outcomes["bluesky"].url
    assert (
        url == f"https://bsky.app/profile/{sandbox.credentials.bluesky_handle}/post/{root['rkey']}"
    )

    (again,) = blog.announce("dvc-git-lfs")
    assert again.ok and again.outcomes["bluesky"].action == "already"
    assert len(sandbox.bluesky.posts) == len(posts)
    session = blog.app().config.state_path.parent / "bluesky-session.json"
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    assert sandbox.bluesky.sessions_created == 1


def test_force_sends_a_new_thread_at_new_keys(tmp_path: Path, sandbox: Sandbox) -> None:
    """--force is a new generation: a second thread, at keys of its own."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=CHANNELS)
    blog.announce("dvc-git-lfs")
    first = {p["rkey"] for p in sandbox.bluesky.posts}
    (forced,) = blog.announce("dvc-git-lfs", force=True)
    assert forced.outcomes["bluesky"].action == "sent"
    second = {p["rkey"] for p in sandbox.bluesky.posts} - first
    assert len(second) == len(first)


def test_a_thread_cut_short_is_finished_not_repeated(tmp_path: Path, sandbox: Sandbox) -> None:
    """A lost answer that cannot be checked leaves the pair waiting; the next run completes
    the thread, adopting the post already made."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=CHANNELS)
    path = "/xrpc/com.atproto.repo.createRecord"
    sandbox.faults.queue("bluesky", "drop", path=path)
    sandbox.faults.queue("bluesky", *["503"] * 50, path="/xrpc/com.atproto.repo.getRecord")
    (first,) = blog.announce("dvc-git-lfs", max_wait=1.0)
    assert first.outcomes["bluesky"].state == "waiting", first.outcomes["bluesky"]
    assert len(sandbox.bluesky.posts) == 1
    sandbox.faults.clear("bluesky")
    (second,) = blog.announce("dvc-git-lfs")
    assert second.outcomes["bluesky"].state == "done"
    texts = [p["value"]["text"] for p in sandbox.bluesky.posts]
    assert len(texts) == len(set(texts)) > 1


def test_preview_and_status_speak_of_bluesky(
    tmp_path: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """preview --json gives the records; status lists the pair with its link."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=CHANNELS)
    config = str(blog.config)
    assert main(["--config", config, "preview", "dvc-git-lfs", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)["bluesky"]["posts"]
    assert records[0]["$type"] == "app.bsky.feed.post" and "reply" not in records[0]
    assert main(["--config", config, "announce", "dvc-git-lfs", "--only", "bluesky"]) in (0, 1)
    capsys.readouterr()
    assert main(["--config", config, "status", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["items"]
    (row,) = [r for r in rows if r["channel"] == "bluesky"]
    assert row["state"] == "done" and row["remote_url"].startswith("https://bsky.app/profile/")
    assert main(["--config", config, "check", "--online"]) == 0
    assert f"signed in as {sandbox.credentials.bluesky_handle}" in capsys.readouterr().out


def test_a_changed_post_leaves_its_thread_as_sent_and_stale(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Bluesky posts cannot be edited: after the post changes, the thread stays as sent and
    status shows the pair stale, while nothing new is posted."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=CHANNELS)
    blog.announce("dvc-git-lfs")
    sent = sandbox.bluesky.posts
    path = blog.posts / NEW_POST
    text = path.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    path.write_text(text.replace(title, "title: A better title", 1), encoding="utf-8")
    (again,) = blog.announce("dvc-git-lfs")
    assert again.outcomes["bluesky"].state == "done"
    assert sandbox.bluesky.posts == sent
    rows = {r["channel"]: r for r in status_rows(blog.ledger())}
    assert rows["bluesky"]["stale"] is True
