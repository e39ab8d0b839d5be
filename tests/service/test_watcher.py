"""The file watcher on a real folder: armed before it says so, so no early file is missed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from heartbeat_bot.service.watcher import watch_folder


def test_a_file_written_right_after_arming_is_reported(tmp_path: Path) -> None:
    """A file written the moment ``armed`` is set, before the watcher runs again, is seen,
    and its path is the one reported."""
    early = tmp_path / "2024-01-01-early.md"

    async def scenario() -> int:
        stopping, armed, seen = asyncio.Event(), asyncio.Event(), asyncio.Event()

        async def changed(paths: set[Path]) -> None:
            if early.resolve() in {path.resolve() for path in paths}:
                seen.set()

        task = asyncio.ensure_future(watch_folder(tmp_path, stopping, changed, armed))
        await armed.wait()
        early.write_text("---\ntitle: Early\n---\n")
        try:
            await asyncio.wait_for(seen.wait(), timeout=10)
            return 1
        finally:
            stopping.set()
            await asyncio.wait_for(task, timeout=10)

    assert asyncio.run(scenario()) == 1
