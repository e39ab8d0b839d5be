"""XRPC plumbing of the fake PDS: error answers, TIDs, tokens and rate-limit windows.

Every XRPC error is ``{"error": Name, "message": text}``, the names as
``@atproto/xrpc``'s ``ResponseType`` spells them. Rate-limited calls carry
``RateLimit-Limit``, ``-Remaining``, ``-Reset`` (epoch seconds) and ``-Policy``
(``points;w=seconds``), as ``@atproto/xrpc-server``'s ``rate-limiter-http`` sets them.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from aiohttp import web

from heartbeat_bot.sandbox.server import JSON

_S32 = "234567abcdefghijklmnopqrstuvwxyz"
_NAMES = {
    400: "InvalidRequest",
    401: "AuthenticationRequired",
    403: "Forbidden",
    404: "XRPCNotSupported",
    405: "XRPCNotSupported",
    413: "PayloadTooLarge",
    429: "RateLimitExceeded",
    500: "InternalServerError",
    501: "MethodNotImplemented",
    502: "UpstreamFailure",
    503: "NotEnoughResources",
    504: "UpstreamTimeout",
}
MESSAGES = {500: "Internal Server Error", 502: "Upstream Failure", 503: "Not Enough Resources"}


def xrpc_error(status: int, message: str, name: str | None = None) -> web.Response:
    """An XRPC error answer: ``{"error": name, "message": message}``."""
    body = {"error": name or _NAMES.get(status, "InternalServerError"), "message": message}
    return web.json_response(body, status=status)


def tid(micros: int, clock: int) -> str:
    """The TID of a moment (microseconds since the epoch) and clock id (0-1023)."""
    value = (micros << 10) | (clock & 0x3FF)
    return "".join(_S32[(value >> shift) & 31] for shift in range(60, -5, -5))


@dataclass
class Bucket:
    """One rate-limit window: ``points`` per ``seconds``, counted from its first use."""

    points: int
    seconds: int
    used: int = 0
    start: float = 0.0

    def status(self, now: float) -> tuple[int, float]:
        """(points left, epoch second the window resets)."""
        if now >= self.start + self.seconds:
            self.used, self.start = 0, now
        return self.points - self.used, self.start + self.seconds

    def policy(self) -> str:
        return f"{self.points};w={self.seconds}"


@dataclass
class Token:
    kind: str  # "access" or "refresh"
    expires: float
    jti: str = ""
    next_jti: str | None = None
    grace_until: float | None = None


async def json_body(request: web.Request) -> web.Response | JSON:
    if not request.content_type.startswith("application/json"):
        return xrpc_error(400, f"Wrong request encoding (Content-Type): {request.content_type}")
    try:
        body = json.loads(await request.read())
    except ValueError:
        return xrpc_error(400, "Request body is not valid JSON")
    if not isinstance(body, dict):
        return xrpc_error(400, "Input must be an object")
    return body


def b64(data: JSON) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def limit_headers(bucket: Bucket, left: int, reset: float) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(bucket.points),
        "RateLimit-Remaining": str(max(0, left)),
        "RateLimit-Reset": str(int(reset)),
        "RateLimit-Policy": bucket.policy(),
    }
