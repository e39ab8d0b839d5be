"""What every HTTP client of ours shares: bounded answers, and credentials kept on their host.

- An answer is read up to :data:`MAX_ANSWER_BYTES`; a longer one is not read at all past
  that point (:class:`AnswerTooLarge`), so a misbehaving or hostile server cannot make us
  hold hundreds of megabytes.
- A request carrying a credential (an API key header, a token in the path, a signed
  request) never follows a redirect to another origin: :class:`RedirectRefused` names
  where it pointed. Some look-ups may follow same-origin redirects, a bounded number.
- :func:`shown_url` is a URL fit for logs, errors and the ledger: without user-info.
- :func:`tls_context` is the one TLS context of every ``httpx`` client verifying
  certificates the default way (loading the certificate roots costs tens of
  milliseconds and about a megabyte for each context built).

:func:`fetch` applies all of this to one ``httpx`` request. The clients built on discord.py
and tweepy apply the same limits in their own transport modules, with these exceptions.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx

MAX_ANSWER_BYTES = 4 * 1024 * 1024
"""The most we read of one answer, in bytes: every answer we use is far smaller (the
largest, a page of 100 messages or tweets, is a few hundred kilobytes)."""
MAX_REDIRECTS = 5
"""The most redirects one request follows, where following them is allowed at all."""

Redirects = Literal["none", "same-origin", "any"]


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS context httpx builds by default (its certificate roots, ``SSL_CERT_FILE``
    and ``SSL_CERT_DIR`` honoured), built once and shared by every client that verifies
    the default way: ``httpx.AsyncClient(verify=tls_context())``."""
    return httpx.create_ssl_context()


class AnswerTooLarge(Exception):
    """An answer longer than the limit: it was abandoned unread past ``limit`` bytes.

    ``status`` and ``headers`` were read, so the caller can still classify the answer
    (a 429's wait, a 5xx) with :attr:`description` standing in for the body.
    """

    def __init__(self, status: int, headers: Mapping[str, str], limit: int) -> None:
        super().__init__(f"HTTP {status}: answer larger than {limit} bytes")
        self.status, self.headers, self.limit = status, dict(headers), limit

    @property
    def description(self) -> str:
        return f"answer larger than {self.limit} bytes, not read"


class RedirectRefused(Exception):
    """A redirect that was not followed: to another origin, or one too many."""

    def __init__(self, status: int, location: str, reason: str = "another host") -> None:
        self.status, self.location, self.reason = status, shown_url(location), reason
        self.host = urlsplit(location).netloc.rpartition("@")[2] or location
        super().__init__(f"HTTP {status} redirect to {self.host} not followed ({reason})")


def shown_url(url: str) -> str:
    """``url`` without its user-info (``https://user:pass@host`` -> ``https://host``)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    """Whether two URLs share scheme, host and port (user-info aside)."""
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


@dataclass(frozen=True)
class Answer:
    """A whole answer, read within the limits."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: httpx.URL
    encoding: str = "utf-8"

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, "replace")

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300


async def fetch(
    http: httpx.AsyncClient,
    method: str,
    url: str | httpx.URL,
    *,
    redirects: Redirects = "none",
    limit: int = MAX_ANSWER_BYTES,
    total: float | None = None,
    read_body: bool = True,
    auth: httpx.Auth | None = None,
    **request: Any,
) -> Answer:
    """Send one request and read its answer, up to ``limit`` bytes, within ``total`` seconds.

    ``redirects``: ``"none"`` refuses every redirect, ``"same-origin"`` follows those that
    stay on the origin (GET and HEAD only), ``"any"`` follows any (for requests that carry
    no credential); at most :data:`MAX_REDIRECTS` either way. ``request`` is what
    ``httpx.AsyncClient.build_request`` takes (``json``, ``params``, ``headers``,
    ``timeout``). Raises :class:`AnswerTooLarge`, :class:`RedirectRefused`, or what httpx
    raises; running out of ``total`` raises ``httpx.ReadTimeout``.
    """
    try:
        async with asyncio.timeout(total):
            return await _fetch(
                http, method, httpx.URL(url), redirects, limit, read_body, auth, request
            )
    except TimeoutError as exc:
        raise httpx.ReadTimeout(f"no complete answer within {total} s") from exc


async def _fetch(
    http: httpx.AsyncClient,
    method: str,
    url: httpx.URL,
    redirects: Redirects,
    limit: int,
    read_body: bool,
    auth: httpx.Auth | None,
    request: dict[str, Any],
) -> Answer:
    for hop in range(MAX_REDIRECTS + 1):
        built = http.build_request(method, url, **request)
        response = await http.send(built, stream=True, follow_redirects=False, auth=auth)
        try:
            if response.has_redirect_location:
                target = built.url.join(response.headers["location"])
                reason = _refusal(redirects, method, built.url, target, hop)
                if reason:
                    raise RedirectRefused(response.status_code, str(target), reason)
                url = target
                request.pop("params", None)  # already part of the first URL
                continue
            body = await read_capped(response, limit) if read_body else b""
            return Answer(
                response.status_code,
                response.headers,
                body,
                built.url,
                response.charset_encoding or "utf-8",
            )
        finally:
            await response.aclose()
    raise AssertionError("unreachable: the last hop refuses to redirect")


def _refusal(
    redirects: Redirects, method: str, origin: httpx.URL, target: httpx.URL, hop: int
) -> str:
    """Why a redirect is not followed ("" to follow it)."""
    if redirects == "none":
        return "redirects are not followed with credentials"
    if hop >= MAX_REDIRECTS:
        return f"more than {MAX_REDIRECTS} redirects"
    if redirects == "same-origin" and not same_origin(origin, target):
        return f"credentials stay with {origin.host}"
    if method.upper() not in ("GET", "HEAD"):
        return f"a {method.upper()} is not sent again elsewhere"
    return ""


async def read_capped(response: httpx.Response, limit: int = MAX_ANSWER_BYTES) -> bytes:
    """The body of a streamed ``response``, or AnswerTooLarge past ``limit`` bytes."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise AnswerTooLarge(response.status_code, response.headers, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise AnswerTooLarge(response.status_code, response.headers, limit)
        chunks.append(chunk)
    return b"".join(chunks)
