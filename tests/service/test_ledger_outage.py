"""`heartbeat-bot run` while its ledger cannot be used: a full disk, a deleted file.

The service must send nothing its ledger did not record first, say why on /healthz,
alert once, and go on by itself once the ledger can be used again. The disk fills for
real: a small tmpfs filled up (where it can be mounted: root on Linux), or a file size
limit set on the running service (``prlimit``; writes then fail with EFBIG).
"""

from __future__ import annotations

import contextlib
import os
import resource
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from heartbeat_bot.ledger import Ledger
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import Blog, make_blog
from tests.service.test_service import Running, post_text, wait_for


class FileSizeLimit:
    """A full disk as the service sees it: no file of its may grow past its ledger's -wal."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.pid: int | None = None

    def fill(self, pid: int) -> None:
        self.pid = pid
        limit = (self.state / "heartbeat.sqlite3-wal").stat().st_size
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    def free(self) -> None:
        assert self.pid is not None
        infinity = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
        resource.prlimit(self.pid, resource.RLIMIT_FSIZE, infinity)

    def close(self) -> None:
        pass


class Tmpfs:
    """A small tmpfs holding the ledger, filled up with a file of zeros and emptied again."""

    def __init__(self, state: Path) -> None:
        state.mkdir(parents=True)
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(state)],
            capture_output=True,
            text=True,
        )
        if mounted.returncode != 0:
            pytest.skip(f"no tmpfs here: {mounted.stderr.strip()}")
        self.state = state
        self.filler = state / "filler"

    def fill(self, pid: int) -> None:
        chunk = b"\0" * 65536
        with self.filler.open("wb", buffering=0) as file, contextlib.suppress(OSError):
            while True:  # until ENOSPC
                file.write(chunk)

    def free(self) -> None:
        self.filler.unlink()

    def close(self) -> None:
        subprocess.run(["umount", "-l", str(self.state)], check=True)


Disk = FileSizeLimit | Tmpfs


@pytest.fixture(params=["file-size-limit", "tmpfs"])
def disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Disk]:
    """Where the ledger lives (``tmp_path/blog/state``), and a way to fill that disk."""
    if request.param == "tmpfs" and os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    state = tmp_path / "blog" / "state"
    made: Disk = FileSizeLimit(state) if request.param == "file-size-limit" else Tmpfs(state)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2, slow_delay=3.0) as sb:
        yield sb


def outage_blog(root: Path, sandbox: Sandbox, channels: tuple[str, ...]) -> Blog:
    return make_blog(
        root,
        sandbox,
        posts=(),
        channels=channels,
        overrides={
            "blog": {"poll_interval": 2},
            "service": {"http": "127.0.0.1:0"},
            "alerts": {"discord_webhook_url": sandbox.discord_webhook_url},
        },
    )


def new_post(blog: Blog, slug: str) -> None:
    moment = datetime.now(UTC) - timedelta(minutes=1)
    (blog.posts / f"2024-01-01-{slug}.md").write_text(post_text(f"The post {slug}", moment))


def sent(sandbox: Sandbox) -> dict[str, int]:
    """How many announcements each service received."""
    bot = [m for m in sandbox.discord.messages if m["via"] == "bot"]
    return {
        "discourse": len(sandbox.discourse.topics),
        "discord": len(bot),
        "twitter": len(sandbox.x.tweets),
    }


def alerts(sandbox: Sandbox) -> list[str]:
    return [m["content"] for m in sandbox.discord.messages if m["via"] == "webhook"]


def health(running: Running) -> tuple[int, str]:
    response = httpx.get(f"http://127.0.0.1:{running.port}/healthz", timeout=10)
    return response.status_code, response.text


def unhealthy(running: Running) -> str | None:
    status, text = health(running)
    return text if status == 503 and "ledger unusable" in text else None


def pair_states(blog: Blog) -> dict[str, Any]:
    """channel -> state of every pair, read from the ledger file as another process would."""
    uri = f"file:{blog.root / 'state' / 'heartbeat.sqlite3'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        return dict(db.execute("SELECT channel, state FROM deliveries").fetchall())


def test_a_full_disk_pauses_sending_until_there_is_room_again(
    tmp_path: Path, sandbox: Sandbox, disk: Disk
) -> None:
    """With the disk full a new post is not sent, /healthz says why and one alert goes out;
    with room again the post goes out, once."""
    blog = outage_blog(tmp_path / "blog", sandbox, ("discourse", "discord", "twitter"))
    running = Running(blog)
    try:
        disk.fill(running.process.pid)
        new_post(blog, "while-full")
        reason = str(wait_for(lambda: unhealthy(running), what="/healthz to say why"))
        assert "disk" in reason, reason
        wait_for(lambda: alerts(sandbox), what="the alert")
        time.sleep(1.5)  # a probe or two, a scan
        assert sent(sandbox) == {"discourse": 0, "discord": 0, "twitter": 0}
        disk.free()
        wait_for(lambda: sent(sandbox)["twitter"], timeout=20, what="the post once there is room")
        wait_for(lambda: health(running)[0] == 200, what="/healthz to recover")
        time.sleep(1.0)
    finally:
        assert running.stop() == 0
    assert sent(sandbox) == {"discourse": 1, "discord": 1, "twitter": 1}
    (alert,) = alerts(sandbox)
    assert "paused sending" in alert and "disk" in alert
    assert pair_states(blog) == {"discourse": "done", "discord": "done", "twitter": "done"}
    assert "Traceback" not in running.text()


def test_a_send_the_full_disk_could_not_record_is_not_sent_again(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """The disk fills while a message is on its way: it is not recorded as done, and once
    there is room it is left to be checked with Discord, not sent a second time."""
    blog = outage_blog(tmp_path / "blog", sandbox, ("discord",))
    disk = FileSizeLimit(blog.root / "state")
    running = Running(blog)
    try:
        sandbox.faults.queue("discord", "slow", path="/api/v10/channels/")  # 3 s in flight
        new_post(blog, "in-flight")
        wait_for(lambda: pair_states(blog).get("discord") == "sending", what="the claim")
        disk.fill(running.process.pid)
        wait_for(lambda: unhealthy(running), what="/healthz to say why")
        assert sent(sandbox)["discord"] == 1
        disk.free()
        wait_for(lambda: health(running)[0] == 200, timeout=20, what="/healthz to recover")
        time.sleep(2.0)  # the post is looked at again after the pause
    finally:
        assert running.stop() == 0
    assert sent(sandbox)["discord"] == 1
    assert pair_states(blog) == {"discord": "sending"}  # reconciled once its lease runs out
    assert len(alerts(sandbox)) == 1
    assert "but the ledger could not record it" in running.text()


def test_a_deleted_ledger_pauses_sending_until_it_is_put_back(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """The ledger file deleted while `run` runs: a new post is not sent, /healthz says why,
    one alert; a fresh ledger at the path is not taken for it (that would announce the
    earlier post again); the saved copy put back resumes sending, each post once."""
    blog = outage_blog(tmp_path / "blog", sandbox, ("discourse", "discord", "twitter"))
    path = blog.root / "state" / "heartbeat.sqlite3"
    running = Running(blog)
    try:
        new_post(blog, "before")
        wait_for(lambda: sent(sandbox)["twitter"] == 1, what="the first post")
        time.sleep(0.5)
        path.unlink()
        new_post(blog, "after")
        reason = str(wait_for(lambda: unhealthy(running), what="/healthz to say why"))
        assert "deleted or replaced" in reason, reason
        wait_for(lambda: alerts(sandbox), what="the alert")
        Ledger(path).close()  # a fresh, empty ledger appears at the path
        time.sleep(7.0)  # more than one probe
        assert "another ledger" in str(unhealthy(running))
        assert sent(sandbox) == {"discourse": 1, "discord": 1, "twitter": 1}
        (saved,) = path.parent.glob("heartbeat.sqlite3.saved-*")
        saved.replace(path)
        wait_for(lambda: sent(sandbox)["twitter"] == 2, timeout=20, what="the second post")
        wait_for(lambda: health(running)[0] == 200, what="/healthz to recover")
        time.sleep(1.0)
    finally:
        assert running.stop() == 0
    assert sent(sandbox) == {"discourse": 2, "discord": 2, "twitter": 2}
    assert len(alerts(sandbox)) == 1
    assert "Traceback" not in running.text()
