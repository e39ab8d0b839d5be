"""The httpx clients the settings open share one TLS context built the default way."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from heartbeat_bot.app.wiring import channel_clients
from heartbeat_bot.sandbox import Sandbox
from heartbeat_bot.transport import tls_context
from tests.announce_env import make_blog

HTTPX_CHANNELS = ("discourse", "mastodon", "webhook", "bluesky")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as box:
        yield box


def _context(client: Any) -> ssl.SSLContext:
    http: httpx.AsyncClient = client._http
    pool: Any = http._transport._pool  # type: ignore[attr-defined]
    context: ssl.SSLContext = pool._ssl_context
    return context


def test_clients_share_one_context(tmp_path: Path, sandbox: Sandbox) -> None:
    """Every enabled httpx-based channel's client verifies with the one shared context."""
    blog = make_blog(tmp_path, sandbox, channels=("discord", "twitter", *HTTPX_CHANNELS))
    config = blog.app().config

    async def contexts() -> list[ssl.SSLContext]:
        async with channel_clients(config) as clients:
            return [_context(clients[name]) for name in HTTPX_CHANNELS]

    found = asyncio.run(contexts())
    assert all(context is tls_context() for context in found)


def test_shared_context_verifies() -> None:
    """The shared context checks certificates and host names, as httpx's default does."""
    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0
