"""The service's threads share at most two C allocator arenas: each check runs in a fresh
interpreter whose threads allocate at the same time, then counts glibc's arenas."""

from __future__ import annotations

import ctypes.util
import os
import re
import subprocess
import sys

import pytest

from heartbeat_bot.service.settle import MALLOC_ARENAS

# Eight threads each hold C-allocated blocks at the same time (bytes objects past the
# interpreter's small-object limit come from malloc); then glibc lists its arenas, which
# outlive the threads, on standard error.
PROBE = """
import ctypes, ctypes.util, sys, threading
from heartbeat_bot.service.settle import limit_malloc_arenas
print(limit_malloc_arenas() if sys.argv[1] == "limit" else None, flush=True)
together = threading.Barrier(8)
def work():
    held = [bytes(2048 + n) for n in range(300)]
    together.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL(ctypes.util.find_library("c")).malloc_stats()
"""

glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or ctypes.util.find_library("c") is None,
    reason="glibc's allocator only",
)


def arenas(mode: str, **env: str) -> tuple[str, int]:
    """What limit_malloc_arenas returned (``mode`` "limit"; "None" when not called) and how
    many arenas glibc had after the threads ran."""
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=True,
    )
    return done.stdout.strip(), len(re.findall(r"^Arena \d+:", done.stderr, re.MULTILINE))


@glibc
def test_threads_share_at_most_the_limit_of_arenas() -> None:
    """With the limit set, eight threads allocating at once share two arenas; without it
    they spread over more (the check sees a difference)."""
    assert arenas("limit") == ("True", MALLOC_ARENAS)
    unlimited, count = arenas("none")
    assert unlimited == "None"
    assert count > MALLOC_ARENAS


@glibc
def test_the_operators_setting_stands() -> None:
    """MALLOC_ARENA_MAX in the environment is glibc's at start; the service keeps it."""
    assert arenas("limit", MALLOC_ARENA_MAX="4") == ("False", 4)
