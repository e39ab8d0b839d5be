"""Fixtures of the service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.service.loopback_site import Site


@pytest.fixture
def site() -> Iterator[Site]:
    """A loopback blog site, stopped after the test."""
    running = Site()
    yield running
    running.close()
