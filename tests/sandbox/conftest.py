"""Fixtures for the sandbox tests: a fresh sandbox with short waits, and ready headers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from heartbeat_bot.sandbox import Sandbox
from tests.sandbox.helpers import RATE_LIMIT_WAIT, SLOW_DELAY


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A started sandbox whose 429s ask for 0.1 s and whose "slow" fault takes 0.3 s."""
    with Sandbox(rate_limit_wait=RATE_LIMIT_WAIT, slow_delay=SLOW_DELAY) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One httpx client for all tests (building one per request costs ~30 ms of TLS setup)."""
    with httpx.Client(timeout=10.0) as client:
        yield client
