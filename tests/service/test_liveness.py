"""wait_until_live against a real loopback site."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from heartbeat_bot.service.liveness import wait_until_live
from tests.service.loopback_site import Site


def wait(
    url: str,
    timeout: float,
    *,
    first_delay: float = 2.0,
    max_delay: float = 60.0,
    wanted: Callable[[], bool] = lambda: True,
) -> bool:
    async def main() -> bool:
        stopping = asyncio.Event()
        return await wait_until_live(
            url, timeout, stopping, first_delay=first_delay, max_delay=max_delay, wanted=wanted
        )

    return asyncio.run(main())


def test_live_page_is_live_at_once(site: Site) -> None:
    """A page answering 200 is live after one HEAD."""
    site.up.add("/post")
    assert wait(site.url("/post"), 5) is True
    assert site.checks == ["HEAD"]


def test_head_refused_falls_back_to_get(site: Site) -> None:
    """A site refusing HEAD (405) is asked with GET."""
    assert wait(site.url("/no-head"), 5) is True
    assert site.checks == ["HEAD", "GET"]


def test_a_page_that_stays_down_times_out(site: Site) -> None:
    """A page that never answers 200 ends the wait at the timeout, after several checks."""
    assert wait(site.url("/post"), 3.0, first_delay=0.05, max_delay=0.05) is False
    assert len(site.checks) >= 2


def test_a_post_no_longer_wanted_ends_the_wait(site: Site) -> None:
    """A post deleted while its page is awaited stops the checks, however long the wait."""
    assert wait(site.url("/post"), float("inf"), first_delay=0.05, wanted=lambda: False) is False
    assert site.checks == ["HEAD"]
