"""In the service the slash commands offer its latest scan and read again only the post a
person acts on; the bot's own source reads nothing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path

import pytest

from heartbeat_bot.app.wiring import announcer_for, open_ledger
from heartbeat_bot.bot.commands import HeartbeatBot
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.sandbox import Sandbox
from heartbeat_bot.sources.folder import FolderSource
from tests.announce_env import LINKED_POST, NEW_POST, Blog
from tests.bot.test_bot import announcer_role, bot_blog, restore_discord_globals, until

__all__ = ["restore_discord_globals"]  # the autouse fixture, for these tests too

Items = Sequence[Post | PostError]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def latest_scan(blog: Blog) -> list[Post | PostError]:
    """The service's scan of the blog as it is now (its own source, as the service has)."""
    app = blog.app()
    return list(app.source.rescan(app.config.blog).items)


def with_latest(
    blog: Blog, items: Items, scenario: Callable[[HeartbeatBot], Awaitable[None]]
) -> None:
    """A bot given ``items`` as the service's latest scan, not connected, in a loop."""

    async def main() -> None:
        app = blog.app()
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger) as announcer:
                bot = HeartbeatBot(app, ledger, announcer, latest=lambda: items)
                try:
                    await scenario(bot)
                finally:
                    await bot.close()

    asyncio.run(main())


def never_scanned(blog: Blog, bot: HeartbeatBot) -> bool:
    """Whether the bot's own source has read nothing yet (every file is news to it)."""
    source = bot.source
    assert isinstance(source, FolderSource)
    return len(source.rescan(blog.app().config.blog).changed) == 2


def url_of(items: Items, name: str) -> str:
    return next(i.url for i in items if isinstance(i, Post) and i.path.name == name)


def test_a_press_sees_an_edit_the_service_has_not_read(tmp_path: Path, sandbox: Sandbox) -> None:
    """The post a button names is its file as edited a moment before, though the service's
    latest scan holds the earlier version, and no other file is read for it."""
    blog = bot_blog(tmp_path, sandbox)
    items = latest_scan(blog)
    path = blog.posts / NEW_POST
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^title: .*$", "title: Edited a moment ago", text, count=1, flags=re.M))

    async def scenario(bot: HeartbeatBot) -> None:
        found = await bot.post_at(url_of(items, NEW_POST))
        assert found is not None and found.title == "Edited a moment ago"
        assert never_scanned(blog, bot)

    with_latest(blog, items, scenario)


def test_a_post_deleted_since_the_scan_is_not_found(tmp_path: Path, sandbox: Sandbox) -> None:
    """A post whose file was deleted since the service's scan is no longer found (the whole
    folder is read to say so), while the other is still read from its file."""
    blog = bot_blog(tmp_path, sandbox)
    items = latest_scan(blog)
    (blog.posts / NEW_POST).unlink()

    async def scenario(bot: HeartbeatBot) -> None:
        assert await bot.post_at(url_of(items, NEW_POST)) is None
        kept = await bot.post_at(url_of(items, LINKED_POST))
        assert kept is not None and kept.path.name == LINKED_POST

    with_latest(blog, items, scenario)


def test_without_a_scan_yet_the_bot_reads_the_folder(tmp_path: Path, sandbox: Sandbox) -> None:
    """Before the service's first scan (no items yet) the bot reads the folder itself."""
    blog = bot_blog(tmp_path, sandbox)
    url = url_of(latest_scan(blog), NEW_POST)

    async def scenario(bot: HeartbeatBot) -> None:
        assert len(await bot.posts()) == 2
        found = await bot.post_at(url)
        assert found is not None and found.path.name == NEW_POST

    with_latest(blog, [], scenario)


def test_autocomplete_offers_the_service_scan(tmp_path: Path, sandbox: Sandbox) -> None:
    """Given the service's latest scan, autocomplete offers its posts (here one of the two
    files), and the bot's own source reads none: the posts are held once."""
    blog = bot_blog(tmp_path, sandbox)
    items = latest_scan(blog)
    latest = [i for i in items if isinstance(i, Post) and i.slug == "april-22-heartbeat"]

    async def main() -> None:
        app = blog.app()
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger) as announcer:
                bot = HeartbeatBot(app, ledger, announcer, latest=lambda: latest)
                task = asyncio.ensure_future(bot.start())
                try:
                    await until(lambda: bot.client.is_ready() and sandbox.gateway.connected, "ok")
                    asked = sandbox.gateway.send_interaction(
                        "status",
                        [{"name": "post", "type": 3, "value": "", "focused": True}],
                        user_id=507,
                        roles=announcer_role(sandbox),
                        kind=4,
                    )
                    (listed,) = await until(lambda: sandbox.gateway.replies(asked), "choices")
                    assert [c["value"] for c in listed["choices"]] == ["april-22-heartbeat"]
                    assert never_scanned(blog, bot)
                finally:
                    await bot.close()
                    await asyncio.wait_for(task, 10)

    asyncio.run(main())
