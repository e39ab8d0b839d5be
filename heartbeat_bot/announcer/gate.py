"""Rate-limit gates: once a service says its window is used up, nothing goes to it until
the window resets.

A service says so with a 429 that carries its wait (``Retry-After``, ``retry_after``,
``x-rate-limit-reset``, X's 24-hour caps), or with a remaining count of 0 on an answer
(X's ``x-*-remaining``, Discord's ``X-RateLimit-Remaining``). There is one gate a channel
(one set of credentials each), shared by every pair announced in the process and kept in
the ledger's ``meta`` table, so a restart, or another process on the same ledger, holds
back too.

The pairs that meet a closed gate are not sent: they wait, with no attempt spent, until
their turn. Turns are handed out in the order the pairs meet the gate: the first at the
reset, then one every ``spacing`` seconds (1 s), so a queue built up behind a daily cap
goes out spread over the minutes after the reset, not in its first second.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

from heartbeat_bot.announcer.protocols import Limited
from heartbeat_bot.ledger import Ledger

log = logging.getLogger("heartbeat_bot.announcer")

GATE_KEY = "rate-gate:"
SPACING = 1.0
"""Seconds between the turns of two pairs held back by the same closed gate."""


@dataclass(frozen=True)
class Closed:
    """A closed gate: the moment it opens, what the service said, the next turn to give."""

    until: float
    reason: str
    turn: float = 0.0

    def note(self, channel: str) -> str:
        moment = datetime.fromtimestamp(self.until, UTC).isoformat(timespec="seconds")
        return f"{channel}: rate limit used up until {moment} ({self.reason})"


class Gates:
    """The channels' gates, read from and written to the ledger at every use."""

    def __init__(
        self,
        ledger: Ledger,
        clients: Mapping[str, Limited] | None = None,
        *,
        spacing: float = SPACING,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ledger = ledger
        self._clients = dict(clients or {})
        self._spacing = spacing
        self._clock = clock

    def close(self, channel: str, until: float, reason: str) -> None:
        """The service takes nothing from ``channel`` before ``until`` (epoch seconds)."""
        if until <= self._clock():
            return
        with self._ledger.transaction():
            state = self._read(channel)
            if state is not None and state.until >= until:
                return
            # Turns handed out before stay taken: a later reset never gives one twice.
            turn = max(until, state.turn) if state is not None else until
            self._write(channel, Closed(until, reason, turn))
        # A bucket refilling in seconds is routine; a cap used up for longer is news.
        level = logging.WARNING if until - self._clock() > 60 else logging.INFO
        log.log(level, "%s", Closed(until, reason).note(channel))

    def observe(self, channel: str) -> None:
        """Close ``channel``'s gate if its client heard that the window is used up."""
        client = self._clients.get(channel)
        until = client.exhausted_until if client is not None else None
        if until is not None:
            self.close(channel, until, "the service said none is left in its window")

    def closed(self, channel: str) -> Closed | None:
        """The closed gate of ``channel``, or None when requests may go."""
        state = self._read(channel)
        return state if state is not None and state.until > self._clock() else None

    def turn(self, channel: str) -> float | None:
        """When the next pair held back by ``channel``'s closed gate may go (each call
        hands out the next turn), or None when the gate is open."""
        with self._ledger.transaction():
            state = self._read(channel)
            if state is None:
                return None
            if state.until <= self._clock():
                self._ledger.delete_meta(GATE_KEY + channel)
                return None
            turn = max(state.until, state.turn)
            self._write(channel, replace(state, turn=turn + self._spacing))
        return turn

    def _read(self, channel: str) -> Closed | None:
        raw = self._ledger.get_meta(GATE_KEY + channel)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            until = float(data["until"])
            return Closed(until, str(data.get("reason", "")), float(data.get("turn", until)))
        except (ValueError, TypeError, KeyError):
            return None  # unreadable: as if open (the service would say so again)

    def _write(self, channel: str, state: Closed) -> None:
        self._ledger.set_meta(GATE_KEY + channel, json.dumps(asdict(state), sort_keys=True))
