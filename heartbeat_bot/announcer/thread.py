"""Posting an X thread exactly once, tweet by tweet, each committed before and after.

X has no idempotency key. An interrupted tweet is looked up in the account's timeline;
failing that, it is resent with the identical text: X refuses a duplicate, which proves
the first one went out. Without its id the thread cannot go on: the pair becomes
``unknown`` and the rest of the thread waits, rather than risk a second copy.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial

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
from heartbeat_bot.announcer.protocols import TweetService
from heartbeat_bot.errors import (
    ChannelError,
    Duplicate,
    Permanent,
    Retryable,
    Uncertain,
    WindowClosed,
)
from heartbeat_bot.ledger import Delivery, State, TweetRow
from heartbeat_bot.models import Sent

log = logging.getLogger("heartbeat_bot.announcer")


Reword = Callable[[str], str]


def _same(text: str) -> str:
    return text


async def run_thread(
    ctx: RunContext,
    row: Delivery,
    tweets: list[str],
    x: TweetService,
    *,
    forced: bool,
    reword: Reword = _same,
) -> Outcome:
    """Post the thread stored for this pair (rendered ``tweets`` on the first claim).

    A thread cut short keeps its tweet in ``sending``: the next run looks it up first.
    ``reword`` makes a tweet's text the post's own when X refuses a tweet never tried
    before as a duplicate: it repeats a tweet sent for another post (a content clash).
    """
    with recorded_if_cut_short(ctx, row.id):
        return await _run_thread(ctx, row, tweets, x, forced=forced, reword=reword)


async def _run_thread(
    ctx: RunContext,
    row: Delivery,
    tweets: list[str],
    x: TweetService,
    *,
    forced: bool,
    reword: Reword,
) -> Outcome:
    payload = json.dumps(tweets, ensure_ascii=False)
    acquired = await acquire(ctx, row, payload, None, None, item_by_item=True)
    if isinstance(acquired, Outcome):
        return acquired
    row = acquired
    stored: list[str] = json.loads(row.payload or "[]")
    rows = ctx.ledger.ensure_tweets(row.id, stored)
    previous: str | None = None
    first: Sent | None = None
    position = 0
    while position < len(rows):
        tweet = ctx.ledger.tweets(row.id)[position]
        result = await _post_one(ctx, row, tweet, previous, x, forced=forced, reword=reword)
        if isinstance(result, Outcome):
            return result
        if isinstance(result, Delivery):  # waited out a rate limit: same tweet again
            row = result
            continue
        previous = result.remote_id
        first = first or result
        position += 1
    assert first is not None  # a thread has at least one tweet
    ctx.ledger.finish(row.id, first)
    log.info("twitter: thread of %d sent: %s", len(rows), first.url)
    return Outcome(row.channel, "done", "sent", first.url, f"{len(rows)} tweet(s)")


async def _post_one(
    ctx: RunContext,
    row: Delivery,
    tweet: TweetRow,
    previous: str | None,
    x: TweetService,
    *,
    forced: bool,
    reword: Reword = _same,
) -> Sent | Delivery | Outcome:
    """One tweet: its id (done), the re-claimed pair after a wait, or the pair's outcome."""
    if tweet.state == "done" and tweet.remote_id:
        return Sent(tweet.remote_id, _url(tweet.remote_id))
    # A resent thread (forced) still holds the earlier thread's first tweet until it is
    # done: a look-up must not take that one for this thread's.
    earlier = row.remote_id if tweet.position == 0 else None
    resend = forced or earlier is not None
    # Whether an earlier attempt at this very tweet may have gone out: then X's duplicate
    # refusal may be of that attempt, not of an earlier thread.
    uncertain = tweet.state in {"sending", "unknown"}
    if uncertain:
        try:
            found = await _find(ctx, row, x, tweet.text, previous, earlier)
        except Retryable as exc:
            if tweet.state == "unknown":  # it went out: only a look-up can find its id
                return _unknown(ctx, row, tweet, f"cannot look the tweet up: {exc}", exc)
            found = None  # the identical resend below tells, by X's duplicate refusal
        if found is not None:
            ctx.ledger.set_tweet(row.id, tweet.position, "done", remote_id=found.remote_id)
            return found
        if tweet.state == "unknown":
            return _unknown(ctx, row, tweet, tweet.last_error or "not found on X", None)
    problem: Retryable | None = None  # why the last look-up could not be done
    for _ in range(ctx.policy.max_attempts):
        turn = await through_gate(ctx, row)
        if turn is not None:
            return held_back_claimed(ctx, row, turn)
        ctx.ledger.renew(row.id, lease=ctx.lease)  # a long thread must not lose its claim
        ctx.ledger.set_tweet(row.id, tweet.position, "sending")
        try:
            sent = await request(ctx, row.channel, partial(x.post_tweet, tweet.text, previous))
        except Duplicate as exc:
            if not uncertain and not resend:
                # Never sent before, so not ours: it repeats another post's tweet.
                clash = _reworded(ctx, row, tweet, reword, exc)
                if isinstance(clash, Outcome):
                    return clash
                tweet = clash
                continue
            try:
                found = await _find(ctx, row, x, tweet.text, previous, earlier)
            except Retryable as failed:
                note = f"tweet {tweet.position + 1} went out (X refused a duplicate), but "
                return _unknown(ctx, row, tweet, f"{note}looking it up failed: {failed}", failed)
            if found is None and resend and tweet.position == 0 and not uncertain:
                # Not this thread's own tweet (none is found, and nothing was left
                # unanswered): X refuses the resend as a copy of the earlier thread.
                note = f"X refused the new thread as a duplicate of the earlier one ({exc})"
                return _fail(ctx, row, tweet.position, note)
            if found is None:
                note = (
                    f"tweet {tweet.position + 1} went out earlier (X refused a duplicate), "
                    "but its id cannot be read back, so the thread cannot continue"
                )
                return _unknown(ctx, row, tweet, note, None)
            sent = found
        except Uncertain as exc:
            ctx.ledger.log(row.id, "uncertain", f"tweet {tweet.position + 1}: {exc}")
            uncertain = True
            try:
                found = await _find(ctx, row, x, tweet.text, previous, earlier)
            except Retryable as failed:
                problem, found = failed, None
            if found is None:
                continue  # resend the identical text: a duplicate refusal will tell
            sent = found
        except WindowClosed:
            continue  # the gate is closed now: its turn comes at the top of the loop
        except Retryable as exc:
            # After an unanswered attempt the tweet stays "sending": the next try must
            # still look for it first, and read a duplicate refusal as its own.
            state: State = "sending" if uncertain else "pending"
            ctx.ledger.set_tweet(row.id, tweet.position, state, error=str(exc))
            return await back_off(ctx, ctx.ledger.get(row.id), exc)
        except Permanent as exc:
            return _fail(ctx, row, tweet.position, f"tweet {tweet.position + 1}: {exc}")
        ctx.ledger.set_tweet(row.id, tweet.position, "done", remote_id=sent.remote_id)
        return sent
    # X never answered: whether it went out is for a later look-up (or identical resend).
    note = "no answer from X after repeated attempts"
    return _unknown(ctx, row, tweet, note, problem or Retryable(row.channel, note), resend=True)


