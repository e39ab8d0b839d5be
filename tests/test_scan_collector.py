"""A scan runs with the cyclic garbage collector paused: it must leave no reference cycles
behind, and the collector must run again afterwards, however scans nest or overlap."""

from __future__ import annotations

import gc
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.sources.collector import collector_paused
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.parse_cache import ParseCache
from tests.conftest import DVC_AUTHORS, DVC_POSTS


@pytest.fixture
def collector_on() -> Iterator[None]:
    """The collector enabled around the test, and left as it was found."""
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def _collections_during(work: Callable[[], object], inside: str) -> int:
    """How many automatic collections started while a function named ``inside`` was
    running, in ``work()``."""
    started: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        frame: FrameType | None = sys._getframe(1)
        while frame is not None and frame.f_code.co_name != inside:
            frame = frame.f_back
        if phase == "start" and frame is not None:
            started.append(info["generation"])

    gc.collect()  # from zero: the few allocations before a pause cannot start one
    gc.callbacks.append(note)
    try:
        work()
    finally:
        gc.callbacks.remove(note)
    return len(started)


def test_a_scan_runs_with_the_collector_paused(
    collector_on: None, tmp_path: Path, dvc_blog: BlogConfig
) -> None:
    """Scanning the corpus (enough allocations to start many collections otherwise) starts
    none, and the collector is enabled again afterwards."""
    posts = tmp_path / "posts"
    shutil.copytree(DVC_POSTS, posts)
    blog = dvc_blog.model_copy(update={"posts_dir": posts})
    unpaused = FolderSource(posts, DVC_AUTHORS)._rescan  # the same scan, without the pause
    assert _collections_during(lambda: unpaused(blog, None), "_rescan") > 0  # the probe works
    source = FolderSource(posts, DVC_AUTHORS)
    assert _collections_during(lambda: source.rescan(blog), "_rescan") == 0
    assert gc.isenabled()


@pytest.mark.parametrize("cached", [False, True], ids=["no cache", "parse cache"])
def test_a_scan_leaves_no_reference_cycles(
    collector_on: None, tmp_path: Path, dvc_blog: BlogConfig, cached: bool
) -> None:
    """Cold, warm and restarted over a parse cache, a scan leaves nothing only the cyclic
    collector could free: pausing it loses no memory."""
    posts = tmp_path / "posts"
    shutil.copytree(DVC_POSTS, posts)
    blog = dvc_blog.model_copy(update={"posts_dir": posts})

    def source() -> FolderSource:
        cache = ParseCache(tmp_path / "cache.sqlite3") if cached else None
        return FolderSource(posts, DVC_AUTHORS, cache=cache)

    kept = source()
    kept.rescan(blog)  # modules loaded, caches filled: what follows is the scans alone
    gc.collect()
    gc.disable()
    try:
        results = [kept.rescan(blog), source().rescan(blog), source().rescan(blog)]
        found = gc.collect()
    finally:
        gc.enable()
    assert len(results[1].items) == len(list(DVC_POSTS.glob("*.md")))
    assert found == 0


def test_nested_and_overlapping_pauses_resume_once(collector_on: None) -> None:
    """The collector stays paused until the last of several overlapping blocks ends."""
    inside = threading.Event()
    release = threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the other thread's block is still open
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled(collector_on: None) -> None:
    """A program that turned the collector off finds it off after a scan's pause too."""
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
