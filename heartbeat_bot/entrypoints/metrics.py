"""The service's counters and gauges, rendered in the Prometheus text exposition format.

Pure: the service updates a :class:`Metrics` as it works and the health server renders it
on ``GET /metrics``. The format (version 0.0.4) is small enough to write by hand, which
saves a dependency for eight metrics.
"""

from __future__ import annotations

from collections import Counter

_FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("heartbeat_up", "gauge", "1 while the service is running."),
    ("heartbeat_posts_seen_total", "counter", "Posts found by scans of the blog folder."),
    (
        "heartbeat_announcements_total",
        "counter",
        "Announcement attempts, by channel and the pair's state after the attempt.",
    ),
    ("heartbeat_retries_total", "counter", "Attempts scheduled again after a retryable error."),
    (
        "heartbeat_last_scan_success_timestamp_seconds",
        "gauge",
        "Unix time of the last scan of the blog folder that succeeded.",
    ),
    ("heartbeat_queue_size", "gauge", "Posts queued to be announced."),
    ("heartbeat_scheduled_posts", "gauge", "Posts scheduled to go live later."),
    (
        "heartbeat_git_fetches_total",
        "counter",
        "Fetches of the blog's git repository (before scans, including those after a push).",
    ),
)

Labels = tuple[tuple[str, str], ...]


class Metrics:
    """What the service has done so far; every method is cheap and does no I/O."""

    def __init__(self) -> None:
        self.posts_seen = 0
        self.announcements: Counter[tuple[str, str]] = Counter()
        self.retries: Counter[str] = Counter()
        # Read by the stall detector too, so it is a plain attribute.
        self.last_scan: float | None = None
        self.queue_size = 0
        self.scheduled = 0
        self.git_fetches = 0

    def post_seen(self, n: int = 1) -> None:
        self.posts_seen += n

    def announced(self, channel: str, outcome: str) -> None:
        """Count one attempt; ``outcome`` is the pair's state after it (done, failed…)."""
        self.announcements[(channel, outcome)] += 1

    def retry(self, channel: str) -> None:
        self.retries[channel] += 1

    def scan_succeeded(self, at: float) -> None:
        self.last_scan = at

    def set_queue_size(self, n: int) -> None:
        self.queue_size = n

    def set_scheduled(self, n: int) -> None:
        self.scheduled = n

    def git_fetched(self) -> None:
        self.git_fetches += 1

    def render(self) -> str:
        """The exposition text, families in a fixed order and samples sorted by label."""
        samples: dict[str, list[tuple[Labels, float]]] = {
            "heartbeat_up": [((), 1)],
            "heartbeat_posts_seen_total": [((), self.posts_seen)],
            "heartbeat_announcements_total": [
                ((("channel", channel), ("outcome", outcome)), count)
                for (channel, outcome), count in sorted(self.announcements.items())
            ],
            "heartbeat_retries_total": [
                ((("channel", channel),), count) for channel, count in sorted(self.retries.items())
            ],
            # No sample before the first scan: a made-up 0 would read as "stalled since 1970".
            "heartbeat_last_scan_success_timestamp_seconds": (
                [] if self.last_scan is None else [((), self.last_scan)]
            ),
            "heartbeat_queue_size": [((), self.queue_size)],
            "heartbeat_scheduled_posts": [((), self.scheduled)],
            "heartbeat_git_fetches_total": [((), self.git_fetches)],
        }
        lines: list[str] = []
        for name, kind, help_text in _FAMILIES:
            lines.append(f"# HELP {name} {_escape_help(help_text)}")
            lines.append(f"# TYPE {name} {kind}")
            lines.extend(
                f"{name}{_labels(labels)} {_value(value)}" for labels, value in samples[name]
            )
        return "\n".join(lines) + "\n"


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape_label(value)}"' for key, value in labels) + "}"


def _escape_label(value: str) -> str:
    # Channel names come from our code, but a stray quote must not break the whole page.
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _value(value: float) -> str:
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return repr(value)
