"""Recognising a post the ledger knows under another name: renamed, or a slug changed.

A post the ledger has never seen under its URL is matched against the posts it recorded
as announced (sent somewhere, or taken as the first run's baseline) whose URL is no
longer on the blog. Strong evidence makes it the same post, whose record continues:

- git reports its file as renamed from the file of that post, between the last scanned
  commit and this one (``renamed_from``); or it is the same file whose slug or URL changed;
- it carries the ``commentsUrl`` of such a post (any time after it disappeared);
- its date and title both match a post that disappeared in the same scan.

Weaker evidence (a post gone in the same scan matching on the title or on the date, but not
both) holds it: a person decides with ``heartbeat-bot resolve POST --same-as OTHER`` or
``--new``. Nothing here ever guesses towards a second announcement.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from heartbeat_bot.ledger.records import PostRow
from heartbeat_bot.ledger.store import Ledger
from heartbeat_bot.models import Post


@dataclass(frozen=True)
class Verdict:
    """``same``: ``post`` is the recorded ``row`` under a new name; ``held``: it may be."""

    kind: Literal["same", "held"]
    row: PostRow
    how: str


def gone_posts(
    ledger: Ledger,
    present_urls: Collection[str],
    urls: Iterable[tuple[int, str]] | Iterable[tuple[int, str, int]] | None = None,
) -> list[PostRow]:
    """Announced posts whose current URL is not on the blog now (``urls``: every recorded
    post's id and URL first, as :meth:`Ledger.post_urls` or :meth:`Ledger.url_rows` gives
    them, when already read)."""
    # Every recorded URL is read (one light query), the few not on the blog then checked.
    rows = ledger.post_urls() if urls is None else urls
    missing = [ledger.post(row[0]) for row in rows if row[1] not in present_urls]
    return [row for row in missing if row.status != "held" and ledger.announced(row.id)]


def gone_near(
    ledger: Ledger, post: Post, present_urls: Collection[str], gone_now: Collection[str]
) -> list[PostRow]:
    """The rows of :func:`gone_posts` that :func:`recognise` can match ``post`` with (at
    its path, sharing its ``commentsUrl``, or gone in this scan), in the same order: a few
    indexed look-ups rather than every recorded URL."""
    rows = {row.id: row for row in ledger.posts_at_path(str(post.path))}
    if post.comments_url:
        rows |= {row.id: row for row in ledger.posts_with_comments_url(post.comments_url)}
    rows |= {row.id: row for row in ledger.posts_with_urls(gone_now)}
    return [
        row
        for _id, row in sorted(rows.items())
        if row.url not in present_urls and row.status != "held" and ledger.announced(row.id)
    ]


def recognise(
    ledger: Ledger,
    post: Post,
    *,
    gone: Sequence[PostRow] = (),
    gone_now: Collection[str] = (),
    renamed_from: str | None = None,
) -> Verdict | None:
    """Whether ``post``, unknown to the ledger by its URL, is a post it recorded.

    ``gone``: announced posts no longer on the blog; ``gone_now``: the URLs of those that
    disappeared in this scan; ``renamed_from``: the path git says the file had before.
    """
    if ledger.find_post(post.url) is not None:
        return None
    if renamed_from is not None:
        for row in ledger.posts_at_path(renamed_from):
            if row.url != post.url and ledger.announced(row.id):
                return Verdict("same", row, f"file renamed from {_name(renamed_from)}")
    for row in ledger.posts_at_path(str(post.path)):
        if row.url != post.url and ledger.announced(row.id) and row in gone:
            return Verdict("same", row, f"URL changed from {row.url}")
    date = post.date.isoformat()
    if post.comments_url:
        shared = [row for row in gone if row.comments_url == post.comments_url]
        if len(shared) == 1:
            return Verdict("same", shared[0], f"carries the commentsUrl of {shared[0].url}")
        if shared:
            return Verdict("held", shared[0], _held_note(shared, "share its commentsUrl"))
    recent = [row for row in gone if row.url in gone_now]
    both = [row for row in recent if row.title == post.title and row.date == date]
    if len(both) == 1:
        return Verdict("same", both[0], f"same date and title as {both[0].url}")
    either = both or [row for row in recent if row.title == post.title or row.date == date]
    if either:
        return Verdict("held", either[0], _held_note(either, "disappeared as it appeared"))
    return None


def _held_note(rows: Sequence[PostRow], why: str) -> str:
    names = ", ".join(row.slug for row in rows)
    return (
        f"may be a renamed post ({names} {why}); settle it with `heartbeat-bot resolve "
        f"POST --same-as {rows[0].slug}` or `--new`"
    )


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def apply(ledger: Ledger, post: Post, verdict: Verdict) -> int:
    """Record the verdict: the post continues ``row``'s record, or is held. Its id."""
    if verdict.kind == "same":
        ledger.rename_post(verdict.row.id, post, verdict.how)
        return verdict.row.id
    return ledger.hold_post(post, verdict.row.id, verdict.how)
