"""The service's approval gate over a real ledger file: defaults, timeouts and races."""

from __future__ import annotations

import asyncio
import dataclasses
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from heartbeat_bot.app.approval import approve, reject
from heartbeat_bot.config import ApprovalConfig
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.models import Post
from heartbeat_bot.service.approvals import TIMEOUT, ApprovalGate
from tests.conftest import ROOT
from tests.rendering import CHANNELS
from tests.test_ledger import Clock, make_post

START = 1_710_000_000.0  # 2024-03-09, after make_post's date


def gate(ledger: Ledger, clock: Clock, **settings: object) -> ApprovalGate:
    config = ApprovalConfig.model_validate({"mode": "required", **settings})
    return ApprovalGate(config, ledger, CHANNELS, clock=clock)


def test_the_defaults_are_off_a_day_and_wait() -> None:
    """Unset, approval is off; timeout is 86400 s and on_timeout "wait", as documented."""
    config = ApprovalConfig()
    assert (config.mode, config.timeout, config.on_timeout) == ("off", 86_400.0, "wait")
    example = tomllib.loads((ROOT / "config" / "heartbeat.example.toml").read_text())
    assert example["approval"] == {"mode": "off", "timeout": 86400, "on_timeout": "wait"}


def test_wait_keeps_a_post_waiting_however_long(tmp_path: Path) -> None:
    """With on_timeout "wait", a post waits past its timeout until a person decides."""
    clock = Clock(START)
    post = make_post()
    with Ledger(tmp_path / "l.sqlite3", clock=clock) as ledger:
        waiting = gate(ledger, clock, timeout=10)
        assert asyncio.run(waiting.admit(post)) is False
        clock.now += 365 * 86_400
        assert asyncio.run(waiting.sweep({post.url: post})) == []
        row = ledger.approval(ledger.upsert_post(post))
        assert row is not None and row.state == "awaiting"


def test_send_approves_a_post_after_its_timeout_recording_who_and_when(tmp_path: Path) -> None:
    """With on_timeout "send", the post is approved by the timeout, at that moment."""
    clock = Clock(START)
    post = make_post()
    with Ledger(tmp_path / "l.sqlite3", clock=clock) as ledger:
        sending = gate(ledger, clock, timeout=60, on_timeout="send")
        assert asyncio.run(sending.admit(post)) is False
        clock.now += 59
        assert asyncio.run(sending.sweep({post.url: post})) == []
        clock.now += 2
        assert asyncio.run(sending.sweep({post.url: post})) == [post.url]
        row = ledger.approval(ledger.upsert_post(post))
        assert row is not None
        assert (row.state, row.decided_by, row.via) == ("approved", TIMEOUT, "approval.timeout")
        assert (row.requested_at, row.decided_at) == (START, START + 61)
        assert asyncio.run(sending.admit(post)) is True


def test_skip_rejects_a_post_after_its_timeout_and_skips_its_pairs(tmp_path: Path) -> None:
    """With on_timeout "skip", the timeout rejects the post and every pair is skipped."""
    clock = Clock(START)
    post = make_post()
    with Ledger(tmp_path / "l.sqlite3", clock=clock) as ledger:
        skipping = gate(ledger, clock, timeout=60, on_timeout="skip")
        assert asyncio.run(skipping.admit(post)) is False
        clock.now += 61
        assert asyncio.run(skipping.admit(post)) is False
        post_id = ledger.upsert_post(post)
        row = ledger.approval(post_id)
        assert row is not None and (row.state, row.decided_by) == ("rejected", TIMEOUT)
        assert {d.state for d in ledger.deliveries(post_id)} == {"skipped"}


def test_a_post_approved_ahead_is_not_queued_before_its_moment(tmp_path: Path) -> None:
    """A scheduled post approved ahead is ready at its moment, not before (no queueing of
    a post that is not due, every few seconds, meanwhile)."""
    clock = Clock(START)
    later = dataclasses.replace(
        make_post("later"), published_at=datetime.fromtimestamp(START + 3600, UTC)
    )
    with Ledger(tmp_path / "l.sqlite3", clock=clock) as ledger:
        ahead = gate(ledger, clock)
        assert approve(ledger, later, "alice", "cli").won
        assert asyncio.run(ahead.sweep({later.url: later})) == []
        clock.now += 3601
        assert asyncio.run(ahead.sweep({later.url: later})) == [later.url]


def test_a_post_made_a_draft_while_waiting_is_asked_about_again_when_due(
    tmp_path: Path,
) -> None:
    """A waiting post turned back into a draft is neither sent nor skipped by the timeout:
    its request is withdrawn, and made again (its timeout counted anew) once it is due."""
    clock = Clock(START)
    post = make_post()
    with Ledger(tmp_path / "l.sqlite3", clock=clock) as ledger:
        sending = gate(ledger, clock, timeout=5, on_timeout="send")
        assert asyncio.run(sending.admit(post)) is False
        clock.now += 10
        draft: Post = dataclasses.replace(post, draft=True)
        assert asyncio.run(sending.sweep({post.url: draft})) == []
        post_id = ledger.upsert_post(post)
        assert ledger.approval(post_id) is None
        clock.now += 100
        assert asyncio.run(sending.admit(post)) is False
        row = ledger.approval(post_id)
        assert row is not None and (row.state, row.requested_at) == ("awaiting", START + 110)
        clock.now += 6
        assert asyncio.run(sending.sweep({post.url: post})) == [post.url]


def test_the_timeout_loses_to_a_person_who_approved_meanwhile(tmp_path: Path) -> None:
    """A person's approval on one connection, then the timeout's rejection on another:
    the approval stands and no pair is skipped."""
    post = make_post()
    path = tmp_path / "l.sqlite3"
    with Ledger(path) as service, Ledger(path) as console:
        post_id = service.upsert_post(post)
        service.request_approval(post_id)
        assert approve(console, post, "alice", "console").won
        late = reject(service, post, TIMEOUT, "approval.timeout", CHANNELS)
        assert (late.won, late.row.state, late.row.decided_by) == (False, "approved", "alice")
        assert service.deliveries(post_id) == []
