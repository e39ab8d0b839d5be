"""The service's periodic jobs: pairs due again, comments URLs still to write, and the
check that scans still succeed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from heartbeat_bot.ledger import LedgerUnusable
from heartbeat_bot.service.link_retries import retry_links
from heartbeat_bot.service.workers import Workers

if TYPE_CHECKING:  # polled blogs only: a folder's service never loads it
    from heartbeat_bot.service.feed_watch import FeedWatch

log = logging.getLogger("heartbeat_bot.service")


class PeriodicJobs(Workers):
    """A part of :class:`~heartbeat_bot.service.scheduler.Service`, which sets these up."""

    clock: Callable[[], float]
    feed: FeedWatch | None

    async def retry_due(self) -> None:
        """Queue the posts whose waiting pairs are due again (also notices a lost ledger)."""
        if not self.watch.usable:
            return
        try:
            for delivery in self.ledger.due():
                url = self.ledger.post(delivery.post_id).url
                if url in self.posts and url not in self.queued and url not in self.in_progress:
                    self.metrics.retry(delivery.channel)  # once a retry, not once a check
                    self.enqueue(url)
            self.metrics.set_pairs(self.ledger.pair_counts())
        except LedgerUnusable as exc:
            await self.watch.lost(exc)

    async def retry_write_backs(self) -> None:
        """Write the comments URLs that could not be written into their posts, when due."""
        if not self.watch.usable:
            return
        try:
            await retry_links(
                self.announcer.links,
                self.posts,
                busy=self.in_progress,
                stopping=self.stopping,
                limit=self.config.service.max_attempts,
                alerts=self.alerts,
                now=self.clock(),
            )
        except LedgerUnusable as exc:
            await self.watch.lost(exc)

    async def check_stall(self) -> None:
        if self.feed is not None and self.feed.reported is not None:
            return  # the feed's outage was reported already, once
        last = self.metrics.last_scan
        limit = 3 * self.config.blog.poll_interval
        if last is not None and self.clock() - last > limit:
            log.error("no successful scan for %.0f s", self.clock() - last)
            await self.alerts.stall_alert(self.clock() - last)
