"""Giving memory back after the first scan, the service's one large burst of allocations.

The first scan of a large blog builds and drops many temporary lists, sets and rows; what
was freed in between the posts kept stays with the process unless the C allocator is asked
to return it (``malloc_trim``, glibc only). The objects left are then moved out of the
garbage collector's reach (``gc.freeze``): they live as long as the service, and a full
collection no longer walks them all.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
from collections.abc import Callable

log = logging.getLogger("heartbeat_bot.service")


def settle_memory() -> None:
    """Collect, return free memory to the system where the C library can, and freeze."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    gc.freeze()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to ask
        return None
    return trim
