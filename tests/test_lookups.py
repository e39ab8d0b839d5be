"""Look-ups that reconcile an interrupted send are tried again, as sends are, over loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from heartbeat_bot.announcer import RetryPolicy
from heartbeat_bot.app.application import App
from heartbeat_bot.app.wiring import announcer_for, open_ledger
from heartbeat_bot.ledger import Ledger, TweetRow
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import NEW_POST, Blog, make_blog

SLUG = "dvc-git-lfs"
# Short backoff, so a few failed look-ups are tried again within a test's seconds.
FAST = RetryPolicy(base=0.05)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2, slow_delay=1.0) as sb:
        yield sb


def twitter_blog(root: Path, sandbox: Sandbox) -> Blog:
    """A blog announcing one post on X only, as a one-tweet thread."""
    return make_blog(
        root,
        sandbox,
        posts=(NEW_POST,),
        channels=("twitter",),
        overrides={"twitter": {"max_tweets": 1}},
    )


def wait_until(check: object, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not callable(check) or not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def interrupt_x_send(app: App, sandbox: Sandbox) -> None:
    """Start announcing, and stop the run while its tweet is on its way: X posts the tweet,
    its answer is never read, and the pair is left to be checked (``unknown``, due at once,
    as a run cut short records it; a kill leaves ``sending``, checked the same way)."""
    sandbox.faults.queue("x", "slow", path="/2/tweets")

    async def main() -> None:
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger) as announcer:
                run = asyncio.ensure_future(announcer.announce(app.find(SLUG)))
                while not any(t.state == "sending" for t in _tweets(ledger)):
                    await asyncio.sleep(0.01)
                run.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await run

    asyncio.run(main())
    wait_until(lambda: len(sandbox.x.tweets) == 1, "X to post the interrupted tweet")


def _tweets(ledger: Ledger) -> list[TweetRow]:
    """Every tweet row the ledger holds (none before the first claim)."""
    deliveries = [d for post in ledger.posts() for d in ledger.deliveries(post.id)]
    return [tweet for delivery in deliveries for tweet in ledger.tweets(delivery.id)]


def test_interrupted_tweet_is_found_through_a_brief_x_outage(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A tweet whose answer was lost to a kill is found by looking again through a brief
    burst of 503/500 answers to the look-up: done, with exactly one tweet, not unknown."""
    blog = twitter_blog(tmp_path, sandbox)
    interrupt_x_send(blog.app(), sandbox)
    with blog.ledger() as ledger:
        assert [d.state for d in ledger.deliveries(ledger.posts()[0].id)] == ["unknown"]

    sandbox.faults.queue("x", "503", "500", path="/2/users")
    app = blog.app()

    async def main() -> None:
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger, policy=FAST) as announcer:
                report = await announcer.announce(app.find(SLUG))
                outcome = report.outcomes["twitter"]
                assert outcome.state == "done", outcome

    asyncio.run(main())
    assert len(sandbox.x.tweets) == 1
    faulted = [r for r in sandbox.x.requests if r["fault"] in {"503", "500"}]
    assert [str(r["path"]).startswith("/2/users") for r in faulted] == [True, True]


@pytest.mark.parametrize(
    ("channel", "create", "look_up"),
    [
        ("discourse", "/posts.json", "/t/external_id/"),
        ("discord", "/api/v10/channels", "/api/v10/channels"),
    ],
)
def test_lost_answer_is_confirmed_through_a_brief_outage(
    tmp_path: Path, sandbox: Sandbox, channel: str, create: str, look_up: str
) -> None:
    """A create whose answer was lost is confirmed by a look-up tried again through two
    503 answers, instead of being left unknown after the first."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("discourse", "discord"))
    sandbox.faults.queue(channel, "drop", path=create)
    sandbox.faults.queue(channel, "503", "503", path=look_up)
    app = blog.app()

    async def main() -> None:
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger, policy=FAST) as announcer:
                report = await announcer.announce(app.find(SLUG))
                outcome = report.outcomes[channel]
                assert (outcome.state, outcome.action) == ("done", "confirmed"), outcome

    asyncio.run(main())
    assert len(sandbox.discourse.topics) == 1
    assert len(sandbox.discord.messages) == 1
    assert sandbox.faults.pending(channel) == []
