"""I/O: a WebSub subscriber (W3C Recommendation, 2018) for the blog's feed.

When the feed names a hub (``<link rel="hub">``, or a JSON Feed's ``hubs``) and the
service is reachable from outside (``service.public_url``), the service subscribes to the
feed's topic with the callback ``<public_url>/websub`` and a fresh secret:

1. ``subscribe`` POSTs the request to the hub, which answers 202;
2. the hub checks the intent: a GET to the callback with ``hub.mode``, ``hub.topic``,
   ``hub.challenge`` and ``hub.lease_seconds``; :meth:`Subscriber.verify` echoes the
   challenge only for a request this subscriber made and has not seen answered;
3. the hub POSTs the feed's new content to the callback, signed with the secret in
   ``X-Hub-Signature: <method>=<hex HMAC>``; :meth:`Subscriber.authentic` checks it, and
   an unsigned or wrongly signed push is acknowledged (as the spec asks) and ignored.

The lease is renewed once 80 % of it has passed. Polling goes on all the while, so a hub
that is down, refuses, or stops pushing costs at most one poll interval.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from heartbeat_bot.transport import AnswerTooLarge, RedirectRefused, fetch, shown_url

log = logging.getLogger(__name__)

CALLBACK_PATH = "/websub"
LEASE_ASKED = 7 * 86_400
"""Seconds of lease asked for; hubs grant what they like (often less)."""
RENEW_AT = 0.8
"""Renew once this share of the lease has passed."""
CHECK_WAIT = 300.0
"""Seconds a hub has to check our intent before the subscription is asked for again."""
RETRY_SECONDS = 3600.0
"""After a refused or failed subscription, ask again this much later."""
_METHODS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
            "sha512": hashlib.sha512}  # fmt: skip


@dataclass(frozen=True)
class Lease:
    """A verified subscription: to ``topic`` at ``hub``, until ``until`` (Unix time)."""

    hub: str
    topic: str
    until: float
    granted: float


class Subscriber:
    """One subscription at a time, to the feed's topic; its secret never leaves memory."""

    def __init__(
        self, http: httpx.AsyncClient, public_url: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.http = http
        self.callback = public_url.rstrip("/") + CALLBACK_PATH
        self.clock = clock
        self.lease: Lease | None = None
        self._secrets: list[str] = []  # the newest last; the one before still signs for a while
        self._asked: tuple[str, str, str] | None = None  # (mode, hub, topic) awaiting its check
        self._asked_at = 0.0
        self._retry_at = 0.0

    # -- asking the hub ---------------------------------------------------------------

    def due(self, hub: str | None, topic: str | None) -> bool:
        """Whether to (re)subscribe now: a hub and no lease for it, or a lease near its end."""
        now = self.clock()
        if hub is None or topic is None or now < self._retry_at:
            return False
        asked = self._asked
        if asked is not None and asked[1:] == (hub, topic) and now < self._asked_at + CHECK_WAIT:
            return False  # asked already: the hub's intent check is on its way
        lease = self.lease
        if lease is None or (lease.hub, lease.topic) != (hub, topic):
            return True
        return now >= lease.until - (1 - RENEW_AT) * lease.granted

    async def subscribe(self, hub: str, topic: str) -> bool:
        """Ask ``hub`` for ``topic``'s pushes; whether the hub took the request (it checks
        the intent next). A refusal is logged and retried an hour later."""
        secret = secrets.token_hex(32)
        form = {
            "hub.mode": "subscribe",
            "hub.topic": topic,
            "hub.callback": self.callback,
            "hub.secret": secret,
            "hub.lease_seconds": str(LEASE_ASKED),
        }
        self._asked, self._asked_at = ("subscribe", hub, topic), self.clock()
        try:
            # A hub may answer at another address; the request holds our secret, so only
            # the hub's own origin may take it.
            answer = await fetch(
                self.http, "POST", hub, redirects="none", limit=64 * 1024, total=30.0, data=form
            )
        except (httpx.HTTPError, AnswerTooLarge, RedirectRefused) as exc:
            return self._refused(hub, f"cannot be reached ({type(exc).__name__}: {exc})")
        if answer.status_code not in (202, 204):
            return self._refused(hub, f"answered HTTP {answer.status_code}: {answer.text[:200]}")
        # The hub signs with the new secret once it has verified the request; until then
        # with the one before.
        self._secrets = [*self._secrets[-1:], secret]
        log.info("WebSub: asked %s for pushes of %s", shown_url(hub), shown_url(topic))
        return True

    def _refused(self, hub: str, why: str) -> bool:
        self._asked = None
        self._retry_at = self.clock() + RETRY_SECONDS
        log.warning("WebSub: the hub %s %s; polling only", shown_url(hub), " ".join(why.split()))
        return False

    # -- what the hub sends -----------------------------------------------------------

    def verify(self, query: Mapping[str, str]) -> tuple[int, str]:
        """The answer to a hub's intent check (status, body): the challenge, or 404."""
        mode, topic = query.get("hub.mode"), query.get("hub.topic")
        asked = self._asked
        if mode == "denied":
            reason = query.get("hub.reason", "no reason given")
            log.warning("WebSub: the hub denied the subscription to %s: %s", topic, reason)
            if asked is not None and asked[2] == topic:
                self._asked, self._retry_at = None, self.clock() + RETRY_SECONDS
            return 200, ""
        challenge = query.get("hub.challenge")
        if asked is None or mode != asked[0] or topic != asked[2] or not challenge:
            return 404, ""
        lease = query.get("hub.lease_seconds", "")
        granted = float(lease) if lease.isdigit() and int(lease) > 0 else float(LEASE_ASKED)
        now = self.clock()
        self.lease = Lease(asked[1], asked[2], now + granted, granted)
        self._asked = None
        log.info("WebSub: subscribed to %s for %.0f s", shown_url(asked[2]), granted)
        return 200, challenge

    def authentic(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Whether a push is signed with our secret (``X-Hub-Signature``)."""
        if not self._secrets or self.lease is None:
            return False
        method, _, signature = headers.get("X-Hub-Signature", "").partition("=")
        digest = _METHODS.get(method.strip().lower())
        if digest is None or not signature:
            return False
        given = signature.strip().lower()
        return any(
            hmac.compare_digest(hmac.new(key.encode(), body, digest).hexdigest(), given)
            for key in self._secrets
        )
