"""Approving or rejecting a post: one decision, whoever makes it and however.

Shared by the console, ``heartbeat-bot approve``/``reject``, the Discord buttons and the
service's timeout. The ledger keeps the first decision only, so two people approving at
once send the post once; the second learns who was first.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from heartbeat_bot.ledger import ApprovalRow, Ledger
from heartbeat_bot.models import Post

log = logging.getLogger("heartbeat_bot.approval")


@dataclass(frozen=True)
class Decision:
    """What a decision came to: the post's approval as recorded, and whether it was this
    one (False: somebody decided first, see ``row``)."""

    row: ApprovalRow
    won: bool

    @property
    def approved(self) -> bool:
        return self.row.state == "approved"

    def describe(self) -> str:
        """``approved by alice (console) at 2024-04-22T09:01:02+00:00``."""
        if self.row.state == "awaiting":
            return "awaiting approval"
        when = (
            datetime.fromtimestamp(self.row.decided_at).astimezone().isoformat(timespec="seconds")
            if self.row.decided_at is not None
            else "?"
        )
        return f"{self.row.state} by {self.row.decided_by} ({self.row.via}) at {when}"


def approve(ledger: Ledger, post: Post, who: str, via: str) -> Decision:
    """Approve ``post`` unless it was decided already."""
    row, won = ledger.decide(ledger.upsert_post(post), "approved", who, via)
    if won:
        log.info("%s approved by %s (%s)", post.slug, who, via)
    return Decision(row, won)


def reject(ledger: Ledger, post: Post, who: str, via: str, channels: Collection[str]) -> Decision:
    """Reject ``post`` unless it was decided already: its pairs not sent are skipped."""
    post_id = ledger.upsert_post(post)
    row, won = ledger.decide(post_id, "rejected", who, via)
    if won:
        log.info("%s rejected by %s (%s)", post.slug, who, via)
        with ledger.transaction():
            for channel in channels:
                if channel not in post.channels:
                    continue
                delivery = ledger.ensure(post_id, channel)
                if delivery.state == "pending":
                    ledger.resolve(delivery.id, "skipped", f"rejected by {who} ({via})")
    return Decision(row, won)


def awaiting(ledger: Ledger) -> frozenset[str]:
    """The URLs of the posts waiting for a decision."""
    return frozenset(ledger.post(row.post_id).url for row in ledger.approvals("awaiting"))


AWAITING = "awaiting_approval"


def shown_state(state: str, url: str, waiting: frozenset[str]) -> str:
    """A post's state as ``list``, ``status`` and the console show it: a published post
    waiting for a decision is ``awaiting_approval`` (a draft or a scheduled post keeps its
    state: nothing is due)."""
    return AWAITING if state == "published" and url in waiting else state


def awaiting_note(row: ApprovalRow) -> str:
    """What ``status`` says of a post waiting for a decision."""
    since = (
        datetime.fromtimestamp(row.requested_at).astimezone().isoformat(timespec="seconds")
        if row.requested_at is not None
        else "?"
    )
    return f"since {since}; nothing is sent until a person approves it"
