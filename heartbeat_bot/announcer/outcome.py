"""What an announce run did, per channel, for the CLI, the service and slash commands."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from heartbeat_bot.models import Post

Action = Literal[
    "sent",  # created now
    "adopted",  # an existing Discourse topic was taken as the post's thread
    "confirmed",  # an interrupted send was found at the service
    "already",  # done before this run
    "deferred",  # waits for the Discourse thread
    "retry",  # left waiting; retried at next_attempt_at
    "failed",
    "unknown",
    "busy",  # another process is sending it right now
    "skipped",  # not enabled, not selected, or excluded by the post
    "would-send",  # --dry-run
    "held",  # the post may be a renamed one: a person decides (`resolve --same-as/--new`)
]
# Pair states that need nothing more from anyone.
SETTLED_STATES = frozenset({"done", "skipped"})


@dataclass(frozen=True)
class Outcome:
    """One channel's result: its ledger state, the remote URL, what happened and why."""

    channel: str
    state: str
    action: Action
    url: str | None = None
    note: str = ""
    next_attempt_at: float | None = None

    @property
    def ok(self) -> bool:
        return self.state in SETTLED_STATES or self.action in {"skipped", "would-send"}


@dataclass
class PostReport:
    post: Post
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # The notes that only inform (a link written into the post), not warn.
    informational: set[str] = field(default_factory=set)
    # Edits of sent messages still to make (cut short, or refused for now).
    edits_pending: bool = False
    # Attempts each pair has had so far, as the ledger counts them (for logs).
    attempts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes.values()) and not self.edits_pending

    def ordered(self, names: Iterable[str]) -> PostReport:
        """The outcomes in the order of ``names`` (the registry's), not as they finished."""
        self.outcomes = {n: self.outcomes[n] for n in names if n in self.outcomes}
        return self

    @property
    def sent_anything(self) -> bool:
        return any(o.action in {"sent", "adopted", "confirmed"} for o in self.outcomes.values())
