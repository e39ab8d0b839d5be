"""A blog kept in git: posts added by commits are announced, and the link is pushed back."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from heartbeat_bot.announcer import PostReport
from heartbeat_bot.app.application import App
from heartbeat_bot.app.wiring import announcer_for, open_ledger
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import Blog, make_blog
from tests.conftest import DVC_POSTS
from tests.service.test_service import Running, wait_for

SECRET = "push-hook-secret"
NEW = "2023-12-11-dvc-git-lfs.md"
SECOND = "2023-06-14-dvc-3.0-ml-experiments-data-versioning.md"


def git(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="Author",
        GIT_AUTHOR_EMAIL="a@example.com",
        GIT_COMMITTER_NAME="Author",
        GIT_COMMITTER_EMAIL="a@example.com",
    )
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def remote(tmp_path: Path) -> tuple[Path, Path]:
    """A bare remote with one post (the baseline) and an author's clone of it."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "--bare", "-b", "main", str(bare))
    author = tmp_path / "author"
    git(tmp_path, "clone", str(bare), str(author))
    (author / "content").mkdir()
    shutil.copy(DVC_POSTS / "2022-04-15-april-22-heartbeat.md", author / "content")
    git(author, "add", ".")
    git(author, "commit", "-m", "first post")
    git(author, "push", "origin", "HEAD:main")
    return bare, author


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def git_blog(
    root: Path,
    sandbox: Sandbox,
    bare: Path,
    write_back: str,
    *,
    poll_interval: float = 60,
    service: dict[str, Any] | None = None,
    alerts: dict[str, Any] | None = None,
) -> Blog:
    blog = make_blog(
        root / "blog",
        sandbox,
        posts=(),
        overrides={
            "blog": {
                "git_url": str(bare),
                "git_path": "content",
                "write_back": write_back,
                "poll_interval": poll_interval,
            },
            "service": {"http": "127.0.0.1:0", **(service or {})},
            "github": {
                "api_url": sandbox.github_api_url,
                "token": sandbox.credentials.github_token,
                "repository": sandbox.github.repository,
                "webhook_secret": SECRET,
            },
            "alerts": alerts or {},
        },
    )
    return blog


def push_post(author: Path, name: str) -> None:
    shutil.copy(DVC_POSTS / name, author / "content" / name)
    git(author, "add", ".")
    git(author, "commit", "-m", f"add {name}")
    git(author, "pull", "--rebase", "origin", "main")
    git(author, "push", "origin", "HEAD:main")


def changed_by_tip(bare: Path) -> list[str]:
    """The lines the newest commit on main adds or removes (no file headers)."""
    diff = git(bare, "show", "--format=", "--unified=0", "main")
    return [
        line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


def topic_after(blog: Blog, meanwhile: Callable[[], None]) -> list[str]:
    """Read dvc-git-lfs from a freshly synced clone, run ``meanwhile`` (a person's push),
    then announce it on Discourse alone; the report's notes."""

    async def announce() -> list[str]:
        app = App.build(str(blog.config))  # the clone is synced here
        post = app.find("dvc-git-lfs")
        meanwhile()
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger) as announcer:
                return (await announcer.announce(post, only=frozenset({"discourse"}))).notes

    return asyncio.run(announce())


def hook(port: int, body: bytes, signature: str | None, delivery: str = "d-1") -> int:
    headers = {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": delivery,
        "Content-Type": "application/json",
    }
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return httpx.post(
        f"http://127.0.0.1:{port}/webhooks/github", content=body, headers=headers
    ).status_code


