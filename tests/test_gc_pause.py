"""The collector paused while a source loads its records, and turned back on after."""

from __future__ import annotations

import gc

from heartbeat_bot.sources.gc_pause import paused_gc


def test_paused_inside_and_on_again_after_the_last_load() -> None:
    """Off inside, still off while a second load (another thread's) is going on, and on
    again once the last one ends, even when it ends by an exception."""
    assert gc.isenabled()
    outer = paused_gc()
    outer.__enter__()
    assert not gc.isenabled()
    try:
        with paused_gc():
            raise RuntimeError("the load failed")
    except RuntimeError:
        pass
    assert not gc.isenabled()
    outer.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_turned_off_before_stays_off() -> None:
    """A process that turned the collector off itself finds it off after a load."""
    gc.disable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
