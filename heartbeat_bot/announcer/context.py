"""What every pair of an announce run shares, and the way each request goes out through it:
past the channel's rate-limit gate, telling the gate what the answer said, and (for the
look-ups that reconcile an interrupted send) tried again with backoff like a send."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from heartbeat_bot.announcer.gate import Gates
from heartbeat_bot.announcer.retry import RetryPolicy
from heartbeat_bot.errors import Retryable, WindowClosed
from heartbeat_bot.ledger import DEFAULT_LEASE, Delivery, Ledger

log = logging.getLogger("heartbeat_bot.announcer")

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


@dataclass
class RunContext:
    """What every pair of one announce run shares."""

    ledger: Ledger
    policy: RetryPolicy
    gates: Gates
    deadline: float
    lease: float = DEFAULT_LEASE
    sleep: Sleep = field(default=asyncio.sleep)
    clock: Callable[[], float] = field(default=time.time)


def rate_limited(error: Retryable) -> bool:
    """Whether the service refused for its rate limit and said until when: such a wait
    is the service's to give, and never a reason to give up."""
    if isinstance(error, WindowClosed):
        return True
    return error.status == 429 and error.wait is not None and error.wait > 0


async def request(ctx: RunContext, channel: str, call: Callable[[], Awaitable[T]]) -> T:
    """One call to ``channel``'s service; what its answer says of the rate limit closes
    the channel's gate (a 429 with a wait, a remaining count of 0)."""
    try:
        return await call()
    except Retryable as exc:
        if rate_limited(exc) and exc.wait is not None:
            ctx.gates.close(channel, ctx.clock() + exc.wait, str(exc))
        raise
    finally:
        ctx.gates.observe(channel)


async def through_gate(ctx: RunContext, row: Delivery) -> float | None:
    """Wait for the channel's closed gate while it opens (at the pair's turn) before the
    deadline. None when requests may go; else the pair's turn, past the deadline."""
    while True:
        turn = ctx.gates.turn(row.channel)
        if turn is None:
            return None
        if turn > ctx.deadline:
            return turn
        now = ctx.clock()
        ctx.ledger.renew(row.id, lease=turn - now + ctx.lease)  # if claimed: keep it
        log.info("%s: rate limit used up; going on in %.1f s", row.channel, turn - now)
        await ctx.sleep(max(0.0, turn - now))


def gate_note(ctx: RunContext, channel: str) -> str:
    closed = ctx.gates.closed(channel)
    return closed.note(channel) if closed is not None else f"{channel}: rate limit used up"


async def look_up(ctx: RunContext, row: Delivery, call: Callable[[], Awaitable[T]]) -> T:
    """A look-up that reconciles an interrupted send, tried again like a send.

    A retryable failure is tried again after the wait the service asks for, or after a
    backoff, while that ends before the deadline, up to ``max_attempts`` tries. Raises the
    last error when it cannot be done in time: ``WindowClosed`` (with the pair's turn as
    its wait) when the channel's rate limit stays used up past the deadline.
    """
    tries = 0
    while True:
        turn = await through_gate(ctx, row)
        if turn is not None:
            note = gate_note(ctx, row.channel)
            raise WindowClosed(row.channel, note, wait=max(0.0, turn - ctx.clock()))
        ctx.ledger.renew(row.id, lease=ctx.lease)
        try:
            return await request(ctx, row.channel, call)
        except Retryable as exc:
            if rate_limited(exc):
                continue  # the gate is closed now: it says how long to wait
            tries += 1
            delay = ctx.policy.delay(tries, exc.wait)
            if tries >= ctx.policy.max_attempts or ctx.clock() + delay > ctx.deadline:
                raise
            log.info("%s: look-up failed (%s); trying again in %.1f s", row.channel, exc, delay)
            await ctx.sleep(delay)
