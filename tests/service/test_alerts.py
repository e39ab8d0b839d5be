"""Alerts against a real loopback webhook server that records what it is sent."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web
from pydantic import SecretStr

from heartbeat_bot.service.alerts import MAX_CONTENT, Alerts

TOKEN = "SECRET-webhook-token-abcdefghijklmnop"
WEBHOOK_PATH = f"/api/webhooks/123456/{TOKEN}"


class Hook:
    """A loopback stand-in for a Discord webhook: records each POST, answers ``status``."""

    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.posts: list[dict[str, Any]] = []
        self.queries: list[dict[str, str]] = []
        self.url: SecretStr | None = None  # set once the server is listening

    async def _handle(self, request: web.Request) -> web.Response:
        self.posts.append(await request.json())
        self.queries.append(dict(request.query))
        return web.Response(status=self.status, text="" if self.status < 400 else "boom")

    @property
    def contents(self) -> list[str]:
        return [post["content"] for post in self.posts]


class Clock:
    """A hand-driven clock, so the rate limit is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


Scenario = Callable[[Alerts, Clock], Awaitable[None]]


def _run(hook: Hook | None, scenario: Scenario, **kwargs: Any) -> None:
    """Serve ``hook`` on a free loopback port (None: no webhook URL) and run ``scenario``."""

    async def main() -> None:
        app = web.Application()
        app.router.add_post(WEBHOOK_PATH, hook._handle if hook else _unused)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            url = None
            if hook:
                url = hook.url = SecretStr(f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
            clock = Clock()
            async with httpx.AsyncClient() as http:
                alerts = Alerts(url, http, clock=clock, **kwargs)
                await scenario(alerts, clock)
        finally:
            await runner.cleanup()

    asyncio.run(main())


async def _unused(request: web.Request) -> web.Response:
    raise AssertionError("no request expected")


def _dict_backed() -> tuple[dict[str, bool], Callable[[str], bool], Callable[[str], None]]:
    stored: dict[str, bool] = {}
    return stored, lambda key: key in stored, lambda key: stored.__setitem__(key, True)


def test_pair_alert_is_sent_once_even_across_instances() -> None:
    """A pair alert goes out once per (post, channel, state), even from a restarted Alerts."""
    hook = Hook()
    stored, already_sent, mark_sent = _dict_backed()

    async def scenario(alerts: Alerts, clock: Clock) -> None:
        for _ in range(3):
            await alerts.pair_alert("p", "https://b/p", "discord", "failed", "403 Forbidden")
            clock.now += 3600
            await alerts.flush()
        async with httpx.AsyncClient() as http:
            again = Alerts(
                hook.url,
                http,
                clock=clock,
                already_sent=already_sent,
                mark_sent=mark_sent,
            )
            await again.pair_alert("p", "https://b/p", "discord", "failed", "403 Forbidden")
            await again.flush(force=True)
            assert again.pending == 0

    _run(hook, scenario, already_sent=already_sent, mark_sent=mark_sent)
    assert len(hook.posts) == 1
    assert "discord" in hook.contents[0] and "403 Forbidden" in hook.contents[0]
    assert stored == {"alert:https://b/p:discord:failed": True}


def test_other_state_or_channel_is_a_new_alert() -> None:
    """The same post in another state, or on another channel, is alerted separately."""
    hook = Hook()

    async def scenario(alerts: Alerts, clock: Clock) -> None:
        await alerts.pair_alert("p", "https://b/p", "discord", "unknown", "timed out")
        await alerts.pair_alert("p", "https://b/p", "discord", "failed", "gave up")
        await alerts.pair_alert("p", "https://b/p", "x", "failed", "gave up")
        await alerts.flush(force=True)

    _run(hook, scenario, min_interval=0.0)
    assert len(hook.posts) == 3


def test_payload_disables_mentions_and_asks_not_to_wait() -> None:
    """Each message carries allowed_mentions.parse == [] and is posted with ?wait=false."""
    hook = Hook()

    async def scenario(alerts: Alerts, clock: Clock) -> None:
        await alerts.pair_alert("p", "https://b/p", "discourse", "failed", "@everyone look")

    _run(hook, scenario)
    assert hook.posts[0]["allowed_mentions"] == {"parse": []}
    assert hook.queries == [{"wait": "false"}]


def test_content_stays_within_discord_limit() -> None:
    """A huge detail still yields a message of at most 2000 characters."""
    hook = Hook()

    async def scenario(alerts: Alerts, clock: Clock) -> None:
        await alerts.pair_alert("p" * 900, "https://b/" + "p" * 900, "x", "unknown", "d" * 50_000)
        for n in range(30):
            await alerts.pair_alert("p", f"https://b/{n}", "x", "failed", "e" * 50_000)
        clock.now += 60
        await alerts.flush()

    _run(hook, scenario)
    assert len(hook.posts) == 2
    assert all(len(content) <= MAX_CONTENT for content in hook.contents)


def test_alerts_within_min_interval_are_merged_on_flush() -> None:
    """Two alerts right after a sent one wait for the interval and then go out as one message."""
    hook = Hook()

    async def scenario(alerts: Alerts, clock: Clock) -> None:
        await alerts.pair_alert("a", "https://b/a", "discord", "failed", "first")
        clock.now += 1
        await alerts.pair_alert("b", "https://b/b", "discord", "failed", "second")
        await alerts.pair_alert("c", "https://b/c", "x", "unknown", "third")
        await alerts.flush()
        assert (len(hook.posts), alerts.pending) == (1, 2)
        clock.now += 60
        await alerts.flush()
        assert alerts.pending == 0

    _run(hook, scenario, min_interval=60.0)
    assert len(hook.posts) == 2
    assert "first" in hook.contents[0]
    assert "second" in hook.contents[1] and "third" in hook.contents[1]


def test_stall_alert_once_until_recovered() -> None:
    """A stall is alerted once, and again only after scan_recovered() re-arms it."""
    hook = Hook()

    async def scenario(alerts: Alerts, clock: Clock) -> None:
        await alerts.stall_alert(300)
        await alerts.stall_alert(360)
        await alerts.stall_alert(420)
        alerts.scan_recovered()
        await alerts.stall_alert(600)
        await alerts.flush(force=True)

    _run(hook, scenario, min_interval=0.0)
    assert len(hook.posts) == 2
    assert "300 s" in hook.contents[0] and "600 s" in hook.contents[1]


def test_webhook_error_is_logged_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    """A webhook answering 500 is logged at WARNING with the token redacted, and nothing raises."""
    hook = Hook(status=500)

    async def scenario(alerts: Alerts, clock: Clock) -> None:
        await alerts.pair_alert("p", "https://b/p", "discord", "failed", "boom")

    with caplog.at_level(logging.WARNING):
        _run(hook, scenario)
    assert len(hook.posts) == 1
    assert "answered 500" in caplog.text
    assert "/webhooks/123456/***" in caplog.text
    assert "alert not delivered" in caplog.text and "boom" in caplog.text
    assert TOKEN not in caplog.text


def test_refused_connection_is_logged_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    """A webhook host refusing connections is logged at WARNING, token redacted, no exception."""
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = SecretStr(f"http://127.0.0.1:{port}{WEBHOOK_PATH}")

    async def main() -> None:
        async with httpx.AsyncClient() as http:
            alerts = Alerts(url, http)
            await alerts.stall_alert(120)

    with caplog.at_level(logging.WARNING):
        asyncio.run(main())
    assert "could not reach the Discord webhook" in caplog.text
    assert "/webhooks/123456/***" in caplog.text
    assert "alert not delivered" in caplog.text
    assert TOKEN not in caplog.text


def test_no_url_means_no_request_but_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """Without a webhook URL nothing is sent, and each alert is still logged at WARNING."""

    async def scenario(alerts: Alerts, clock: Clock) -> None:
        await alerts.pair_alert("p", "https://b/p", "x", "unknown", "timed out")
        await alerts.stall_alert(90)
        await alerts.flush(force=True)
        assert alerts.pending == 0

    with caplog.at_level(logging.WARNING):
        _run(None, scenario)
    assert "timed out" in caplog.text and "90 s" in caplog.text


def test_a_message_not_published_is_alerted_once() -> None:
    """A done Discord message the channel would not publish raises one alert; a done one
    without that note raises none."""
    from heartbeat_bot.announcer import NOT_PUBLISHED, Outcome, PostReport
    from heartbeat_bot.service.report_log import record
    from heartbeat_bot.web.metrics import Metrics
    from tests.test_posts import corpus

    hook = Hook()
    post = corpus("2023-12-11-dvc-git-lfs.md")

    async def scenario(alerts: Alerts, clock: Clock) -> None:
        url = "https://discord.com/channels/1/2/3"
        fine = PostReport(post, {"discord": Outcome("discord", "done", "sent", url)})
        note = f"{NOT_PUBLISHED}: discord (HTTP 429): rate limited for 3000 s"
        refused = PostReport(post, {"discord": Outcome("discord", "done", "sent", url, note)})
        for report in (fine, refused, refused):
            await record(report, Metrics(), alerts)

    _run(hook, scenario)
    (content,) = hook.contents
    assert "discord publish" in content and "dvc-git-lfs" in content and "429" in content


def test_ledger_alert_once_per_outage_without_the_ledger() -> None:
    """The unusable-ledger alert goes out once until ledger_recovered(), with the ledger
    look-ups of the pair alerts failing all along."""
    hook = Hook()

    def broken(key: str) -> bool:
        raise OSError("the ledger is gone")

    def broken_mark(key: str) -> None:
        raise OSError("the ledger is gone")

    async def scenario(alerts: Alerts, clock: Clock) -> None:
        await alerts.ledger_alert("state.path: cannot use the ledger /s/l.sqlite3 (disk full)")
        await alerts.ledger_alert("state.path: cannot use the ledger /s/l.sqlite3 (I/O error)")
        alerts.ledger_recovered()
        await alerts.ledger_alert("state.path: the ledger /s/l.sqlite3 was deleted")
        await alerts.flush(force=True)

    _run(hook, scenario, min_interval=0.0, already_sent=broken, mark_sent=broken_mark)
    assert len(hook.posts) == 2
    assert "paused sending" in hook.contents[0] and "disk full" in hook.contents[0]
    assert "deleted" in hook.contents[1]
