"""A service's rate-limit window as its answers describe it, shared by a client's callers.

Once a service says its window is used up (a 429 with a reset time, or a remaining count
of 0 on a success), the client sends it nothing more until the reset: the requests queued
behind the one that used it up never reach the service. The announcer reads
:attr:`Window.until` to keep that moment in the ledger (``announcer/gate.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from heartbeat_bot.errors import WindowClosed


class Window:
    """When one service (one set of credentials) takes requests again."""

    def __init__(
        self, channel: str, service: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._channel = channel
        self._service = service
        self._clock = clock
        self._until = 0.0

    @property
    def until(self) -> float | None:
        """The epoch second the used-up window reopens, or None when it is open."""
        return self._until if self._until > self._clock() else None

    def used_up(self, until: float | None) -> None:
        """Record that the service takes nothing more before ``until`` (epoch seconds)."""
        if until is not None and until > self._until:
            self._until = until

    def check(self) -> None:
        """Raise :class:`WindowClosed` while the window is used up; call before each request."""
        wait = self._until - self._clock()
        if wait > 0:
            moment = datetime.fromtimestamp(self._until, UTC).isoformat(timespec="seconds")
            raise WindowClosed(
                self._channel,
                f"{self._service}'s rate limit is used up until {moment}; nothing was sent",
                wait=wait,
            )
