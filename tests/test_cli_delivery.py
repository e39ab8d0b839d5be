"""announce, status, resolve, check, demo and sandbox, run as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import NEW_POST, Blog, make_blog


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    return subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2, slow_delay=0.2) as sb:
        yield sb


@pytest.fixture
def blog(tmp_path: Path, sandbox: Sandbox) -> Blog:
    return make_blog(tmp_path, sandbox, posts=(NEW_POST,))


def test_announce_twice_sends_nothing_the_second_time(blog: Blog, sandbox: Sandbox) -> None:
    """The second announce says there is nothing to send and exits 0."""
    first = cli("--config", str(blog.config), "announce", "dvc-git-lfs")
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count(" done ") == 3
    second = cli("--config", str(blog.config), "announce", "dvc-git-lfs")
    assert second.returncode == 0
    assert "nothing to send" in second.stdout
    assert (len(sandbox.discourse.topics), len(sandbox.discord.messages)) == (1, 1)


def test_waiting_pair_exits_1_and_shows_in_status(tmp_path: Path) -> None:
    """A wait longer than --max-wait leaves the pair waiting: exit 1, and status says when."""
    with Sandbox(rate_limit_wait=30) as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("discourse",))
        sandbox.faults.queue("discourse", "429")
        out = cli("--config", str(blog.config), "announce", "dvc-git-lfs", "--max-wait", "1")
        assert out.returncode == 1, out.stdout + out.stderr
        assert "retry at" in out.stdout
        status = cli("--config", str(blog.config), "status", "--json")
        (row,) = json.loads(status.stdout)["items"]
        assert row["state"] == "waiting" and row["next_attempt_at"] and row["attempts"] == 1
        assert "429" in row["last_error"]
        assert set(row) >= {
            "slug",
            "channel",
            "state",
            "remote_url",
            "attempts",
            "next_attempt_at",
            "last_error",
        }


def test_draft_and_future_posts_need_force(blog: Blog, sandbox: Sandbox) -> None:
    """A draft is refused with a clear message and exit 2; nothing is sent."""
    post = blog.posts / NEW_POST
    post.write_text(post.read_text("utf-8").replace("---\n", "---\ndraft: true\n", 1), "utf-8")
    out = cli("--config", str(blog.config), "announce", "dvc-git-lfs")
    assert out.returncode == 2
    assert "dvc-git-lfs is draft" in out.stderr and "--force" in out.stderr
    assert sandbox.requests == []


def test_dry_run_sends_nothing(blog: Blog, sandbox: Sandbox) -> None:
    """--dry-run reports what would be sent, sends nothing and exits 0."""
    out = cli("--config", str(blog.config), "announce", "dvc-git-lfs", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("would-send") == 3
    assert [r for r in sandbox.requests if r["method"] == "POST"] == []


def test_force_resends_but_never_a_second_topic(blog: Blog, sandbox: Sandbox) -> None:
    """--force --yes sends Discord again, keeps one topic, and reports X's duplicate refusal."""
    assert cli("--config", str(blog.config), "announce", "dvc-git-lfs").returncode == 0
    refused = cli("--config", str(blog.config), "announce", "dvc-git-lfs", "--force")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    out = cli("--config", str(blog.config), "announce", "dvc-git-lfs", "--force", "--yes")
    assert len(sandbox.discourse.topics) == 1
    assert len(sandbox.discord.messages) == 2
    assert "duplicate" in out.stdout
    assert out.returncode == 1


