"""Rows of the ledger as frozen records, and who holds a claim."""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from heartbeat_bot.errors import HeartbeatError

State = Literal["pending", "sending", "done", "waiting", "failed", "unknown", "skipped"]
# A post's standing in the ledger: announced as usual, held for a person (it may be a
# renamed post), or unpublished after its announcement (deleted or made a draft).
PostStatus = Literal["active", "held", "unpublished"]
DEFAULT_LEASE = 120.0


class LedgerError(HeartbeatError):
    """The state file cannot be opened, migrated or written."""


@dataclass(frozen=True)
class Delivery:
    id: int
    post_id: int
    channel: str
    state: State
    attempts: int
    next_attempt_at: float | None
    last_error: str | None
    payload: str | None
    nonce: str | None
    remote_id: str | None
    remote_url: str | None
    claimed_by: str | None
    lease_expires_at: float | None
    created_at: float
    updated_at: float

    def payload_json(self) -> Any:
        return json.loads(self.payload) if self.payload is not None else None


@dataclass(frozen=True)
class TweetRow:
    position: int
    text: str
    state: State
    remote_id: str | None
    last_error: str | None


@dataclass(frozen=True)
class PostRow:
    id: int
    url: str
    slug: str
    path: str
    title: str
    content_hash: str
    comments_url: str | None
    baseline: bool
    key: str = ""
    """The post's stable identity: its URL when first recorded; it never changes."""
    date: str | None = None
    status: PostStatus = "active"
    held_note: str | None = None
    held_as: int | None = None
    """For a held post: the recorded post it may be (``resolve --same-as``)."""
    shown_hash: str | None = None
    """What the announcements show of the post, hashed, when it was last announced."""


def process_identity() -> str:
    """host:pid:random — unique per process run, and checkable for liveness on this host."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claimer_alive(claimed_by: str | None, me: str) -> bool:
    """Whether the process named by a claim may still be running.

    Only a process on this host can be checked (signal 0); others count as alive, and
    their claims are only taken over once the lease expires.
    """
    if not claimed_by:
        return False
    if claimed_by == me:
        return True
    host, _, rest = claimed_by.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # this pid, another run: the earlier run is gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
