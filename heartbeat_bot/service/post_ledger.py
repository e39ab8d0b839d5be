"""What the ledger says about a post, for the service: baseline, work left, its identity."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from heartbeat_bot.ledger import Ledger
from heartbeat_bot.ledger.identity import Verdict, apply, gone_near, gone_posts, recognise
from heartbeat_bot.ledger.posts import shown_hash
from heartbeat_bot.models import Post
from heartbeat_bot.sources.stored_post import whole

log = logging.getLogger("heartbeat_bot.service")

# The ledger marker of the first run (its moment): a stored marker, not "the ledger is
# empty", so an emptied table never reads as a first run.
BASELINE_KEY = "baseline"
# Past this many posts, what the ledger says of them is read in one query, not one each.
BULK = 20


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
    taken = ledger.get_meta(BASELINE_KEY) is not None
    if taken and backfill_since is None:
        return []  # a later start without --backfill: nothing to take (no post's state)
    published = [p for p in posts if p.state(now) == "published"]
    backfill = [p for p in published if backfill_since and p.date >= backfill_since]
    if not taken:
        with ledger.transaction():  # one commit for thousands of posts
            for post in whole(p for p in published if p not in backfill):
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
    urls: Sequence[tuple[int, str, int]] | None = None,
) -> list[tuple[Post, Verdict]]:
    """Posts new to the ledger that are recorded posts under a new name, or may be.

    Each is recorded (renamed in the ledger, or held) and returned with its verdict.
    ``renames``: new path -> old path, as git reported them since the last scanned commit.
    ``urls``: every recorded post as :meth:`Ledger.url_rows` gives them, when already read
    (a post at a current URL is known; only the others are looked for among old names).
    """
    if urls is not None:
        current = {row[1] for row in urls}
        posts = [p for p in posts if p.url not in current]
    known = ledger.known_urls() if len(posts) > BULK else None  # one query, not one a post
    unknown = [
        p
        for p in posts
        if (p.url not in known if known is not None else ledger.find_post(p.url) is None)
    ]
    if not unknown:
        return []
    # Many unknown posts: every announced post gone, in one query; a few: for each, only
    # the gone posts it could be (gone_near), so a new file costs the same at any size.
    gone = gone_posts(ledger, present, urls) if len(unknown) > BULK else None
    if gone is not None and not gone and not renames:
        return []  # nothing announced went away: every unknown post is new
    claimed: set[int] = set()  # recorded posts found renamed in this scan
    found = []
    for post in unknown:
        near = gone if gone is not None else gone_near(ledger, post, present, gone_now)
        verdict = recognise(
            ledger,
            post,
            gone=[row for row in near if row.id not in claimed],
            gone_now=gone_now,
            renamed_from=renames.get(str(post.path)),
        )
        if verdict is None:
            continue
        apply(ledger, post, verdict)
        if verdict.kind == "same":
            claimed.add(verdict.row.id)
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


def quiet_urls(ledger: Ledger) -> set[str]:
    """URLs of the posts that neither :func:`needs_work` (without ``baseline``) nor
    :func:`needs_edit` would ever pick, whatever their files say, in one query: posts
    taken as baseline or held."""
    return ledger.quiet_urls()
