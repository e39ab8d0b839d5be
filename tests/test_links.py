"""Comments URLs written into posts, remembered when that fails, and tried again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from heartbeat_bot.announcer.links import MAX_BACKOFF, Links, backoff
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.models import Post
from heartbeat_bot.posts import parse_post
from heartbeat_bot.sources.writeback import FileWriteBack
from tests.conftest import DVC_POSTS
from tests.test_posts import BLOG

NAME = "2023-12-11-dvc-git-lfs.md"
TOPIC = "https://discuss.dvc.org/t/dvc-git-lfs/1200"


def read(path: Path) -> Post:
    return parse_post(path, path.read_bytes(), BLOG, {})


def test_backoff_is_at_once_then_doubles_from_a_minute_to_an_hour() -> None:
    """The first retry is immediate; then 1, 2, 4... minutes, never more than an hour."""
    assert [backoff(n) for n in range(1, 5)] == [0.0, 60.0, 120.0, 240.0]
    assert backoff(30) == MAX_BACKOFF


def test_a_link_expected_but_never_written_is_written_by_a_retry(tmp_path: Path) -> None:
    """A run that died after the topic was made leaves its marker; a retry writes the
    link, clears the marker, and a second retry has nothing to do."""
    path = tmp_path / NAME
    path.write_bytes((DVC_POSTS / NAME).read_bytes())
    with Ledger(tmp_path / "ledger.sqlite3", clock=lambda: 1000.0) as ledger:
        post = read(path)
        post_id = ledger.upsert_post(post)
        ledger.set_comments_url(post_id, TOPIC)
        links = Links(ledger, FileWriteBack(), clock=lambda: 1000.0)
        links.expect(post, TOPIC, not_before=1400.0)  # ... and the run dies here
        (pending,) = links.pending().values()
        assert (pending.attempts, pending.next_at) == (0, 1400.0)
        note = asyncio.run(links.retry(read(path)))
        assert note is not None and links.pending() == {}
        assert f"commentsUrl: {TOPIC}\n" in path.read_text(encoding="utf-8")
        assert asyncio.run(links.retry(read(path))) is None


def test_failures_count_up_and_a_link_set_by_a_person_stands(tmp_path: Path) -> None:
    """Each failed write counts and pushes the next try back; once a person has set a
    commentsUrl, a retry forgets the marker and writes nothing."""
    path = tmp_path / NAME
    path.write_bytes((DVC_POSTS / NAME).read_bytes())
    now = [1000.0]
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        stale = read(path)
        ledger.set_comments_url(ledger.upsert_post(stale), TOPIC)
        path.write_bytes(path.read_bytes() + b"\nEdited.\n")  # stale no longer matches
        links = Links(ledger, FileWriteBack(), clock=lambda: now[0])
        for attempts, wait in ((1, 0.0), (2, 60.0), (3, 120.0)):
            assert asyncio.run(links.write(stale, TOPIC)) is not None
            pending = links.pending()[stale.url]
            assert (pending.attempts, pending.next_at) == (attempts, now[0] + wait)
            assert "changed since it was read" in pending.error
        theirs = path.read_text(encoding="utf-8").replace(
            "\n---\n", "\ncommentsUrl: https://discuss.dvc.org/t/theirs/7\n---\n", 1
        )
        path.write_text(theirs, encoding="utf-8")
        assert asyncio.run(links.retry(read(path))) is None
        assert links.pending() == {}
        assert path.read_text(encoding="utf-8") == theirs
