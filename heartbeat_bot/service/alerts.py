"""Telling a person that something needs them: short messages to a Discord webhook.

Alerts are for states the service cannot fix alone: a pair that ``failed`` or is
``unknown`` (it may or may not have been posted), posts held for sharing a slug, a
scheduler that stopped scanning, or a ledger that cannot be used. Each is sent once: a
pair alert once per (post, channel, state) ever (the service keeps the keys in the ledger
through ``already_sent``/``mark_sent``), a stall or ledger alert once per episode (kept in
memory: the ledger may be the very thing that is broken). Messages are rate-limited;
alerts that come faster are merged into the next one.
Sending never raises: an alert that cannot be delivered is logged at WARNING instead.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from heartbeat_bot.channels.common import redact
from heartbeat_bot.transport import AnswerTooLarge, fetch

log = logging.getLogger(__name__)

MAX_CONTENT = 2000
# Alerts kept for the console.
RECENT = 50
"""Discord refuses a message longer than this."""
MAX_DETAIL = 400
"""Keep one alert's detail short, so that several fit in one message."""
SEND_TIMEOUT = 10.0
"""Seconds one alert may take in all, its answer included."""
ANSWER_LIMIT = 64 * 1024
"""Bytes of the webhook's answer read at most (it answers 204, or a short error)."""

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class _Alert:
    text: str
    key: str | None  # the ledger key to mark once delivered; None for stall and ledger alerts


