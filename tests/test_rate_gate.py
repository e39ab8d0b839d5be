"""Rate-limit caps respected as caps: X's daily cap, over loopback, with the real client."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from heartbeat_bot.app.application import App
from heartbeat_bot.app.wiring import announcer_for, open_ledger
from heartbeat_bot.ledger import Delivery
from heartbeat_bot.models import Post
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import Blog, make_blog
from tests.conftest import DVC_POSTS

POSTS = 30
CAP = 5
DAY = 86_400


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def x_blog(root: Path, sandbox: Sandbox, count: int) -> tuple[Blog, list[str]]:
    """``count`` real posts announced on X only, one tweet each."""
    names = tuple(p.name for p in sorted(DVC_POSTS.glob("20*.md"))[-count:])
    blog = make_blog(
        root,
        sandbox,
        posts=names,
        channels=("twitter",),
        overrides={"twitter": {"max_tweets": 1}},
    )
    return blog, [str(blog.posts / name) for name in names]


async def announce_all(app: App, refs: list[str]) -> None:
    """Announce the posts four at a time, as ``heartbeat-bot announce`` does."""
    gate = asyncio.Semaphore(4)
    with open_ledger(app.config) as ledger:
        async with announcer_for(app, ledger) as announcer:

            async def one(post: Post) -> None:
                async with gate:
                    await announcer.announce(post, max_wait=2.0)

            await asyncio.gather(*(one(app.find(ref)) for ref in refs))


def x_pairs(blog: Blog) -> list[Delivery]:
    with blog.ledger() as ledger:
        return [d for post in ledger.posts() for d in ledger.deliveries(post.id)]


@pytest.mark.parametrize("cap", [CAP, 0], ids=["used-up-by-this-run", "used-up-before"])
def test_daily_cap_stops_requests_and_spreads_the_queue_after_the_reset(
    tmp_path: Path, sandbox: Sandbox, cap: int
) -> None:
    """Once X says its daily cap is used up (a last success, or a 429), at most one more
    request reaches it; the other pairs wait, none failed and with no attempt spent, for
    distinct turns one second apart after the reset; a restart still sends nothing."""
    sandbox.x.daily_limit = cap
    blog, refs = x_blog(tmp_path, sandbox, POSTS + 1)
    started = time.time()
    asyncio.run(announce_all(blog.app(), refs[:POSTS]))

    requests = sandbox.x.requests
    if cap:  # the answer to the cap-th tweet said "0 left today"
        created = [i for i, r in enumerate(requests) if r["status"] == 201]
        used_up = created[cap - 1]
    else:  # the first answer refused with the daily cap's 429
        used_up = next(i for i, r in enumerate(requests) if r["status"] == 429)
    assert len(requests) - used_up - 1 <= 1, requests[used_up:]
    assert len(sandbox.x.tweets) == cap

    pairs = x_pairs(blog)
    assert len(pairs) == POSTS
    assert sorted(d.state for d in pairs) == ["done"] * cap + ["waiting"] * (POSTS - cap)
    waiting = [d for d in pairs if d.state == "waiting"]
    assert all(d.attempts <= 1 for d in waiting), [d.attempts for d in waiting]
    turns = sorted(d.next_attempt_at or 0.0 for d in waiting)
    assert turns[0] >= started + DAY - 60, "not before the daily reset"
    gaps = [later - earlier for earlier, later in itertools.pairwise(turns)]
    assert min(gaps) >= 0.99 and max(gaps) <= 1.01, gaps

    # A new process, with a new X client that never heard from X, respects the cap too.
    before = len(sandbox.x.requests)
    (report,) = blog.announce(refs[POSTS], max_wait=2.0)
    outcome = report.outcomes["twitter"]
    assert outcome.state == "waiting", outcome
    assert len(sandbox.x.requests) == before
    assert outcome.next_attempt_at is not None and outcome.next_attempt_at > turns[-1]
