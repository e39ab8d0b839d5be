"""The announcer: the one place that orders the steps for a post.

The channels come from the registry, in its order, each driven by the seam its unit
names: the thread provider first (Discourse: its topic URL goes into the other messages
and back into the post), then every message and thread channel (Discord, X) concurrently.
Every pair goes through the ledger, so a crash, a kill or a second process never
duplicates an announcement.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from heartbeat_bot.announcer.cut_short import cut_short, dry_run_outcome
from heartbeat_bot.announcer.edits import NOT_EDITED, Editable, Editor, follow_post
from heartbeat_bot.announcer.gate import Gates
from heartbeat_bot.announcer.identity import identify, linked_url
from heartbeat_bot.announcer.keyed_thread import announce_keyed_thread
from heartbeat_bot.announcer.links import NOT_WRITTEN, Links
from heartbeat_bot.announcer.outcome import Outcome, PostReport
from heartbeat_bot.announcer.pairs import RunContext, Sleep, run_pair
from heartbeat_bot.announcer.protocols import (
    MessageService,
    TopicService,
    TweetService,
    WriteBack,
)
from heartbeat_bot.announcer.retry import RetryPolicy
from heartbeat_bot.announcer.thread import run_thread
from heartbeat_bot.channels import registry
from heartbeat_bot.channels.rendering import Renderers
from heartbeat_bot.channels.unit import ChannelInfo, ThreadPayload
from heartbeat_bot.errors import ChannelError
from heartbeat_bot.ledger import DEFAULT_LEASE, Delivery, Ledger, LedgerError
from heartbeat_bot.models import Post, Sent

log = logging.getLogger("heartbeat_bot.announcer")

# discord.publish: the ledger event naming a message to publish, and the refusal's note.
PUBLISH_DUE = "publish-due"
NOT_PUBLISHED = "not published to the channel's followers"
# Seconds our clock may run ahead of Discord's when dating a message we may have sent.
CLOCK_SKEW_MARGIN = 600
# States in which Discourse has not settled yet, so the others wait for its link.
_DISCOURSE_UNSETTLED = frozenset({"pending", "sending", "waiting", "unknown"})


class Announcer:
    """Announces posts on the channels it was given clients for (by channel name).

    Each client implements the seam its unit names: a topic channel (the thread provider)
    :class:`TopicService`, a message channel :class:`MessageService`, a thread channel
    :class:`TweetService`. ``publish`` names the message channels whose messages are
    also published to the channel's followers.
    """

    def __init__(
        self,
        ledger: Ledger,
        render: Renderers,
        clients: Mapping[str, object],
        *,
        policy: RetryPolicy | None = None,
        write_back: WriteBack | None = None,
        publish: frozenset[str] = frozenset(),
        edits_on: Callable[[str], bool] = lambda channel: False,
        lease: float = DEFAULT_LEASE,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ledger = ledger
        self.render = render
        self.clients = {name: c for name, c in clients.items() if c is not None}
        self.units = tuple(u for u in registry.units() if u.name in self.clients)
        self.policy = policy or RetryPolicy()
        self.publish = publish
        self.links = Links(ledger, write_back, clock)
        # One gate per channel for every announcement of this announcer (and the ledger).
        self.gates = Gates(ledger, dict(self.clients), clock=clock)  # type: ignore[arg-type]
        self.lease = lease
        self.sleep = sleep
        self.clock = clock
        # Channels whose units say they edit a sent announcement, and whose client can.
        editable: dict[str, Editable] = {}
        for unit in self.units:
            client = self.clients[unit.name]
            if unit.supports_edit and isinstance(client, Editable):
                editable[unit.name] = client
        self.editor = Editor(
            ledger,
            editable,
            edits_on=edits_on,
            compare={u.name: u.edit_view for u in self.units if u.edit_view is not None},
            sleep=sleep,
        )

    @property
    def enabled(self) -> tuple[str, ...]:
        return tuple(u.name for u in self.units)

    async def announce(
        self,
        post: Post,
        *,
        only: frozenset[str] | None = None,
        force: bool = False,
        max_wait: float = 60.0,
        dry_run: bool = False,
        deadline: float | None = None,
    ) -> PostReport:
        """Send every pair of ``post`` that is not done yet (or all of them with ``force``).

        Waits the services ask for are sat out up to ``max_wait`` seconds. ``deadline`` (a
        moment of the announcer's clock) bounds the whole call, requests included: what
        is still in flight then is cut short and recorded to be checked with the service
        before anything is sent again (``unknown``, due at once); what sits out a wait
        stays ``waiting``; what has not started stays as it was.
        """
        report = PostReport(post)
        post_id = identify(self.ledger, post)
        held = self.ledger.post(post_id)
        if held.status == "held":
            note = held.held_note or "held: settle it with `heartbeat-bot resolve`"
            for channel in self._shown(only):
                report.outcomes[channel] = Outcome(channel, "pending", "held", note=note)
            return report
        selected: list[str] = []
        for channel in self._shown(only):
            reason = self._skip_reason(post, channel, only)
            if reason:
                report.outcomes[channel] = Outcome(channel, "skipped", "skipped", note=reason)
            else:
                selected.append(channel)
        ends = (
            self.clock() + max_wait if deadline is None else min(deadline, self.clock() + max_wait)
        )
        ctx = RunContext(
            self.ledger, self.policy, self.gates, ends, self.lease, self.sleep, self.clock
        )
        rows = {channel: self.ledger.ensure(post_id, channel) for channel in selected}
        if force and not dry_run:
            self._restart_done(
                rows, keep=tuple(u.name for u in self.units if u.delivery == "topic")
            )
            rows = {channel: self.ledger.get(row.id) for channel, row in rows.items()}
        if dry_run:
            for name, row in rows.items():
                report.outcomes[name] = dry_run_outcome(row)
            return report.ordered(registry.names())
        if deadline is None:
            await self._send(ctx, post, post_id, rows, report, force=force)
            await self._follow(post, post_id, rows, report)
        elif deadline <= self.clock():  # no time left: claim nothing
            cut_short(self.ledger, rows, report)
        else:
            limit = asyncio.timeout(deadline - self.clock())
            try:
                async with limit:
                    await self._send(ctx, post, post_id, rows, report, force=force)
                    await self._follow(post, post_id, rows, report)
            except TimeoutError:
                if not limit.expired():
                    raise
                cut_short(self.ledger, rows, report)
        with contextlib.suppress(LedgerError):  # only for the logs: never worth failing over
            report.attempts = {n: self.ledger.get(row.id).attempts for n, row in rows.items()}
        return report.ordered(registry.names())

    def _shown(self, only: frozenset[str] | None) -> list[str]:
        """The channels a report lists: those enabled, and those ``--only`` names."""
        return [
            name
            for name in registry.names()
            if name in self.enabled or (only is not None and name in only)
        ]

    async def _send(
        self,
        ctx: RunContext,
        post: Post,
        post_id: int,
        rows: dict[str, Delivery],
        report: PostReport,
        *,
        force: bool,
    ) -> None:
        """The thread provider, then the other channels together, then the link into the
        post."""
        comments_url = post.comments_url or self.ledger.post(post_id).comments_url
        link: str | None = None  # the topic's URL, to write into the post at the end
        topics = [u for u in self.units if u.delivery == "topic" and u.name in rows]
        others = [u for u in self.units if u.delivery != "topic" and u.name in rows]
        for unit in topics:
            outcome = await self._topic(ctx, unit, post, rows[unit.name], force=force)
            report.outcomes[unit.name] = outcome
            if outcome.state == "done" and outcome.url:
                comments_url = link = outcome.url
                self.ledger.set_comments_url(post_id, link)
                # The service steps in only if this run died: well after its deadline.
                self.links.expect(post, link, not_before=ctx.deadline + 300.0)
            elif outcome.state in _DISCOURSE_UNSETTLED:
                for other in others:
                    report.outcomes[other.name] = Outcome(
                        other.name,
                        rows[other.name].state,
                        "deferred",
                        note=f"waits for the {unit.label} thread, to carry its link",
                    )
                return
            else:
                report.notes.append(f"{unit.label} failed: announced without the discussion link")
                comments_url = None if post.comments_url is None else comments_url

        async def job(channel: str, outcome: Awaitable[Outcome]) -> None:
            report.outcomes[channel] = await outcome  # kept even if the other is cut short

        jobs = []
        for unit in others:
            row = rows[unit.name]
            if unit.delivery == "message":
                jobs.append(job(unit.name, self._message(ctx, unit, post, row, comments_url)))
            elif unit.delivery == "keyed_thread":
                keyed = announce_keyed_thread(
                    ctx, unit, self.render, self.clients[unit.name], post, row, comments_url
                )
                jobs.append(job(unit.name, keyed))
            else:
                thread = self._thread(ctx, unit, post, row, comments_url, forced=force)
                jobs.append(job(unit.name, thread))
        # Each channel finishes (and records) what it began, even when another fails.
        for result in await asyncio.gather(*jobs, return_exceptions=True):
            if isinstance(result, BaseException):
                raise result
        if link is not None:  # last: a slow push or GitHub call holds up no announcement
            note = await self.links.write(post, link)
            if note:
                report.notes.append(note)
                if not note.startswith(NOT_WRITTEN):
                    report.informational.add(note)

    async def _follow(
        self, post: Post, post_id: int, rows: dict[str, Delivery], report: PostReport
    ) -> None:
        """Edits follow the post: what was sent before is brought in line with it."""
        report.edits_pending = True  # until they are through (a time limit may cut them)
        for note in await follow_post(self.editor, self.render, self.units, post, post_id, rows):
            report.notes.append(note)
            if NOT_EDITED not in note:  # edited, or stale as documented: no warning
                report.informational.add(note)
        report.edits_pending = self.ledger.edits_in_flight(post_id)

    def _skip_reason(self, post: Post, channel: str, only: frozenset[str] | None) -> str | None:
        if channel not in self.enabled:
            return "not enabled"
        if channel not in post.channels:
            return "excluded by the post's `announce` setting"
        if only is not None and channel not in only:
            return "not selected"
        return None

    def _restart_done(self, rows: dict[str, Delivery], keep: tuple[str, ...]) -> None:
        """``--force``: done pairs are sent anew (Discourse is re-checked, never duplicated)."""
        for channel, row in rows.items():
            if row.state in {"done", "skipped"} and channel not in keep:
                self.ledger.restart(row.id, "sent again by request (--force)")

    async def _topic(
        self, ctx: RunContext, unit: ChannelInfo, post: Post, row: Delivery, *, force: bool
    ) -> Outcome:
        topics: TopicService = self.clients[unit.name]  # type: ignore[assignment]
        if post.comments_url:
            # The post names its thread already: adopt it, create nothing.
            if row.state != "done" or row.remote_url != post.comments_url:
                sent = topics.adopted(post.comments_url)
                self.ledger.finish(row.id, sent, event="adopted", owned=False)
            return Outcome(
                unit.name, "done", "adopted", post.comments_url, "from the post's commentsUrl"
            )
        if row.state == "done":
            # Even with --force: Discourse never gets a second topic for a post.
            note = "one topic per post, even with --force" if force else ""
            return Outcome(unit.name, "done", "already", row.remote_url, note)
        topic = self.render.payload(unit.name, post)
        payload = json.dumps(topic.body(), ensure_ascii=False, sort_keys=True)

        async def send(claimed: Delivery) -> Sent:
            return await topics.create_topic(claimed.payload_json())

        async def reconcile(claimed: Delivery) -> Sent | None:
            return await topics.find_created(claimed.payload_json())

        return await run_pair(ctx, row, payload, None, send, reconcile)

    async def _message(
        self,
        ctx: RunContext,
        unit: ChannelInfo,
        post: Post,
        row: Delivery,
        comments_url: str | None,
    ) -> Outcome:
        if row.state == "done":
            return await self._publish(
                unit, row.id, Outcome(unit.name, "done", "already", row.remote_url)
            )
        messages: MessageService = self.clients[unit.name]  # type: ignore[assignment]
        message = self.render.payload(unit.name, post, comments_url)
        payload = json.dumps(message.body(), ensure_ascii=False, sort_keys=True)
        generation = sum(1 for e in self.ledger.history(row.id) if e["event"] == "forced")
        key = self.ledger.post(row.post_id).key  # the post's identity: the same after a rename
        nonce = hashlib.sha256(f"{key}#{generation}".encode()).hexdigest()[:25]

        async def send(claimed: Delivery) -> Sent:
            return await messages.send(claimed.payload_json(), claimed.nonce)

        async def reconcile(claimed: Delivery) -> Sent | None:
            since, after = self._since(claimed)
            linked = linked_url(claimed, post.url)  # the URL it was sent with
            return await messages.find_sent(linked, since=since, after=after)

        async def resend(claimed: Delivery) -> None:
            # At least once: the receiver cannot be asked, the same nonce goes again.
            return None

        check = reconcile if messages.can_confirm else resend if unit.at_least_once else None
        outcome = await run_pair(ctx, row, payload, nonce, send, check)
        return await self._publish(unit, row.id, outcome)

    async def _publish(self, unit: ChannelInfo, row_id: int, outcome: Outcome) -> Outcome:
        """``publish`` (``discord.publish``): publish a message sent while it was on to the
        channel's followers, once. A refusal is noted on the outcome (the service alerts it) and the
        next ``announce`` of the post tries again."""
        if unit.name not in self.publish or outcome.state != "done":
            return outcome
        row = self.ledger.get(row_id)
        message_id = row.remote_id
        if row.state != "done" or message_id is None or not message_id.isdigit():
            return outcome
        history = self.ledger.history(row_id)
        due = {e["detail"] for e in history if e["event"] == PUBLISH_DUE}
        if outcome.action in {"sent", "confirmed"} and message_id not in due:
            # This run sent it: it is to be published (a message sent before publish was
            # turned on, or under another setting, is never published after the fact).
            self.ledger.log(row_id, PUBLISH_DUE, message_id)
            due.add(message_id)
        published = {e["detail"] for e in history if e["event"] == "published"}
        if message_id not in due or message_id in published:
            return outcome
        client: MessageService = self.clients[unit.name]  # type: ignore[assignment]
        try:
            await client.publish(message_id)
        except ChannelError as exc:
            self.ledger.log(row_id, "not-published", str(exc))
            note = f"{NOT_PUBLISHED}: {exc}"
            log.warning("%s: %s", unit.name, note)
            return replace(outcome, note="; ".join(n for n in (outcome.note, note) if n))
        self.ledger.log(row_id, "published", message_id)
        return outcome

    def _since(self, row: Delivery) -> tuple[datetime | None, str | None]:
        """Where a message of this pair's current generation can start, in the history: a
        moment, and the earlier generation's message it must come after.

        A forced resend starts after the earlier message and after the force less a margin
        for our clock running ahead of the service's; a first generation at its first send
        less that margin. (None, None) before any send.
        """
        history = self.ledger.history(row.id)
        forced = [e["at"] for e in history if e["event"] == "forced"]
        if forced:
            # After the earlier message, and no earlier than the force (less the skew
            # margin): the scan skips that message and stays short in a busy channel.
            return _moment(forced[-1] - CLOCK_SKEW_MARGIN), row.remote_id
        sends = [e["at"] for e in history if e["event"] == "sending"]
        return (_moment(sends[0] - CLOCK_SKEW_MARGIN) if sends else None), None

    async def _thread(
        self,
        ctx: RunContext,
        unit: ChannelInfo,
        post: Post,
        row: Delivery,
        comments_url: str | None,
        *,
        forced: bool,
    ) -> Outcome:
        if row.state == "done":
            return Outcome(unit.name, "done", "already", row.remote_url)
        client: TweetService = self.clients[unit.name]  # type: ignore[assignment]
        thread: ThreadPayload = self.render.payload(unit.name, post, comments_url)
        parts = list(thread.parts())
        distinct = unit.distinct
        if distinct is None:
            return await run_thread(ctx, row, parts, client, forced=forced)
        if row.payload is None:  # a first send: no part may repeat another post's
            taken = self.ledger.tweet_texts_elsewhere(row.id)
            if taken.intersection(parts):
                parts = distinct(parts, taken, post.title)

        def reword(text: str) -> str:
            taken = self.ledger.tweet_texts_elsewhere(row.id) | {text}
            return distinct([text], taken, post.title)[0]

        return await run_thread(ctx, row, parts, client, forced=forced, reword=reword)


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(max(0.0, epoch), UTC)