def signed(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_pushed_post_is_announced_and_its_link_committed(
    tmp_path: Path, remote: tuple[Path, Path], sandbox: Sandbox
) -> None:
    """A post added by commit is announced on a signed push; one commit adds only its link."""
    bare, author = remote
    blog = git_blog(tmp_path, sandbox, bare, "commit")
    running = Running(blog)
    try:
        body = json.dumps({"ref": "refs/heads/main"}).encode()
        push_post(author, NEW)
        assert hook(running.port, body, "sha256=" + "0" * 64) == 401
        assert hook(running.port, body, None) == 401
        time.sleep(1.0)
        assert sandbox.discourse.topics == [], "a refused webhook triggers nothing"
        assert hook(running.port, body, signed(body)) == 202
        wait_for(lambda: "commentsUrl committed" in running.text(), timeout=30, what="push")
    finally:
        assert running.stop() == 0
    (topic,) = sandbox.discourse.topics
    assert len(sandbox.discord.messages) == 1 and sandbox.x.tweets
    log = git(bare, "log", "--format=%an|%s", "main")
    assert log.splitlines()[0] == "heartbeat-bot|blog: link comments for dvc-git-lfs"
    assert changed_by_tip(bare) == [f"+commentsUrl: {topic['url']}"]


def test_pull_request_mode_collects_posts_in_one_pull_request(
    tmp_path: Path, remote: tuple[Path, Path], sandbox: Sandbox
) -> None:
    """With write_back = "pull_request", two announced posts share one open pull request."""
    bare, author = remote
    push_post(author, NEW)
    push_post(author, SECOND)
    blog = git_blog(tmp_path, sandbox, bare, "pull_request")

    async def announce() -> None:
        app = App.build(str(blog.config))
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger) as announcer:
                for slug in ("dvc-git-lfs", "dvc-3.0-ml-experiments-data-versioning"):
                    report = await announcer.announce(app.find(slug))
                    assert any("pull" in note for note in report.notes), report.notes

    asyncio.run(announce())
    (pull,) = sandbox.github.pulls
    assert pull["head"]["ref"] == "heartbeat-bot/comments" and pull["base"]["ref"] == "main"
    subjects = git(bare, "log", "--format=%s", "heartbeat-bot/comments").splitlines()
    assert subjects[:2] == [
        "blog: link comments for dvc-3.0-ml-experiments-data-versioning",
        "blog: link comments for dvc-git-lfs",
    ]
    assert "commentsUrl" not in git(bare, "show", f"main:content/{NEW}"), "main is untouched"


def test_a_post_changed_on_the_branch_is_not_overwritten(
    tmp_path: Path, remote: tuple[Path, Path], sandbox: Sandbox
) -> None:
    """If the post changed on the branch after it was read, the link is reported, not pushed."""
    bare, author = remote
    push_post(author, NEW)
    blog = git_blog(tmp_path, sandbox, bare, "commit")

    def edit_meanwhile() -> None:
        path = author / "content" / NEW
        path.write_text(path.read_text(encoding="utf-8") + "\nAn edit made meanwhile.\n", "utf-8")
        git(author, "commit", "-am", "edit meanwhile")
        git(author, "push", "origin", "HEAD:main")

    notes = topic_after(blog, edit_meanwhile)
    assert any("changed on the branch since it was read" in note for note in notes), notes
    assert len(sandbox.discourse.topics) == 1
    assert git(bare, "log", "-1", "--format=%s", "main") == "edit meanwhile\n"


def test_a_concurrent_push_is_kept_under_the_link_commit(
    tmp_path: Path, remote: tuple[Path, Path], sandbox: Sandbox
) -> None:
    """Someone pushes after the clone was read: the link commit goes on top, theirs stays."""
    bare, author = remote
    push_post(author, NEW)
    blog = git_blog(tmp_path, sandbox, bare, "commit")

    def push_meanwhile() -> None:
        (author / "README.md").write_text("The blog.\n", encoding="utf-8")
        git(author, "add", "README.md")
        git(author, "commit", "-m", "concurrent change")
        git(author, "push", "origin", "HEAD:main")

    notes = topic_after(blog, push_meanwhile)
    assert any("commentsUrl committed" in note for note in notes), notes
    (topic,) = sandbox.discourse.topics
    subjects = git(bare, "log", "--format=%s", "main").splitlines()
    assert subjects[:2] == ["blog: link comments for dvc-git-lfs", "concurrent change"]
    assert git(bare, "show", "main:README.md") == "The blog.\n"
    assert changed_by_tip(bare) == [f"+commentsUrl: {topic['url']}"]