def _reworded(
    ctx: RunContext, row: Delivery, tweet: TweetRow, reword: Reword, exc: Duplicate
) -> TweetRow | Outcome:
    """The tweet with a text of the post's own, or the failure when none differs."""
    text = reword(tweet.text)
    if text == tweet.text:
        note = f"tweet {tweet.position + 1} repeats another tweet and X refused it ({exc})"
        return _fail(ctx, row, tweet.position, note)
    ctx.ledger.set_tweet(row.id, tweet.position, "pending", error=f"content clash: {exc}")
    ctx.ledger.set_tweet_text(row.id, tweet.position, text)
    log.info("twitter: tweet %d repeated another post's; reworded", tweet.position + 1)
    return ctx.ledger.tweets(row.id)[tweet.position]


async def _find(
    ctx: RunContext,
    row: Delivery,
    x: TweetService,
    text: str,
    previous: str | None,
    earlier: str | None,
) -> Sent | None:
    """The tweet with ``text`` replying to ``previous``, unless it is ``earlier``.

    None when it is not there, or when the account cannot read its timeline (a free
    tier: the identical resend tells instead). Raises Retryable when X could not be asked
    in time, its failures tried again with backoff (``look_up``).
    """
    try:
        found = await look_up(ctx, row, partial(x.find_tweet, text, previous))
    except Permanent as exc:
        log.info("twitter: cannot look the tweet up: %s", exc)
        return None
    return None if found is not None and found.remote_id == earlier else found


def _unknown(
    ctx: RunContext,
    row: Delivery,
    tweet: TweetRow,
    note: str,
    error: ChannelError | None,
    *,
    resend: bool = False,
) -> Outcome:
    """The tweet is unknown, so the thread stops there: the pair is unknown.

    ``error``: why X could not be asked; then it is asked again later (``unconfirmed``).
    With ``resend`` the tweet may not have gone out and stays ``sending``, so the next
    check may resend its identical text; otherwise only a look-up can settle it. The
    tweets after it were never sent and stay ``pending``: once the uncertain tweet is
    found (or settled by hand), the thread goes on from it.
    """
    state: State = "sending" if resend else "unknown"
    ctx.ledger.set_tweet(row.id, tweet.position, state, error=note)
    outcome = unconfirmed(ctx, row, note, error)
    if outcome.next_attempt_at is not None:
        return outcome
    return replace(outcome, note=f"{note}; settle it with `heartbeat-bot resolve`")


def _fail(ctx: RunContext, row: Delivery, position: int, note: str) -> Outcome:
    ctx.ledger.set_tweet(row.id, position, "failed", error=note)
    ctx.ledger.fail(row.id, note)
    return Outcome(row.channel, "failed", "failed", note=note)


def _url(tweet_id: str) -> str:
    return f"https://x.com/i/web/status/{tweet_id}"
