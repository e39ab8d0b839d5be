"""Sending one (post, channel) pair exactly once: claim, send, settle, reconcile, back off."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import partial

from heartbeat_bot.announcer.context import (
    RunContext,
    Sleep,
    gate_note,
    look_up,
    rate_limited,
    request,
    through_gate,
)
from heartbeat_bot.announcer.outcome import Outcome
from heartbeat_bot.errors import (
    CannotConfirm,
    ChannelError,
    Permanent,
    Retryable,
    Uncertain,
    WindowClosed,
)
from heartbeat_bot.ledger import Delivery, LedgerError
from heartbeat_bot.models import Sent

log = logging.getLogger("heartbeat_bot.announcer")

Send = Callable[[Delivery], Awaitable[Sent]]
# Looks an interrupted send up at the service: what it created, or None when it proves
# nothing was created. Raises ChannelError when it cannot tell.
Reconcile = Callable[[Delivery], Awaitable[Sent | None]]

CLAIMABLE = ("pending", "waiting", "failed")
CUT_SHORT = (
    "cut short by the time limit before the service answered; it may have been sent, so "
    "it is checked with the service before anything is sent again"
)
__all__ = [
    "RunContext",
    "Sleep",
    "acquire",
    "back_off",
    "recorded_if_cut_short",
    "run_pair",
    "unconfirmed",
]


@contextmanager
def recorded_if_cut_short(ctx: RunContext, row_id: int) -> Iterator[None]:
    """A pair this run holds in ``sending`` when its task is cancelled (a time limit, a
    shutdown) becomes ``unknown``, due at once: the next announce (or the service) checks
    with the service first, instead of waiting out the lease. What waits stays waiting."""
    try:
        yield
    except asyncio.CancelledError:
        row = ctx.ledger.get(row_id)
        if row.state == "sending" and row.claimed_by == ctx.ledger.identity:
            ctx.ledger.mark_unknown(row_id, CUT_SHORT, retry_at=ctx.clock())
        raise


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
    While the channel's rate limit is used up the pair is put off to its turn, unclaimed.
    """
    asks = reconcile is not None or item_by_item or row.state not in {"sending", "unknown"}
    if row.state == "unknown" and not asks:
        return Outcome(row.channel, "unknown", "unknown", row.remote_url, unknown_note(row))
    if asks:
        turn = await through_gate(ctx, row)
        if turn is not None:
            return _held_back(ctx, row, turn)
    if row.state == "sending":
        taken = ctx.ledger.take_over(row.id, lease=ctx.lease)
        if taken is None:
            return Outcome(row.channel, "sending", "busy", note=f"being sent by {row.claimed_by}")
        if item_by_item:
            return taken
        verdict = await settle_uncertain(ctx, taken, reconcile, "interrupted while sending")
        return verdict if verdict is not None else taken
    if row.state == "unknown":
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


def _held_back(ctx: RunContext, row: Delivery, turn: float) -> Outcome:
    """The channel's rate limit is used up past the deadline: the pair waits for its
    ``turn``, unclaimed and with no attempt spent (an interrupted send is checked then)."""
    note = gate_note(ctx, row.channel)
    if row.state == "sending":
        taken = ctx.ledger.take_over(row.id, lease=ctx.lease)
        if taken is None:
            return Outcome(row.channel, "sending", "busy", note=f"being sent by {row.claimed_by}")
        ctx.ledger.mark_unknown(row.id, f"interrupted while sending; {note}", retry_at=turn)
        return Outcome(row.channel, "unknown", "unknown", note=note, next_attempt_at=turn)
    state = ctx.ledger.defer(row.id, note, turn)
    if state is None:
        return _busy(ctx, row)
    if state == "unknown":
        return Outcome(row.channel, state, "unknown", note=note, next_attempt_at=turn)
    return Outcome(row.channel, state, "retry", note=note, next_attempt_at=turn)


def held_back_claimed(ctx: RunContext, row: Delivery, turn: float) -> Outcome:
    """Like :func:`_held_back`, for a pair this process has claimed and sent nothing for
    since: it goes back to ``waiting`` and the claim's attempt is given back."""
    note = gate_note(ctx, row.channel)
    ctx.ledger.refund(row.id)
    ctx.ledger.wait(row.id, note, turn)
    return Outcome(row.channel, "waiting", "retry", note=note, next_attempt_at=turn)


def _busy(ctx: RunContext, row: Delivery) -> Outcome:
    current = ctx.ledger.get(row.id)
    return Outcome(row.channel, current.state, "busy", current.remote_url, "claimed by another run")


def unknown_note(row: Delivery) -> str:
    return (
        f"{row.last_error or 'outcome unknown'}; check {row.channel} and settle it with "
        f"`heartbeat-bot resolve`"
    )


