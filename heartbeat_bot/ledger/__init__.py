"""The ledger: the state of every (post, channel) pair, in SQLite."""

from __future__ import annotations

from heartbeat_bot.ledger.approvals import ApprovalRow, ApprovalState
from heartbeat_bot.ledger.connection import LedgerUnusable, recovery_hint
from heartbeat_bot.ledger.records import (
    DEFAULT_LEASE,
    Delivery,
    LedgerError,
    PostRow,
    PostStatus,
    State,
    TweetRow,
    claimer_alive,
    process_identity,
)
from heartbeat_bot.ledger.schema import SCHEMA_VERSION
from heartbeat_bot.ledger.store import Ledger

__all__ = [
    "DEFAULT_LEASE",
    "SCHEMA_VERSION",
    "ApprovalRow",
    "ApprovalState",
    "Delivery",
    "Ledger",
    "LedgerError",
    "LedgerUnusable",
    "PostRow",
    "PostStatus",
    "State",
    "TweetRow",
    "claimer_alive",
    "process_identity",
    "recovery_hint",
]
