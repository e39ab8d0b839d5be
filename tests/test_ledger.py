"""The ledger: schema and migrations, exclusive claims, leases, and the attempt log."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from heartbeat_bot.ledger import SCHEMA_VERSION, Ledger, LedgerError
from heartbeat_bot.ledger.schema import MIGRATIONS
from heartbeat_bot.models import Post, Sent
from tests.rendering import CHANNELS


def make_post(slug: str = "a-post") -> Post:
    return Post(
        path=Path(f"{slug}.md"),
        slug=slug,
        url=f"https://blog.example/{slug}",
        title="A post",
        date=date(2024, 1, 1),
        published_at=datetime(2024, 1, 1, tzinfo=UTC),
        picture_url=None,
        authors=(),
        author_ids=(),
        tags=(),
        description=None,
        description_long=None,
        comments_url=None,
        draft=False,
        channels=frozenset(CHANNELS),
        content_hash="0" * 64,
    )


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_new_ledger_is_current_and_in_wal_mode(tmp_path: Path) -> None:
    """A new file gets the latest schema, in WAL mode, in a folder created on demand."""
    with Ledger(tmp_path / "state" / "l.sqlite3") as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
    db = sqlite3.connect(tmp_path / "state" / "l.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_older_schema_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    """A file at schema 1 is migrated forward without losing what it held."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO posts (url, slug, path, title, content_hash, first_seen, updated_at) "
        "VALUES ('https://blog.example/old', 'old', 'old.md', 'Old', 'h', 1, 1)"
    )
    db.execute(
        "INSERT INTO deliveries (post_id, channel, state, remote_url, created_at, updated_at) "
        "VALUES (1, 'discord', 'done', 'https://discord.com/channels/1/2/3', 1, 1)"
    )
    db.commit()
    db.close()
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        row = ledger.find_post("https://blog.example/old")
        assert row is not None and row.comments_url is None and not row.baseline
        (delivery,) = ledger.deliveries(row.id)
        assert delivery.state == "done" and delivery.nonce is None
        assert delivery.remote_url == "https://discord.com/channels/1/2/3"
        ledger.set_meta("baseline", "yes")
        assert ledger.get_meta("baseline") == "yes"


def test_meta_by_prefix_is_literal_and_survives_reopening(tmp_path: Path) -> None:
    """Keys are matched by a literal prefix (no LIKE wildcards); deletes are kept."""
    path = tmp_path / "meta.sqlite3"
    with Ledger(path) as ledger:
        ledger.set_meta("writeback:https://a.example/x_y", "1")
        ledger.set_meta("writeback:https://a.example/z", "2")
        ledger.set_meta("writebackX", "3")
        ledger.set_meta("other", "4")
        ledger.delete_meta("writeback:https://a.example/z")
    with Ledger(path) as ledger:
        assert ledger.meta_with_prefix("writeback:") == {"writeback:https://a.example/x_y": "1"}
        assert ledger.meta_with_prefix("writeback:https://a.example/x%") == {}


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """A file written by a newer version is not touched, with advice to upgrade."""
    path = tmp_path / "new.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(LedgerError, match="newer heartbeat-bot"):
        Ledger(path)