class Alerts:
    """Pair and stall alerts, deduplicated, rate-limited and merged; never raises."""

    def __init__(
        self,
        webhook_url: SecretStr | None,
        http: httpx.AsyncClient,
        *,
        min_interval: float = 60.0,
        clock: Callable[[], float] = time.time,
        already_sent: Callable[[str], bool] | None = None,
        mark_sent: Callable[[str], None] | None = None,
    ) -> None:
        self._url = webhook_url.get_secret_value() if webhook_url is not None else None
        self._http = http
        self.min_interval = min_interval
        self._clock = clock
        self._already_sent = already_sent
        self._mark_sent = mark_sent
        self._seen: set[str] = set()
        self._queue: list[_Alert] = []
        self._last_sent: float | None = None
        self._stalled = False
        self._ledger_down = False
        self._feed_down = False
        # The latest alerts raised (when, text), for the console's health page.
        self.recent: deque[tuple[float, str]] = deque(maxlen=RECENT)

    @property
    def pending(self) -> int:
        """How many alerts wait for the rate limit (sent by a later :meth:`flush`)."""
        return len(self._queue)

    async def pair_alert(
        self, post_slug: str, post_url: str, channel: str, state: str, detail: str
    ) -> None:
        """Say that ``channel`` is ``state`` (failed/unknown) for a post, once ever."""
        key = f"alert:{post_url}:{channel}:{state}"
        if key in self._seen or self._sent_before(key):
            return
        self._seen.add(key)
        detail = _one_line(self._scrub(detail), MAX_DETAIL)
        advice = "check it and settle it by hand" if state == "unknown" else "needs a person"
        text = f"**{channel}** is `{state}` for {post_slug} <{post_url}> ({advice}): {detail}"
        await self._raise(_Alert(text, key))

    async def live_alert(self, post_slug: str, post_url: str, waited: float) -> None:
        """Say that a published post's page is still not up (``blog.require_live``), once."""
        key = f"alert:{post_url}:live"
        if key in self._seen or self._sent_before(key):
            return
        self._seen.add(key)
        text = (
            f"{post_slug} <{post_url}> is published but its page has not answered 200 for "
            f"{waited:.0f} s; it will be announced as soon as it does"
        )
        await self._raise(_Alert(text, key))

    async def duplicate_alert(self, post_url: str, files: list[str], detail: str) -> None:
        """Say that posts sharing a slug or public URL are held, once per set of files."""
        key = f"alert:duplicate:{post_url}:{'|'.join(files)}"
        if key in self._seen or self._sent_before(key):
            return
        self._seen.add(key)
        detail = _one_line(self._scrub(detail), MAX_DETAIL)
        text = f"{len(files)} posts are held (none announced) until each has its own slug: {detail}"
        await self._raise(_Alert(text, key))

    async def post_alert(self, post_url: str, what: str, text: str) -> None:
        """Say something about one post's life (``held``, ``unpublished``), once ever."""
        key = f"alert:{post_url}:{what}"
        if key in self._seen or self._sent_before(key):
            return
        self._seen.add(key)
        await self._raise(_Alert(_one_line(self._scrub(text), MAX_CONTENT), key))

    async def stall_alert(self, seconds_since_scan: float) -> None:
        """Say that scans stopped; once until :meth:`scan_recovered` re-arms it."""
        if self._stalled:
            return
        self._stalled = True
        text = (
            f"heartbeat-bot looks stuck: no successful scan of the blog folder for "
            f"{seconds_since_scan:.0f} s"
        )
        await self._raise(_Alert(text, None))

    def scan_recovered(self) -> None:
        self._stalled = False

    async def feed_alert(self, reason: str) -> None:
        """Say that the blog's feed cannot be read (polling goes on); once until
        :meth:`feed_recovered`."""
        if self._feed_down:
            return
        self._feed_down = True
        text = f"heartbeat-bot cannot read the blog's feed (it keeps trying): {reason}"
        await self._raise(_Alert(_one_line(self._scrub(text), MAX_CONTENT), None))

    def feed_recovered(self) -> None:
        self._feed_down = False

    async def held_alert(self, key: str, text: str) -> None:
        """Say that posts are held for a person (``key``: once ever, kept in the ledger)."""
        key = f"alert:held:{key}"
        if key in self._seen or self._sent_before(key):
            return
        self._seen.add(key)
        await self._raise(_Alert(_one_line(self._scrub(text), MAX_CONTENT), key))

    async def ledger_alert(self, reason: str) -> None:
        """Say that the ledger cannot be used (sending paused); once until
        :meth:`ledger_recovered`. Needs nothing from the ledger."""
        if self._ledger_down:
            return
        self._ledger_down = True
        text = f"heartbeat-bot paused sending: its ledger cannot be used: {self._scrub(reason)}"
        await self._raise(_Alert(_one_line(text, MAX_CONTENT), None))

    def ledger_recovered(self) -> None:
        self._ledger_down = False

    async def flush(self, *, force: bool = False) -> None:
        """Send what is queued, as one message, if the rate limit allows (or ``force``).

        The service calls this periodically, and with ``force`` when it shuts down.
        """
        if not self._queue or self._url is None:
            return
        now = self._clock()
        if not force and self._last_sent is not None and now - self._last_sent < self.min_interval:
            return
        # Take the batch and stamp the time before awaiting, so an alert raised while
        # this one is in flight queues up instead of making a second message.
        batch, content = _compose(self._queue)
        self._queue = self._queue[len(batch) :]
        self._last_sent = now
        if await self._post(content):
            for alert in batch:
                if alert.key is not None:
                    self._mark(alert.key)
        else:
            for alert in batch:
                log.warning("alert not delivered: %s", alert.text)

    async def _raise(self, alert: _Alert) -> None:
        self.recent.append((self._clock(), self._scrub(alert.text)))
        if self._url is None:
            log.warning("alert (no alerts.discord_webhook_url set): %s", alert.text)
            return
        log.info("alert: %s", alert.text)
        self._queue.append(alert)
        await self.flush()

    async def _post(self, content: str) -> bool:
        assert self._url is not None
        payload = {"content": content, "allowed_mentions": {"parse": []}}
        try:
            url = httpx.URL(self._url).copy_merge_params({"wait": "false"})
            # The URL holds the webhook's token: no redirect is followed, and the answer
            # is read up to a few kilobytes (only an error's first words are logged).
            response = await fetch(
                self._http, "POST", url, limit=ANSWER_LIMIT, total=SEND_TIMEOUT, json=payload
            )
        except AnswerTooLarge as exc:
            delivered = 200 <= exc.status < 300
            if not delivered:
                log.warning(
                    "alerts: the Discord webhook %s answered %d: %s",
                    self._shown_url(),
                    exc.status,
                    exc.description,
                )
            return delivered
        except Exception as exc:  # alerting must never take the service down
            log.warning(
                "alerts: could not reach the Discord webhook %s: %s: %s",
                self._shown_url(),
                type(exc).__name__,
                self._scrub(str(exc)),
            )
            return False
        if response.is_success:
            return True
        log.warning(
            "alerts: the Discord webhook %s answered %d: %s",
            self._shown_url(),
            response.status_code,
            _one_line(self._scrub(response.text), 200),
        )
        return False

    def _sent_before(self, key: str) -> bool:
        if self._url is None or self._already_sent is None:
            return False
        try:
            return self._already_sent(key)
        except Exception:  # a ledger hiccup must not stop the alert
            log.warning("alerts: could not look up %s in the ledger", key, exc_info=True)
            return False

    def _mark(self, key: str) -> None:
        if self._mark_sent is None:
            return
        try:
            self._mark_sent(key)
        except Exception:  # worst case a restart sends it again
            log.warning("alerts: could not record %s in the ledger", key, exc_info=True)

    def _shown_url(self) -> str:
        """The webhook URL fit for a log: its token replaced by ``***``."""
        assert self._url is not None
        shown = redact(self._url)
        if shown == self._url:  # not the usual /webhooks/<id>/<token> shape: hide the path
            parsed = httpx.URL(self._url)
            shown = f"{parsed.scheme}://{parsed.netloc.decode()}/***"
        return shown

    def _scrub(self, text: str) -> str:
        """``text`` without the webhook URL or its token (library errors may quote it)."""
        if self._url:
            text = text.replace(self._url, self._shown_url())
            token = self._url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
            if len(token) >= 16:
                text = text.replace(token, "***")
        return redact(text)


def _compose(queue: list[_Alert]) -> tuple[list[_Alert], str]:
    """The first alerts of ``queue`` that fit in one message, and that message."""
    if len(queue) == 1:
        return queue[:1], _one_line(queue[0].text, MAX_CONTENT)
    header = "heartbeat-bot alerts:"
    batch: list[_Alert] = []
    content = header
    for alert in queue:
        line = "\n- " + alert.text
        if len(content) + len(line) > MAX_CONTENT:
            break
        batch.append(alert)
        content += line
    if not batch:  # the first alert alone is too long: cut it
        return queue[:1], _one_line(queue[0].text, MAX_CONTENT)
    return batch, content


def _one_line(text: str, limit: int) -> str:
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
