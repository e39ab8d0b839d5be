"""What one announcement did, and which posts cannot be announced, told to the log, the
metrics and (when needed) the alerts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from heartbeat_bot.announcer import NOT_PUBLISHED, PostReport
from heartbeat_bot.entrypoints.alerts import Alerts
from heartbeat_bot.entrypoints.metrics import Metrics
from heartbeat_bot.errors import DuplicatePost, PostError

log = logging.getLogger("heartbeat_bot.service")

# Outcomes that did nothing worth a line: not selected, already done, another run's.
_QUIET = frozenset({"skipped", "already", "busy", "deferred"})


async def record(report: PostReport, metrics: Metrics, alerts: Alerts) -> None:
    """One log line per channel that acted; an alert for a pair that needs a person."""
    post = report.post
    for outcome in report.outcomes.values():
        if outcome.action in _QUIET:
            continue
        metrics.announced(outcome.channel, outcome.state)
        if outcome.state == "done":
            log.info("announced %s on %s: %s", post.slug, outcome.channel, outcome.url)
            if NOT_PUBLISHED in outcome.note:  # out, but not to the channel's followers
                await alerts.pair_alert(
                    post.slug, post.url, "discord publish", "failed", outcome.note
                )
        elif outcome.state == "waiting":
            when = datetime.fromtimestamp(outcome.next_attempt_at or 0, UTC)
            log.warning(
                "%s on %s: retry at %s: %s",
                post.slug,
                outcome.channel,
                when.isoformat(timespec="seconds"),
                outcome.note,
            )
        else:
            log.error("%s on %s: %s: %s", post.slug, outcome.channel, outcome.state, outcome.note)
            if outcome.state in {"failed", "unknown"}:
                await alerts.pair_alert(
                    post.slug, post.url, outcome.channel, outcome.state, outcome.note
                )
    for note in report.notes:
        log.warning("%s: %s", post.slug, note)


async def report_post_errors(errors: list[PostError], alerts: Alerts) -> None:
    """One log line per newly broken post; posts held for sharing a slug or public URL
    get one line and one alert per group, not one per file."""
    groups: set[frozenset[Path]] = set()
    for error in errors:
        if not isinstance(error, DuplicatePost):
            log.warning("post skipped: %s", error)
            continue
        group = frozenset((error.path, *error.others))
        if group in groups:
            continue
        groups.add(group)
        log.warning("posts held: %s", error)
        await alerts.duplicate_alert(error.url, sorted(path.name for path in group), str(error))