def test_unopenable_path_names_the_setting(tmp_path: Path) -> None:
    """A ledger path that cannot be created is reported against state.path."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LedgerError, match=r"state\.path"):
        Ledger(blocker / "sub" / "l.sqlite3")


def test_claim_is_exclusive_and_keeps_the_first_payload(tmp_path: Path) -> None:
    """Of two ledgers on one file only one claims a pair; a re-claim keeps the stored payload."""
    path = tmp_path / "l.sqlite3"
    first, second = Ledger(path, identity="a"), Ledger(path, identity="b")
    post_id = first.upsert_post(make_post())
    row = first.ensure(post_id, "discord")
    claimed = first.claim(row.id, payload='{"v": 1}', nonce="n1")
    assert claimed is not None and claimed.state == "sending" and claimed.claimed_by == "a"
    assert second.claim(row.id, payload='{"v": 2}', nonce="n2") is None
    first.wait(row.id, "429", next_attempt_at=0)
    again = second.claim(row.id, payload='{"v": 2}', nonce="n2", from_states=("waiting",))
    assert again is not None
    assert again.payload == '{"v": 1}' and again.nonce == "n1" and again.attempts == 2
    events = [e["event"] for e in second.history(row.id)]
    assert events == ["sending", "waiting", "sending"]


def test_take_over_needs_an_expired_lease_or_a_dead_claimer(tmp_path: Path) -> None:
    """A live claim is left alone until its lease expires; a dead process's claim is not."""
    clock = Clock()
    path = tmp_path / "l.sqlite3"
    worker = subprocess.Popen([sys.executable, "-c", "pass"])
    worker.wait()  # a process that is gone, on this host
    import socket

    dead = f"{socket.gethostname()}:{worker.pid}:x"
    alive = Ledger(path, identity=f"{socket.gethostname()}:1:y", clock=clock)  # pid 1 lives
    other = Ledger(path, identity="other-host:1:z", clock=clock)
    post_id = alive.upsert_post(make_post())
    row = alive.ensure(post_id, "discourse")
    assert alive.claim(row.id, payload="{}", lease=60) is not None
    assert other.take_over(row.id) is None  # lease running, claimer alive
    clock.now += 61
    assert other.take_over(row.id) is not None  # lease expired
    by_dead = Ledger(path, identity=dead, clock=clock)
    row2 = by_dead.ensure(post_id, "discord")
    assert by_dead.claim(row2.id, payload="{}", lease=600) is not None
    assert other.take_over(row2.id) is not None  # the claimer is gone: no need to wait


def test_settling_writes_state_remote_and_log(tmp_path: Path) -> None:
    """done/failed/unknown/resolve each commit their state, clear the claim and log it."""
    ledger = Ledger(tmp_path / "l.sqlite3", identity="me")
    post_id = ledger.upsert_post(make_post())
    row = ledger.ensure(post_id, "twitter")
    ledger.claim(row.id, payload='["a", "b"]')
    tweets = ledger.ensure_tweets(row.id, ["a", "b"])
    assert [t.state for t in tweets] == ["pending", "pending"]
    ledger.set_tweet(row.id, 0, "sending")
    ledger.set_tweet(row.id, 0, "done", remote_id="11")
    ledger.finish(row.id, Sent("11", "https://x.com/i/web/status/11"))
    done = ledger.get(row.id)
    assert (done.state, done.remote_id, done.claimed_by) == ("done", "11", None)
    ledger.resolve(row.id, "pending", "by hand")
    reset = ledger.get(row.id)
    assert reset.state == "pending" and reset.payload is None and reset.attempts == 0
    events = [e["event"] for e in ledger.history(row.id)]
    assert events == ["sending", "tweet-sending", "tweet-done", "done", "resolved:pending"]


