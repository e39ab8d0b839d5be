"""``blog.require_live``: wait until a post's public URL answers 200 before announcing it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx

log = logging.getLogger("heartbeat_bot.service")


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
    async with httpx.AsyncClient(timeout=10.0, follow_redirects=True) as http:
        while True:
            try:
                answer = await http.head(url)
                if answer.status_code in (405, 501):
                    answer = await http.get(url)
                if answer.status_code == 200:
                    return True
                reason = f"HTTP {answer.status_code}"
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
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
