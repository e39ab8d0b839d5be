"""Mastodon threads through the ledger: each status once, through lost answers and restarts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from heartbeat_bot.announcer.context import RunContext
from heartbeat_bot.announcer.gate import Gates
from heartbeat_bot.announcer.keyed_thread import run_keyed_thread
from heartbeat_bot.announcer.outcome import Outcome
from heartbeat_bot.announcer.retry import RetryPolicy
from heartbeat_bot.channels.mastodon.client import MastodonClient
from heartbeat_bot.channels.mastodon.settings import MastodonConfig
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.sandbox import Sandbox
from tests.webhook_bodies import seed_post

PARTS = ["First status https://dvc.org/blog/april-22-heartbeat", "Second.", "Third and last."]


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A sandbox whose 429s ask for 0.1 s."""
    with Sandbox(rate_limit_wait=0.1, slow_delay=0.2) as sandbox:
        yield sandbox


def announce(
    sb: Sandbox, ledger_path: Path, parts: list[str] = PARTS, *, lease: float = 60.0
) -> tuple[Outcome, list[dict[str, Any]]]:
    """Run the thread for the seed post's Mastodon pair once; the outcome and tweet rows."""
    config = MastodonConfig(
        enabled=True, url=sb.mastodon_url, access_token=sb.credentials.mastodon_access_token
    )

    async def go() -> tuple[Outcome, list[dict[str, Any]]]:
        with Ledger(ledger_path) as ledger:
            async with httpx.AsyncClient() as http:
                client = MastodonClient(http, config, timeout=5.0)
                ctx = RunContext(
                    ledger,
                    RetryPolicy(max_attempts=4, base=0.01, cap=0.05),
                    Gates(ledger, {"mastodon": client}),
                    deadline=time.time() + 20,
                    lease=lease,
                )
                row = ledger.ensure(ledger.upsert_post(seed_post()), "mastodon")
                outcome = await run_keyed_thread(ctx, row, parts, client)
                rows = [
                    {"position": t.position, "state": t.state, "remote_id": t.remote_id}
                    for t in ledger.tweets(row.id)
                ]
                return outcome, rows

    return asyncio.run(go())


def test_a_thread_goes_out_once_in_order(sb: Sandbox, tmp_path: Path) -> None:
    """Three statuses, each replying to the one before; a second run sends nothing."""
    outcome, rows = announce(sb, tmp_path / "l.sqlite3")
    assert outcome.state == "done" and outcome.url and "/@heartbeat/" in outcome.url
    statuses = sb.mastodon.statuses
    assert [s["text"] for s in statuses] == PARTS
    assert [s["in_reply_to_id"] for s in statuses] == [None, statuses[0]["id"], statuses[1]["id"]]
    assert [r["remote_id"] for r in rows] == [s["id"] for s in statuses]
    again, _ = announce(sb, tmp_path / "l.sqlite3")
    assert again.action == "already" or again.state == "done"
    assert len(sb.mastodon.statuses) == 3


@pytest.mark.parametrize("kind", ["drop", "badjson", "missing"])
def test_a_lost_answer_is_resent_with_its_key(sb: Sandbox, tmp_path: Path, kind: str) -> None:
    """The second status's answer is lost: its resend (same key) creates nothing new."""
    sb.faults.queue("mastodon", "500", path="/api/v1/statuses")  # a plain retry first
    outcome, _ = announce(sb, tmp_path / "ok.sqlite3", ["warm-up"])
    assert outcome.state == "done"
    sb.faults.queue("mastodon", kind, path="/api/v1/statuses")
    outcome, _ = announce(sb, tmp_path / "l.sqlite3")
    assert outcome.state == "done"
    texts = [s["text"] for s in sb.mastodon.statuses]
    assert texts == ["warm-up", *PARTS]
    keys = [s["idempotency_key"] for s in sb.mastodon.statuses]
    assert len(set(keys)) == len(keys)


def test_an_interrupted_status_is_found_after_its_key_expired(sb: Sandbox, tmp_path: Path) -> None:
    """A run killed after sending (left ``sending``), its key forgotten by the instance: the
    next run finds the status among the account's and goes on from it."""
    ledger_path = tmp_path / "l.sqlite3"
    sb.faults.queue("mastodon", "drop", path="/api/v1/statuses")
    sb.faults.queue("mastodon", "drop", path="/api/v1/statuses")
    sb.faults.queue("mastodon", "drop", path="/api/v1/statuses")
    sb.faults.queue("mastodon", "drop", path="/api/v1/statuses")
    outcome, rows = announce(sb, ledger_path, lease=0.0)
    assert outcome.state == "unknown" and rows[0]["state"] == "sending"
    assert len(sb.mastodon.statuses) == 1  # the key made the resends return the first
    sb.mastodon.idempotency_ttl = 0.0
    outcome, rows = announce(sb, ledger_path)
    assert outcome.state == "done"
    assert [s["text"] for s in sb.mastodon.statuses] == PARTS
    assert rows[0]["remote_id"] == sb.mastodon.statuses[0]["id"]


def test_a_rate_limit_is_waited_out(sb: Sandbox, tmp_path: Path) -> None:
    """A 429 in the middle of the thread waits for X-RateLimit-Reset, then goes on."""
    sb.faults.queue("mastodon", "429", path="/api/v1/statuses")
    outcome, _ = announce(sb, tmp_path / "l.sqlite3")
    assert outcome.state == "done" and len(sb.mastodon.statuses) == 3


def test_a_refused_status_fails_the_pair(sb: Sandbox, tmp_path: Path) -> None:
    """A status the instance refuses (too long) fails the pair with the instance's words."""
    outcome, rows = announce(sb, tmp_path / "l.sqlite3", ["x" * 501])
    assert outcome.state == "failed" and "character limit" in (outcome.note or "")
    assert rows[0]["state"] == "failed" and sb.mastodon.statuses == []
