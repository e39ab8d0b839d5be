"""A tiny receiver of signed webhooks, as a team would put behind Slack, n8n or Zapier.

``POST /hooks/heartbeat`` checks ``X-Heartbeat-Signature: sha256=<hex>``, the HMAC-SHA256
of the raw body under the shared secret (compared in constant time), and answers 401
``{"error": "bad signature"}`` when it does not match, 415 unless the body is JSON. A good
delivery is recorded with its ``Idempotency-Key``; one whose key was seen before is
answered 200 as well but kept apart (``duplicates``), as a receiver honouring the key does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from aiohttp import web

from heartbeat_bot.sandbox.faults import Faults
from heartbeat_bot.sandbox.server import JSON, RequestLog, Service, Settings

PATH = "/hooks/heartbeat"


def signature(secret: str, body: bytes) -> str:
    """The header value a sender must put on ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookReceiver(Service):
    """Accepts deliveries signed with ``secret``; ``deliveries`` holds each key's first."""

    name = "webhook"
    items_key = "deliveries"

    def __init__(self, faults: Faults, log: RequestLog, settings: Settings, *, secret: str) -> None:
        super().__init__(faults, log, settings)
        self.secret = secret
        self._deliveries: list[JSON] = []
        self._duplicates: list[JSON] = []

    @property
    def deliveries(self) -> list[JSON]:
        """Each accepted delivery, once per key: key, body (parsed), raw, signature, at."""
        return self.snapshot()

    @property
    def duplicates(self) -> list[JSON]:
        """Deliveries whose ``Idempotency-Key`` had been received before."""
        with self._lock:
            return [dict(d) for d in self._duplicates]

    def _items(self) -> list[JSON]:
        return self._deliveries

    def error_response(self, status: int) -> web.Response:
        return self.json({"error": f"HTTP {status}"}, status)

    def rate_limited_response(self) -> web.Response:
        wait = max(1, round(self.settings.rate_limit_wait))
        return self.json({"error": "slow down"}, 429, {"Retry-After": str(wait)})

    def routes(self) -> list[web.RouteDef]:
        return [web.post(PATH, self._receive)]

    async def _receive(self, request: web.Request) -> web.Response:
        raw = await request.read()
        given = request.headers.get("X-Heartbeat-Signature", "")
        if not hmac.compare_digest(given.encode(), signature(self.secret, raw).encode()):
            return self.json({"error": "bad signature"}, 401)
        if request.content_type != "application/json":
            return self.json({"error": "expected application/json"}, 415)
        try:
            body = json.loads(raw)
        except ValueError:
            return self.json({"error": "body is not JSON"}, 400)
        key = request.headers.get("Idempotency-Key", "")
        entry: JSON = {
            "key": key,
            "body": body,
            "raw": raw.decode("utf-8"),
            "signature": given,
            "user_agent": request.headers.get("User-Agent", ""),
            "at": time.time(),
        }
        with self._lock:
            seen = bool(key) and any(d["key"] == key for d in self._deliveries)
            (self._duplicates if seen else self._deliveries).append(entry)
        return self.json({"ok": True, "duplicate": seen})
