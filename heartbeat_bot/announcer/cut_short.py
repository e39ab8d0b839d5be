"""Outcomes read back from the ledger: pairs a time limit cut short, and a dry run's."""

from __future__ import annotations

from heartbeat_bot.announcer.outcome import Outcome, PostReport
from heartbeat_bot.ledger import Delivery, Ledger


def cut_short(ledger: Ledger, rows: dict[str, Delivery], report: PostReport) -> None:
    """The outcomes of the pairs the deadline caught, as the ledger has them now."""
    report.notes.append("the time limit ran out: what was in flight is checked next time")
    for channel, row in rows.items():
        if channel in report.outcomes:
            continue
        now = ledger.get(row.id)
        note = now.last_error or ""
        if now.state == "done":
            outcome = Outcome(channel, "done", "sent", now.remote_url)
        elif now.state == "waiting":
            outcome = Outcome(
                channel, "waiting", "retry", note=note, next_attempt_at=now.next_attempt_at
            )
        elif now.state in ("unknown", "failed"):
            outcome = Outcome(channel, now.state, now.state, now.remote_url, note)
        elif now.state == "sending":  # another process holds it
            outcome = Outcome(channel, "sending", "busy", note=f"being sent by {now.claimed_by}")
        else:
            outcome = Outcome(channel, now.state, "deferred", note="not started in time")
        report.outcomes[channel] = outcome


def dry_run_outcome(row: Delivery) -> Outcome:
    if row.state in {"done", "skipped"}:
        return Outcome(row.channel, row.state, "already", row.remote_url)
    return Outcome(row.channel, row.state, "would-send", note=f"would send (now {row.state})")
