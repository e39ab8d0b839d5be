"""What the integration tests share: configs pointing at a sandbox, payloads, checks."""

from __future__ import annotations

import socket
from typing import Any

from heartbeat_bot.channels.discord.render import DiscordMessage
from heartbeat_bot.channels.discord.settings import DiscordConfig
from heartbeat_bot.channels.discourse.render import DiscourseTopic
from heartbeat_bot.channels.discourse.settings import DiscourseConfig
from heartbeat_bot.channels.twitter.settings import TwitterConfig
from heartbeat_bot.errors import ChannelError
from heartbeat_bot.sandbox import Sandbox

POST_URL = "https://dvc.org/blog/dvc-3-0-release"


def discourse_config(sb: Sandbox, **changes: Any) -> DiscourseConfig:
    creds = sb.credentials
    values: dict[str, Any] = {
        "enabled": True,
        "url": sb.discourse_url,
        "api_key": creds.discourse_api_key,
        "api_username": creds.discourse_api_username,
        "category": 7,
    }
    return DiscourseConfig(**{**values, **changes})


def discord_config(sb: Sandbox, mode: str = "bot", **changes: Any) -> DiscordConfig:
    creds = sb.credentials
    values: dict[str, Any] = {
        "enabled": True,
        "mode": mode,
        "api_url": sb.discord_api_url,
        "guild_id": creds.discord_guild_id,
    }
    if mode == "bot":
        values.update(bot_token=creds.discord_bot_token, channel_id=creds.discord_channel_id)
    else:
        values.update(webhook_url=sb.discord_webhook_url)
    return DiscordConfig(**{**values, **changes})


def twitter_config(sb: Sandbox, **changes: Any) -> TwitterConfig:
    creds = sb.credentials
    values: dict[str, Any] = {
        "enabled": True,
        "api_url": sb.x_api_url,
        "consumer_key": creds.twitter_consumer_key,
        "consumer_secret": creds.twitter_consumer_secret,
        "access_token": creds.twitter_access_token,
        "access_token_secret": creds.twitter_access_token_secret,
    }
    return TwitterConfig(**{**values, **changes})


def topic(
    title: str = "DVC 3.0: ML experiments and data versioning", **changes: Any
) -> dict[str, Any]:
    """A rendered topic body, as the announcer hands it to the client."""
    values: dict[str, Any] = {
        "title": title,
        "raw": "We are happy to announce DVC 3.0! Read the full post on the blog.",
        "category": 7,
        "tags": ("release", "dvc"),
        "external_id": "dvc-3-0-release-1a2b3c",
        "embed_url": POST_URL,
    }
    return DiscourseTopic(**{**values, **changes}).body()


def message(content: str = "New on the blog @everyone", **changes: Any) -> dict[str, Any]:
    """A rendered Discord message body with one embed linking to the post."""
    embed = {
        "title": "DVC 3.0 is out @everyone",
        "url": POST_URL,
        "description": "ML experiments and data versioning",
        "color": 0x945DD6,
    }
    values: dict[str, Any] = {"content": content, "embeds": (embed,)}
    return DiscordMessage(**{**values, **changes}).body()


def secrets_of(sb: Sandbox) -> list[str]:
    """Every credential of the sandbox, including the webhook token."""
    creds = sb.credentials
    values = [str(v) for k, v in creds.as_dict().items() if not k.endswith("_id")]
    values.append(sb.discord.webhook_token)
    return [v for v in values if v != creds.discourse_api_username]


def assert_clean(error: ChannelError, sb: Sandbox) -> None:
    """The error is one line and neither it nor its cause quotes a credential."""
    text = str(error)
    assert "\n" not in text
    cause = error.__cause__
    for secret in secrets_of(sb):
        assert secret not in text
        assert cause is None or (secret not in str(cause) and secret not in repr(cause))


def closed_port_url() -> str:
    """A loopback URL nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
