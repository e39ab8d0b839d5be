"""The ledger's whole-table reads a scan of many posts uses give, in one query each, what
asking post by post gives (real SQLite file)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from heartbeat_bot.ledger import Ledger
from heartbeat_bot.ledger.identity import gone_near, gone_posts
from heartbeat_bot.service.post_ledger import BULK, identify_posts, needs_edit, needs_work
from tests.test_ledger import make_post
from tests.test_ledger_identity import announced, renamed

ENABLED = ("discord",)


def filled(path: Path) -> Ledger:
    """Posts in every standing: baseline, announced, renamed, held, unpublished, new."""
    ledger = Ledger(path)
    ledger.mark_baseline(make_post("base"))
    announced(ledger, make_post("sent"))
    old = announced(ledger, make_post("old-name"))
    ledger.rename_post(old, renamed(make_post("old-name"), "new-name"), "renamed")
    ledger.hold_post(make_post("held"), old, "may be new-name")
    gone = announced(ledger, make_post("gone"))
    ledger.set_status(gone, "unpublished", "deleted")
    ledger.upsert_post(make_post("fresh"))
    return ledger


def test_bulk_reads_match_post_by_post(tmp_path: Path) -> None:
    """Known URLs, quiet posts (never picked by needs_work or needs_edit) and statuses
    read in bulk agree with find_post, needs_work and needs_edit post by post."""
    with filled(tmp_path / "ledger.sqlite3") as ledger:
        slugs = ("base", "sent", "old-name", "new-name", "held", "gone", "fresh", "never")
        urls = {slug: f"https://blog.example/{slug}" for slug in slugs}
        known = ledger.known_urls()
        assert {u for u in urls.values() if ledger.find_post(u) is not None} == (
            known & set(urls.values())
        )
        assert "https://blog.example/old-name" in known  # a name it had
        quiet = ledger.quiet_urls()
        for slug, url in urls.items():
            post = renamed(make_post(slug), slug)
            if url in quiet:
                assert not needs_work(ledger, post, ENABLED) and not needs_edit(ledger, post)
        assert quiet == {urls["base"], urls["held"]}
        assert ledger.urls_with_status("unpublished") == {urls["gone"]}
        assert [url for _, url in ledger.post_urls()] == [row.url for row in ledger.posts()]


def test_gone_posts_are_the_announced_ones_missing(tmp_path: Path) -> None:
    """Gone posts: announced (or baseline), not held, and not on the blog, in id order."""
    with filled(tmp_path / "ledger.sqlite3") as ledger:
        present = {"https://blog.example/sent", "https://blog.example/fresh"}
        expected = [row for row in ledger.announced_posts() if row.url not in present]
        assert gone_posts(ledger, present) == expected
        assert {row.slug for row in expected} == {"base", "new-name", "gone"}


def test_gone_near_is_the_part_of_gone_posts_a_post_can_match(tmp_path: Path) -> None:
    """For a new post, gone_near gives the gone posts at its path, carrying its comments URL
    or gone in this scan, exactly as they appear in gone_posts (same rows, same order)."""
    with filled(tmp_path / "ledger.sqlite3") as ledger:
        shared = announced(ledger, make_post("talked"))
        ledger.set_comments_url(shared, "https://forum.example/t/1")
        present = {"https://blog.example/sent", "https://blog.example/fresh"}
        gone = gone_posts(ledger, present)
        cases = [
            (replace(make_post("x"), path=Path("base.md")), set()),  # at base's path
            (replace(make_post("x"), comments_url="https://forum.example/t/1"), set()),
            (make_post("x"), {"https://blog.example/gone", "https://blog.example/sent"}),
            (replace(make_post("x"), path=Path("held.md")), {"https://blog.example/held"}),
            (make_post("x"), set()),
        ]
        for post, gone_now in cases:
            expected = [
                row
                for row in gone
                if row.path == str(post.path)
                or (post.comments_url and row.comments_url == post.comments_url)
                or row.url in gone_now
            ]
            assert gone_near(ledger, post, present, gone_now) == expected
        assert [len(gone_near(ledger, p, present, g)) for p, g in cases] == [1, 1, 1, 0, 0]


def test_url_rows_give_post_urls_and_quiet_urls_in_one_read(tmp_path: Path) -> None:
    """url_rows: every post's id and URL as post_urls gives them, flagged quiet exactly
    for the URLs quiet_urls gives; gone_posts reads the same from them."""
    with filled(tmp_path / "ledger.sqlite3") as ledger:
        rows = ledger.url_rows()
        assert [(i, url) for i, url, _ in rows] == ledger.post_urls()
        assert {url for _, url, quiet in rows if quiet} == ledger.quiet_urls()
        present = {"https://blog.example/sent", "https://blog.example/fresh"}
        assert gone_posts(ledger, present, rows) == gone_posts(ledger, present)


def test_identify_with_the_rows_read_finds_posts_under_an_old_name(tmp_path: Path) -> None:
    """Given url_rows, identify_posts still knows a post at a URL it no longer has (a name
    it had), and takes a post at a URL no post ever had as new, as without them."""
    with filled(tmp_path / "ledger.sqlite3") as ledger:
        back = replace(make_post("old-name"), path=Path("new-name.md"))  # at new-name's path
        posts = [make_post("base"), back, make_post("never")]
        posts += [make_post(f"more-{n}") for n in range(BULK + 1)]  # the bulk reads
        present = {p.url for p in posts}
        rows = ledger.url_rows()
        found = identify_posts(
            ledger, posts, present=present, gone_now=set(), renames={}, urls=rows
        )
        assert [(post.slug, verdict.kind) for post, verdict in found] == []
        assert ledger.find_post("https://blog.example/never") is None  # nothing recorded
        moved = renamed(make_post("sent"), "sent-again")
        found = identify_posts(
            ledger,
            [moved],
            present={moved.url},
            gone_now={make_post("sent").url},
            renames={},
            urls=ledger.url_rows(),
        )
        assert [(post.slug, verdict.kind) for post, verdict in found] == [("sent-again", "same")]
