"""``blog.require_live``: wait until a post's public URL answers 200 before announcing it."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

import httpx

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.models import Post
from heartbeat_bot.service.alerts import Alerts
from heartbeat_bot.transport import RedirectRefused, fetch, tls_context

log = logging.getLogger("heartbeat_bot.service")

CHECK_TIMEOUT = 20.0
"""Seconds one check of a page may take in all."""


async def wait_until_live(
    url: str,
    timeout: float,
    stopping: asyncio.Event,
    *,
    first_delay: float = 2.0,
    max_delay: float = 60.0,
    wanted: Callable[[], bool] = lambda: True,
    level: int = logging.INFO,
) -> bool:
    """True once ``url`` answers 200 (HEAD, or GET where HEAD is refused), within ``timeout``.

    Checks back off from ``first_delay`` to ``max_delay``, each logged at ``level``. A stop
    request, or ``wanted()`` turning false (the post was deleted), ends the wait (False).
    """
    deadline = time.monotonic() + timeout
    delay = first_delay
    async with httpx.AsyncClient(timeout=10.0, verify=tls_context()) as http:
        while True:
            try:
                status = await _check(http, url, "HEAD")
                if status in (405, 501):
                    status = await _check(http, url, "GET")
                if status == 200:
                    return True
                reason = f"HTTP {status}"
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
            except RedirectRefused as exc:
                reason = str(exc)
            left = deadline - time.monotonic()
            if left <= 0 or not wanted():
                return False
            log.log(level, "%s not live yet (%s); checking again in %.0f s", url, reason, delay)
            try:
                await asyncio.wait_for(stopping.wait(), timeout=min(delay, left))
                return False
            except TimeoutError:
                pass
            delay = min(delay * 2, max_delay)


async def _check(http: httpx.AsyncClient, url: str, method: str) -> int:
    """The status a page answers; redirects are followed (the check carries no credential),
    a few at most, and no body is read."""
    answer = await fetch(http, method, url, redirects="any", read_body=False, total=CHECK_TIMEOUT)
    return answer.status_code


async def wait_for_page(
    post: Post,
    blog: BlogConfig,
    stopping: asyncio.Event,
    alerts: Alerts,
    wanted: Callable[[], bool],
) -> bool:
    """True once the post's page answers 200; False when stopping or no longer ``wanted``.

    Past ``blog.live_timeout`` the wait is reported (a log line and one alert), then goes
    on quietly every ``blog.poll_interval``: a failed deploy gets fixed eventually, and the
    post should go out when it is.
    """
    if await wait_until_live(post.url, blog.live_timeout, stopping, wanted=wanted):
        return True
    if stopping.is_set():
        return False
    if not wanted():
        log.info("%s: no longer published; stopped waiting for its page", post.slug)
        return False
    log.error(
        "%s: not live at %s after %s s; not announced yet, checking every %s s",
        post.slug,
        post.url,
        blog.live_timeout,
        blog.poll_interval,
    )
    await alerts.live_alert(post.slug, post.url, blog.live_timeout)
    live = await wait_until_live(
        post.url,
        math.inf,
        stopping,
        first_delay=blog.poll_interval,
        max_delay=blog.poll_interval,
        wanted=wanted,
        level=logging.DEBUG,
    )
    if live:
        log.info("%s: live at last; announcing", post.slug)
    elif not stopping.is_set():
        log.info("%s: no longer published; stopped waiting for its page", post.slug)
    return live
