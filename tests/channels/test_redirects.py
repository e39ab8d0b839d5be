"""Channel clients answered with a redirect to another host: the credentials stay home."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from heartbeat_bot.channels.discord.client import DiscordClient
from heartbeat_bot.channels.discord.settings import DiscordConfig
from heartbeat_bot.channels.discourse.client import DiscourseClient
from heartbeat_bot.channels.discourse.settings import DiscourseConfig
from heartbeat_bot.channels.twitter.client import TwitterClient
from heartbeat_bot.channels.twitter.settings import TwitterConfig
from heartbeat_bot.errors import ChannelError, Permanent
from tests.channels.helpers import message, topic
from tests.misbehaving import Servers, redirect

API_KEY = "discourse-key-0123456789abcdef"
BOT_TOKEN = "MTIzNDU2Nzg5.bot-token.0123456789abcdefghijklmnopqrstuvwxyz"
WEBHOOK_TOKEN = "webhook-token-0123456789abcdefghijklmnopqrstuvwxyz"
X_KEYS = {
    "consumer_key": "x-consumer-key-0123456789",
    "consumer_secret": "x-consumer-secret-0123456789abcdefghij",
    "access_token": "1234567890-x-access-token-0123456789",
    "access_token_secret": "x-access-token-secret-0123456789abcd",
}


@pytest.fixture
def servers() -> Iterator[Servers]:
    with Servers() as both:
        yield both


def discourse(servers: Servers, *, password: str | None = None) -> DiscourseConfig:
    url = servers.first_url()
    if password:
        url = url.replace("http://", f"http://forum:{password}@")
    return DiscourseConfig(
        enabled=True, url=url, api_key=API_KEY, api_username="heartbeat-bot", category=7
    )


def discourse_fails(servers: Servers, config: DiscourseConfig, call: str) -> ChannelError:
    async def main() -> None:
        async with httpx.AsyncClient() as http:
            client = DiscourseClient(http, config, timeout=5.0)
            if call == "create":
                await client.create_topic(topic())
            else:
                await client.find_topic("dvc-3-0-release-1a2b3c", "")

    with pytest.raises(ChannelError) as caught:
        asyncio.run(main())
    return caught.value


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("call", ["create", "find"])
def test_discourse_never_follows_a_redirect_to_another_host(
    servers: Servers, status: int, call: str
) -> None:
    """A Discourse answering a redirect elsewhere gets a Permanent naming that host, and
    the other host never sees the API key (nor anything else)."""
    servers.on("/", redirect(status))
    error = discourse_fails(servers, discourse(servers, password="basic-secret"), call)
    assert isinstance(error, Permanent)
    assert "127.0.0.2" in str(error) and "discourse.url" in str(error)
    assert servers.second_seen == []
    assert len(servers.first_seen) == 1 and servers.first_seen[0].headers["Api-Key"] == API_KEY


def discord_fails(config: DiscordConfig) -> ChannelError:
    async def main() -> None:
        async with DiscordClient(config, timeout=5.0) as client:
            await client.send(message(), "nonce-1")

    with pytest.raises(ChannelError) as caught:
        asyncio.run(main())
    return caught.value


@pytest.mark.parametrize("status", [301, 307])
def test_discord_bot_never_follows_a_redirect(servers: Servers, status: int) -> None:
    """discord.py would follow a redirect anywhere: the bot's first request stops at it, a
    Permanent naming the host, and the other host never hears from the bot."""
    servers.on("/", redirect(status))
    config = DiscordConfig(
        enabled=True,
        mode="bot",
        api_url=servers.first_url("/api/v10"),
        bot_token=BOT_TOKEN,
        channel_id=111,
        guild_id=222,
    )
    error = discord_fails(config)
    assert isinstance(error, Permanent)
    assert "127.0.0.2" in str(error) and "discord.api_url" in str(error)
    assert servers.second_seen == []
    assert servers.first_seen[0].headers["Authorization"] == f"Bot {BOT_TOKEN}"


@pytest.mark.parametrize("status", [301, 307])
def test_discord_webhook_never_follows_a_redirect(servers: Servers, status: int) -> None:
    """A webhook's token is in its path: a redirect is refused, and the other host never
    receives the path (nor the message)."""
    servers.on("/", redirect(status))
    config = DiscordConfig(
        enabled=True,
        mode="webhook",
        api_url=servers.first_url("/api/v10"),
        webhook_url=servers.first_url(f"/api/webhooks/123456/{WEBHOOK_TOKEN}"),
    )
    error = discord_fails(config)
    assert isinstance(error, Permanent)
    assert "127.0.0.2" in str(error) and "discord.webhook_url" in str(error)
    assert WEBHOOK_TOKEN not in str(error)
    assert servers.second_seen == []
    assert WEBHOOK_TOKEN in servers.first_seen[0].path


@pytest.mark.parametrize("status", [301, 307])
def test_x_never_follows_a_redirect(servers: Servers, status: int) -> None:
    """A signed tweet answered by a redirect is refused (Permanent, naming the host); the
    other host never receives the request, signed or not."""
    servers.on("/", redirect(status))
    client = TwitterClient(TwitterConfig(enabled=True, api_url=servers.first_url(), **X_KEYS))

    async def main() -> None:
        await client.post_tweet("DVC 3.0 is out https://dvc.org/blog/dvc-3-0", None)

    try:
        with pytest.raises(Permanent) as caught:
            asyncio.run(main())
    finally:
        client.close()
    assert "127.0.0.2" in str(caught.value) and "twitter.api_url" in str(caught.value)
    assert servers.second_seen == []
    assert X_KEYS["consumer_key"] in servers.first_seen[0].headers["Authorization"]
