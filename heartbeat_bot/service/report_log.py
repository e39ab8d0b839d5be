"""What one announcement did, and which posts cannot be announced, told to the log, the
metrics and (when needed) the alerts."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from heartbeat_bot.announcer import NOT_PUBLISHED, PostReport
from heartbeat_bot.announcer.outcome import Outcome
from heartbeat_bot.errors import DuplicatePost, PostError
from heartbeat_bot.service.alerts import Alerts
from heartbeat_bot.web.metrics import Metrics

log = logging.getLogger("heartbeat_bot.service")

# Outcomes that did nothing worth a line: not selected, already done, another run's.
_QUIET = frozenset({"skipped", "already", "busy", "deferred"})
# Outcomes that made a pair done in this run: the ones whose delay since publishing counts.
_DONE_NOW = frozenset({"sent", "adopted", "confirmed"})


def fields(report: PostReport, outcome: Outcome, event: str) -> dict[str, object]:
    """The structured fields of a log line about one pair (JSON logs carry them as keys)."""
    return {
        "event": event,
        "post": report.post.slug,
        "channel": outcome.channel,
        "state": outcome.state,
        "attempt": report.attempts.get(outcome.channel),
        "url": outcome.url,
        "wait": (
            None
            if outcome.next_attempt_at is None
            else round(max(0.0, outcome.next_attempt_at - time.time()), 3)
        ),
    }


async def record(report: PostReport, metrics: Metrics, alerts: Alerts) -> None:
    """One log line per channel that acted; an alert for a pair that needs a person."""
    post = report.post
    for outcome in report.outcomes.values():
        if outcome.action in _QUIET:
            continue
        metrics.announced(outcome.channel, outcome.state)
        if outcome.state == "done":
            if outcome.action in _DONE_NOW:
                metrics.published_to_done(
                    outcome.channel, time.time() - post.published_at.timestamp()
                )
            log.info(
                "announced %s on %s: %s",
                post.slug,
                outcome.channel,
                outcome.url,
                extra=fields(report, outcome, "announced"),
            )
            if NOT_PUBLISHED in outcome.note:  # out, but not to the channel's followers
                await alerts.pair_alert(
                    post.slug, post.url, f"{outcome.channel} publish", "failed", outcome.note
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
                extra=fields(report, outcome, "retry"),
            )
        else:
            log.error(
                "%s on %s: %s: %s",
                post.slug,
                outcome.channel,
                outcome.state,
                outcome.note,
                extra=fields(report, outcome, outcome.action),
            )
            if outcome.state in {"failed", "unknown"}:
                await alerts.pair_alert(
                    post.slug, post.url, outcome.channel, outcome.state, outcome.note
                )
    for note in report.notes:
        level = logging.INFO if note in report.informational else logging.WARNING
        log.log(level, "%s: %s", post.slug, note, extra={"event": "note", "post": post.slug})


async def report_post_errors(errors: list[PostError], alerts: Alerts) -> None:
    """One log line per newly broken post; posts held for sharing a slug or public URL
    get one line and one alert per group, not one per file."""
    groups: set[frozenset[Path]] = set()
    for error in errors:
        if not isinstance(error, DuplicatePost):
            log.warning("post skipped: %s", error, extra={"event": "post-error"})
            continue
        group = frozenset((error.path, *error.others))
        if group in groups:
            continue
        groups.add(group)
        log.warning("posts held: %s", error, extra={"event": "held", "url": error.url})
        await alerts.duplicate_alert(error.url, sorted(path.name for path in group), str(error))
