"""The slash commands, with the real discord.py client on the sandbox gateway."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

from heartbeat_bot.app.wiring import announcer_for, open_ledger
from heartbeat_bot.bot.commands import HeartbeatBot
from heartbeat_bot.bot.supervisor import BotSupervisor
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import LINKED_POST, NEW_POST, Blog, make_blog

EPHEMERAL = 64


@pytest.fixture(autouse=True)
def restore_discord_globals() -> Iterator[None]:
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def bot_blog(root: Path, sandbox: Sandbox, **discord_settings: Any) -> Blog:
    roles = sandbox.discord.roles
    settings = {
        "gateway_url": sandbox.discord_gateway_url,
        "allowed_role_ids": [roles["Announcer"]],
        "read_role_ids": [roles["Announcer"], roles["Reader"]],
        **discord_settings,
    }
    return make_blog(root, sandbox, posts=(NEW_POST, LINKED_POST), overrides={"discord": settings})


Scenario = Callable[[Sandbox, HeartbeatBot], Awaitable[None]]


def with_bot(blog: Blog, sandbox: Sandbox, scenario: Scenario) -> None:
    """Run the bot in this test's loop, wait until its commands are synced, run scenario."""

    async def main() -> None:
        app = blog.app()
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger) as announcer:
                bot = HeartbeatBot(app, ledger, announcer)
                task = asyncio.ensure_future(bot.start())
                try:
                    guild = sandbox.credentials.discord_guild_id
                    await until(lambda: len(sandbox.discord.commands(guild)) == 3, "sync")

                    # Commands are synced in setup_hook, before the gateway connects.
                    def ready() -> bool:
                        return bot.client.is_ready() and sandbox.gateway.connected

                    await until(ready, "ready")
                    await scenario(sandbox, bot)
                finally:
                    await bot.close()
                    await asyncio.wait_for(task, 10)

    asyncio.run(main())


