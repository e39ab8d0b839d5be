"""`heartbeat-bot run` with posts that share a slug: held, logged once, alerted once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import make_blog
from tests.service.test_service import Running, wait_for


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def post_text(title: str, when: datetime, slug: str) -> str:
    return (
        f"---\ntitle: {title}\ndate: {when.isoformat()}\nslug: {slug}\n"
        "descriptionLong: A short summary of the post.\n---\n\nBody.\n"
    )


def test_posts_sharing_a_slug_are_held_then_announced_once_apart(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A second post taking a scheduled post's slug holds both: neither goes out at the
    moment, the clash is logged and alerted once over several rescans; once the second has
    its own slug, both are announced."""
    blog = make_blog(
        tmp_path,
        sandbox,
        posts=(),
        overrides={
            "blog": {"poll_interval": 1},
            "service": {"http": ""},
            "alerts": {"discord_webhook_url": sandbox.discord_webhook_url},
        },
    )
    running = Running(blog)
    try:
        moment = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        first, second = blog.posts / "2024-01-01-first.md", blog.posts / "2024-01-02-second.md"
        first.write_text(post_text("The first post", moment, "same"))
        wait_for(lambda: "scheduled: same" in running.text(), what="the first post")
        second.write_text(post_text("The second post", moment, "same"))
        wait_for(lambda: "posts held" in running.text(), what="the clash")
        time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 2.5)
        assert sandbox.discourse.topics == [] and sandbox.x.tweets == []
        alerts = [m for m in sandbox.discord.messages if m["via"] == "webhook"]
        assert [m for m in sandbox.discord.messages if m["via"] != "webhook"] == []
        assert len(alerts) == 1, alerts
        assert first.name in alerts[0]["content"] and second.name in alerts[0]["content"]
        assert running.text().count("posts held") == 1
        second.write_text(post_text("The second post", moment, "second-own"))
        wait_for(lambda: len(sandbox.discourse.topics) == 2, what="both to go out")
        wait_for(lambda: len(sandbox.x.tweets) >= 2, what="both tweets")
    finally:
        assert running.stop() == 0
    titles = sorted(topic["title"] for topic in sandbox.discourse.topics)
    assert titles[0].startswith("The first post") and titles[1].startswith("The second post")
