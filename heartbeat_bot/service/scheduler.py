"""``heartbeat-bot run``: watch the blog and announce each post seconds after it goes live.

One asyncio event loop runs everything: a file watcher (sub-second reaction), a periodic
rescan as a safety net, APScheduler date jobs that fire at the exact publish moment of
future posts, a retry job for pairs left ``waiting``, a few workers that call the
announcer, and the health listener. The first run records every published post as the
baseline and sends nothing. While the ledger cannot be used, nothing is sent (see
``ledger_watch``). A blog's feed is polled (``feed_watch``) instead of watched, and its
results taken by the same rescan.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import time
from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from heartbeat_bot.announcer import Announcer
from heartbeat_bot.app.application import App
from heartbeat_bot.errors import HeartbeatError, PostError
from heartbeat_bot.ledger import Ledger, LedgerUnusable
from heartbeat_bot.models import HIDDEN_STATES, Post
from heartbeat_bot.posts.engines import rules_for
from heartbeat_bot.service.alerts import Alerts
from heartbeat_bot.service.approvals import ApprovalGate
from heartbeat_bot.service.ledger_watch import PROBE_SECONDS, LedgerWatch
from heartbeat_bot.service.life import PostLife
from heartbeat_bot.service.periodic import PeriodicJobs
from heartbeat_bot.service.post_ledger import needs_edit, needs_work, quiet_urls, take_baseline
from heartbeat_bot.service.report_log import report_post_errors
from heartbeat_bot.service.settle import first_scan, keep_lean
from heartbeat_bot.service.watcher import watch_folder
from heartbeat_bot.sources.scan_result import Scan, split
from heartbeat_bot.web.metrics import Metrics

if TYPE_CHECKING:  # polled blogs only: a folder's service never loads it
    from heartbeat_bot.service.feed_watch import FeedWatch

log = logging.getLogger("heartbeat_bot.service")

WORKERS = 3
RETRY_CHECK_SECONDS = 5.0
SHUTDOWN_GRACE = 10.0


class Service(PeriodicJobs):
    """The long-running service around one announcer and one ledger."""

    def __init__(
        self,
        app: App,
        ledger: Ledger,
        announcer: Announcer,
        *,
        metrics: Metrics,
        alerts: Alerts,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.config = app.config
        self.ledger = ledger
        self.announcer = announcer
        self.metrics = metrics
        self.alerts = alerts
        self.clock = clock
        self.watch = LedgerWatch(ledger, alerts, self._resume)
        self.approvals = ApprovalGate(self.config.approval, ledger, announcer.enabled, clock=clock)
        self.life = PostLife(ledger, alerts, app.repo, app.config.blog.git_path)
        self.life.follows_removals = app.feed is None  # entries scroll off a feed
        if app.config.sync.on_unpublish == "unlist":
            self.life.editor = announcer.editor
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.posts: dict[str, Post] = {}
        # Every post file of the latest scan, broken and held ones too (the console's list).
        self.items: list[Post | PostError] = []
        self.by_path: dict[Path, str] = {}
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.queued: set[str] = set()
        self.in_progress: set[str] = set()
        self.backfilling: set[str] = set()  # queued by their own spaced-out jobs
        self.live: set[str] = set()  # seen live (blog.require_live), about to be announced
        self.waiting_live: set[str] = set()
        self.stopping = asyncio.Event()
        self.watching = asyncio.Event()  # set once the first scan is done
        self.last_beat = time.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy: set[asyncio.Task[None]] = set()
        self._scanning = asyncio.Lock()
        # A blog's feed, polled (set by whoever builds the service, with its HTTP client).
        self.feed: FeedWatch | None = None
        self.baselined = False  # the first scans may fail: the first read is the baseline
        self._backfill_since: date | None = None

    # -- life cycle -------------------------------------------------------------------

    async def run(self, backfill_since: date | None = None) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.stop)
        self.scheduler.start()
        self._backfill_since = backfill_since
        if self.feed is None:  # a feed is polled: there is no folder to watch
            # Armed before the first scan: a file landing at any moment from now on is seen.
            armed = asyncio.Event()

            def changed(paths: Iterable[Path]) -> Coroutine[Any, Any, None]:
                return self.rescan(fetch=False, only=paths)  # a clone changes by our fetches

            deep = rules_for(self.config.blog).recursive  # subfolders and page bundles
            self._spawn(
                watch_folder(self.config.posts_dir, self.stopping, changed, armed, recursive=deep)
            )
            await armed.wait()
        await first_scan(self.rescan(first=True, backfill_since=backfill_since))
        poll = self.config.blog.poll_interval
        jitter = poll / 10 if self.feed is not None else None  # never in step with others
        self.scheduler.add_job(self.rescan, "interval", seconds=poll, id="rescan", jitter=jitter)
        if self.feed is not None and self.feed.websub is not None:  # renews the lease in time
            self.scheduler.add_job(self.feed.keep_subscribed, "interval", seconds=1.0, id="websub")
        self.scheduler.add_job(self.retry_due, "interval", seconds=RETRY_CHECK_SECONDS, id="retry")
        if self.approvals.required:
            job = functools.partial(self.approvals.queue_approved, self)
            self.scheduler.add_job(job, "interval", seconds=RETRY_CHECK_SECONDS, id="approvals")
        self.scheduler.add_job(self.check_stall, "interval", seconds=poll, id="stall")
        self.scheduler.add_job(
            self.watch.probe, "interval", seconds=PROBE_SECONDS, id="ledger-probe"
        )
        if self.announcer.links.write_back is not None:
            self.scheduler.add_job(
                self.retry_write_backs, "interval", seconds=poll, id="write-back"
            )
        self._spawn(self._heartbeat())
        for _ in range(WORKERS):
            self._spawn(self._worker())
        log.info("watching %s (rescan every %s s)", self.app.origin, poll)
        self.watching.set()
        # What rendering text needs, built now rather than before the first scan: the
        # first post is announced as fast as the next (a render meanwhile builds it too).
        self._spawn(asyncio.to_thread(self.app.render.load_text))
        await self.stopping.wait()
        await self._shutdown()
        return 0

    def stop(self) -> None:
        if not self.stopping.is_set():
            log.info("stopping: finishing requests in flight (up to %s s)", SHUTDOWN_GRACE)
            self.stopping.set()

    def loop_alive(self) -> bool:
        return self.scheduler.running and time.monotonic() - self.last_beat < 10.0

    async def _shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
        if self._busy:
            _, pending = await asyncio.wait(self._busy, timeout=SHUTDOWN_GRACE)
            if pending:
                log.warning("%d announcements still in flight at exit", len(pending))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.alerts.flush(force=True)
        log.info("stopped")

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _heartbeat(self) -> None:
        while True:
            self.last_beat = time.monotonic()
            self.metrics.set_queue_size(self.queue.qsize())
            jobs = self.scheduler.get_jobs()  # publish jobs leave once they have fired
            self.metrics.set_scheduled(sum(1 for j in jobs if j.id.startswith("publish:")))
            await self.alerts.flush()
            await asyncio.sleep(1.0)

    # -- finding posts ----------------------------------------------------------------

    async def rescan(
        self,
        *,
        first: bool = False,
        backfill_since: date | None = None,
        fetch: bool = True,
        only: Iterable[Path] | None = None,
    ) -> None:
        """Read what changed in the folder (only the files at ``only``, the paths a watcher
        event names, when given) and decide, per post, what to do now.

        The files are listed, read and parsed in a worker thread, so the event loop goes on
        serving the workers, the health listener and the slash commands meanwhile.
        """
        if self.stopping.is_set():
            return
        async with self._scanning:
            if self.app.repo is not None and fetch:
                await self._fetch()
            if not self.baselined:  # the first scans failed: this one is the baseline, whole
                first, backfill_since, only = True, self._backfill_since, None
            try:
                scan = await self._read(only, first=first)
            except HeartbeatError as exc:
                log.error("scan failed: %s", exc)
                if first and self.app.repo is not None and not self.config.posts_dir.exists():
                    self._first_run([], backfill_since)  # a fetched clone without it: no posts
                return
            if scan is None:
                return  # a feed that failed (reported once) or asked for a pause
            result, problems, current, fresh = scan
            before = set(self.posts)  # the posts the previous scan left
            self.metrics.scan_succeeded(self.clock())
            self.items = list(result.items)  # what the console lists
            self.metrics.set_problem_posts(problems)
            self.alerts.scan_recovered()
            changed = set() if first else set(result.changed)  # all of them on the first
            gone = () if first else [*changed, *result.removed]  # the first takes them all
            self.life.track(current, fresh, gone, first=first, urls=self.by_path)  # by_path: before
            for error in result.errors_new:  # known before, broken or held now: dropped
                self._forget(error.path, note=None)
            await report_post_errors(result.errors_new, self.alerts)
            for path in result.removed:
                self._forget(path)
            seen = 0  # posts new to the service, counted once: not each change of them
            for item in fresh:
                previous = self.by_path.get(item.path)
                if previous is not None and previous != item.url:
                    self._forget(item.path)  # its URL changed: drop the old one's job
                if item.url not in self.posts:
                    seen += 1
                self.posts[item.url] = item
                self.by_path[item.path] = item.url
                if not first:
                    log.info("post found: %s (%s)", item.slug, item.path.name)
            if seen:
                self.metrics.post_seen(seen)
            if first:  # at start-up an unusable ledger ends `run` (exit 2)
                self._first_run(current, backfill_since)
            elif not self.watch.usable:
                return  # the posts are considered again once it is usable
            try:
                settled = self.life.settled()  # by `resolve --same-as/--new`
                await self.life.after_scan(fresh, before, first=first)
                if self.life.links_moved:  # into a renamed post: no need to wait for it
                    self.life.links_moved = False
                    self._spawn(self.retry_write_backs())
                quiet = self.life.quiet if first else set()  # no job to drop yet
                if quiet is None:
                    quiet = quiet_urls(self.ledger)
                for post in fresh:
                    if post.url not in quiet:
                        self.consider(post)
                if settled and not first:
                    for post in current:
                        if post.url in settled and post.path not in changed:
                            self.consider(post)
            except LedgerUnusable as exc:
                await self.watch.lost(exc)

    async def _read(self, only: Iterable[Path] | None, *, first: bool) -> Scan | None:
        """The files, in a worker thread; a feed on this loop (its HTTP client, its alerts)."""
        if self.feed is None:
            return await asyncio.to_thread(self._scan, only, first=first)
        result = await self.feed.read(first=first)  # parsed in a worker thread
        return None if result is None else split(result, first=first)

    def _scan(self, only: Iterable[Path] | None, *, first: bool) -> Scan:
        """In a worker thread: the rescan, its count of problem files, its posts, and those
        that are new or changed (all of them on the first)."""
        return split(self.app.source.rescan(self.config.blog, only), first=first)

    async def _fetch(self) -> None:
        """Bring the clone to the branch tip (in a thread: git may take a while)."""
        from heartbeat_bot.sources.git_writeback import git_lock

        assert self.app.repo is not None
        async with git_lock(self.app.repo):
            self.metrics.git_fetched()
            try:
                await asyncio.to_thread(self.app.refresh)
                await self.life.fetched()
            except HeartbeatError as exc:
                log.error("fetching the blog failed: %s", exc)

    async def _resume(self) -> None:
        """The ledger is usable again: look at every post again, as after a pause."""
        try:
            for post in list(self.posts.values()):
                self.consider(post)
        except LedgerUnusable as exc:
            await self.watch.lost(exc)
            return
        await self.retry_due()

    async def on_push(self, ref: str) -> None:
        """A signed push webhook: fetch and scan now instead of at the next poll."""
        log.info("push to %s: fetching now", ref)
        await self.rescan()

    def _first_run(self, posts: list[Post], backfill_since: date | None) -> None:
        now = datetime.now(UTC)
        backfill = take_baseline(self.ledger, posts, backfill_since, now, self.announcer.enabled)
        keep_lean(self.app.source, self.config.blog, self.posts, self.items)  # now recorded
        spacing = self.config.service.backfill_interval
        for index, post in enumerate(backfill):
            self.backfilling.add(post.url)
            moment = now + timedelta(seconds=index * spacing)
            self.scheduler.add_job(
                self.enqueue_job,
                "date",
                run_date=moment,
                args=[post.url],
                id=f"backfill:{post.url}",
                replace_existing=True,
            )
        self.baselined = True
        if backfill:
            since, count = backfill_since, len(backfill)
            log.info("backfill: %d posts since %s, one every %s s", count, since, spacing)

    def _forget(self, path: Path, note: str | None = "removed") -> None:
        url = self.by_path.pop(path, None)
        if url is None:
            return
        if url in self.posts and self.posts[url].path == path:
            self.posts.pop(url)
            with contextlib.suppress(Exception):
                self.scheduler.remove_job(f"publish:{url}")
        if note is not None:
            log.info("post %s: %s", note, path.name)

    def consider(self, post: Post) -> None:
        """Schedule, queue or leave alone one post, by its state and the ledger."""
        job_id = f"publish:{post.url}"
        state = post.state(datetime.now(UTC))
        if state != "scheduled":
            with contextlib.suppress(Exception):
                self.scheduler.remove_job(job_id)
        if state in HIDDEN_STATES or post.url in self.backfilling:
            return
        if not needs_work(self.ledger, post, self.announcer.enabled):
            if state == "published" and needs_edit(self.ledger, post):
                self.enqueue(post.url)  # announced already: its messages follow the change
            return
        if state == "scheduled":
            self.scheduler.add_job(
                self.enqueue_job,
                "date",
                run_date=post.published_at,
                args=[post.url],
                id=job_id,
                replace_existing=True,
            )
            jobs = self.scheduler.get_jobs()
            self.metrics.set_scheduled(sum(1 for j in jobs if j.id.startswith("publish:")))
            log.info("scheduled: %s at %s", post.slug, post.published_at.isoformat())
            return
        self.enqueue(post.url)

    async def enqueue_job(self, url: str) -> None:
        # A coroutine, so APScheduler runs it on the loop (a plain function would run in a
        # worker thread, where the queue must not be touched).
        self.enqueue(url)

    def enqueue(self, url: str) -> None:
        if url in self.queued or self.stopping.is_set():
            return
        self.queued.add(url)
        self.queue.put_nowait(url)
        self.metrics.set_queue_size(self.queue.qsize())
