"""Builds the real clients, the ledger and the announcer from the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from heartbeat_bot.announcer import Announcer, RetryPolicy
from heartbeat_bot.app.application import App
from heartbeat_bot.channels import registry
from heartbeat_bot.config import BaseConfig
from heartbeat_bot.ledger import Ledger


def open_ledger(config: BaseConfig) -> Ledger:
    return Ledger(config.state_path)


@asynccontextmanager
async def channel_clients(config: BaseConfig) -> AsyncIterator[dict[str, Any]]:
    """The enabled channels' clients, closed on exit. Heavy libraries load only if enabled."""
    async with AsyncExitStack() as stack:
        clients: dict[str, Any] = {}
        for unit in registry.units():
            if unit.enabled(config):
                clients[unit.name] = await unit.open(unit.section(config), stack, _agent())
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
            clients,
            policy=policy,
            write_back=app.write_back(),
            publish=frozenset(
                u.name for u in registry.units() if getattr(u.section(app.config), "publish", False)
            ),
            edits_on=app.config.sync.edits_on,
        )


def _agent() -> str:
    from heartbeat_bot import __version__

    return f"heartbeat-bot/{__version__}"
