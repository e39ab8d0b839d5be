"""What every pair of an announce run shares, and the look-ups that reconcile an
interrupted send, tried again with backoff like a send."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from heartbeat_bot.announcer.retry import RetryPolicy
from heartbeat_bot.errors import Retryable
from heartbeat_bot.ledger import DEFAULT_LEASE, Delivery, Ledger

log = logging.getLogger("heartbeat_bot.announcer")

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


@dataclass
class RunContext:
    """What every pair of one announce run shares."""

    ledger: Ledger
    policy: RetryPolicy
    deadline: float
    lease: float = DEFAULT_LEASE
    sleep: Sleep = field(default=asyncio.sleep)
    clock: Callable[[], float] = field(default=time.time)


async def look_up(ctx: RunContext, row: Delivery, call: Callable[[], Awaitable[T]]) -> T:
    """A look-up that reconciles an interrupted send, tried again like a send.

    A retryable failure is tried again after the wait the service asks for, or after a
    backoff, while that ends before the deadline, up to ``max_attempts`` tries. Raises the
    last error when it cannot be done in time.
    """
    tries = 0
    while True:
        ctx.ledger.renew(row.id, lease=ctx.lease)
        try:
            return await call()
        except Retryable as exc:
            tries += 1
            delay = ctx.policy.delay(tries, exc.wait)
            if tries >= ctx.policy.max_attempts or ctx.clock() + delay > ctx.deadline:
                raise
            log.info("%s: look-up failed (%s); trying again in %.1f s", row.channel, exc, delay)
            await ctx.sleep(delay)
