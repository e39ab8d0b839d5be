"""The service's side of a blog that publishes a feed: polls, outages, changed ids, pushes.

- A feed that is down or unreadable is reported once per outage: one log line, one alert,
  and a detail on ``/healthz`` (which still answers 200: the service itself is fine); its
  return is one more line. Polling goes on, at ``blog.poll_interval`` or after the wait
  the server asked for.
- New entries that look like posts already announced under another id or link (the same
  title as a recorded post no longer in the feed) are held, not announced: when most new
  entries of a poll look so, the feed changed its ids (a move to another platform) and
  every new entry of that poll is held, with one alert. A held entry is a ``held`` post
  of the ledger (shown by ``list`` and ``status``), with the post it may be; a person
  settles it with ``heartbeat-bot resolve LINK --same-as OTHER`` or ``--new``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import httpx

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.ledger.records import PostRow
from heartbeat_bot.models import Post
from heartbeat_bot.service.alerts import Alerts
from heartbeat_bot.service.post_ledger import BASELINE_KEY
from heartbeat_bot.sources.feed import FeedSource
from heartbeat_bot.sources.feed_parse import FeedError
from heartbeat_bot.sources.scan_result import ScanResult
from heartbeat_bot.sources.websub import Subscriber
from heartbeat_bot.web.metrics import Metrics

log = logging.getLogger("heartbeat_bot.service")

WHOLESALE_MIN = 2
"""New entries in one poll from which "most of them look known" means the ids changed."""


class FeedWatch:
    """Polls ``source`` for the service and keeps what a person must hear about."""

    def __init__(
        self,
        source: FeedSource,
        blog: BlogConfig,
        ledger: Ledger,
        alerts: Alerts,
        metrics: Metrics,
        http: httpx.AsyncClient,
        *,
        held: set[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.blog = blog
        self.ledger = ledger
        self.alerts = alerts
        self.metrics = metrics
        self.http = http
        self.clock = clock
        self.reported: str | None = None  # the outage reported, until the feed is back
        self.websub: Subscriber | None = None  # set when service.public_url is
        # The URLs of held posts whose settling the service watches for (PostLife.held):
        # those of the ledger at the first poll, then each entry this holds.
        self.held = held
        self._held_loaded = False
        self.pushes: list[tuple[bytes, str | None]] = []  # authentic pushes not yet read
        self.wake: Callable[[], Coroutine[Any, Any, None]] | None = None  # the rescan
        self._tasks: set[asyncio.Task[None]] = set()

    def problem(self) -> str | None:
        """The outage in progress, one line, for ``/healthz``."""
        return self.reported

    async def read(self, *, first: bool) -> ScanResult | None:
        """What changed in the feed, for a rescan: the oldest push waiting, else a poll.
        None when the poll failed (reported once) or was skipped (``Retry-After``).

        The first read (the baseline) polls the whole feed: pushes waiting are dropped.
        """
        if first:
            self.pushes.clear()
        elif self.pushes:
            body, content_type = self.pushes.pop(0)
            return await self.push(body, content_type)
        return await self.poll(first=first)

    async def poll(self, *, first: bool) -> ScanResult | None:
        """A poll's result (new entries that may be known posts held); None when it failed
        or was skipped."""
        parses = self.source.parses
        try:
            result = await self.source.poll(self.blog, self.http)
        except FeedError as exc:
            self.metrics.feed_fetched("failed")
            await self._down(str(exc))
            return None
        if result is None:  # the server asked for a pause that is not over
            return None
        changed = self.source.parses > parses
        self.metrics.feed_fetched("changed" if changed else "unchanged")
        if not changed:
            log.debug("feed unchanged: nothing parsed")
        self._up()
        await self.keep_subscribed()
        return await self.hold(result, first=first)

    async def keep_subscribed(self) -> None:
        """Subscribe to the feed's hub, or renew the lease, when it is time."""
        websub, hub, topic = self.websub, self.source.hub, self.source.topic
        if websub is not None and hub is not None and topic is not None and websub.due(hub, topic):
            await websub.subscribe(hub, topic)

    async def pushed(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Whether a push to /websub is authentic (signed with our secret): then it waits
        for the rescan ``wake`` starts at once. One that is not is logged. The hub gets a
        2xx either way, as the WebSub spec asks."""
        if self.websub is not None and self.websub.authentic(body, headers):
            self.pushes.append((body, headers.get("Content-Type")))
            if self.wake is not None:
                task = asyncio.ensure_future(self.wake())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return True
        log.warning(
            "WebSub: a push to /websub without a valid X-Hub-Signature was ignored",
            extra={"event": "websub"},
        )
        return False

    async def push(self, body: bytes, content_type: str | None) -> ScanResult | None:
        """A pushed feed document (WebSub), merged; None when it cannot be read."""
        try:
            result = await self.source.take_push(body, content_type, self.blog, self.http)
        except FeedError as exc:
            log.warning("a WebSub push could not be read: %s", exc)
            return None
        return await self.hold(result, first=False)

    async def _down(self, reason: str) -> None:
        if self.reported == reason:
            log.debug("feed still unreadable: %s", reason)
            return
        first = self.reported is None
        self.reported = reason
        if first:
            log.error("feed unreadable (polling goes on): %s", reason, extra={"event": "feed"})
            await self.alerts.feed_alert(reason)
        else:  # a different failure within the same outage: noted, not alerted
            log.info("feed still unreadable, now: %s", reason)

    def _up(self) -> None:
        if self.reported is not None:
            log.info("feed readable again: %s", self.source.posts_dir)
            self.reported = None
            self.alerts.feed_recovered()

    # -- entries whose ids changed ----------------------------------------------------

    async def hold(self, result: ScanResult, *, first: bool) -> ScanResult:
        """``result``, its new entries that may be known posts held in the ledger first.

        A held entry stays a Post of the result, as a held post file does: the ledger's
        ``held`` status keeps it from being announced until a person settles it.
        """
        if not self._held_loaded:  # held before a restart: settled from now on too
            self._held_loaded = True
            self.held |= {row.url for row in self.ledger.posts() if row.status == "held"}
        # Not on the very first run (every entry becomes the baseline), but on the first
        # poll after a restart: ids may have changed while the service was stopped.
        if not first or self.ledger.get_meta(BASELINE_KEY) is not None:
            self.held |= await self._hold_new(result)
        return result

    async def _hold_new(self, result: ScanResult) -> set[str]:
        changed = set(result.changed)
        unknown = [
            item
            for item in result.items
            if isinstance(item, Post)
            and item.path in changed
            and self.ledger.find_post(item.url) is None
            and not self.ledger.posts_at_path(str(item.path))  # the same id: its link changed
        ]
        if not unknown:
            return set()
        present = {item.url for item in result.items if isinstance(item, Post)}
        gone: dict[str, PostRow] = {}
        for row in self.ledger.posts():
            if row.url not in present:
                gone.setdefault(_norm(row.title), row)
        looks_known = [post for post in unknown if _norm(post.title) in gone]
        if not looks_known:
            return set()
        wholesale = len(unknown) >= WHOLESALE_MIN and 2 * len(looks_known) > len(unknown)
        to_hold = unknown if wholesale else looks_known
        with self.ledger.transaction():
            for post in to_hold:
                like = gone.get(_norm(post.title))
                why = "the feed changed its ids" if wholesale else "an announced post's title"
                what = f"{why}: it may be {like.url}" if like is not None else why
                note = (
                    f"held: {what}; settle it with `heartbeat-bot resolve POST --same-as "
                    f"{like.slug if like is not None else 'OTHER'}` or `--new`"
                )
                self.ledger.hold_post(post, like.id if like is not None else None, note)
        example = ", ".join(post.title for post in to_hold[:3])
        if wholesale:
            text = (
                f"the feed {self.source.posts_dir} changed its ids: {len(looks_known)} of its "
                f"{len(unknown)} new entries have the titles of posts already announced under "
                f"other ids or links. All {len(to_hold)} are held, none announced ({example}"
                f"{', ...' if len(to_hold) > 3 else ''}); settle each with `heartbeat-bot resolve "
                "LINK --same-as OTHER` or `--new` (`heartbeat-bot list` shows them)"
            )
        else:
            text = (
                f"{len(to_hold)} new feed entries have the titles of posts already announced "
                f"that left the feed, so they may be the same posts under a new id: held, not "
                f"announced ({example}); settle each with `heartbeat-bot resolve LINK "
                "--same-as OTHER` or `--new`"
            )
        log.warning("posts held: %s", text, extra={"event": "held"})
        await self.alerts.held_alert(to_hold[0].url, text)
        return {post.url for post in to_hold}


def _norm(title: str) -> str:
    return " ".join(title.casefold().split())