RACE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from heartbeat_bot.ledger import Ledger
    ledger = Ledger(Path(sys.argv[1]), identity=sys.argv[2])
    Path(sys.argv[1] + "." + sys.argv[2]).touch()
    go = Path(sys.argv[1] + ".go")
    while not go.exists():  # start together
        time.sleep(0.005)
    ids = range(1, int(sys.argv[3]) + 1)
    won = []
    # The racers walk the pairs in opposite directions, so they contend where they meet.
    for delivery_id in (ids if sys.argv[2] == "left" else reversed(ids)):
        if ledger.claim(delivery_id, payload="{}") is not None:
            won.append(str(delivery_id))
        time.sleep(0.002)  # room for the other racer: SQLite's lock is not fair
    print(" ".join(won))
    """
)


def test_two_processes_never_claim_the_same_pair(tmp_path: Path) -> None:
    """Two processes racing over the same pending pairs claim each pair exactly once."""
    path = tmp_path / "l.sqlite3"
    ledger = Ledger(path)
    count = 0
    for index in range(100):
        post_id = ledger.upsert_post(make_post(f"p{index}"))
        for channel in CHANNELS:
            ledger.ensure(post_id, channel)
            count += 1
    ledger.close()
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACE, str(path), name, str(count)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("left", "right")
    ]
    deadline = time.monotonic() + 60
    while not all(Path(f"{path}.{n}").exists() for n in ("left", "right")):
        assert time.monotonic() < deadline, "racers did not start"
        time.sleep(0.01)
    Path(f"{path}.go").touch()
    results = [set(r.communicate(timeout=60)[0].split()) for r in racers]
    assert all(r.returncode == 0 for r in racers)
    assert results[0].isdisjoint(results[1])
    assert len(results[0] | results[1]) == count
    assert results[0] and results[1], "both processes took part"


def test_due_brings_back_waits_rechecks_and_dead_claims(tmp_path: Path) -> None:
    """due() lists ended waits, unknowns asked to be re-checked, and expired claims."""
    clock = Clock()
    ledger = Ledger(tmp_path / "l.sqlite3", identity="me", clock=clock)
    post_id = ledger.upsert_post(make_post())
    waiting, unknown, stuck = (ledger.ensure(post_id, c) for c in CHANNELS[:3])
    for row in (waiting, unknown, stuck):
        ledger.claim(row.id, payload="{}", lease=30)
    ledger.wait(waiting.id, "429", next_attempt_at=clock.now + 10)
    ledger.mark_unknown(unknown.id, "service down during the check", retry_at=clock.now + 20)
    assert ledger.due() == []
    clock.now += 31
    assert {d.id for d in ledger.due()} == {waiting.id, unknown.id, stuck.id}


def test_a_taken_over_claim_cannot_overwrite_the_new_owner(tmp_path: Path) -> None:
    """A process whose lease ran out does not record over the process that took over."""
    clock = Clock()
    path = tmp_path / "l.sqlite3"
    slow, other = (
        Ledger(path, identity="slow", clock=clock),
        Ledger(path, identity="o", clock=clock),
    )
    row = slow.ensure(slow.upsert_post(make_post()), "discord")
    slow.claim(row.id, payload="{}", lease=10)
    clock.now += 11
    assert other.take_over(row.id) is not None
    other.finish(row.id, Sent("2", "https://discord.example/2"))
    slow.fail(row.id, "late answer")
    final = other.get(row.id)
    assert (final.state, final.remote_id) == ("done", "2")


def test_retry_by_hand_forgets_the_thread(tmp_path: Path) -> None:
    """resolve --retry on an X pair drops its tweet rows, so the thread is sent anew."""
    ledger = Ledger(tmp_path / "l.sqlite3", identity="me")
    row = ledger.ensure(ledger.upsert_post(make_post()), "twitter")
    ledger.claim(row.id, payload='["a", "b"]')
    ledger.ensure_tweets(row.id, ["a", "b"])
    ledger.set_tweet(row.id, 0, "unknown", error="lost")
    ledger.mark_unknown(row.id, "lost")
    ledger.resolve(row.id, "pending", "by hand")
    assert ledger.tweets(row.id) == [] and ledger.get(row.id).payload is None


def test_an_edit_another_run_has_made_is_not_claimed_again(tmp_path: Path) -> None:
    """A run that read the message's old hash before another run edited and recorded it
    cannot claim the same edit; an edit back to an earlier text can still be claimed."""
    clock = Clock()
    path = tmp_path / "l.sqlite3"
    first, second = Ledger(path, identity="a", clock=clock), Ledger(path, identity="b", clock=clock)
    row = first.ensure(first.upsert_post(make_post()), "discord")
    assert second.current_hash(row.id) is None  # what the slower run read
    assert first.claim_edit(row.id, "revised")
    clock.now += 1
    first.record_edit(row.id, "revised", "done")
    assert not second.claim_edit(row.id, "revised")
    assert second.edit_state(row.id, "revised") == "done"
    clock.now += 1
    assert second.claim_edit(row.id, "again")
    clock.now += 1
    second.record_edit(row.id, "again", "done")
    assert first.claim_edit(row.id, "revised")  # changed back: the message must follow
