"""Channel clients answered with an endless body: a classified error, read no further.

The server generates its 50 MB on the fly; a client that stops at the limit leaves it
unable to write more than a few megabytes (the limit plus the sockets' buffers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest

from heartbeat_bot.channels.discord.client import DiscordClient
from heartbeat_bot.channels.discord.settings import DiscordConfig
from heartbeat_bot.channels.discourse.client import DiscourseClient
from heartbeat_bot.channels.discourse.settings import DiscourseConfig
from heartbeat_bot.channels.twitter.client import TwitterClient
from heartbeat_bot.channels.twitter.settings import TwitterConfig
from heartbeat_bot.errors import ChannelError, Permanent, Retryable, Uncertain
from heartbeat_bot.transport import MAX_ANSWER_BYTES
from tests.channels.helpers import message, topic
from tests.channels.test_redirects import API_KEY, BOT_TOKEN, WEBHOOK_TOKEN, X_KEYS
from tests.misbehaving import HUGE, Servers, huge, json_answer

TOO_LARGE = f"answer larger than {MAX_ANSWER_BYTES} bytes"
BOT_USER = {
    "id": "333",
    "username": "Heartbeat",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
    "verified": True,
    "mfa_enabled": False,
    "flags": 0,
}

APPLICATION = {
    "id": "333",
    "name": "Heartbeat",
    "icon": None,
    "description": "",
    "bot_public": False,
    "bot_require_code_grant": False,
    "verify_key": "0" * 64,
    "flags": 0,
    "owner": {**BOT_USER, "id": "444", "bot": False},
}


@pytest.fixture
def servers() -> Iterator[Servers]:
    with Servers() as both:
        yield both


def read_little(servers: Servers) -> None:
    """The client stopped reading near the limit: far from the whole body."""
    assert 0 < servers.written < HUGE // 3


def raises(use: Callable[[], Awaitable[object]]) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        asyncio.run(use())  # type: ignore[arg-type]
    return caught.value


def discourse_call(servers: Servers, call: str) -> Callable[[], Awaitable[object]]:
    config = DiscourseConfig(
        enabled=True,
        url=servers.first_url(),
        api_key=API_KEY,
        api_username="heartbeat-bot",
        category=7,
    )

    async def use() -> object:
        async with httpx.AsyncClient() as http:
            client = DiscourseClient(http, config, timeout=10.0)
            if call == "create":
                return await client.create_topic(topic())
            return await client.topic(42)

    return use


@pytest.mark.parametrize("declared", [False, True])
def test_discourse_huge_error_is_retryable(servers: Servers, declared: bool) -> None:
    """A 503 with an endless body is Retryable, saying the answer was too large."""
    servers.on("/posts.json", huge(503, declared=declared))
    error = raises(discourse_call(servers, "create"))
    if not declared:  # a declared length is refused before reading anything
        read_little(servers)
    assert isinstance(error, Retryable) and TOO_LARGE in str(error)


def test_discourse_huge_success_of_a_create_is_uncertain(servers: Servers) -> None:
    """A create answered 200 with an endless body may have gone through: Uncertain."""
    servers.on("/posts.json", huge(200))
    error = raises(discourse_call(servers, "create"))
    read_little(servers)
    assert isinstance(error, Uncertain) and TOO_LARGE in str(error)


def test_discourse_huge_success_of_a_read_is_permanent(servers: Servers) -> None:
    """A read answered 200 with an endless body is an unexpected answer, not a crash."""
    servers.on("/t/42.json", huge(200))
    error = raises(discourse_call(servers, "read"))
    read_little(servers)
    assert isinstance(error, Permanent) and TOO_LARGE in str(error)


def discord_send(config: DiscordConfig) -> Callable[[], Awaitable[object]]:
    async def use() -> object:
        async with DiscordClient(config, timeout=20.0) as client:
            return await client.send(message(), "nonce-1")

    return use


@pytest.mark.parametrize(("status", "kind"), [(500, Retryable), (200, Uncertain)])
def test_discord_bot_huge_answer_is_classified(
    servers: Servers, status: int, kind: type[ChannelError]
) -> None:
    """A bot send answered with an endless body is classified by its status (a 200 is
    Uncertain: it may have posted) and is neither read whole nor resent."""
    servers.on("/api/v10/users/@me", json_answer(BOT_USER))
    servers.on("/api/v10/oauth2/applications/@me", json_answer(APPLICATION))
    servers.on("/api/v10/channels/111/messages", huge(status))
    config = DiscordConfig(
        enabled=True,
        mode="bot",
        api_url=servers.first_url("/api/v10"),
        bot_token=BOT_TOKEN,
        channel_id=111,
        guild_id=222,
    )
    error = raises(discord_send(config))
    read_little(servers)
    assert isinstance(error, kind) and TOO_LARGE in str(error)
    assert [s.method for s in servers.first_seen] == ["GET", "GET", "POST"]


@pytest.mark.parametrize(("status", "kind"), [(503, Retryable), (400, Permanent)])
def test_discord_webhook_huge_error_is_classified(
    servers: Servers, status: int, kind: type[ChannelError]
) -> None:
    """A webhook send answered with an endless error body is classified by its status."""
    path = f"/api/v10/webhooks/123456/{WEBHOOK_TOKEN}"
    servers.on(path, huge(status))
    config = DiscordConfig(
        enabled=True,
        mode="webhook",
        api_url=servers.first_url("/api/v10"),
        webhook_url=servers.first_url(path),
    )
    error = raises(discord_send(config))
    read_little(servers)
    assert isinstance(error, kind) and TOO_LARGE in str(error)


@pytest.mark.parametrize(("status", "kind"), [(201, Uncertain), (503, Retryable)])
def test_x_huge_answer_is_classified(
    servers: Servers, status: int, kind: type[ChannelError]
) -> None:
    """A tweet answered with an endless body is classified by its status (a 201 is
    Uncertain: it may have posted), and requests stops reading at the limit."""
    servers.on("/2/tweets", huge(status))
    client = TwitterClient(TwitterConfig(enabled=True, api_url=servers.first_url(), **X_KEYS))

    async def use() -> object:
        return await client.post_tweet("DVC 3.0 is out https://dvc.org/blog/dvc-3-0", None)

    try:
        error = raises(use)
    finally:
        client.close()
    read_little(servers)
    assert isinstance(error, kind) and TOO_LARGE in str(error)
