"""discord.py 2.7, unchanged, on the sandbox's gateway: login, sync, slash commands, replies."""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import discord
import httpx
import pytest
import yarl
from discord import app_commands

from heartbeat_bot.sandbox import Sandbox

USER_ID = 80351110224678912
READY_TIMEOUT = 5.0


@pytest.fixture
def pointed(sb: Sandbox) -> Iterator[Sandbox]:
    """Point discord.py's REST base and gateway at the sandbox for one test, then restore."""
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = sb.discord_api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sb.discord_gateway_url)
    try:
        yield sb
    finally:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


class Vote(discord.ui.View):
    """One button that edits the message it sits on."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Yes", custom_id="vote:yes")
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button[Vote]) -> None:
        await interaction.response.edit_message(content="voted yes", view=None)


class Bot(discord.Client):
    """A client with a command tree: /ping (ephemeral pong, autocompleted word) and /slow."""

    def __init__(self) -> None:
        # guild_ready_timeout: discord.py waits this long after the last GUILD_CREATE.
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.1)
        self.tree = app_commands.CommandTree(self)
        self.seen: list[discord.Interaction] = []
        self.tree.add_command(_ping)
        self.tree.add_command(_slow)
        self.tree.add_command(_vote)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        self.seen.append(interaction)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s pause before a re-IDENTIFY (discord.py's guard for Discord's rate limit)."""


async def _words(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    words = ["pong", "ping", "pang"]
    return [app_commands.Choice(name=w, value=w) for w in words if w.startswith(current)]


@app_commands.command(name="ping", description="Ping")
@app_commands.describe(word="Say this back")
@app_commands.autocomplete(word=_words)
async def _ping(interaction: discord.Interaction, word: str = "pong") -> None:
    await interaction.response.send_message(word, ephemeral=True)


@app_commands.command(name="slow", description="Slow")
async def _slow(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True)
    await interaction.followup.send("done after a while")
    await interaction.edit_original_response(content="done, edited")


@app_commands.command(name="vote", description="Vote")
async def _vote(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("Vote?", view=Vote())


@asynccontextmanager
async def running(sb: Sandbox, *, sync_global: bool = False) -> AsyncIterator[Bot]:
    """A started, ready bot whose commands are synced to the sandbox guild; closed after."""
    bot = Bot()
    task = asyncio.create_task(bot.start(sb.credentials.discord_bot_token))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), READY_TIMEOUT)
        guild = discord.Object(sb.credentials.discord_guild_id)
        if sync_global:
            await bot.tree.sync()
        else:
            bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        yield bot
    finally:
        await bot.close()
        await asyncio.wait_for(task, READY_TIMEOUT)


