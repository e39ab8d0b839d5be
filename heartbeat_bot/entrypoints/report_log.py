"""What one announcement did, told to the log, the metrics and (when needed) the alerts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from heartbeat_bot.announcer import NOT_PUBLISHED, PostReport
from heartbeat_bot.entrypoints.alerts import Alerts
from heartbeat_bot.entrypoints.metrics import Metrics

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
        elif outcome.state == "waiting" or (
            outcome.state == "unknown" and outcome.next_attempt_at is not None
        ):
            # An unknown to be checked again needs nobody yet: the last check alerts.
            when = datetime.fromtimestamp(outcome.next_attempt_at or 0, UTC)
            log.warning(
                "%s on %s: %s at %s: %s",
                post.slug,
                outcome.channel,
                "retry" if outcome.state == "waiting" else "checked again",
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
