"""The service's approval step: a post that comes due waits for a person's "go".

With ``[approval] mode = "required"`` a post due to be announced (on time, or by
``run --backfill``) is recorded as awaiting approval and, when a staff channel is set,
shown there with Approve / Reject buttons. Every few seconds the service looks at the
waiting posts: one approved (in the console, by ``heartbeat-bot approve`` or by a button)
is queued; one waiting past ``approval.timeout`` is sent, skipped or left waiting, as
``approval.on_timeout`` says.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from heartbeat_bot.app.approval import approve, reject
from heartbeat_bot.config import ApprovalConfig
from heartbeat_bot.ledger import ApprovalRow, Ledger, LedgerUnusable
from heartbeat_bot.models import Post
from heartbeat_bot.service.post_ledger import needs_work

if TYPE_CHECKING:
    from heartbeat_bot.service.scheduler import Service

log = logging.getLogger("heartbeat_bot.service")

# Posts a preview in the staff channel; returns the message's id (None: not posted).
Notify = Callable[[Post, int], Awaitable[str | None]]
TIMEOUT = "timeout"


class ApprovalGate:
    """Whether a due post may go now, and which waiting posts were decided meanwhile."""

    def __init__(
        self,
        config: ApprovalConfig,
        ledger: Ledger,
        enabled: Collection[str],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.enabled = enabled
        self.clock = clock
        self.notify: Notify | None = None  # set once the bot is up

    @property
    def required(self) -> bool:
        return self.config.mode == "required"

    async def admit(self, post: Post) -> bool:
        """True when ``post`` may be announced now; else it waits (or was rejected)."""
        if not self.required:
            return True
        post_id = self.ledger.upsert_post(post)
        row = self.ledger.approval(post_id)
        if row is None:
            row, new = self.ledger.request_approval(post_id)
            if new:
                log.info("%s: awaiting approval", post.slug)
                await self._notify(post, post_id)
        if row.state == "awaiting":
            row = self._on_timeout(post, row)
        return row.state == "approved"

    async def sweep(self, posts: dict[str, Post]) -> list[str]:
        """The URLs of posts due now, decided "go" and not announced yet (timeouts applied
        to the due ones; a preview the bot could not post yet, being offline, is posted
        now)."""
        if not self.required:
            return []
        ready = []
        now = datetime.fromtimestamp(self.clock(), UTC)
        for row in self.ledger.approvals():
            url = self.ledger.post(row.post_id).url
            post = posts.get(url)
            if post is None or post.state(now) != "published":
                # Gone, or not due (approved ahead; a draft, or dated later, again). A
                # request is withdrawn: asked again, with a new preview, once it is due.
                if row.state == "awaiting" and self.ledger.withdraw_approval(row.post_id):
                    log.info("%s: no longer due; its approval request is withdrawn", url)
                continue
            if row.state == "awaiting" and row.message_id is None:
                await self._notify(post, row.post_id)
            if row.state == "awaiting":
                row = self._on_timeout(post, row)
            if row.state == "approved" and needs_work(self.ledger, post, self.enabled):
                ready.append(url)
        return ready

    async def queue_approved(self, service: Service) -> None:
        """Queue the posts a person approved meanwhile (or that timed out into "send")."""
        if not service.watch.usable:
            return
        try:
            for url in await self.sweep(service.posts):
                if url not in service.queued and url not in service.in_progress:
                    service.enqueue(url)
        except LedgerUnusable as exc:
            await service.watch.lost(exc)

    def _on_timeout(self, post: Post, row: ApprovalRow) -> ApprovalRow:
        waited = self.clock() - (row.requested_at or self.clock())
        if waited < self.config.timeout or self.config.on_timeout == "wait":
            return row
        log.warning(
            "%s: no decision after %.0f s; approval.on_timeout = %s",
            post.slug,
            waited,
            self.config.on_timeout,
        )
        if self.config.on_timeout == "send":
            return approve(self.ledger, post, TIMEOUT, "approval.timeout").row
        return reject(self.ledger, post, TIMEOUT, "approval.timeout", self.enabled).row

    async def _notify(self, post: Post, post_id: int) -> None:
        if self.notify is None or self.config.discord_channel_id is None:
            return
        try:
            message_id = await self.notify(post, post_id)
        except Exception:  # the preview is a courtesy: the post waits either way
            log.warning("%s: could not post the approval preview", post.slug, exc_info=True)
            return
        if message_id is not None:
            self.ledger.set_approval_message(post_id, message_id)
