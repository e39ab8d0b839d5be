"""The service's first scan: start-up's objects frozen, collections paused, then settled."""

from __future__ import annotations

import asyncio
import gc

import pytest

from heartbeat_bot.service.settle import first_scan


def test_collections_paused_during_the_first_scan_and_its_objects_frozen_after() -> None:
    """Inside the scan no automatic collection runs; after it the collector is on again
    and what the scan kept is frozen (out of every later collection's walk)."""
    kept: list[object] = []
    seen: list[bool] = []

    async def scan() -> None:
        seen.append(gc.isenabled())
        kept.extend([index] for index in range(10_000))  # tracked containers

    before = gc.get_freeze_count()
    try:
        asyncio.run(first_scan(scan()))
        assert seen == [False]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + len(kept)
    finally:
        gc.unfreeze()


def test_a_failed_first_scan_turns_the_collector_back_on() -> None:
    """A scan that raises leaves the collector on, not paused for good."""

    async def scan() -> None:
        raise RuntimeError("the folder went away")

    try:
        with pytest.raises(RuntimeError):
            asyncio.run(first_scan(scan()))
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_only_the_one_collection_after_the_first_scan() -> None:
    """What the scan left is collected once, by the settling, not first by an automatic
    collection walking it all as soon as collections resume."""
    kept: list[object] = []
    runs: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            runs.append(info["generation"])

    async def scan() -> None:
        kept.extend([index] for index in range(50_000))  # far past the youngest threshold

    async def main() -> None:
        gc.callbacks.append(record)
        try:
            await first_scan(scan())
        finally:
            gc.callbacks.remove(record)

    try:
        asyncio.run(main())
        assert runs == [2]
    finally:
        gc.unfreeze()
