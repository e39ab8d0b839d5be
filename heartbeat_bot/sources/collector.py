"""The cyclic garbage collector paused while the posts folder is scanned (or the parse
cache loaded, or the service's first scan runs).

A scan of a large blog allocates millions of small objects: the posts it keeps, and the
YAML nodes and strings that reference counting frees at once. It leaves no reference
cycles behind (a test checks it), so the collector has nothing to find there, yet it would
run a full collection, walking every tracked object of the process, each time the number
of objects kept grew by a quarter: at 50,000 posts, about a tenth of a cold scan, and more
the more the process holds. Paused for the scan, it runs as usual afterwards (and collects
anything other threads left meanwhile).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # scans under way, in any thread
_was_enabled = False  # whether the collector ran before the first of them


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic cyclic collection inside the block (nested or from several threads,
    the collector resumes when the last block ends, if it was enabled before the first)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
