"""A post's identity in a real SQLite ledger: migration of older ledgers, renames, held
posts, and which evidence makes a post the same as one announced before."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from heartbeat_bot.ledger import Ledger, LedgerError
from heartbeat_bot.ledger.identity import gone_posts, recognise
from heartbeat_bot.ledger.schema import MIGRATIONS
from heartbeat_bot.models import Post, Sent
from tests.test_ledger import make_post

TOPIC = "https://discuss.example/t/a-series/7"


def announced(ledger: Ledger, post: Post) -> int:
    """Record ``post`` with its Discord pair done, as an announcement leaves it."""
    post_id = ledger.upsert_post(post)
    row = ledger.ensure(post_id, "discord")
    claimed = ledger.claim(row.id, payload="{}")
    assert claimed is not None
    ledger.finish(row.id, Sent("1", "https://discord.example/1"))
    return post_id


def renamed(post: Post, slug: str, **changes: object) -> Post:
    return replace(
        post, slug=slug, url=f"https://blog.example/{slug}", path=Path(f"{slug}.md"), **changes
    )


def test_an_older_ledger_is_migrated_with_each_post_keyed_by_its_url(tmp_path: Path) -> None:
    """A schema-2 ledger opens with each post's key its URL, one name each, pairs intact."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 2")
    db.execute(
        "INSERT INTO posts (url, slug, path, title, content_hash, first_seen, updated_at) "
        "VALUES ('https://blog.example/old', 'old', 'old.md', 'Old', 'h', 1, 1)"
    )
    db.execute(
        "INSERT INTO deliveries (post_id, channel, state, created_at, updated_at) "
        "VALUES (1, 'discord', 'done', 1, 1)"
    )
    db.commit()
    db.close()
    with Ledger(path) as ledger:
        (row,) = ledger.posts()
        assert row.key == row.url == "https://blog.example/old" and row.status == "active"
        assert [n["url"] for n in ledger.names(row.id)] == [row.url]
        assert [d.state for d in ledger.deliveries(row.id)] == ["done"]


def test_a_rename_keeps_the_post_and_its_url_history(tmp_path: Path) -> None:
    """A renamed post keeps its id and key; both URLs find it; renaming back is the same."""
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        post = make_post("old")
        post_id = announced(ledger, post)
        new = renamed(post, "new")
        ledger.rename_post(post_id, new, "file renamed")
        row = ledger.post(post_id)
        assert (row.url, row.key) == (new.url, post.url)
        assert ledger.find_post(post.url) == ledger.find_post(new.url) == row
        assert ledger.upsert_post(post) == post_id, "renamed back: the same post"
        assert [n["url"] for n in ledger.names(post_id)] == [post.url, new.url]


def test_a_row_recorded_under_the_new_url_is_folded_only_if_it_sent_nothing(
    tmp_path: Path,
) -> None:
    """A renamed post seen as new first (nothing sent) is folded into the old record; one
    that was announced on its own is an error, never merged."""
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        post = make_post("old")
        post_id = announced(ledger, post)
        new = renamed(post, "new")
        ledger.ensure(ledger.upsert_post(new), "discord")
        ledger.rename_post(post_id, new, "file renamed")
        assert [p.id for p in ledger.posts()] == [post_id]
        other = make_post("other")
        announced(ledger, other)
        with pytest.raises(LedgerError, match="announced on its own"):
            ledger.rename_post(post_id, other, "a mistake")


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"comments_url": TOPIC}, "same"),  # carries the gone post's thread
        ({}, "same"),  # same date and title, gone in this scan
        ({"title": "Another title"}, "held"),  # same date only
        ({"date": date(2024, 2, 2)}, "held"),  # same title only
        ({"title": "Another title", "date": date(2024, 2, 2)}, None),  # nothing in common
    ],
    ids=["comments-url", "date-and-title", "date-only", "title-only", "unrelated"],
)
def test_evidence_for_a_renamed_post(tmp_path: Path, change: dict[str, object], kind: str) -> None:
    """Strong evidence makes the same post, weaker evidence holds it, none leaves it new."""
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        post = replace(make_post("old"), comments_url=TOPIC)
        post_id = announced(ledger, post)
        ledger.set_comments_url(post_id, TOPIC)
        candidate = renamed(post, "new", comments_url=None)
        candidate = replace(candidate, **change)  # type: ignore[arg-type]
        gone = gone_posts(ledger, {candidate.url})
        verdict = recognise(ledger, candidate, gone=gone, gone_now={post.url})
        assert (verdict.kind if verdict else None) == kind
        if verdict is not None:
            assert verdict.row.id == post_id


def test_a_shared_thread_or_a_post_still_there_is_never_the_same_post(tmp_path: Path) -> None:
    """Two gone posts sharing the thread hold the newcomer; a post still on the blog is
    never taken for a renamed one, and a scan that removed nothing finds nothing."""
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        first, second = make_post("part-1"), make_post("part-2")
        for post in (first, second):
            ledger.set_comments_url(announced(ledger, post), TOPIC)
        candidate = renamed(first, "part-3", comments_url=TOPIC, title="Part 3")
        gone = gone_posts(ledger, {candidate.url})
        verdict = recognise(ledger, candidate, gone=gone, gone_now=set())
        assert verdict is not None and verdict.kind == "held"
        still_there = gone_posts(ledger, {candidate.url, first.url, second.url})
        assert recognise(ledger, candidate, gone=still_there, gone_now=set()) is None
        same_title = renamed(first, "part-1-again")
        assert recognise(ledger, same_title, gone=gone, gone_now=set()) is None


def test_a_held_post_is_settled_either_way(tmp_path: Path) -> None:
    """settle_same_as continues the old record under the new name; settle_new frees it."""
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        post = make_post("old")
        post_id = announced(ledger, post)
        new = renamed(post, "new")
        held = ledger.hold_post(new, post_id, "may be a renamed post")
        assert ledger.post(held).status == "held" and ledger.post(held).held_as == post_id
        ledger.settle_same_as(held, post_id, new)
        assert [(p.id, p.url) for p in ledger.posts()] == [(post_id, new.url)]
        other = renamed(post, "other")
        again = ledger.hold_post(other, post_id, "may be")
        ledger.settle_new(again)
        assert ledger.post(again).status == "active" and ledger.post(again).held_as is None
