"""GitHub push webhooks: a push to the blog's repository triggers a scan at once.

Polling finds new posts within a scan interval; a webhook makes it seconds. The handler
plugs into :class:`~heartbeat_bot.entrypoints.health.HealthServer` (``webhook=``), which
hands it the raw body and headers and answers with the status it returns.

Anyone can reach a public endpoint, so every delivery must carry GitHub's HMAC signature
(``X-Hub-Signature-256``) made with the shared secret; without a configured secret the
endpoint refuses everything rather than trust unsigned requests. The scan runs as a task
of its own: GitHub gives up on a delivery after 10 seconds, and a scan may take longer.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping

from pydantic import SecretStr

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-hub-signature-256"
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
_DELIVERY = re.compile(r"[^A-Za-z0-9-]")

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

    ``on_push(ref)`` runs for each signed push (to ``branch`` only, when given), as a task
    on the running loop; its failures are logged, never raised into the server. Statuses:
    503 no secret configured, 401 bad signature, 400 unreadable push, 200 ping, 202 push
    (scheduled or ignored), 204 any other event.
    """

    def __init__(
        self, secret: SecretStr | None, on_push: OnPush, *, branch: str | None = None
    ) -> None:
        self._secret = secret
        self._on_push = on_push
        self._branch = branch
        self._tasks: set[asyncio.Task[None]] = set()

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
        log.info("GitHub delivery %s: push to %s, scanning", delivery, ref)
        task = asyncio.get_running_loop().create_task(self._run(ref, delivery))
        self._tasks.add(task)  # a reference, so the task is not garbage-collected mid-run
        task.add_done_callback(self._tasks.discard)
        return 202

    async def _run(self, ref: str, delivery: str) -> None:
        try:
            await self._on_push(ref)
        except Exception:
            log.exception("GitHub delivery %s: the scan after the push failed", delivery)

    async def drain(self) -> None:
        """Wait for the scans already scheduled (at shutdown, and in tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
