"""The slash commands on a blog that publishes a feed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heartbeat_bot.bot.commands import HeartbeatBot
from heartbeat_bot.sandbox import Sandbox
from heartbeat_bot.sandbox.feeds import FeedServer
from tests.bot.test_bot import announcer_role, reply, restore_discord_globals, until, with_bot
from tests.feed_shapes import SHAPES
from tests.service.test_feed_service import feed_blog

__all__ = ["restore_discord_globals"]  # the fixture, used by every test here


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def test_autocomplete_and_announce_an_entry(tmp_path: Path, sandbox: Sandbox) -> None:
    """Autocomplete offers the feed's entries; /announce of one sends it everywhere."""
    with FeedServer() as feeds:
        shape = SHAPES["substack"]
        feeds.put("substack", shape.text(), shape.content_type)
        roles = {"allowed_role_ids": announcer_role(sandbox)}
        blog = feed_blog(tmp_path, sandbox, feeds.url("substack"), discord=roles)

        async def scenario(sb: Sandbox, bot: HeartbeatBot) -> None:
            asked = sb.gateway.send_interaction(
                "announce",
                [{"name": "post", "type": 3, "value": "monorepo", "focused": True}],
                user_id=507,
                roles=announcer_role(sb),
                kind=4,
            )
            (answer,) = await until(lambda: sb.gateway.replies(asked), "choices")
            assert [c["value"] for c in answer["choices"]] == ["issue-41"]
            sent = sb.gateway.send_interaction(
                "announce",
                [{"name": "post", "type": 3, "value": "issue-41"}],
                user_id=508,
                roles=announcer_role(sb),
            )
            assert "twitter: done" in (await reply(sb, sent))["content"]
            assert len(sb.discourse.topics) == 1

        with_bot(blog, sandbox, scenario)
        assert len(feeds.served("substack")) == 1  # read once for both: not at every keystroke
