"""The text of /status replies (pure formatting of the ledger's status rows)."""

from __future__ import annotations

from typing import Any

from heartbeat_bot.bot.replies import status_text


def row(channel: str, state: str, **extra: Any) -> dict[str, Any]:
    base = {"slug": "dvc-git-lfs", "channel": channel, "state": state, "remote_url": None}
    return {**base, "last_error": None, "baseline": False, **extra}


def test_status_names_state_link_error_and_a_link_not_written() -> None:
    """Each channel's line carries its link or error; a link not written gets its own line."""
    rows = [
        row(
            "discourse",
            "done",
            remote_url="https://discuss.example/t/1",
            comments_url_error="post changed since it was read",
        ),
        row("discord", "waiting", last_error="Discord is rate limiting us for 3.0 s"),
        row("twitter", "done", remote_url="https://x.com/i/web/status/2"),
    ]
    text = status_text(rows, history=False)
    assert text.splitlines() == [
        "**dvc-git-lfs**",
        "- discourse: done <https://discuss.example/t/1>",
        "  - commentsUrl not written yet: post changed since it was read",
        "- discord: waiting: Discord is rate limiting us for 3.0 s",
        "- twitter: done <https://x.com/i/web/status/2>",
    ]


def test_status_of_nothing() -> None:
    """An empty ledger says so."""
    assert status_text([], history=False) == "Nothing announced yet."


def test_status_shows_a_held_post_and_a_stale_tweet() -> None:
    """A held or unpublished post gets a line saying so; a stale pair says it is out of date."""
    held = "may be a renamed post (e2e-cv-pt1 disappeared as it appeared)"
    rows = [
        row("discourse", "pending", post_state="held", post_note=held),
        row("twitter", "done", post_state="held", post_note=held, stale=True),
    ]
    lines = status_text(rows, history=False).splitlines()
    assert lines[:2] == ["**dvc-git-lfs**", f"- post held: {held}"]
    assert lines[3] == "- twitter: done (stale: out of date, never edited)"