async def until(check: Callable[[], object], what: str, timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def reply(sandbox: Sandbox, interaction: str, kind: str = "") -> dict[str, Any]:
    """The last reply of ``interaction`` that carries text (after any deferral)."""

    def texts() -> list[dict[str, Any]]:
        return [r for r in sandbox.gateway.replies(interaction) if r.get("content")]

    found = await until(texts, f"a reply to {interaction}")
    return dict(found[-1])


def posts_sent(sandbox: Sandbox) -> int:
    return len(sandbox.discourse.topics) + len(sandbox.discord.messages) + len(sandbox.x.tweets)


def announcer_role(sandbox: Sandbox) -> list[int]:
    return [sandbox.discord.roles["Announcer"]]


def test_commands_are_synced_to_the_guild(tmp_path: Path, sandbox: Sandbox) -> None:
    """On start-up the three commands are synced to the configured server."""

    async def scenario(sb: Sandbox, bot: HeartbeatBot) -> None:
        names = {c["name"] for c in sb.discord.commands(sb.credentials.discord_guild_id)}
        assert names == {"preview", "announce", "status"}

    with_bot(bot_blog(tmp_path, sandbox), sandbox, scenario)


def test_authorised_announce_gives_the_cli_result(
    tmp_path: Path, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """/announce by an allowed role announces on every channel and replies with the links;
    who ran it is logged."""
    caplog.set_level(logging.INFO, logger="heartbeat_bot")

    async def scenario(sb: Sandbox, bot: HeartbeatBot) -> None:
        interaction = sb.gateway.send_interaction(
            "announce",
            [{"name": "post", "type": 3, "value": "dvc-git-lfs"}],
            user_id=501,
            roles=announcer_role(sb),
        )
        answer = await reply(sb, interaction)
        assert answer["flags"] & EPHEMERAL
        (topic,) = sb.discourse.topics
        assert topic["url"] in answer["content"]
        assert len(sb.discord.messages) == 1 and sb.x.tweets
        assert "twitter: done" in answer["content"]

    blog = bot_blog(tmp_path, sandbox)
    with_bot(blog, sandbox, scenario)
    with blog.ledger() as ledger:
        row = ledger.find_post("https://dvc.org/blog/dvc-git-lfs")
        assert row is not None
        states = {d.channel: d.state for d in ledger.deliveries(row.id)}
    assert states == {"discourse": "done", "discord": "done", "twitter": "done"}
    assert any(
        "/announce dvc-git-lfs" in r.getMessage() and r.getMessage().endswith("by user 501")
        for r in caplog.records
    )


def test_unauthorised_announce_is_refused_and_sends_nothing(
    tmp_path: Path, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """A member without the role is refused politely, and the refusal logged with who it
    was; no service is reached."""

    async def scenario(sb: Sandbox, bot: HeartbeatBot) -> None:
        interaction = sb.gateway.send_interaction(
            "announce",
            [{"name": "post", "type": 3, "value": "dvc-git-lfs"}],
            user_id=502,
            roles=[sb.discord.roles["Reader"]],
            permissions=0,
        )
        answer = await reply(sb, interaction)
        assert "not allowed" in answer["content"] and answer["flags"] & EPHEMERAL
        dm = sb.gateway.send_interaction(
            "announce",
            [{"name": "post", "type": 3, "value": "dvc-git-lfs"}],
            user_id=503,
            guild=False,
        )
        assert "only works in" in (await reply(sb, dm))["content"]
        assert posts_sent(sb) == 0

    caplog.set_level(logging.INFO, logger="heartbeat_bot")
    with_bot(bot_blog(tmp_path, sandbox, sync_global=True), sandbox, scenario)
    refusals = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "/announce refused for user 502: missing role" in refusals
    assert "/announce refused for user 503: outside the configured server" in refusals


def test_manage_server_is_the_fallback_without_roles(tmp_path: Path, sandbox: Sandbox) -> None:
    """With no allowed roles configured, Manage Server permits /announce; others are refused."""

    async def scenario(sb: Sandbox, bot: HeartbeatBot) -> None:
        option = [{"name": "post", "type": 3, "value": "dvc-git-lfs"}]
        refused = sb.gateway.send_interaction("announce", option, user_id=504, permissions=0)
        assert "not allowed" in (await reply(sb, refused))["content"]
        allowed = sb.gateway.send_interaction("announce", option, user_id=505, permissions=1 << 5)
        assert "done" in (await reply(sb, allowed))["content"]

    blog = bot_blog(tmp_path, sandbox, allowed_role_ids=[], read_role_ids=[])
    with_bot(blog, sandbox, scenario)


def test_preview_is_ephemeral_and_sends_nothing(tmp_path: Path, sandbox: Sandbox) -> None:
    """/preview replies only to the asker, with the embed as it will be posted."""

    async def scenario(sb: Sandbox, bot: HeartbeatBot) -> None:
        interaction = sb.gateway.send_interaction(
            "preview",
            [{"name": "post", "type": 3, "value": "april-22-heartbeat"}],
            user_id=506,
            roles=[sb.discord.roles["Reader"]],
        )
        answer = await reply(sb, interaction)
        assert answer["flags"] & EPHEMERAL
        assert "X thread" in answer["content"] and "April '22 Heartbeat" in answer["content"]
        assert answer["embeds"][0]["url"] == "https://dvc.org/blog/april-22-heartbeat"
        assert posts_sent(sb) == 0

    with_bot(bot_blog(tmp_path, sandbox), sandbox, scenario)


def test_autocomplete_offers_matching_posts(tmp_path: Path, sandbox: Sandbox) -> None:
    """Typing part of a slug or of a title offers the matching posts, newest first."""

    async def scenario(sb: Sandbox, bot: HeartbeatBot) -> None:
        interaction = sb.gateway.send_interaction(
            "announce",
            [{"name": "post", "type": 3, "value": "heart", "focused": True}],
            user_id=507,
            roles=announcer_role(sb),
            kind=4,
        )
        (answer,) = await until(lambda: sb.gateway.replies(interaction), "choices")
        assert [c["value"] for c in answer["choices"]] == ["april-22-heartbeat"]
        by_title = sb.gateway.send_interaction(  # a word of the title, not of the slug
            "preview",
            [{"name": "post", "type": 3, "value": "Libgit2", "focused": True}],
            user_id=507,
            roles=announcer_role(sb),
            kind=4,
        )
        (titled,) = await until(lambda: sb.gateway.replies(by_title), "choices")
        assert [c["value"] for c in titled["choices"]] == ["dvc-git-lfs"]
        everything = sb.gateway.send_interaction(
            "status",
            [{"name": "post", "type": 3, "value": "", "focused": True}],
            user_id=507,
            roles=announcer_role(sb),
            kind=4,
        )
        (listed,) = await until(lambda: sb.gateway.replies(everything), "choices")
        assert [c["value"] for c in listed["choices"]] == ["dvc-git-lfs", "april-22-heartbeat"]

    with_bot(bot_blog(tmp_path, sandbox), sandbox, scenario)


def test_announce_again_without_force_sends_nothing(tmp_path: Path, sandbox: Sandbox) -> None:
    """A second /announce of an announced post reports it and sends nothing."""

    async def scenario(sb: Sandbox, bot: HeartbeatBot) -> None:
        option = [{"name": "post", "type": 3, "value": "dvc-git-lfs"}]
        first = sb.gateway.send_interaction(
            "announce", option, user_id=508, roles=announcer_role(sb)
        )
        await reply(sb, first)
        sent = posts_sent(sb)
        second = sb.gateway.send_interaction(
            "announce", option, user_id=508, roles=announcer_role(sb)
        )
        assert "Already announced" in (await reply(sb, second))["content"]
        assert posts_sent(sb) == sent

    with_bot(bot_blog(tmp_path, sandbox), sandbox, scenario)


def test_discourse_outage_gives_a_clear_reply(tmp_path: Path, sandbox: Sandbox) -> None:
    """While Discourse answers 503, /announce says so and leaves nothing half-sent."""

    async def scenario(sb: Sandbox, bot: HeartbeatBot) -> None:
        sb.faults.queue("discourse", *["503"] * 20)
        interaction = sb.gateway.send_interaction(
            "announce",
            [{"name": "post", "type": 3, "value": "dvc-git-lfs"}],
            user_id=509,
            roles=announcer_role(sb),
        )
        answer = await until(
            lambda: [r for r in sb.gateway.replies(interaction) if r.get("content")],
            "reply",
            timeout=30,
        )
        text = answer[-1]["content"]
        assert "discourse: waiting" in text and "503" in text
        assert sb.discord.messages == [] and sb.x.tweets == []

    blog = bot_blog(tmp_path, sandbox)
    with_bot(blog, sandbox, scenario)
    with blog.ledger() as ledger:
        states = {d.state for p in ledger.posts() for d in ledger.deliveries(p.id)}
    assert "sending" not in states


def test_bot_survives_a_gateway_disconnect(tmp_path: Path, sandbox: Sandbox) -> None:
    """After the gateway drops the connection, discord.py reconnects and commands still work."""

    async def scenario(sb: Sandbox, bot: HeartbeatBot) -> None:
        option = [{"name": "post", "type": 3, "value": "april-22-heartbeat"}]
        sb.gateway.disconnect_all()
        await until(lambda: sb.gateway.resume_count or sb.gateway.identify_count > 1, "reconnect")
        await until(lambda: sb.gateway.connected, "connected again")
        interaction = sb.gateway.send_interaction(
            "preview", option, user_id=510, roles=announcer_role(sb)
        )
        assert "X thread" in (await reply(sb, interaction))["content"]

    with_bot(bot_blog(tmp_path, sandbox), sandbox, scenario)


def test_force_asks_to_confirm_then_sends_again(tmp_path: Path, sandbox: Sandbox) -> None:
    """/announce force shows a button; only pressing it sends the Discord message again."""

    async def scenario(sb: Sandbox, bot: HeartbeatBot) -> None:
        option = [{"name": "post", "type": 3, "value": "dvc-git-lfs"}]
        first = sb.gateway.send_interaction(
            "announce", option, user_id=511, roles=announcer_role(sb)
        )
        await reply(sb, first)
        forced = sb.gateway.send_interaction(
            "announce",
            [*option, {"name": "force", "type": 5, "value": True}],
            user_id=511,
            roles=announcer_role(sb),
        )
        question = await reply(sb, forced)
        assert "again" in question["content"] and len(sb.discord.messages) == 1
        buttons = [c for row in question["components"] for c in row["components"]]
        confirm = next(b for b in buttons if b["label"] == "Send again")
        sb.gateway.send_interaction(
            "announce",
            user_id=511,
            roles=announcer_role(sb),
            kind=3,
            custom_id=confirm["custom_id"],
        )
        await until(lambda: len(sb.discord.messages) == 2, "the second message")
        edited = await until(
            lambda: [
                r for r in sb.gateway.replies(forced) if "discord: done" in str(r.get("content"))
            ],
            "the outcome",
        )
        assert "one topic per post" in edited[-1]["content"]
        assert len(sb.discourse.topics) == 1

    with_bot(bot_blog(tmp_path, sandbox), sandbox, scenario)


def test_status_and_unknown_posts(tmp_path: Path, sandbox: Sandbox) -> None:
    """/status lists what was sent; naming a post that does not exist is a short reply."""

    async def scenario(sb: Sandbox, bot: HeartbeatBot) -> None:
        announced = sb.gateway.send_interaction(
            "announce",
            [{"name": "post", "type": 3, "value": "dvc-git-lfs"}],
            user_id=512,
            roles=announcer_role(sb),
        )
        await reply(sb, announced)
        status = sb.gateway.send_interaction(
            "status", user_id=513, roles=[sb.discord.roles["Reader"]]
        )
        text = (await reply(sb, status))["content"]
        assert "**dvc-git-lfs**" in text and "discord: done" in text
        history = sb.gateway.send_interaction(
            "status",
            [{"name": "post", "type": 3, "value": "dvc-git-lfs"}],
            user_id=513,
            roles=[sb.discord.roles["Reader"]],
        )
        assert "sending" in (await reply(sb, history))["content"]
        missing = sb.gateway.send_interaction(
            "preview",
            [{"name": "post", "type": 3, "value": "no-such-post"}],
            user_id=513,
            roles=[sb.discord.roles["Reader"]],
        )
        assert "No post matches" in (await reply(sb, missing))["content"]

    with_bot(bot_blog(tmp_path, sandbox), sandbox, scenario)


def test_a_refused_token_stops_the_bot_for_good(
    tmp_path: Path, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """A bot token Discord refuses is not retried (only new settings help): the supervisor
    logs it once and gives up, and closing it afterwards is quiet."""
    blog = bot_blog(tmp_path, sandbox, bot_token="MTIz.refused.token")

    async def main() -> None:
        app = blog.app()
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger) as announcer:
                supervisor = BotSupervisor(
                    lambda: HeartbeatBot(app, ledger, announcer), first_delay=0.1
                )
                await until(lambda: not supervisor.running, "the supervisor to give up")
                await supervisor.close()

    caplog.set_level(logging.INFO, logger="heartbeat_bot")
    asyncio.run(main())
    assert caplog.text.count("the Discord bot cannot start") == 1
    assert "starting it again" not in caplog.text


def test_the_bot_alone_exits_1_when_discord_refuses_its_token(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """`heartbeat-bot bot` with a token Discord refuses says so and exits 1, not idles."""
    blog = bot_blog(tmp_path, sandbox, bot_token="MTIz.refused.token")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    done = subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", "--config", str(blog.config), "bot"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1, done.stderr
    assert "the Discord bot cannot start" in done.stderr + done.stdout
    assert "MTIz.refused.token" not in done.stderr + done.stdout
