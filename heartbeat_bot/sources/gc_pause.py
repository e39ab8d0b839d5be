"""The garbage collector paused while a source builds many long-lived records at once.

Loading the parse cache of a large blog creates hundreds of thousands of objects (a post,
its path, its record, their values), none of them garbage. Each automatic collection
meanwhile walks every object created so far again, about a fifth of the load's time at
50,000 posts; paused, they are walked once, at the next collection after the load.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausing = 0  # loads in progress, in any thread
_was_enabled = True  # whether the collector was on when the first of them began


@contextmanager
def paused_gc() -> Iterator[None]:
    """No automatic collection inside (an explicit ``gc.collect()`` still runs); the
    collector is turned back on when the last load in progress ends, unless it was off."""
    global _pausing, _was_enabled
    with _lock:
        if _pausing == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _lock:
            _pausing -= 1
            if _pausing == 0 and _was_enabled:
                gc.enable()
