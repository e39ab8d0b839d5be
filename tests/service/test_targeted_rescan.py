"""The service's rescans: a watcher event's paths are the only files looked at again, and
the scan runs off the event loop.

The service is built in this process over a real folder, ledger and parse cache, with the
real announcer against the sandbox; its rescans are called as the watcher and the
interval job call them, without starting the service's other jobs.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from heartbeat_bot.app.application import App
from heartbeat_bot.app.wiring import announcer_for, open_ledger
from heartbeat_bot.sandbox import Sandbox
from heartbeat_bot.service.alerts import Alerts
from heartbeat_bot.service.scheduler import Service
from heartbeat_bot.web.metrics import Metrics
from tests.announce_env import make_blog
from tests.conftest import DVC_POSTS

OLD = ("2021-05-21-may-21-dvc-heartbeat.md", "2022-05-24-MLEM-release.md")
NEW = "2023-12-11-dvc-git-lfs.md"
HOUR_AGO_NS = time.time_ns() - 3600 * 10**9


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def with_service(
    root: Path, sandbox: Sandbox, scenario: Callable[[Service], Awaitable[None]]
) -> None:
    """Build a service over a blog of the ``OLD`` posts and run ``scenario`` with it."""
    blog = make_blog(root, sandbox, posts=OLD, overrides={"service": {"http": ""}})
    app = App.build(str(blog.config))

    async def main() -> None:
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger) as announcer, httpx.AsyncClient() as http:
                alerts = Alerts(
                    None,
                    http,
                    already_sent=lambda key: False,
                    mark_sent=lambda key: None,
                )
                service = Service(app, ledger, announcer, metrics=Metrics(), alerts=alerts)
                await scenario(service)

    asyncio.run(main())


def test_watcher_paths_are_the_only_files_read_again(tmp_path: Path, sandbox: Sandbox) -> None:
    """A rescan of the new file's path finds it and leaves an edited file it does not name
    alone; the interval rescan then finds the edit."""
    posts = tmp_path / "posts"

    async def scenario(service: Service) -> None:
        for name in OLD:  # written long ago: their stamps are trusted, not checked by content
            os.utime(posts / name, ns=(HOUR_AGO_NS, HOUR_AGO_NS))
        await service.rescan(first=True)
        assert len(service.posts) == 2
        edited = posts / OLD[0]
        edited.write_text(edited.read_text("utf-8").replace("title:", "title: Edited -", 1))
        shutil.copy(DVC_POSTS / NEW, posts / NEW)
        await service.rescan(fetch=False, only={posts / NEW})
        titles = {post.path.name: post.title for post in service.posts.values()}
        assert NEW in titles and not titles[OLD[0]].startswith("Edited -")
        await service.rescan()
        titles = {post.path.name: post.title for post in service.posts.values()}
        assert titles[OLD[0]].startswith("Edited -")

    with_service(tmp_path, sandbox, scenario)


def test_a_rescan_leaves_the_event_loop_free(tmp_path: Path, sandbox: Sandbox) -> None:
    """Other coroutines run while a first scan of a few hundred files is under way."""
    posts = tmp_path / "posts"

    async def scenario(service: Service) -> None:
        text = (DVC_POSTS / NEW).read_text("utf-8")
        for number in range(300):
            slug = f"copy-{number:03d}"
            copy = text.replace("\n---", f"\nslug: {slug}\n---", 1)
            (posts / f"2020-01-01-{slug}.md").write_text(copy, "utf-8")
        ticks = 0
        scanning = asyncio.ensure_future(service.rescan(first=True))
        while not scanning.done():
            ticks += 1
            await asyncio.sleep(0)
        await scanning
        assert ticks > 10, "the event loop was held for the whole scan"
        assert len(service.posts) == 302
        started = datetime.now(UTC)
        assert all(post.published_at < started for post in service.posts.values())

    with_service(tmp_path, sandbox, scenario)
