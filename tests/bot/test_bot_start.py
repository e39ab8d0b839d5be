"""When the slash-command bot starts in `run`: once the first scan is done, so that its
commands offer that scan's posts and its log-in does not slow the scan down."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from heartbeat_bot.app.wiring import announcer_for, open_ledger
from heartbeat_bot.bot.commands import HeartbeatBot
from heartbeat_bot.bot.supervisor import BotSupervisor
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import make_blog
from tests.bot.test_bot import bot_blog, restore_discord_globals, sandbox, until
from tests.conftest import DVC_POSTS
from tests.service.test_service import Running, wait_for

__all__ = ["restore_discord_globals", "sandbox"]  # the fixtures, shared


def test_the_supervisor_makes_its_first_bot_once_its_event_is_set(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """With ``after``, no bot is made and nothing reaches the gateway until the event is
    set; then the bot logs in and connects."""
    blog = bot_blog(tmp_path, sandbox)

    async def main() -> None:
        app = blog.app()
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger) as announcer:
                made: list[HeartbeatBot] = []

                def make() -> HeartbeatBot:
                    made.append(HeartbeatBot(app, ledger, announcer))
                    return made[-1]

                watching = asyncio.Event()
                supervisor = BotSupervisor(make, after=watching)
                await asyncio.sleep(0.2)  # the supervisor's task has run up to its wait
                assert made == [] and sandbox.gateway.identify_count == 0
                watching.set()
                await until(lambda: sandbox.gateway.connected, "the bot to connect")
                assert len(made) == 1
                await supervisor.close()

    asyncio.run(main())


def test_run_connects_the_bot_after_its_first_scan(tmp_path: Path, sandbox: Sandbox) -> None:
    """`run` on a blog of some hundreds of posts logs that it watches before the bot syncs
    its commands (the bot's log-in, quicker than such a scan, waits for it)."""
    roles = sandbox.discord.roles
    settings = {
        "gateway_url": sandbox.discord_gateway_url,
        "allowed_role_ids": [roles["Announcer"]],
        "read_role_ids": [roles["Announcer"], roles["Reader"]],
    }
    listen = {"http": "127.0.0.1:0"}
    blog = make_blog(tmp_path, sandbox, overrides={"discord": settings, "service": listen})
    sources = sorted(DVC_POSTS.glob("*.md"))
    for number in range(400):
        source = sources[number % len(sources)]
        shutil.copy(source, blog.posts / f"2015-01-01-copy-{number:03d}-{source.name[11:]}")
    running = Running(blog)
    try:
        wait_for(lambda: "slash commands synced" in running.text(), what="the bot's commands")
        text = running.text()
        assert text.index("watching") < text.index("slash commands synced"), text
    finally:
        assert running.stop() == 0
