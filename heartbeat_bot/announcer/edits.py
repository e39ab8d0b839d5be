"""Edits follow the post: what heartbeat-bot sent is changed in place when the post changes.

For each channel whose client can edit (Discourse: the first post and the topic title;
Discord: the message, in bot and webhook mode), the announcement as it would be rendered
now is compared, by hash, with what the message holds (its last edit, else the payload it
was sent with). A difference is recorded ``sending`` with the new payload's hash before the
request and ``done`` after it, so a restart never repeats a finished edit, and one cut
short by a crash is made again (an edit replaces the text: making it twice changes
nothing). Messages people made (a topic adopted from a hand-set ``commentsUrl``, a pair
settled by hand) are never edited. A Mastodon thread is edited status by status (ids and
links stay) while it keeps its number of statuses; one that would now need more or fewer
is recorded ``stale``. A channel that cannot edit (X), or whose edits are turned off, is
recorded ``stale`` instead: ``status`` shows it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from heartbeat_bot.channels.rendering import Renderers
from heartbeat_bot.channels.unit import ChannelInfo
from heartbeat_bot.channels.unit import Editable as UnitEditable
from heartbeat_bot.errors import ChannelError, Retryable
from heartbeat_bot.ledger import Delivery, Ledger
from heartbeat_bot.ledger.edits import payload_hash
from heartbeat_bot.models import Post

log = logging.getLogger("heartbeat_bot.announcer")

# Ledger events of a pair whose message heartbeat-bot itself created.
OURS = frozenset({"done", "confirmed"})
# An edit the service could not make (down, rate limiting) is tried this often, waiting
# as it asks (at most EDIT_MAX_WAIT seconds) or backing off from 1 s.
EDIT_ATTEMPTS = 5
EDIT_MAX_WAIT = 10.0
WITHDRAWN = "withdrawn"
NOT_EDITED = "not edited"  # how the note of a failed edit starts, after the channel


def thread_stale(rendered: list[str], sent: list[str]) -> bool:
    """Whether the thread as rendered now says something the sent one does not (a tweet
    reworded to differ from another post's still holds the text it was rendered with)."""
    return any(not any(tweet in text for text in sent) for tweet in rendered)


@runtime_checkable
class Editable(UnitEditable, Protocol):
    """A client that can change or withdraw a message it sent (checked at run time)."""


def canonical(body: Mapping[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


class Editor:
    """Edits and withdrawals of the messages of one ledger, per channel."""

    def __init__(
        self,
        ledger: Ledger,
        clients: Mapping[str, Editable],
        *,
        edits_on: Callable[[str], bool],
        compare: Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.sleep = sleep
        self.ledger = ledger
        self.clients = clients
        self.edits_on = edits_on
        # The part of a payload an edit can change (Discourse: title and raw).
        self.compare = compare or {}

    def ours(self, row: Delivery) -> bool:
        """Whether heartbeat-bot created the message (not adopted, not set by hand)."""
        if row.state != "done" or not row.remote_id:
            return False
        events = [e["event"] for e in self.ledger.history(row.id)]
        last = next((e for e in reversed(events) if e in OURS | {"adopted", "resolved:done"}), None)
        return last in OURS

    def _shape(self, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        shape = self.compare.get(channel)
        return shape(body) if shape is not None else body

    def current(self, row: Delivery, sent: dict[str, Any] | None = None) -> str | None:
        """The hash of what the message holds now (its last edit, else what was sent:
        ``sent``, or the pair's payload)."""
        latest = self.ledger.current_hash(row.id)
        if latest is not None:
            return latest
        sent = sent or row.payload_json()
        return payload_hash(canonical(self._shape(row.channel, sent))) if sent else None

    async def follow(
        self, row: Delivery, body: dict[str, Any], sent: dict[str, Any] | None = None
    ) -> str | None:
        """Bring one sent message in line with ``body`` (``sent``: what it was sent with,
        when the pair's payload does not say); a note when something was done or could
        not be, else None."""
        if not self.ours(row):
            return None
        wanted = canonical(self._shape(row.channel, body))
        digest = payload_hash(wanted)
        if digest == self.current(row, sent):
            return None
        client = self.clients.get(row.channel)
        if client is None or not self.edits_on(row.channel):
            return self.stale(row, digest)
        assert row.remote_id is not None
        if not self.ledger.claim_edit(row.id, digest):
            if self.ledger.current_hash(row.id) == digest:
                return None  # another run has just made this very edit
            return f"{row.channel}: being edited by another run"
        for attempt in range(1, EDIT_ATTEMPTS + 1):
            try:
                await client.edit(row.remote_id, json.loads(wanted))
                break
            except Retryable as exc:
                if attempt == EDIT_ATTEMPTS:
                    return self._failed(row, digest, exc)
                await self.sleep(min(exc.wait or 2.0 ** (attempt - 1), EDIT_MAX_WAIT))
            except ChannelError as exc:
                return self._failed(row, digest, exc)
        self.ledger.record_edit(row.id, digest, "done", "edited to follow the post")
        log.info("%s: edited %s to follow the post", row.channel, row.remote_url)
        return f"{row.channel}: edited to follow the post"

    def _failed(self, row: Delivery, digest: str, exc: ChannelError) -> str:
        self.ledger.record_edit(row.id, digest, "failed", str(exc))
        log.warning("%s: editing %s failed: %s", row.channel, row.remote_url, exc)
        return f"{row.channel}: {NOT_EDITED} ({exc}); tried again at the next announce"

    def stale(self, row: Delivery, digest: str) -> str | None:
        """Record that the sent message is out of date and is not edited (once per change)."""
        if self.ledger.edit_state(row.id, digest) == "stale" and self.ledger.stale(row.id):
            return None
        self.ledger.record_edit(row.id, digest, "stale", "out of date; not edited")
        return f"{row.channel}: out of date (the post changed); never edited"

    def in_date(self, row: Delivery, digest: str) -> None:
        """The post reads as sent again: the message is no longer stale."""
        if self.ledger.stale(row.id):
            self.ledger.record_edit(row.id, digest, "done", "in date again")

    async def withdraw(self, row: Delivery) -> str | None:
        """Unlist or delete one message heartbeat-bot created, once (``on_unpublish``)."""
        client = self.clients.get(row.channel)
        if client is None or not self.ours(row) or row.remote_id is None:
            return None
        if self.ledger.edit_state(row.id, WITHDRAWN) == "done":
            return None
        if not self.ledger.claim_edit(row.id, WITHDRAWN):
            return None  # another run is withdrawing it
        try:
            await client.withdraw(row.remote_id)
        except ChannelError as exc:
            self.ledger.record_edit(row.id, WITHDRAWN, "failed", str(exc))
            return f"{row.channel}: not withdrawn ({exc})"
        self.ledger.record_edit(row.id, WITHDRAWN, "done", "withdrawn: the post was unpublished")
        return f"{row.channel}: withdrawn ({row.remote_url})"


async def follow_post(
    editor: Editor,
    render: Renderers,
    units: Sequence[ChannelInfo],
    post: Post,
    post_id: int,
    rows: Mapping[str, Delivery],
) -> list[str]:
    """Bring the post's sent announcements in line with it: those that can be edited are
    (the thread provider's without its own link, a Mastodon thread status by status), a
    thread that cannot be edited is marked stale when it would read differently now."""
    comments_url = post.comments_url or editor.ledger.post(post_id).comments_url
    notes = []
    for unit in units:
        if unit.name not in rows:
            continue
        row = editor.ledger.get(rows[unit.name].id)
        if row.state != "done":
            continue
        link = None if unit.delivery == "topic" else comments_url
        if unit.delivery == "keyed_thread" and unit.name in editor.clients:
            note = await _follow_thread(editor, render, unit, post, row, link)
            if note:
                notes.append(note)
            continue
        payload = render.payload(unit.name, post, link)
        if unit.delivery in ("thread", "keyed_thread"):
            if not editor.ours(row):
                continue
            parts = list(payload.parts())
            digest = payload_hash(json.dumps(parts, ensure_ascii=False))
            if thread_stale(parts, [t.text for t in editor.ledger.tweets(row.id)]):
                note = editor.stale(row, digest)
            else:
                editor.in_date(row, digest)
                note = None
        else:
            note = await editor.follow(row, payload.body())
        if note:
            notes.append(note)
    return notes


async def _follow_thread(
    editor: Editor,
    render: Renderers,
    unit: ChannelInfo,
    post: Post,
    row: Delivery,
    link: str | None,
) -> str | None:
    """Edit a thread whose statuses can be edited (Mastodon), rendered within the
    service's own limits as when it was sent. A thread that would now have another
    number of statuses is marked stale: adding or deleting statuses would send or take
    away messages people may have answered, and half an edit would read wrongly."""
    if not editor.ours(row):
        return None
    client = editor.clients[unit.name]
    tuned = getattr(client, "tuned", None)
    options = render.options_for(unit.name)
    if tuned is not None:
        options = await tuned(options)
    thread = unit.render(post, options, render.template(unit.name), link)
    parts = [str(part) for part in thread.parts()]
    sent = [t.text for t in editor.ledger.tweets(row.id)]
    if len(parts) != len(sent):
        return editor.stale(row, payload_hash(canonical({"statuses": parts})))
    note = await editor.follow(row, {"statuses": parts}, {"statuses": sent})
    if note is None:  # reads as the thread holds now: no longer stale, if it was
        editor.in_date(row, payload_hash(canonical({"statuses": parts})))
    return note
