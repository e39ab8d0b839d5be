"""Console logins: in-memory sessions with their CSRF token, and login throttling.

Sessions live in the service's memory only: a restart logs everybody out, and nothing
about them touches the ledger. A visitor gets an anonymous session (a CSRF token for the
login form) and a fresh one once logged in, so a session id known before login is
worthless after it.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

# Failed logins allowed from one address within WINDOW seconds before it must wait.
MAX_FAILURES = 5
WINDOW = 300.0
# Anonymous sessions (login forms) kept at most, oldest dropped first.
MAX_ANONYMOUS = 10_000


@dataclass
class Session:
    """One browser's session: its user once logged in, and its CSRF token."""

    id: str
    csrf: str
    expires_at: float
    user: str | None = None
    # What the last action did, shown once on the next page.
    notes: list[str] = field(default_factory=list)


@dataclass
class Sessions:
    """Every live session, by id."""

    ttl: float
    clock: Callable[[], float] = time.time
    _by_id: dict[str, Session] = field(default_factory=dict)

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id, or None (unknown or expired)."""
        if not session_id:
            return None
        found = self._by_id.get(session_id)
        if found is None:
            return None
        if found.expires_at <= self.clock():
            del self._by_id[session_id]
            return None
        return found

    def new(self, user: str | None = None) -> Session:
        """A new session (anonymous ones last an hour, at most the login's length)."""
        self._prune()
        ttl = self.ttl if user is not None else min(self.ttl, 3600.0)
        session = Session(
            id=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            expires_at=self.clock() + ttl,
            user=user,
        )
        self._by_id[session.id] = session
        return session

    def drop(self, session_id: str) -> None:
        self._by_id.pop(session_id, None)

    def _prune(self) -> None:
        now = self.clock()
        for key in [k for k, s in self._by_id.items() if s.expires_at <= now]:
            del self._by_id[key]
        anonymous = [k for k, s in self._by_id.items() if s.user is None]
        for key in anonymous[: max(0, len(anonymous) - MAX_ANONYMOUS + 1)]:
            del self._by_id[key]


@dataclass
class Throttle:
    """Failed logins per address; too many within the window and the address must wait."""

    max_failures: int = MAX_FAILURES
    window: float = WINDOW
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def wait(self, address: str) -> float:
        """Seconds this address must wait before it may try again (0: it may now)."""
        times = self._recent(address)
        if len(times) < self.max_failures:
            return 0.0
        return max(0.0, times[0] + self.window - self.clock())

    def failed(self, address: str) -> None:
        self._recent(address).append(self.clock())

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)

    def _recent(self, address: str) -> deque[float]:
        horizon = self.clock() - self.window
        for other in [a for a, t in self._failures.items() if not t or t[-1] <= horizon]:
            del self._failures[other]  # nothing recent: forget the address
        times = self._failures.setdefault(address, deque())
        while times and times[0] <= horizon:
            times.popleft()
        return times