async def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll ``check`` (without blocking the bot's loop) until it is truthy."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)
    return result


def run(body: Callable[[Sandbox], Coroutine[Any, Any, None]], sb: Sandbox) -> None:
    """Run one async test body against the sandbox under a fresh event loop."""
    asyncio.run(body(sb))


def test_login_ready_and_sync(pointed: Sandbox) -> None:
    """The bot gets READY and the full guild, and its synced commands are listed."""

    async def body(sb: Sandbox) -> None:
        async with running(sb) as bot:
            guild = bot.get_guild(sb.credentials.discord_guild_id)
            assert guild is not None and guild.get_channel(sb.credentials.discord_channel_id)
            assert {r.name for r in guild.roles} == {"@everyone", "Announcer", "Reader"}
            assert bot.user is not None and bot.user.id == sb.discord_application_id
            assert bot.application_id == sb.discord_application_id
            assert sb.gateway.connected and sb.gateway.identify_count == 1
            names = [c["name"] for c in sb.discord.commands(sb.credentials.discord_guild_id)]
            assert sorted(names) == ["ping", "slow", "vote"]

    run(body, pointed)
    deadline = time.monotonic() + 5  # the sandbox's thread notices the close a moment later
    while pointed.gateway.connected and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not pointed.gateway.connected


def test_slash_command_ephemeral_reply(pointed: Sandbox) -> None:
    """/ping is answered with an ephemeral "pong" callback (type 4, flags 64)."""

    async def body(sb: Sandbox) -> None:
        async with running(sb) as bot:
            roles = [sb.discord.roles["Announcer"]]
            iid = sb.gateway.send_interaction("ping", user_id=USER_ID, roles=roles, permissions=8)
            [reply] = await until(lambda: sb.gateway.replies(iid))
            assert reply["kind"] == "callback" and reply["type"] == 4
            assert reply["flags"] == 64 and reply["content"] == "pong"
            [seen] = bot.seen
            assert isinstance(seen.user, discord.Member) and seen.user.id == USER_ID
            assert [r.name for r in seen.user.roles] == ["@everyone", "Announcer"]
            assert seen.permissions.administrator

    run(body, pointed)


def test_autocomplete_choices(pointed: Sandbox) -> None:
    """An autocomplete interaction gets a type 8 callback with the matching choices."""

    async def body(sb: Sandbox) -> None:
        async with running(sb):
            typed = [{"name": "word", "type": 3, "value": "pi", "focused": True}]
            iid = sb.gateway.send_interaction("ping", typed, user_id=USER_ID, kind=4)
            [reply] = await until(lambda: sb.gateway.replies(iid))
            assert reply["type"] == 8
            assert reply["choices"] == [{"name": "ping", "value": "ping"}]

    run(body, pointed)


def test_defer_followup_and_edit(pointed: Sandbox) -> None:
    """defer() then followup.send() then edit_original_response() are recorded in order."""

    async def body(sb: Sandbox) -> None:
        async with running(sb):
            iid = sb.gateway.send_interaction("slow", user_id=USER_ID)
            replies = await until(lambda: (r := sb.gateway.replies(iid)) and len(r) == 3 and r)
            assert [r["kind"] for r in replies] == ["callback", "followup", "edit"]
            assert replies[0]["type"] == 5
            assert replies[1]["content"] == "done after a while"
            assert replies[2]["content"] == "done, edited"
            # The first followup after a deferral replaces the "thinking" message.
            assert replies[1]["message_id"] == replies[2]["message_id"]

    run(body, pointed)


def test_second_callback_is_refused(pointed: Sandbox, http: httpx.Client) -> None:
    """A second callback for an answered interaction is 400 code 40060; unknown ones 10062."""
    token: dict[str, str] = {}

    async def body(sb: Sandbox) -> None:
        async with running(sb) as bot:
            iid = sb.gateway.send_interaction("ping", user_id=USER_ID)
            await until(lambda: sb.gateway.replies(iid))
            token.update(id=iid, token=bot.seen[0].token)

    run(body, pointed)
    url = f"{pointed.discord_api_url}/interactions/{token['id']}/{token['token']}/callback"
    again = http.post(url, json={"type": 4, "data": {"content": "again"}})
    assert again.status_code == 400 and again.json()["code"] == 40060
    unknown = http.post(url.replace(token["token"], "nope"), json={"type": 4})
    assert unknown.status_code == 404 and unknown.json()["code"] == 10062


def test_late_callback_is_unknown(pointed: Sandbox) -> None:
    """A callback after the deadline is 404 code 10062 and is not recorded as a reply."""

    async def body(sb: Sandbox) -> None:
        sb.discord.interactions.deadline = 0.0  # every callback is late
        async with running(sb):
            iid = sb.gateway.send_interaction("ping", user_id=USER_ID)
            calls = await until(lambda: [r for r in sb.requests if r["path"].endswith("/callback")])
            assert [c["status"] for c in calls] == [404]
            assert sb.gateway.replies(iid) == []

    run(body, pointed)


def test_button_press_updates_the_message(pointed: Sandbox) -> None:
    """A button press (type 3) reaches the view on the bot's reply; its edit is a type 7."""

    async def body(sb: Sandbox) -> None:
        async with running(sb):
            iid = sb.gateway.send_interaction("vote", user_id=USER_ID)
            [reply] = await until(lambda: sb.gateway.replies(iid))
            assert reply["components"][0]["components"][0]["custom_id"] == "vote:yes"
            press = sb.gateway.send_interaction("", user_id=USER_ID, kind=3, custom_id="vote:yes")
            [update] = await until(lambda: sb.gateway.replies(press))
            assert update["type"] == 7 and update["content"] == "voted yes"
            assert update["message_id"] == reply["message_id"] and update["components"] == []

    run(body, pointed)


def test_reconnect_after_disconnect(pointed: Sandbox) -> None:
    """After disconnect_all() discord.py resumes, then re-identifies; interactions still work."""

    async def body(sb: Sandbox) -> None:
        async with running(sb):
            sb.gateway.disconnect_all()
            await until(lambda: sb.gateway.resume_count == 1 and sb.gateway.connected)
            iid = sb.gateway.send_interaction("ping", user_id=USER_ID)
            assert (await until(lambda: sb.gateway.replies(iid)))[0]["content"] == "pong"
            sb.gateway.disconnect_all(invalidate=True)
            await until(lambda: sb.gateway.identify_count == 2 and sb.gateway.connected)
            iid = sb.gateway.send_interaction("ping", user_id=USER_ID)
            assert (await until(lambda: sb.gateway.replies(iid)))[0]["content"] == "pong"

    run(body, pointed)


def test_dm_interaction_has_user_not_member(pointed: Sandbox) -> None:
    """A DM interaction carries ``user`` (no member, no guild) and runs the global command."""

    async def body(sb: Sandbox) -> None:
        async with running(sb, sync_global=True) as bot:
            iid = sb.gateway.send_interaction("ping", user_id=USER_ID, guild=False)
            [reply] = await until(lambda: sb.gateway.replies(iid))
            assert reply["content"] == "pong"
            [seen] = bot.seen
            assert seen.guild_id is None and type(seen.user) is discord.User
            assert isinstance(seen.channel, discord.DMChannel)

    run(body, pointed)


def test_unsynced_command_is_a_clear_error(pointed: Sandbox) -> None:
    """send_interaction names the problem when the command was never synced."""

    async def body(sb: Sandbox) -> None:
        async with running(sb):
            with pytest.raises(LookupError, match="no command /nope is synced"):
                sb.gateway.send_interaction("nope", user_id=USER_ID)

    run(body, pointed)


async def _raw_session(sb: Sandbox, identify: dict[str, Any]) -> list[Any]:
    """Speak the gateway protocol by hand (zlib-stream, like discord.py) and collect frames."""
    inflate, frames = zlib.decompressobj(), []
    url = sb.discord_gateway_url + "?v=10&encoding=json&compress=zlib-stream"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:

        async def receive() -> Any:
            msg = await ws.receive(timeout=10.0)
            if msg.type is not aiohttp.WSMsgType.BINARY:
                return msg.type, msg.data  # a close frame: (type, code)
            assert msg.data.endswith(b"\x00\x00\xff\xff")  # Z_SYNC_FLUSH
            return json.loads(inflate.decompress(msg.data))

        frames.append(await receive())
        await ws.send_json({"op": 1, "d": None})
        frames.append(await receive())
        await ws.send_json({"op": 2, "d": identify})
        frames.append(await receive())
    return frames


def test_raw_protocol_hello_ack_and_refusals(sb: Sandbox) -> None:
    """HELLO, HEARTBEAT_ACK, then READY, or close 4004 (bad token) / 4014 (privileged)."""
    token = sb.credentials.discord_bot_token
    hello, ack, ready = asyncio.run(_raw_session(sb, {"token": token, "intents": 513}))
    assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41250
    assert ack["op"] == 11
    assert ready["t"] == "READY" and ready["s"] == 1
    assert ready["d"]["application"]["id"] == str(sb.discord_application_id)
    *_, bad = asyncio.run(_raw_session(sb, {"token": "nope", "intents": 513}))
    assert bad == (aiohttp.WSMsgType.CLOSE, 4004)
    *_, privileged = asyncio.run(_raw_session(sb, {"token": token, "intents": 1 << 15}))
    assert privileged == (aiohttp.WSMsgType.CLOSE, 4014)


def test_gateway_url_endpoints(sb: Sandbox, http: httpx.Client) -> None:
    """GET /gateway and /gateway/bot (bot token) name the sandbox's websocket."""
    plain = http.get(f"{sb.discord_api_url}/gateway").json()
    headers = {"Authorization": f"Bot {sb.credentials.discord_bot_token}"}
    bot = http.get(f"{sb.discord_api_url}/gateway/bot", headers=headers).json()
    assert plain["url"] == bot["url"] == sb.discord_gateway_url and bot["shards"] == 1
    assert http.get(f"{sb.discord_api_url}/gateway/bot").status_code == 401
    assert f'gateway_url = "{sb.discord_gateway_url}"' in sb.config_snippet()
