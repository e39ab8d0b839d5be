"""`announce --max-wait` bounds the whole command, requests in flight included."""

from __future__ import annotations

import json
import time
from pathlib import Path

from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import NEW_POST, make_blog
from tests.test_cli_delivery import cli

HANG = 60.0  # how long the sandbox's Discord holds the send: far past --max-wait


def test_max_wait_bounds_announce_and_the_cut_pair_is_sent_once_later(tmp_path: Path) -> None:
    """Against a Discord that hangs, `announce --max-wait 3` ends in seconds with exit 1,
    the pair recorded to be checked, and a later announce leaves exactly one message."""
    with Sandbox(slow_delay=HANG) as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("discourse", "discord"))
        channel = sandbox.credentials.discord_channel_id
        sandbox.faults.queue("discord", "slow", path=f"/api/v10/channels/{channel}/messages")
        started = time.monotonic()
        first = cli("--config", str(blog.config), "announce", "dvc-git-lfs", "--max-wait", "3")
        elapsed = time.monotonic() - started
        assert elapsed < 30, f"announce took {elapsed:.1f} s"
        assert first.returncode == 1, first.stdout + first.stderr
        assert "Traceback" not in first.stderr

        status = cli("--config", str(blog.config), "status", "--json")
        states = {row["channel"]: row for row in json.loads(status.stdout)["items"]}
        assert states["discourse"]["state"] == "done"
        assert states["discord"]["state"] in {"unknown", "waiting", "sending"}
        assert "time limit" in (states["discord"]["last_error"] or "")
        assert sandbox.discord.messages == []  # still held by the hung request

        again = cli("--config", str(blog.config), "announce", "dvc-git-lfs", "--max-wait", "20")
        assert again.returncode == 0, again.stdout + again.stderr
        assert len(sandbox.discord.messages) == 1
        assert len(sandbox.discourse.topics) == 1


def test_a_thread_cut_short_is_looked_up_then_finished_once(tmp_path: Path) -> None:
    """An X thread whose first tweet hangs past the deadline ends the call at once (the
    blocking call is abandoned, not awaited), is left to be checked, and the next run
    posts each tweet once."""
    with Sandbox(slow_delay=HANG) as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("twitter",))
        sandbox.faults.queue("x", "slow", path="/2/tweets")
        started = time.monotonic()
        (report,) = blog.announce("dvc-git-lfs", deadline=time.time() + 2)
        assert time.monotonic() - started < 15
        cut = report.outcomes["twitter"]
        assert cut.state == "unknown" and "time limit" in cut.note
        with blog.ledger() as ledger:
            (row,) = ledger.deliveries(ledger.posts()[0].id)
            assert ledger.tweets(row.id)[0].state == "sending"

        (again,) = blog.announce("dvc-git-lfs")
        assert again.outcomes["twitter"].state == "done", again.outcomes["twitter"]
        texts = [t["text"] for t in sandbox.x.tweets]
        assert len(texts) == len(set(texts)) == len(json.loads(row.payload or "[]"))
