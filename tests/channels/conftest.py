"""Fixtures for the channel clients' integration tests: a fresh sandbox per test."""

from __future__ import annotations

from collections.abc import Iterator

import discord
import pytest

from heartbeat_bot.sandbox import Sandbox

RATE_LIMIT_WAIT = 0.2
SLOW_DELAY = 0.5


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A started sandbox whose 429s ask for 0.2 s and whose "slow" fault takes 0.5 s."""
    with Sandbox(rate_limit_wait=RATE_LIMIT_WAIT, slow_delay=SLOW_DELAY) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _restore_route_base() -> Iterator[None]:
    """DiscordClient sets discord.py's process-wide REST base: put it back after each test."""
    original = discord.http.Route.BASE
    try:
        yield
    finally:
        discord.http.Route.BASE = original
