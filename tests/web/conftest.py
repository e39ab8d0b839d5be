"""The fixture shared by the approval tests: a service whose due posts wait for a person."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heartbeat_bot.sandbox import Sandbox
from tests.web.console_env import ConsoleService, start


@pytest.fixture
def waiting(tmp_path: Path) -> Iterator[ConsoleService]:
    """A running service whose two backfilled posts wait for approval."""
    with Sandbox(rate_limit_wait=0.2) as sandbox:
        service = start(tmp_path, sandbox, approval={"mode": "required"})
        try:
            yield service
        finally:
            assert service.running.stop() == 0, service.log()
