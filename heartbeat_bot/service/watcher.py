"""Watching the posts folder, so a saved or pulled file is scanned in under a second."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

log = logging.getLogger("heartbeat_bot.service")

# The watcher reports a burst of changes once no new one came for a step (ms), or after
# WATCH_DEBOUNCE_MS of changes in a row: a saved file is reported 5-10 ms after its last
# write (one to two steps; 10-20 ms with 10 ms steps), for about the same idle CPU
# (under 1 % of a core either way; 2 ms steps cost twice as much).
WATCH_DEBOUNCE_MS = 50
WATCH_STEP_MS = 5
WATCH_RETRY = 5.0


async def watch_folder(
    folder: Path,
    stopping: asyncio.Event,
    on_change: Callable[[set[Path]], Awaitable[None]],
    armed: asyncio.Event | None = None,
    *,
    recursive: bool = False,
) -> None:
    """Call ``on_change`` with the paths of each burst of changes in ``folder`` (and its
    subfolders, for an engine whose posts live there) until ``stopping``.

    ``armed`` is set once the folder is watched, so a change from then on is reported
    (also when the watcher could not start: the periodic rescan covers it then).
    """
    from watchfiles import awatch

    while not stopping.is_set():
        changes = awatch(
            folder,
            debounce=WATCH_DEBOUNCE_MS,
            step=WATCH_STEP_MS,
            stop_event=stopping,
            recursive=recursive,
        )
        # The watch is set up (inotify's, with its event buffer) when the generator first
        # runs, before its first wait: one step of the loop arms it.
        first = asyncio.ensure_future(anext(changes))
        await asyncio.sleep(0)
        if armed is not None and not armed.is_set():
            armed.set()
        try:
            await on_change(_paths(await first))
            async for burst in changes:
                await on_change(_paths(burst))
        except StopAsyncIteration:
            pass
        except Exception:  # the periodic rescan covers the gap; try watching again
            log.exception("file watcher failed; watching again in %s s", WATCH_RETRY)
            await asyncio.sleep(WATCH_RETRY)
        finally:
            if not first.done():
                first.cancel()
            await changes.aclose()


def _paths(burst: Iterable[tuple[object, str]]) -> set[Path]:
    """The paths a burst of watchfiles changes names."""
    return {Path(path) for _change, path in burst}
