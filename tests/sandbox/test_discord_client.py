"""discord.py 2.7, unchanged, against the fake Discord: bot sends, webhooks, 429 retries."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiohttp
import discord
import pytest

from heartbeat_bot.sandbox import Sandbox


@pytest.fixture
def route_base(sb: Sandbox) -> Iterator[str]:
    """Point discord.py's REST base at the sandbox for one test, then restore it."""
    original = discord.http.Route.BASE
    discord.http.Route.BASE = sb.discord_api_url
    try:
        yield sb.discord_api_url
    finally:
        discord.http.Route.BASE = original


async def _bot_send_and_read(sb: Sandbox) -> tuple[discord.Message, list[discord.Message]]:
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(sb.credentials.discord_bot_token)
        channel = client.get_partial_messageable(sb.credentials.discord_channel_id)
        embed = discord.Embed(title="New post", description="Read it", url="https://dvc.org/x")
        sent = await channel.send(
            "@everyone look",
            embed=embed,
            nonce=123456789,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        history = [m async for m in channel.history(limit=50)]
    finally:
        await client.close()
    return sent, history


def test_bot_send_and_history(sb: Sandbox, route_base: str) -> None:
    """A bot logs in, sends an embed with a nonce and no pings, and reads it back."""
    sent, history = asyncio.run(_bot_send_and_read(sb))
    assert sent.nonce == "123456789" and sent.embeds[0].title == "New post"
    assert [m.id for m in history] == [sent.id]
    assert history[0].nonce is None  # the listing never carries nonces
    [recorded] = sb.discord.messages
    assert recorded["via"] == "bot" and recorded["nonce"] == "123456789"
    assert recorded["allowed_mentions"]["parse"] == [] and recorded["pinged"] == []


async def _webhook_send(sb: Sandbox) -> discord.WebhookMessage:
    async with aiohttp.ClientSession() as session:
        webhook = discord.Webhook.partial(
            sb.discord.webhook_id, sb.discord.webhook_token, session=session
        )
        return await webhook.send(embed=discord.Embed(title="Webhook post"), wait=True)


def test_webhook_send_wait(sb: Sandbox, route_base: str) -> None:
    """Webhook.partial(...).send(wait=True) returns the created message."""
    message = asyncio.run(_webhook_send(sb))
    assert message.embeds[0].title == "Webhook post"
    assert message.webhook_id == sb.discord.webhook_id
    assert [m["via"] for m in sb.discord.messages] == ["webhook"]


async def _send_once(sb: Sandbox) -> discord.Message:
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(sb.credentials.discord_bot_token)
        channel = client.get_partial_messageable(sb.credentials.discord_channel_id)
        return await channel.send("after a 429")
    finally:
        await client.close()


def test_429_is_slept_off_and_retried(sb: Sandbox, route_base: str) -> None:
    """discord.py honours the fake's 429 (JSON body and Via header): it waits and resends."""
    sb.faults.queue("discord", "429", path="/api/v10/channels/")
    asyncio.run(_send_once(sb))
    statuses = [r["status"] for r in sb.requests if r["method"] == "POST"]
    assert statuses == [429, 200]
    assert len(sb.discord.messages) == 1


async def _login(token: str) -> None:
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(token)
    finally:
        await client.close()


def test_bad_token_is_a_login_failure(sb: Sandbox, route_base: str) -> None:
    """A wrong bot token makes discord.py's login raise LoginFailure (it saw a 401)."""
    with pytest.raises(discord.LoginFailure):
        asyncio.run(_login("not-the-token"))
