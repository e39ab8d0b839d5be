"""Pausing the service while its ledger cannot be used, and resuming once it can.

Nothing is sent that the ledger did not record first: a ledger that is full, deleted,
replaced, read-only or corrupted refuses the ``sending`` claims itself. This watch turns
that refusal into a pause of the whole service rather than a failure per post:
``/healthz`` answers 503 with the reason, one alert goes out (through the webhook alone,
never through the ledger), the workers take no post, and a probe every few seconds (a
real commit) resumes the work once the ledger can be written again. A ledger that was
deleted or replaced comes back only as itself (see ``Ledger.probe``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from heartbeat_bot.ledger import Ledger, LedgerError
from heartbeat_bot.service.alerts import Alerts

log = logging.getLogger("heartbeat_bot.service")

PROBE_SECONDS = 5.0


class LedgerWatch:
    """Whether the service may use its ledger now, and why not."""

    def __init__(
        self, ledger: Ledger, alerts: Alerts, on_resume: Callable[[], Awaitable[None]]
    ) -> None:
        self.ledger = ledger
        self.alerts = alerts
        self.on_resume = on_resume
        self.problem: str | None = None
        self._usable = asyncio.Event()
        self._usable.set()

    @property
    def usable(self) -> bool:
        return self.problem is None

    def reason(self) -> str | None:
        """Why the ledger cannot be used, for ``/healthz``; None while it can."""
        return None if self.problem is None else f"ledger unusable: {self.problem}"

    async def wait_usable(self) -> None:
        await self._usable.wait()

    async def lost(self, error: LedgerError) -> None:
        """The ledger refused: pause, and say so once."""
        first = self.problem is None
        self.problem = str(error)
        self._usable.clear()
        if first:
            log.error("sending paused: %s", error)
            await self.alerts.ledger_alert(str(error))

    async def probe(self) -> None:
        """While paused: try the ledger, and resume when it works again."""
        if self.problem is None:
            return
        try:
            self.ledger.probe()
        except LedgerError as exc:
            if str(exc) != self.problem:
                log.error("ledger still unusable: %s", exc)
            self.problem = str(exc)
            return
        log.warning("ledger usable again: sending resumes")
        self.problem = None
        self.alerts.ledger_recovered()
        self._usable.set()
        await self.on_resume()