def unconfirmed(ctx: RunContext, row: Delivery, note: str, error: ChannelError | None) -> Outcome:
    """Record the claimed pair ``unknown``: whether its send went out is not confirmed.

    ``error`` is why the service could not be asked (None: it was asked and could not
    tell). Then the service asks again later, backing off (``RetryPolicy.recheck_delay``),
    until the pair has had ``max_attempts`` attempts; only the last ``unknown`` is left
    for a person. A used-up rate limit asks again at the pair's turn, spending nothing.
    Too much to read (``CannotConfirm``) would only end the same way: a person looks.
    """
    retry_at: float | None = None
    if isinstance(error, WindowClosed):
        ctx.ledger.refund(row.id)
        retry_at = ctx.clock() + (error.wait or 0.0)
    elif error is not None and not isinstance(error, CannotConfirm):
        attempts = ctx.ledger.get(row.id).attempts
        if attempts < ctx.policy.max_attempts:
            wait = error.wait if isinstance(error, Retryable) else None
            retry_at = ctx.clock() + ctx.policy.recheck_delay(attempts, wait)
        else:
            note = f"{note} (gave up asking after {attempts} attempts)"
    ctx.ledger.mark_unknown(row.id, note, retry_at=retry_at)
    if retry_at is None:
        return Outcome(row.channel, "unknown", "unknown", note=unknown_note(ctx.ledger.get(row.id)))
    log.info("%s: %s; asking again later", row.channel, note)
    later = f"{note}; {row.channel} is asked again later"
    return Outcome(row.channel, "unknown", "unknown", note=later, next_attempt_at=retry_at)


async def settle_uncertain(
    ctx: RunContext, row: Delivery, reconcile: Reconcile | None, why: str
) -> Outcome | None:
    """Find out whether an uncertain send went through.

    Returns ``done`` (found) or ``unknown`` (cannot tell) outcomes, or None when the
    service proves nothing was created, so the caller may resend the stored payload.
    """
    if reconcile is None:
        note = f"{why}; {row.channel} cannot confirm whether it was sent (at most once)"
        return unconfirmed(ctx, row, note, None)
    try:
        found = await look_up(ctx, row, partial(reconcile, row))
    except ChannelError as exc:
        return unconfirmed(ctx, row, f"{why}; could not confirm with {row.channel}: {exc}", exc)
    if found is not None:
        ctx.ledger.finish(row.id, found, event="confirmed")
        log.info("%s: confirmed an interrupted send: %s", row.channel, found.url)
        return Outcome(row.channel, "done", "confirmed", found.url, "found at the service")
    ctx.ledger.log(row.id, "absent", f"{why}; the service has no trace of it")
    return None


async def back_off(ctx: RunContext, row: Delivery, error: Retryable) -> Delivery | Outcome:
    """Commit ``waiting``; sit the wait out when it ends before the deadline, then re-claim.

    A refusal for the rate limit (``rate_limited``) waits for the pair's turn at the
    channel's gate and never makes the pair fail (a ``WindowClosed``, which sent nothing,
    spends no attempt either); after any other retryable error, a pair that had
    ``max_attempts`` attempts has failed.
    """
    limited = rate_limited(error)
    if not limited and row.attempts >= ctx.policy.max_attempts:
        note = f"gave up after {row.attempts} attempts: {error}"
        ctx.ledger.fail(row.id, note)
        return Outcome(row.channel, "failed", "failed", note=note)
    if isinstance(error, WindowClosed):
        ctx.ledger.refund(row.id)
    turn = ctx.gates.turn(row.channel)
    later = ctx.clock() + ctx.policy.delay(row.attempts, error.wait)
    next_at = later if turn is None else turn if limited else max(later, turn)
    ctx.ledger.wait(row.id, str(error), next_at)
    if next_at > ctx.deadline:
        return Outcome(row.channel, "waiting", "retry", note=str(error), next_attempt_at=next_at)
    delay = max(0.0, next_at - ctx.clock())
    log.info("%s: %s; retrying in %.1f s", row.channel, error, delay)
    await ctx.sleep(delay)
    again = await through_gate(ctx, row)  # closed again meanwhile, by another pair's answer
    if again is not None:
        return _held_back(ctx, ctx.ledger.get(row.id), again)
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
    with recorded_if_cut_short(ctx, row.id):
        return await _run_pair(ctx, row, payload, nonce, send, reconcile)


async def _run_pair(
    ctx: RunContext,
    row: Delivery,
    payload: str,
    nonce: str | None,
    send: Send,
    reconcile: Reconcile | None,
) -> Outcome:
    acquired = await acquire(ctx, row, payload, nonce, reconcile)
    if isinstance(acquired, Outcome):
        return acquired
    row = acquired
    resends = 0
    while True:
        turn = await through_gate(ctx, row)  # a look-up's answer may have closed it
        if turn is not None:
            return held_back_claimed(ctx, row, turn)
        ctx.ledger.renew(row.id, lease=ctx.lease)  # each attempt starts a full lease
        try:
            sent = await request(ctx, row.channel, partial(send, row))
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
