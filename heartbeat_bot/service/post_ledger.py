"""What the ledger says about a post, for the service: baseline, work left, its identity."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from heartbeat_bot.ledger import Ledger
from heartbeat_bot.ledger.identity import Verdict, apply, gone_posts, recognise
from heartbeat_bot.ledger.posts import shown_hash
from heartbeat_bot.models import Post

log = logging.getLogger("heartbeat_bot.service")

# The ledger marker of the first run (its moment): a stored marker, not "the ledger is
# empty", so an emptied table never reads as a first run.
BASELINE_KEY = "baseline"


def take_baseline(
    ledger: Ledger,
    posts: list[Post],
    backfill_since: date | None,
    now: datetime,
    enabled: Collection[str],
) -> list[Post]:
    """On the very first run, record every published post not backfilled as baseline;
    return the published posts dated ``backfill_since`` or later that still need work,
    oldest first, no longer marked as baseline (on every run)."""
    published = [p for p in posts if p.state(now) == "published"]
    backfill = [p for p in published if backfill_since and p.date >= backfill_since]
    if ledger.get_meta(BASELINE_KEY) is None:
        with ledger.transaction():  # one commit for thousands of posts
            for post in published:
                if post not in backfill:
                    ledger.mark_baseline(post)
            ledger.set_meta(BASELINE_KEY, now.isoformat())
        log.info(
            "first run: %d published posts recorded as baseline; nothing sent for them",
            len(published) - len(backfill),
        )
    backfill = [p for p in backfill if needs_work(ledger, p, enabled, baseline=True)]
    backfill.sort(key=lambda p: p.published_at)
    for post in backfill:
        ledger.mark_baseline(post, baseline=False)
    return backfill


def needs_work(
    ledger: Ledger, post: Post, enabled: Collection[str], *, baseline: bool = False
) -> bool:
    """Whether some enabled channel of the post has nothing settled yet (``baseline``:
    even for a post taken as baseline, to be backfilled)."""
    row = ledger.find_post(post.url)
    if row is None:
        return True
    if row.status == "held" or (row.baseline and not baseline):
        return False
    states = {d.channel: d.state for d in ledger.deliveries(row.id)}
    wanted = [c for c in enabled if c in post.channels]
    return any(states.get(c, "pending") in {"pending", "sending"} for c in wanted)


def identify_posts(
    ledger: Ledger,
    posts: Sequence[Post],
    *,
    present: Collection[str],
    gone_now: Collection[str],
    renames: Mapping[str, str],
) -> list[tuple[Post, Verdict]]:
    """Posts new to the ledger that are recorded posts under a new name, or may be.

    Each is recorded (renamed in the ledger, or held) and returned with its verdict.
    ``renames``: new path -> old path, as git reported them since the last scanned commit.
    """
    unknown = [p for p in posts if ledger.find_post(p.url) is None]
    if not unknown:
        return []
    gone = gone_posts(ledger, present)
    if not gone and not renames:  # nothing announced went away: every unknown post is new
        return []
    found = []
    for post in unknown:
        verdict = recognise(
            ledger,
            post,
            gone=gone,
            gone_now=gone_now,
            renamed_from=renames.get(str(post.path)),
        )
        if verdict is None:
            continue
        apply(ledger, post, verdict)
        if verdict.kind == "same":
            gone = [row for row in gone if row.id != verdict.row.id]
        found.append((post, verdict))
    return found


def needs_edit(ledger: Ledger, post: Post) -> bool:
    """Whether an announced post changed since it was last announced (or an edit of one of
    its messages was cut short): its sent messages may have to follow it."""
    row = ledger.find_post(post.url)
    if row is None or row.status == "held" or row.baseline:
        return False
    if row.shown_hash is None:  # recorded before it was kept: what it showed is unknown
        ledger.set_shown_hash(row.id, shown_hash(post))
        return ledger.edits_in_flight(row.id)
    if row.shown_hash == shown_hash(post) and not ledger.edits_in_flight(row.id):
        return False
    return any(d.state == "done" for d in ledger.deliveries(row.id))


def begun(ledger: Ledger, url: str) -> bool:
    """Whether the post's announcement began (a forced draft, a post unpublished
    halfway): what began is finished, rather than left due for ever."""
    row = ledger.find_post(url)
    return row is not None and any(d.state != "pending" for d in ledger.deliveries(row.id))