def test_a_pull_request_not_opened_is_opened_by_the_next_try(
    tmp_path: Path, remote: tuple[Path, Path], sandbox: Sandbox
) -> None:
    """GitHub down while the pull request is opened: the announcement goes on, the link is
    noted as not written, and the next try opens the pull request for the pushed commit."""
    bare, author = remote
    push_post(author, NEW)
    blog = git_blog(tmp_path, sandbox, bare, "pull_request")

    async def announce() -> tuple[PostReport, dict[str, int], str | None, dict[str, Any]]:
        app = App.build(str(blog.config))
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger) as announcer:
                sandbox.github.faults.queue("github", "503")
                report = await announcer.announce(app.find("dvc-git-lfs"))
                pending = {u: p.attempts for u, p in announcer.links.pending().items()}
                note = await announcer.links.retry(app.find("dvc-git-lfs"))
                return report, pending, note, dict(announcer.links.pending())

    report, pending, note, after = asyncio.run(announce())
    assert report.ok and len(sandbox.discord.messages) == 1 and sandbox.x.tweets
    assert any("no pull request" in n for n in report.notes), report.notes
    assert pending == {report.post.url: 1}
    assert note is not None and "proposed in" in note and after == {}
    (pull,) = sandbox.github.pulls
    assert pull["head"]["ref"] == "heartbeat-bot/comments"
    subjects = git(bare, "log", "--format=%s", "heartbeat-bot/comments").splitlines()
    assert subjects[0] == "blog: link comments for dvc-git-lfs"
    assert subjects.count("blog: link comments for dvc-git-lfs") == 1


def test_the_service_tries_a_link_again_then_alerts_once_at_the_limit(
    tmp_path: Path, remote: tuple[Path, Path], sandbox: Sandbox
) -> None:
    """GitHub refusing the pull request: the service tries again at the next scan, and at
    service.max_attempts it sends one alert naming the post and how to try again."""
    bare, author = remote
    blog = git_blog(
        tmp_path,
        sandbox,
        bare,
        "pull_request",
        poll_interval=1,
        service={"max_attempts": 2},
        alerts={"discord_webhook_url": sandbox.discord_webhook_url},
    )
    running = Running(blog)
    try:
        sandbox.github.faults.queue("github", "503", "503")
        push_post(author, NEW)
        body = json.dumps({"ref": "refs/heads/main"}).encode()
        assert hook(running.port, body, signed(body)) == 202

        def alerts() -> list[dict[str, Any]]:
            return [m for m in sandbox.discord.messages if m["via"] == "webhook"]

        wait_for(alerts, timeout=30, what="the alert")
        time.sleep(2.0)  # more scans: no more tries, no second alert
    finally:
        assert running.stop() == 0
    (alert,) = alerts()
    assert (
        "commentsUrl" in alert["content"]
        and "heartbeat-bot announce dvc-git-lfs" in alert["content"]
    )
    assert running.text().count("commentsUrl not written: commentsUrl pushed") == 2
    assert sandbox.github.pulls == []


def git_fetches(port: int) -> int:
    """heartbeat_git_fetches_total, from /metrics."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    found = re.search(r"^heartbeat_git_fetches_total (\d+)(?:\.0)?$", text, re.MULTILINE)
    assert found, text
    return int(found.group(1))


def test_replayed_and_bursting_pushes_do_not_multiply_fetches(
    tmp_path: Path, remote: tuple[Path, Path], sandbox: Sandbox
) -> None:
    """A push fetches once (the files it brings trigger no second fetch), 400 replays of
    its signed delivery fetch nothing more (answered 200), and a burst of 20 distinct
    pushes makes one fetch plus at most one queued after it (by the log and by
    heartbeat_git_fetches_total)."""
    bare, author = remote
    blog = git_blog(tmp_path, sandbox, bare, "off")
    running = Running(blog)
    body = json.dumps({"ref": "refs/heads/main"}).encode()
    try:
        start = git_fetches(running.port)
        push_post(author, NEW)
        assert hook(running.port, body, signed(body), "first") == 202
        wait_for(lambda: sandbox.x.tweets, what="the pushed post announced")
        headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "first"}
        headers["X-Hub-Signature-256"] = signed(body)
        url = f"http://127.0.0.1:{running.port}/webhooks/github"
        with httpx.Client() as client:
            replies = {
                client.post(url, content=body, headers=headers).status_code for _ in range(400)
            }
        time.sleep(1.0)
        assert running.text().count("fetching now") == 1
        assert replies == {200}
        assert git_fetches(running.port) == start + 1

        async def burst() -> list[int]:
            async with httpx.AsyncClient() as client:
                answers = await asyncio.gather(
                    *(
                        client.post(
                            url,
                            content=body,
                            headers={**headers, "X-GitHub-Delivery": f"burst-{n}"},
                        )
                        for n in range(20)
                    )
                )
            return [answer.status_code for answer in answers]

        assert asyncio.run(burst()) == [202] * 20
        time.sleep(2.0)
        assert 2 <= running.text().count("fetching now") <= 3
        assert start + 2 <= git_fetches(running.port) <= start + 3
    finally:
        assert running.stop() == 0
