"""The service checks an unconfirmed send again when X could not be asked, then settles it.

The service runs in this process (its real scheduler, watcher and workers, the real X
client against the sandbox), with a short retry policy so the later checks come within
seconds instead of minutes.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from heartbeat_bot.announcer import RetryPolicy
from heartbeat_bot.app.application import App
from heartbeat_bot.app.wiring import announcer_for, open_ledger
from heartbeat_bot.ledger import Delivery, Ledger
from heartbeat_bot.sandbox import Sandbox
from heartbeat_bot.service.alerts import Alerts
from heartbeat_bot.service.scheduler import Service
from heartbeat_bot.web.metrics import Metrics
from tests.announce_env import NEW_POST, Blog, make_blog
from tests.conftest import DVC_POSTS

# Each look-up is tried twice in a run, and a pair is checked twice in all.
ATTEMPTS = 2


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def service_blog(root: Path, sandbox: Sandbox) -> Blog:
    """An empty blog announcing on X only (one tweet a post), alerting on the sandbox."""
    return make_blog(
        root,
        sandbox,
        posts=(),
        channels=("twitter",),
        overrides={
            "blog": {"poll_interval": 2},
            "service": {"http": "", "max_attempts": ATTEMPTS},
            "twitter": {"max_tweets": 1},
            "alerts": {"discord_webhook_url": sandbox.discord_webhook_url},
        },
    )


def pair(ledger: Ledger) -> Delivery | None:
    rows = [d for post in ledger.posts() for d in ledger.deliveries(post.id)]
    return rows[0] if rows else None


async def until(check: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def run_service(
    blog: Blog, sandbox: Sandbox, scenario: Callable[[Ledger], Awaitable[None]]
) -> None:
    """Run the service until ``scenario`` (a coroutine function of the ledger) returns."""
    app = App.build(str(blog.config))

    async def main() -> None:
        policy = RetryPolicy(base=0.05, recheck=0.2, max_attempts=ATTEMPTS)
        with open_ledger(app.config) as ledger:
            async with (
                announcer_for(app, ledger, policy=policy) as announcer,
                httpx.AsyncClient() as http,
            ):
                alerts = Alerts(
                    app.config.alerts.discord_webhook_url,
                    http,
                    already_sent=lambda key: ledger.get_meta(key) is not None,
                    mark_sent=lambda key: ledger.set_meta(key, datetime.now(UTC).isoformat()),
                )
                service = Service(app, ledger, announcer, metrics=Metrics(), alerts=alerts)
                running = asyncio.ensure_future(service.run())
                try:
                    await until(lambda: ledger.get_meta("baseline") is not None, "the baseline")
                    await scenario(ledger)
                finally:
                    service.stop()
                    assert await running == 0

    asyncio.run(main())


def lose_the_answer_and_the_look_ups(blog: Blog, sandbox: Sandbox, failures: int) -> None:
    """Publish a post whose tweet's answer is lost while X's look-ups fail ``failures`` times."""
    sandbox.faults.queue("x", "drop", path="/2/tweets")
    sandbox.faults.queue("x", *["503"] * failures, path="/2/users")
    shutil.copy(DVC_POSTS / NEW_POST, blog.posts / NEW_POST)


def alerts_sent(sandbox: Sandbox) -> list[str]:
    return [str(m["content"]) for m in sandbox.discord.messages if m["via"] == "webhook"]


def test_a_look_up_that_failed_is_checked_later_and_settles(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A tweet whose answer was lost while X's look-ups failed is left unknown to be
    checked again, not alerted; the service checks it later, finds it, and it is done."""
    blog = service_blog(tmp_path, sandbox)
    seen: list[Delivery] = []

    async def scenario(ledger: Ledger) -> None:
        # Both look-ups of the run (before and after the identical resend) fail twice.
        lose_the_answer_and_the_look_ups(blog, sandbox, 2 * ATTEMPTS)

        def unknown() -> bool:
            row = pair(ledger)
            if row is not None and row.state == "unknown":
                seen.append(row)
            return bool(seen)

        await until(unknown, "the pair to be unknown")
        await until(lambda: getattr(pair(ledger), "state", None) == "done", "the later check")

    run_service(blog, sandbox, scenario)
    assert seen[0].next_attempt_at is not None, "to be checked again"
    assert len(sandbox.x.tweets) == 1
    assert alerts_sent(sandbox) == []


def test_look_ups_failing_at_every_check_end_in_one_alert(tmp_path: Path, sandbox: Sandbox) -> None:
    """When X cannot be asked at any check, the pair is checked up to max_attempts times,
    then left unknown for a person, with one alert."""
    blog = service_blog(tmp_path, sandbox)

    async def scenario(ledger: Ledger) -> None:
        lose_the_answer_and_the_look_ups(blog, sandbox, 50)

        def given_up() -> bool:
            row = pair(ledger)
            return row is not None and row.state == "unknown" and row.next_attempt_at is None

        await until(given_up, "the last check")
        await until(lambda: alerts_sent(sandbox), "the alert")

    run_service(blog, sandbox, scenario)
    with blog.ledger() as ledger:
        row = pair(ledger)
        assert row is not None and row.attempts == ATTEMPTS
        checks = [e for e in ledger.history(row.id) if e["event"] == "unknown"]
    assert len(checks) == ATTEMPTS
    (alert,) = alerts_sent(sandbox)
    assert "twitter" in alert and "unknown" in alert
    assert len(sandbox.x.tweets) == 1
