"""The console's guards: headers on every page, the session cookie, CSRF and same-origin."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping

from aiohttp import web

COOKIE = "heartbeat_session"

# Nothing inline, nothing from elsewhere: the pages use their own stylesheet and script.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not "no-referrer": Chrome would then send "Origin: null" with our own forms.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000"


def add_headers(response: web.StreamResponse, *, https: bool) -> None:
    """The usual protective headers (and HSTS behind https), on every console answer."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if https:
        response.headers.setdefault("Strict-Transport-Security", HSTS)


def set_session_cookie(response: web.StreamResponse, session_id: str, *, https: bool) -> None:
    """The session cookie: never readable by scripts, never sent by another site."""
    response.set_cookie(
        COOKIE, session_id, httponly=True, samesite="Strict", secure=https, path="/"
    )


def same_origin(request: web.Request, public_origin: str | None) -> bool:
    """Whether a state-changing request comes from our own pages (when the browser says).

    Browsers send ``Origin`` on every POST; a request without it (a script) still needs
    the CSRF token. Behind a proxy, the origin of ``service.public_url`` is ours too.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if public_origin is not None and origin == public_origin:
        return True
    return origin.split("://", 1)[-1] == request.headers.get("Host", "")


def token_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def safe_next(value: str | None, default: str = "/") -> str:
    """A place to go back to on this site only (``/...``, never ``//host``)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def client_address(request: web.Request, *, behind_proxy: bool) -> str:
    """Who is asking: the peer, or, behind a reverse proxy on this host, the address the
    proxy appended last to ``X-Forwarded-For`` (what the client itself wrote comes before
    it, so it cannot pose as someone else to dodge the login throttle)."""
    peer = request.remote or "?"
    forwarded = request.headers.get("X-Forwarded-For")
    if behind_proxy and forwarded and peer in {"127.0.0.1", "::1"}:
        last = forwarded.rsplit(",", 1)[-1].strip()
        try:  # an address, nothing else: it goes into the log and the throttle
            return str(ipaddress.ip_address(last))
        except ValueError:
            return peer
    return peer
