"""GitHub push webhooks: a push to the blog's repository triggers a scan at once.

Polling finds new posts within a scan interval; a webhook makes it seconds. The handler
plugs into :class:`~heartbeat_bot.web.health.HealthServer` (``webhook=``), which
hands it the raw body and headers and answers with the status it returns.

Anyone can reach a public endpoint, so every delivery must carry GitHub's HMAC signature
(``X-Hub-Signature-256``) made with the shared secret; without a configured secret the
endpoint refuses everything rather than trust unsigned requests. The scan runs as a task
of its own: GitHub gives up on a delivery after 10 seconds, and a scan may take longer.

A signed delivery can be replayed (by GitHub's "redeliver", or by anyone who saw it), and
pushes come in bursts. Neither multiplies the work: a delivery id seen recently is
answered 200 and does nothing, and pushes coalesce into one scan in progress plus at
most one queued after it (which reads everything pushed meanwhile).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping

from pydantic import SecretStr

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-hub-signature-256"
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
_DELIVERY = re.compile(r"[^A-Za-z0-9-]")
# Delivery ids remembered to refuse replays (GitHub's are GUIDs: about 40 KB for these).
RECENT_DELIVERIES = 1024

OnPush = Callable[[str], Awaitable[None]]


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=<hex>`` of HMAC-SHA256(``secret``, ``body``).

    False for an empty secret (an empty key would let anyone sign) and for a missing or
    malformed header. The comparison takes constant time, so timing reveals nothing.
    """
    if not secret or header is None:
        return False
    found = _SIGNATURE.fullmatch(header.strip())
    if found is None:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, found.group(1).lower())


def _delivery_id(headers: Mapping[str, str]) -> str:
    """The delivery's id, safe to log: GitHub sends a GUID; anything else is cut down."""
    raw = headers.get("x-github-delivery", "")
    return _DELIVERY.sub("", raw)[:64] or "(none)"


class GitHubWebhook:
    """The ``webhook`` callable of the health server: checks a delivery, schedules a scan.

    ``on_push(ref)`` runs for signed pushes (to ``branch`` only, when given), as a task on
    the running loop, one at a time: pushes that arrive meanwhile make one more run after
    it. Its failures are logged, never raised into the server. Statuses: 503 no secret
    configured, 401 bad signature, 400 unreadable push, 200 ping or a delivery already
    received, 202 push (scheduled, coalesced or ignored), 204 any other event.
    """

    def __init__(
        self, secret: SecretStr | None, on_push: OnPush, *, branch: str | None = None
    ) -> None:
        self._secret = secret
        self._on_push = on_push
        self._branch = branch
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._scan: asyncio.Task[None] | None = None
        self._queued: tuple[str, str] | None = None  # (ref, delivery) to scan after it

    async def __call__(self, body: bytes, headers: Mapping[str, str]) -> int:
        # Header names are case-insensitive; a plain dict (in tests) is not.
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        delivery = _delivery_id(lowered)
        secret = self._secret.get_secret_value() if self._secret is not None else ""
        if not secret:
            log.warning("webhook secret not configured: refusing GitHub delivery %s", delivery)
            return 503
        if not verify_signature(secret, body, lowered.get(SIGNATURE_HEADER)):
            log.warning("GitHub delivery %s refused: missing or bad signature", delivery)
            return 401
        if self._replayed(lowered.get("x-github-delivery", "")):
            log.debug("GitHub delivery %s: already received; ignored", delivery)
            return 200
        event = lowered.get("x-github-event", "")
        if event == "ping":
            log.info("GitHub delivery %s: ping", delivery)
            return 200
        if event != "push":
            return 204
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            payload = None
        ref = payload.get("ref") if isinstance(payload, dict) else None
        if not isinstance(ref, str):
            log.warning("GitHub delivery %s: a push without a readable ref", delivery)
            return 400
        if self._branch is not None and ref != f"refs/heads/{self._branch}":
            log.info("GitHub delivery %s: push to %s ignored", delivery, ref)
            return 202
        if self._scan is not None and not self._scan.done():
            log.info(
                "GitHub delivery %s: push to %s, scanning after the scan in progress", delivery, ref
            )
            self._queued = (ref, delivery)
            return 202
        log.info("GitHub delivery %s: push to %s, scanning", delivery, ref)
        self._scan = asyncio.get_running_loop().create_task(self._run(ref, delivery))
        return 202

    def _replayed(self, delivery_id: str) -> bool:
        """Whether this signed delivery id came before; remembers it either way."""
        if not delivery_id:
            return False  # GitHub always sends one; without it there is nothing to compare
        key = delivery_id[:100]
        if key in self._recent:
            self._recent.move_to_end(key)
            return True
        self._recent[key] = None
        if len(self._recent) > RECENT_DELIVERIES:
            self._recent.popitem(last=False)
        return False

    async def _run(self, ref: str, delivery: str) -> None:
        """``on_push``, then once more for the pushes that came while it ran, if any."""
        while True:
            try:
                await self._on_push(ref)
            except Exception:
                log.exception("GitHub delivery %s: the scan after the push failed", delivery)
            if self._queued is None:
                return
            (ref, delivery), self._queued = self._queued, None

    async def drain(self) -> None:
        """Wait for the scans already scheduled (at shutdown, and in tests)."""
        if self._scan is not None:
            await asyncio.gather(self._scan, return_exceptions=True)
