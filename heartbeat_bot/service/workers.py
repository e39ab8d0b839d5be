"""The service's workers: each takes a queued post and has the announcer announce it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from heartbeat_bot.announcer import Announcer
from heartbeat_bot.app.application import App
from heartbeat_bot.config import BaseConfig
from heartbeat_bot.errors import HeartbeatError
from heartbeat_bot.ledger import Ledger, LedgerUnusable
from heartbeat_bot.models import Post
from heartbeat_bot.service.alerts import Alerts
from heartbeat_bot.service.approvals import ApprovalGate
from heartbeat_bot.service.ledger_watch import LedgerWatch
from heartbeat_bot.service.liveness import wait_for_page
from heartbeat_bot.service.post_ledger import begun
from heartbeat_bot.service.report_log import record
from heartbeat_bot.web.metrics import Metrics

log = logging.getLogger("heartbeat_bot.service")

# Waits a service asks for are sat out in the worker up to this long; longer ones are
# left to the retry job, which frees the worker for other posts.
MAX_INLINE_WAIT = 30.0


class Workers:
    """A part of :class:`~heartbeat_bot.service.scheduler.Service`, which sets these up."""

    app: App
    config: BaseConfig
    ledger: Ledger
    announcer: Announcer
    metrics: Metrics
    alerts: Alerts
    watch: LedgerWatch
    approvals: ApprovalGate
    posts: dict[str, Post]
    queue: asyncio.Queue[str]
    queued: set[str]
    in_progress: set[str]
    backfilling: set[str]
    live: set[str]
    waiting_live: set[str]
    stopping: asyncio.Event
    _busy: set[asyncio.Task[None]]

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        raise NotImplementedError

    def enqueue(self, url: str) -> None:
        raise NotImplementedError

    async def _worker(self) -> None:
        while True:
            await self.watch.wait_usable()  # posts stay queued while the ledger is unusable
            url = await self.queue.get()
            self.queued.discard(url)
            self.backfilling.discard(url)
            post = self.posts.get(url)
            if post is None or self.stopping.is_set() or url in self.in_progress:
                continue  # gone, stopping, or another worker has it (it will be re-queued)
            self.in_progress.add(url)
            task = asyncio.ensure_future(self._announce(post))
            self._busy.add(task)
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad post or a passing fault never stops the service
                log.exception("%s: announcing failed unexpectedly", post.slug)
            finally:
                self._busy.discard(task)
                self.in_progress.discard(url)

    async def _announce(self, post: Post) -> None:
        try:
            await self._announce_now(post)
        except LedgerUnusable as exc:
            # Nothing was sent without its claim committed; it goes on once usable again.
            await self.watch.lost(exc)

    async def _announce_now(self, post: Post) -> None:
        early = (post.published_at - datetime.now(UTC)).total_seconds()
        if 0 < early < 5:  # a date job may fire a hair before the moment
            await asyncio.sleep(early)
        started = begun(self.ledger, post.url)  # a retry: its page was seen, or it was forced
        if not started and not self._published(post.url):
            # Turned back into a draft or moved to a later date since it was queued.
            log.info("%s: no longer published; not announced", post.slug)
            return
        if self.config.blog.require_live and not started and post.url not in self.live:
            # Wait for the page outside the workers, so one slow deploy holds up no one.
            self._spawn(self._when_live(post))
            return
        self.live.discard(post.url)
        if not started and not await self.approvals.admit(post):
            return  # awaiting approval (queued again once approved), or rejected
        try:
            report = await self.announcer.announce(post, max_wait=MAX_INLINE_WAIT)
        except LedgerUnusable:
            raise
        except HeartbeatError as exc:
            log.error("%s: %s", post.slug, exc)
            return
        await record(report, self.metrics, self.alerts)

    def _published(self, url: str) -> bool:
        """Whether the post at ``url``, as last read, is published now."""
        current = self.posts.get(url)
        return current is not None and current.state(datetime.now(UTC)) == "published"

    async def _when_live(self, post: Post) -> None:
        if post.url in self.waiting_live:
            return
        self.waiting_live.add(post.url)
        try:

            def wanted() -> bool:  # deleted, or turned back into a draft: stop checking
                return self._published(post.url)

            if await wait_for_page(post, self.config.blog, self.stopping, self.alerts, wanted):
                self.live.add(post.url)
                self.enqueue(post.url)
        finally:
            self.waiting_live.discard(post.url)
