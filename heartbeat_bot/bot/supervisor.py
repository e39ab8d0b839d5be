"""Keeping the slash-command bot up for as long as the service runs.

Once connected, discord.py reconnects by itself. But when its very first connection fails
(a gateway outage while the service starts), ``Client.connect`` trips over its own missing
websocket and the client ends for good. The supervisor starts a fresh bot after a backoff
whenever one stops on an error, so the commands come back with the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import discord

from heartbeat_bot.bot.commands import HeartbeatBot

log = logging.getLogger("heartbeat_bot.service")

FIRST_DELAY = 5.0
MAX_DELAY = 300.0
# A bot that ran this long before stopping was healthy: the next restart is quick again.
HEALTHY_RUN = 60.0


class BotSupervisor:
    """Runs ``make()``'s bot in this loop and replaces it when it stops on an error;
    ``after``: an event the first bot waits for (the service's first scan done)."""

    def __init__(
        self,
        make: Callable[[], HeartbeatBot],
        *,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        after: asyncio.Event | None = None,
    ) -> None:
        self._make = make
        self._after = after  # the first bot is made once it is set (None: at once)
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._closing = False
        self.bot: HeartbeatBot | None = None
        self._task = asyncio.ensure_future(self._run())

    @property
    def running(self) -> bool:
        """False once it gave up (settings Discord refuses) or was closed."""
        return not self._task.done()

    async def ended(self) -> None:
        """Return once the supervisor gave up or was closed (never raises)."""
        await asyncio.wait({self._task})

    async def close(self) -> None:
        """Close the current bot and stop replacing it; never raises (shutdown goes on)."""
        self._closing = True
        try:
            if self.bot is not None:
                await self.bot.close()
        except Exception:
            log.warning("closing the Discord bot failed", exc_info=True)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await self._task
            except Exception:
                log.warning("the Discord bot ended with an error", exc_info=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self._first_delay
        if self._after is not None:
            await self._after.wait()
        while not self._closing:
            started = loop.time()
            bot: HeartbeatBot | None = None
            try:
                bot = self.bot = self._make()
                await bot.start()
                reason = "its connection ended"
            except (discord.LoginFailure, discord.PrivilegedIntentsRequired) as exc:
                # Only a change of settings helps: trying again would only repeat this.
                log.error("the Discord bot cannot start: %s; slash commands are off", exc)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever ended it, the scheduler goes on
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            finally:
                if bot is not None and not bot.client.is_closed():
                    with contextlib.suppress(Exception):
                        await bot.close()
            if self._closing:
                return
            if loop.time() - started > HEALTHY_RUN:
                delay = self._first_delay
            log.error("the Discord bot stopped (%s); starting it again in %.0f s", reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_delay)
