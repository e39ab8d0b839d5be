"""Builds the real clients, the ledger and the announcer from the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx

from heartbeat_bot.announcer import Announcer, RetryPolicy
from heartbeat_bot.app.application import App
from heartbeat_bot.config import Config
from heartbeat_bot.ledger import Ledger

# Generous for a create call, short enough that a hung service is noticed.
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def open_ledger(config: Config) -> Ledger:
    return Ledger(config.state_path)


@asynccontextmanager
async def channel_clients(config: Config) -> AsyncIterator[dict[str, Any]]:
    """The enabled channels' clients, closed on exit. Heavy libraries load only if enabled."""
    async with AsyncExitStack() as stack:
        clients: dict[str, Any] = {}
        if config.discourse.enabled:
            from heartbeat_bot.channels.discourse import DiscourseClient

            http = await stack.enter_async_context(
                httpx.AsyncClient(timeout=HTTP_TIMEOUT, headers={"User-Agent": _agent()})
            )
            clients["discourse"] = DiscourseClient(http, config.discourse)
        if config.discord.enabled:
            from heartbeat_bot.channels.discord import DiscordClient

            clients["discord"] = await stack.enter_async_context(DiscordClient(config.discord))
        if config.twitter.enabled:
            from heartbeat_bot.channels.twitter import TwitterClient

            clients["twitter"] = TwitterClient(config.twitter)
        yield clients


@asynccontextmanager
async def announcer_for(
    app: App, ledger: Ledger, *, policy: RetryPolicy | None = None
) -> AsyncIterator[Announcer]:
    """The announcer with the enabled channels' clients and the configured write-back."""
    async with channel_clients(app.config) as clients:
        yield Announcer(
            ledger,
            app.render,
            discourse=clients.get("discourse"),
            discord=clients.get("discord"),
            twitter=clients.get("twitter"),
            policy=policy,
            write_back=app.write_back(),
            publish_discord=app.config.discord.publish,
            edits_on=app.config.sync.edits_on,
        )


def _agent() -> str:
    from heartbeat_bot import __version__

    return f"heartbeat-bot/{__version__}"
