"""Progress on standard error for work that takes more than a second, on a terminal only.

Piped or redirected, or quick, nothing is drawn (and rich is not even loaded): standard
output stays exactly the same either way, and logs or scripts reading standard error see
no bar.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is loaded only when a bar is drawn
    from rich.progress import Progress, TaskID

SHOW_AFTER = 1.0
"""Seconds of work before a bar appears; quicker work draws nothing."""


class StderrProgress:
    """Counts finished items and, after :data:`SHOW_AFTER` seconds, shows them as a bar.

    Use as a context manager around the work and call :meth:`advance` as each item ends;
    with ``total=None`` (work that cannot be counted ahead) the bar only pulses, with the
    time elapsed. Thread-safe: the bar is started from a timer thread and updated from the
    caller's.
    """

    def __init__(self, description: str, total: int | None, *, delay: float = SHOW_AFTER) -> None:
        self._description = description
        self._total = total
        self._done = 0
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._timer: threading.Timer | None = None
        self._enabled = (total is None or total > 0) and sys.stderr.isatty()
        self._delay = delay

    def __enter__(self) -> StderrProgress:
        if self._enabled:
            self._timer = threading.Timer(self._delay, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    def advance(self) -> None:
        """One more item is finished."""
        with self._lock:
            self._done += 1
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, completed=self._done)

    def _show(self) -> None:
        with self._lock:
            if self._total is not None and self._done >= self._total:
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._progress.add_task(
                self._description, total=self._total, completed=self._done
            )
            self._progress.start()
