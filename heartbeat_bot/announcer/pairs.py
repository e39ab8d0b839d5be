"""Sending one (post, channel) pair exactly once: claim, send, settle, reconcile, back off."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from heartbeat_bot.announcer.outcome import Outcome
from heartbeat_bot.announcer.retry import RetryPolicy
from heartbeat_bot.errors import CannotConfirm, ChannelError, Permanent, Retryable, Uncertain
from heartbeat_bot.ledger import DEFAULT_LEASE, Delivery, Ledger, LedgerError
from heartbeat_bot.models import Sent

log = logging.getLogger("heartbeat_bot.announcer")

Send = Callable[[Delivery], Awaitable[Sent]]
# Looks an interrupted send up at the service: what it created, or None when it proves
# nothing was created. Raises ChannelError when it cannot tell.
Reconcile = Callable[[Delivery], Awaitable[Sent | None]]
Sleep = Callable[[float], Awaitable[None]]

CLAIMABLE = ("pending", "waiting", "failed")
# When an interrupted send could not be checked (the service was down), check again then.
RECHECK_SECONDS = 60.0


@dataclass
class RunContext:
    """What every pair of one announce run shares."""

    ledger: Ledger
    policy: RetryPolicy
    deadline: float
    lease: float = DEFAULT_LEASE
    sleep: Sleep = field(default=asyncio.sleep)
    clock: Callable[[], float] = field(default=time.time)


async def acquire(
    ctx: RunContext,
    row: Delivery,
    payload: str,
    nonce: str | None,
    reconcile: Reconcile | None,
    *,
    item_by_item: bool = False,
) -> Delivery | Outcome:
    """Claim the pair for this process, reconciling an interrupted send first.

    Returns the claimed row (``sending``, with the stored payload) or the outcome to
    report when there is nothing to send now. With ``item_by_item`` (X threads) the
    caller reconciles each part itself, so an interrupted or unknown pair is just claimed.
    """
    if row.state == "sending":
        taken = ctx.ledger.take_over(row.id, lease=ctx.lease)
        if taken is None:
            return Outcome(row.channel, "sending", "busy", note=f"being sent by {row.claimed_by}")
        if item_by_item:
            return taken
        verdict = await settle_uncertain(ctx, taken, reconcile, "interrupted while sending")
        return verdict if verdict is not None else taken
    if row.state == "unknown":
        if reconcile is None and not item_by_item:
            return Outcome(row.channel, "unknown", "unknown", row.remote_url, unknown_note(row))
        claimed = ctx.ledger.claim(
            row.id, payload=payload, nonce=nonce, from_states=("unknown",), lease=ctx.lease
        )
        if claimed is None:
            return _busy(ctx, row)
        if item_by_item:
            return claimed
        verdict = await settle_uncertain(ctx, claimed, reconcile, "outcome still unconfirmed")
        return verdict if verdict is not None else claimed
    claimed = ctx.ledger.claim(
        row.id, payload=payload, nonce=nonce, from_states=CLAIMABLE, lease=ctx.lease
    )
    return claimed if claimed is not None else _busy(ctx, row)


def _busy(ctx: RunContext, row: Delivery) -> Outcome:
    current = ctx.ledger.get(row.id)
    return Outcome(row.channel, current.state, "busy", current.remote_url, "claimed by another run")


def unknown_note(row: Delivery) -> str:
    return (
        f"{row.last_error or 'outcome unknown'}; check {row.channel} and settle it with "
        f"`heartbeat-bot resolve`"
    )


async def settle_uncertain(
    ctx: RunContext, row: Delivery, reconcile: Reconcile | None, why: str
) -> Outcome | None:
    """Find out whether an uncertain send went through.

    Returns ``done`` (found) or ``unknown`` (cannot tell) outcomes, or None when the
    service proves nothing was created, so the caller may resend the stored payload.
    """
    if reconcile is None:
        note = f"{why}; {row.channel} cannot confirm whether it was sent (at most once)"
        ctx.ledger.mark_unknown(row.id, note)
        return Outcome(row.channel, "unknown", "unknown", note=unknown_note(ctx.ledger.get(row.id)))
    try:
        found = await reconcile(row)
    except ChannelError as exc:
        note = f"{why}; could not confirm with {row.channel}: {exc}"
        # A look-up changes nothing: try it again later rather than leave this for a person,
        # unless it could only end the same way (too much history to read).
        retry_at = None if isinstance(exc, CannotConfirm) else ctx.clock() + RECHECK_SECONDS
        ctx.ledger.mark_unknown(row.id, note, retry_at=retry_at)
        return Outcome(row.channel, "unknown", "unknown", note=unknown_note(ctx.ledger.get(row.id)))
    if found is not None:
        ctx.ledger.finish(row.id, found, event="confirmed")
        log.info("%s: confirmed an interrupted send: %s", row.channel, found.url)
        return Outcome(row.channel, "done", "confirmed", found.url, "found at the service")
    ctx.ledger.log(row.id, "absent", f"{why}; the service has no trace of it")
    return None


async def back_off(ctx: RunContext, row: Delivery, error: Retryable) -> Delivery | Outcome:
    """Commit ``waiting``; sit the wait out when it ends before the deadline, then re-claim."""
    if row.attempts >= ctx.policy.max_attempts:
        note = f"gave up after {row.attempts} attempts: {error}"
        ctx.ledger.fail(row.id, note)
        return Outcome(row.channel, "failed", "failed", note=note)
    delay = ctx.policy.delay(row.attempts, error.wait)
    next_at = ctx.clock() + delay
    ctx.ledger.wait(row.id, str(error), next_at)
    if next_at > ctx.deadline:
        return Outcome(row.channel, "waiting", "retry", note=str(error), next_attempt_at=next_at)
    log.info("%s: %s; retrying in %.1f s", row.channel, error, delay)
    await ctx.sleep(delay)
    claimed = ctx.ledger.claim(
        row.id, payload=row.payload or "", from_states=("waiting",), lease=ctx.lease
    )
    return claimed if claimed is not None else _busy(ctx, row)


async def run_pair(
    ctx: RunContext,
    row: Delivery,
    payload: str,
    nonce: str | None,
    send: Send,
    reconcile: Reconcile | None,
) -> Outcome:
    """Send one pair, at most once per proof of absence, and settle it in the ledger."""
    acquired = await acquire(ctx, row, payload, nonce, reconcile)
    if isinstance(acquired, Outcome):
        return acquired
    row = acquired
    resends = 0
    while True:
        ctx.ledger.renew(row.id, lease=ctx.lease)  # each attempt starts a full lease
        try:
            sent = await send(row)
        except Uncertain as exc:
            ctx.ledger.log(row.id, "uncertain", str(exc))
            verdict = await settle_uncertain(ctx, row, reconcile, f"no answer ({exc})")
            if verdict is not None:
                return verdict
            resends += 1
            if resends >= ctx.policy.max_attempts:
                note = f"gave up after {resends} unanswered attempts: {exc}"
                ctx.ledger.fail(row.id, note)
                return Outcome(row.channel, "failed", "failed", note=note)
            continue
        except Retryable as exc:
            waited = await back_off(ctx, row, exc)
            if isinstance(waited, Outcome):
                return waited
            row = waited
            continue
        except Permanent as exc:
            ctx.ledger.fail(row.id, str(exc))
            log.warning("%s: failed: %s", row.channel, exc)
            return Outcome(row.channel, "failed", "failed", note=str(exc))
        try:
            ctx.ledger.finish(row.id, sent)
        except LedgerError:
            # Still `sending` in the ledger: checked with the service before any resend.
            log.error("%s: sent %s, but the ledger could not record it", row.channel, sent.url)
            raise
        log.info("%s: sent %s", row.channel, sent.url or sent.remote_id)
        return Outcome(row.channel, "done", "sent", sent.url)