def test_unknown_pair_is_resolved_by_hand(tmp_path: Path, sandbox: Sandbox) -> None:
    """An interrupted webhook send is unknown; resolve --done records it, --retry resends."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), mode="webhook", channels=("discord",))
    sandbox.faults.queue("discord", "drop", path="/api/v10/webhooks")
    out = cli("--config", str(blog.config), "announce", "dvc-git-lfs")
    assert out.returncode == 1 and "unknown" in out.stdout and "resolve" in out.stdout
    again = cli("--config", str(blog.config), "announce", "dvc-git-lfs")
    assert again.returncode == 1
    assert len(sandbox.discord.messages) == 1, "an unknown pair is never resent blindly"
    link = "https://discord.com/channels/1/2/3"
    done = cli("--config", str(blog.config), "resolve", "dvc-git-lfs", "discord", "--done", link)
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(cli("--config", str(blog.config), "status", "--json").stdout)["items"]
    assert (row["state"], row["remote_url"]) == ("done", link)
    wrong = cli("--config", str(blog.config), "resolve", "dvc-git-lfs", "discord", "--retry")
    assert wrong.returncode == 2 and "only unknown, failed or waiting" in wrong.stderr


def test_status_of_one_post_shows_its_history(blog: Blog) -> None:
    """status POST lists each attempt of each channel."""
    cli("--config", str(blog.config), "announce", "dvc-git-lfs")
    rows = json.loads(cli("--config", str(blog.config), "status", "dvc-git-lfs", "--json").stdout)[
        "items"
    ]
    assert {r["channel"] for r in rows} == {"discourse", "discord", "twitter"}
    for row in rows:
        events = [e["event"] for e in row["history"]]
        assert events[0] == "sending" and events[-1] == "done"
    human = cli("--config", str(blog.config), "status")
    assert "dvc-git-lfs" in human.stdout and "done" in human.stdout


def test_check_online(blog: Blog, tmp_path: Path, sandbox: Sandbox) -> None:
    """check --online calls each service once and reports what works; a bad key fails."""
    out = cli("--config", str(blog.config), "check", "--online")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("ok   ") >= 7
    bad = make_blog(
        tmp_path / "bad",
        sandbox,
        posts=(NEW_POST,),
        overrides={"discourse": {"api_key": "nope-secret"}},
    )
    failed = cli("--config", str(bad.config), "check", "--online")
    assert failed.returncode == 1
    assert "FAIL  discourse" in failed.stdout and "nope-secret" not in failed.stdout


def test_two_processes_announce_the_same_post_once(blog: Blog, sandbox: Sandbox) -> None:
    """Two announce processes started together send each pair exactly once between them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    command = [
        sys.executable,
        "-m",
        "heartbeat_bot",
        "--config",
        str(blog.config),
        "announce",
        "dvc-git-lfs",
    ]
    runs = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=180) for r in runs]
    assert len(sandbox.discourse.topics) == 1
    assert len(sandbox.discord.messages) == 1
    texts = [t["text"] for t in sandbox.x.tweets]
    assert texts and len(texts) == len(set(texts))
    assert all("Traceback" not in err for _, err in outputs)
    final = cli("--config", str(blog.config), "announce", "dvc-git-lfs")
    assert final.returncode == 0 and "nothing to send" in final.stdout


def test_two_processes_make_an_edit_once(blog: Blog, sandbox: Sandbox) -> None:
    """After a title change, two announce processes started together edit the topic and
    the message once between them, send nothing new, and a third run has nothing to do."""
    assert cli("--config", str(blog.config), "announce", "dvc-git-lfs").returncode == 0
    post = blog.root / "posts" / NEW_POST
    text = post.read_text(encoding="utf-8")
    post.write_text(text.replace("title: ", "title: Revised ", 1), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    command = [sys.executable, "-m", "heartbeat_bot", "--config", str(blog.config)]
    runs = [
        subprocess.Popen(
            [*command, "announce", "dvc-git-lfs"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=180) for r in runs]
    assert all("Traceback" not in err for _, err in outputs)
    final = cli("--config", str(blog.config), "announce", "dvc-git-lfs")
    assert final.returncode == 0, final.stdout + final.stderr
    (topic,) = sandbox.discourse.topics
    (message,) = sandbox.discord.messages
    assert topic["title"].startswith("Revised ") and topic["edits"] == 2  # first post, title
    assert message["embeds"][0]["title"].startswith("Revised ") and message["edits"] == 1


def test_demo_runs_end_to_end_without_accounts(tmp_path: Path) -> None:
    """demo announces the bundled posts on the sandbox and shows what each service got."""
    out = cli("demo", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    for heading in ("Discourse received a topic", "Discord received a message", "X received tweet"):
        assert heading in out.stdout
    assert "pinged: nobody" in out.stdout


def test_sandbox_command_serves_until_terminated() -> None:
    """`heartbeat-bot sandbox --json` prints its URLs, answers, and stops cleanly on SIGTERM."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "heartbeat_bot", "sandbox", "--json"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    info = json.loads(process.stdout.readline())
    assert "[discourse]" in info["config"]
    state = httpx.get(f"{info['discourse_url']}/_sandbox/state").json()
    assert state["topics"] == []
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    process.stdout.close()


def test_preview_uses_the_recorded_thread(blog: Blog, sandbox: Sandbox) -> None:
    """Once the topic exists, preview renders Discord and X with its link."""
    before = json.loads(
        cli("--config", str(blog.config), "preview", "dvc-git-lfs", "--json").stdout
    )
    assert "fields" not in before["discord"]["embeds"][0]
    cli("--config", str(blog.config), "announce", "dvc-git-lfs", "--only", "discourse")
    after = json.loads(cli("--config", str(blog.config), "preview", "dvc-git-lfs", "--json").stdout)
    topic_url = sandbox.discourse.topics[0]["url"]
    assert topic_url in str(after["discord"]["embeds"][0]["fields"])
    assert topic_url in after["twitter"]["tweets"][-1]
