"""Posting a thread exactly once where the service takes an idempotency key (Mastodon).

Each part goes out with a key derived from the pair, its generation (forced resends) and
the part's position; the service answers a repeat of a key it remembers (an hour, on
Mastodon) with what the first request created. So a lost answer is simply sent again with
the same key. A part an interrupted run left ``sending`` is first looked up among the
account's own posts (its key may have been forgotten since), and sent again with its key
only when it is not there. Each part is committed ``sending`` before its request and
``done`` after, as X's are (``announcer/thread.py``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from functools import partial
from typing import cast

from heartbeat_bot.announcer.context import look_up, request, through_gate
from heartbeat_bot.announcer.outcome import Outcome
from heartbeat_bot.announcer.pairs import (
    RunContext,
    acquire,
    back_off,
    held_back_claimed,
    recorded_if_cut_short,
    unconfirmed,
)
from heartbeat_bot.channels.common import idempotency_key
from heartbeat_bot.channels.rendering import Renderers
from heartbeat_bot.channels.unit import ChannelInfo, ThreadPayload
from heartbeat_bot.channels.unit import KeyedThreadDelivery as KeyedThreadService
from heartbeat_bot.errors import ChannelError, Permanent, Retryable, Uncertain, WindowClosed
from heartbeat_bot.ledger import Delivery, State, TweetRow
from heartbeat_bot.models import Post, Sent

log = logging.getLogger("heartbeat_bot.announcer")


async def announce_keyed_thread(
    ctx: RunContext,
    unit: ChannelInfo,
    render: Renderers,
    service: object,
    post: Post,
    row: Delivery,
    comments_url: str | None,
) -> Outcome:
    """The pair's thread, rendered within the service's own limits, sent part by part
    (``service`` implements :class:`~heartbeat_bot.channels.unit.KeyedThreadDelivery`)."""
    client = cast(KeyedThreadService, service)
    if row.state == "done":
        return Outcome(unit.name, "done", "already", row.remote_url)
    options = await client.tuned(render.options_for(unit.name))
    thread: ThreadPayload = unit.render(post, options, render.template(unit.name), comments_url)
    return await run_keyed_thread(ctx, row, list(thread.parts()), client)


def generation(ctx: RunContext, row: Delivery) -> int:
    """How many times the pair was forced to be sent anew (0 for the first send)."""
    return sum(1 for event in ctx.ledger.history(row.id) if event["event"] == "forced")


async def run_keyed_thread(
    ctx: RunContext, row: Delivery, parts: list[str], client: KeyedThreadService
) -> Outcome:
    """Post the thread stored for this pair (rendered ``parts`` on the first claim)."""
    with recorded_if_cut_short(ctx, row.id):
        return await _run(ctx, row, parts, client)


async def _run(
    ctx: RunContext, row: Delivery, parts: list[str], client: KeyedThreadService
) -> Outcome:
    payload = json.dumps(parts, ensure_ascii=False)
    acquired = await acquire(ctx, row, payload, None, None, item_by_item=True)
    if isinstance(acquired, Outcome):
        return acquired
    row = acquired
    stored: list[str] = json.loads(row.payload or "[]")
    rows = ctx.ledger.ensure_tweets(row.id, stored)
    forced = generation(ctx, row)
    previous: str | None = None
    first: Sent | None = None
    position = 0
    while position < len(rows):
        part = ctx.ledger.tweets(row.id)[position]
        key = idempotency_key(row.channel, row.post_id, forced, position, part.text)
        result = await _post_one(ctx, row, part, previous, key, client)
        if isinstance(result, Outcome):
            return result
        if isinstance(result, Delivery):  # waited out a rate limit: the same part again
            row = result
            continue
        previous = result.remote_id
        first = first or result
        position += 1
    assert first is not None  # a thread has at least one part
    ctx.ledger.finish(row.id, first)
    log.info("%s: thread of %d sent: %s", row.channel, len(rows), first.url)
    return Outcome(row.channel, "done", "sent", first.url, f"a thread of {len(rows)}")


async def _post_one(
    ctx: RunContext,
    row: Delivery,
    part: TweetRow,
    previous: str | None,
    key: str,
    client: KeyedThreadService,
) -> Sent | Delivery | Outcome:
    """One part: what it created (done), the re-claimed pair after a wait, or the outcome."""
    if part.state == "done" and part.remote_id:
        url = await client.url_of(part.remote_id) if part.position == 0 else None
        return Sent(part.remote_id, url)
    # A forced resend still holds the earlier thread's first part until it is done: a
    # look-up must not take that one for this thread's.
    earlier = row.remote_id if part.position == 0 else None
    uncertain = part.state in {"sending", "unknown"}
    if uncertain:
        try:
            found = await look_up(ctx, row, partial(client.find_part, part.text, previous))
        except Permanent as exc:  # cannot read the account: the key alone must do
            log.warning("%s: cannot look part %d up: %s", row.channel, part.position + 1, exc)
            found = None
        except Retryable as exc:
            note = f"part {part.position + 1} may have been sent; looking it up failed: {exc}"
            return _unknown(ctx, row, part, note, exc)
        if found is not None and found.remote_id != earlier:
            ctx.ledger.set_tweet(row.id, part.position, "done", remote_id=found.remote_id)
            return found
    for _ in range(ctx.policy.max_attempts):
        turn = await through_gate(ctx, row)
        if turn is not None:
            return held_back_claimed(ctx, row, turn)
        ctx.ledger.renew(row.id, lease=ctx.lease)
        ctx.ledger.set_tweet(row.id, part.position, "sending")
        call = partial(client.post_part, part.text, previous, key=key)
        try:
            sent = await request(ctx, row.channel, call)
        except Uncertain as exc:
            # The same key again: the service hands back what the first request made.
            ctx.ledger.log(row.id, "uncertain", f"part {part.position + 1}: {exc}")
            uncertain = True
            continue
        except WindowClosed:
            continue  # the gate is closed now: its turn comes at the top of the loop
        except Retryable as exc:
            state: State = "sending" if uncertain else "pending"
            ctx.ledger.set_tweet(row.id, part.position, state, error=str(exc))
            return await back_off(ctx, ctx.ledger.get(row.id), exc)
        except Permanent as exc:
            note = f"part {part.position + 1}: {exc}"
            ctx.ledger.set_tweet(row.id, part.position, "failed", error=note)
            ctx.ledger.fail(row.id, note)
            return Outcome(row.channel, "failed", "failed", note=note)
        ctx.ledger.set_tweet(row.id, part.position, "done", remote_id=sent.remote_id)
        return sent
    note = f"no answer after repeated attempts at part {part.position + 1}"
    return _unknown(ctx, row, part, note, Retryable(row.channel, note))


def _unknown(
    ctx: RunContext, row: Delivery, part: TweetRow, note: str, error: ChannelError
) -> Outcome:
    """The part may have gone out: it stays ``sending`` (looked up first, then sent again
    with its key), the pair is ``unknown`` and asked about again later."""
    ctx.ledger.set_tweet(row.id, part.position, "sending", error=note)
    outcome = unconfirmed(ctx, row, note, error)
    if outcome.next_attempt_at is not None:
        return outcome
    return replace(outcome, note=f"{note}; settle it with `heartbeat-bot resolve`")
