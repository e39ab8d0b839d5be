"""Mastodon statuses follow the post's edits in place through the real wiring and the
sandbox, while X is only marked stale and nothing new is sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from heartbeat_bot.cli.show import show_reports
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import NEW_POST, make_blog

CHANNELS = ("twitter", "mastodon")
OLD_TITLE = "Integrating DVC and Git LFS via libgit2 filters"
NEW_TITLE = "DVC reads Git LFS objects through libgit2 filters"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A sandbox whose 429s ask for 0.2 s."""
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def test_a_title_and_summary_edit_edits_each_status_once(tmp_path: Path, sandbox: Sandbox) -> None:
    """The title and summary change: every status the bot sent is edited in place (same
    ids), X is untouched and stale, nothing new is sent, and a restart does nothing more."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=CHANNELS)
    (first,) = blog.announce("dvc-git-lfs")
    assert {c: first.outcomes[c].state for c in CHANNELS} == dict.fromkeys(CHANNELS, "done")
    ids = [s["id"] for s in sandbox.mastodon.statuses]
    tweets = [dict(t) for t in sandbox.x.tweets]
    assert OLD_TITLE in sandbox.mastodon.statuses[0]["text"]

    path = blog.posts / NEW_POST
    text = path.read_text(encoding="utf-8")
    text = text.replace(OLD_TITLE, NEW_TITLE).replace("Read about how", "Read how")
    path.write_text(text, encoding="utf-8")
    (second,) = blog.announce("dvc-git-lfs")

    statuses = sandbox.mastodon.statuses
    assert [s["id"] for s in statuses] == ids
    assert NEW_TITLE in statuses[0]["text"] and OLD_TITLE in statuses[0]["history"][0]
    assert all(s["edited_at"] for s in statuses if s["history"])
    assert "mastodon: edited to follow the post" in second.notes
    assert [dict(t) for t in sandbox.x.tweets] == tweets
    with blog.ledger() as ledger:
        (post,) = ledger.posts()
        rows = {d.channel: d for d in ledger.deliveries(post.id)}
        assert ledger.stale(rows["twitter"].id) and not ledger.stale(rows["mastodon"].id)

    edited = [list(s["history"]) for s in statuses]
    (third,) = blog.announce("dvc-git-lfs")  # a new announcer: a restart
    assert [s["id"] for s in sandbox.mastodon.statuses] == ids
    assert [list(s["history"]) for s in sandbox.mastodon.statuses] == edited
    assert [dict(t) for t in sandbox.x.tweets] == tweets
    assert not any(n.startswith("mastodon") for n in third.notes)


def test_a_thread_that_would_change_length_is_marked_stale(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A new title that, within the instance's now smaller limit, needs more statuses
    leaves the thread as sent and marks it stale."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("mastodon",))
    blog.announce("dvc-git-lfs")
    texts = [s["text"] for s in sandbox.mastodon.statuses]

    sandbox.mastodon.max_characters = 200
    path = blog.posts / NEW_POST
    path.write_text(path.read_text(encoding="utf-8").replace(OLD_TITLE, NEW_TITLE))
    (report,) = blog.announce("dvc-git-lfs")

    assert [s["text"] for s in sandbox.mastodon.statuses] == texts
    assert "mastodon: out of date (the post changed); never edited" in report.notes
    with blog.ledger() as ledger:
        (post,) = ledger.posts()
        (row,) = ledger.deliveries(post.id)
        assert ledger.stale(row.id)


def test_reports_list_enabled_channels_in_registry_order(tmp_path: Path, sandbox: Sandbox) -> None:
    """Three enabled channels: the report (and its text) lists exactly those, in the
    registry's order; a channel named by --only but not enabled is listed as such."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("twitter", "discord"))
    (report,) = blog.announce("dvc-git-lfs")
    assert list(report.outcomes) == ["discord", "twitter"]
    console = Console(record=True, width=200)
    show_reports([report], dry_run=False, console=console)
    assert "not enabled" not in console.export_text()

    (picked,) = blog.announce("dvc-git-lfs", only=frozenset({"mastodon", "twitter"}))
    assert list(picked.outcomes) == ["discord", "twitter", "mastodon"]
    assert picked.outcomes["mastodon"].note == "not enabled"
    assert picked.outcomes["discord"].note == "not selected"
