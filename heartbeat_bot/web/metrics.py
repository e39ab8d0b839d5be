"""The service's metrics, exposed with the official Prometheus client.

The service updates a :class:`Metrics` as it works and the health server renders it on
``GET /metrics``. Each instance has a registry of its own (no global state), with the
client's ``process_*`` and ``python_info`` collectors beside our families.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from heartbeat_bot import __version__

# From seconds (the service reacts within one) to a day (a page that stayed down).
LATENCY_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 4 * 3600, 86400)

# No ``*_created`` series: they double the page for counters that start with the process.
disable_created_metrics()  # type: ignore[no-untyped-call]


class Metrics:
    """What the service has done so far; every method is cheap and does no I/O."""

    def __init__(self) -> None:
        # Read by the stall detector too, so it is a plain attribute.
        self.last_scan: float | None = None
        self.last_fetch: float | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        registry = self.registry
        Info("heartbeat_build", "The running heartbeat-bot's version.", registry=registry).info(
            {"version": __version__}
        )
        Gauge("heartbeat_up", "1 while the service is running.", registry=registry).set(1)
        self._posts_seen = Counter(
            "heartbeat_posts_seen", "Posts the scans found, each counted once.", registry=registry
        )
        self._announcements = Counter(
            "heartbeat_announcements",
            "Announcement attempts, by channel and the pair's state after the attempt.",
            ["channel", "outcome"],
            registry=registry,
        )
        self._retries = Counter(
            "heartbeat_retries",
            "Attempts scheduled again after a retryable error.",
            ["channel"],
            registry=registry,
        )
        registry.register(_LastScan(self))
        self._queue_size = Gauge(
            "heartbeat_queue_size", "Posts queued to be announced.", registry=registry
        )
        self._scheduled = Gauge(
            "heartbeat_scheduled_posts", "Posts scheduled to go live later.", registry=registry
        )
        self._problem_posts = Gauge(
            "heartbeat_posts_with_problems",
            "Post files that cannot be announced as they are (broken or in conflict).",
            registry=registry,
        )
        self._pairs = Gauge(
            "heartbeat_pairs",
            "(post, channel) pairs in the ledger, by channel and state.",
            ["channel", "state"],
            registry=registry,
        )
        self._git_fetches = Counter(
            "heartbeat_git_fetches",
            "Fetches of the blog's git repository (before scans, including those after a push).",
            registry=registry,
        )
        self._feed_fetches = Counter(
            "heartbeat_feed_fetches",
            "Fetches of the blog's feed, by result: changed (parsed), unchanged (a 304 or the "
            "same bytes, not parsed), failed.",
            ["result"],
            registry=registry,
        )
        self._latency = Histogram(
            "heartbeat_publish_to_done_seconds",
            "From a post's publish moment to its announcement being done, by channel.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def post_seen(self, n: int = 1) -> None:
        self._posts_seen.inc(n)

    def announced(self, channel: str, outcome: str) -> None:
        """Count one attempt; ``outcome`` is the pair's state after it (done, failed…)."""
        self._announcements.labels(channel=channel, outcome=outcome).inc()

    def retry(self, channel: str) -> None:
        self._retries.labels(channel=channel).inc()

    def published_to_done(self, channel: str, seconds: float) -> None:
        """How long after the publish moment a pair became done (never below zero)."""
        self._latency.labels(channel=channel).observe(max(0.0, seconds))

    def scan_succeeded(self, at: float) -> None:
        self.last_scan = at

    def set_queue_size(self, n: int) -> None:
        self._queue_size.set(n)

    def set_scheduled(self, n: int) -> None:
        self._scheduled.set(n)

    def set_problem_posts(self, n: int) -> None:
        self._problem_posts.set(n)

    def set_pairs(self, counts: Mapping[tuple[str, str], int]) -> None:
        """The ledger's pairs by (channel, state); a state no longer seen reads 0."""
        for channel, state in list(self._known_pairs()):
            if (channel, state) not in counts:
                self._pairs.labels(channel=channel, state=state).set(0)
        for (channel, state), count in counts.items():
            self._pairs.labels(channel=channel, state=state).set(count)

    def _known_pairs(self) -> list[tuple[str, str]]:
        return [
            (sample.labels["channel"], sample.labels["state"])
            for family in self._pairs.collect()
            for sample in family.samples
        ]

    def git_fetched(self, at: float | None = None) -> None:
        self._git_fetches.inc()
        self.last_fetch = time.time() if at is None else at

    def feed_fetched(self, result: str) -> None:
        """Count one fetch of the feed: ``changed``, ``unchanged`` or ``failed``."""
        self._feed_fetches.labels(result=result).inc()

    def render(self) -> str:
        """The exposition text (format 0.0.4)."""
        return generate_latest(self.registry).decode("utf-8")


class _LastScan(Collector):
    """The last successful scan's time, with no sample before the first one.

    A made-up 0 would read as "stalled since 1970" to an alert on its age.
    """

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "heartbeat_last_scan_success_timestamp_seconds",
            "Unix time of the last scan of the blog that succeeded.",
        )
        if self._metrics.last_scan is not None:
            family.add_metric([], self._metrics.last_scan)
        yield family
