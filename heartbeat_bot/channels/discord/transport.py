"""The aiohttp layer under discord.py: what discord.py would otherwise get wrong for us.

- :func:`no_blind_retries` stops discord.py's webhook adapter from resending a 5xx (a
  webhook takes no nonce, so a resend after a 500 that was carried out posts twice) and
  from sleeping on a 429 however long it asks.
- :func:`answer_trace` keeps the last answer's status, headers and body, so an answer
  discord.py cannot parse (it raises ``TypeError``, ``KeyError``, ``JSONDecodeError``)
  can still be classified by status instead of escaping as a crash. It also holds every
  answer to ``transport.MAX_ANSWER_BYTES`` (discord.py reads bodies whole:
  :class:`~heartbeat_bot.transport.AnswerTooLarge` instead) and refuses every redirect
  (:class:`~heartbeat_bot.transport.RedirectRefused`): each request carries the bot
  token, or the webhook token in its path, and aiohttp would follow a redirect anywhere.
- :func:`install_log_redaction` masks webhook tokens in discord.py's DEBUG logs.

No discord import here: this is plain aiohttp, kept apart to keep each module small.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import SimpleNamespace

import aiohttp
from yarl import URL

from heartbeat_bot.channels.common import json_object, redact, seconds
from heartbeat_bot.transport import MAX_ANSWER_BYTES, AnswerTooLarge, RedirectRefused

_BODY_LIMIT = 8192  # bytes of an answer kept for error messages


class Refusal(Exception):
    """An answer :func:`no_blind_retries` kept from discord.py's retry loop."""

    def __init__(self, status: int, headers: Mapping[str, str], body: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.headers, self.body = status, dict(headers), body


def no_blind_retries(max_wait: float) -> aiohttp.ClientMiddlewareType:
    """aiohttp middleware raising on 5xx, and on 429s discord.py would mishandle.

    A 429 that discord.py can honour (JSON ``retry_after`` up to ``max_wait`` and a
    ``Via`` header) passes through: it sleeps and resends, which is safe since a 429 was
    not carried out. Anything else is returned to our caller, who owns retries.
    """

    async def middleware(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        response = await handler(request)
        if response.status < 500 and response.status != 429:
            return response
        body = (await read_capped(response)).decode("utf-8", "replace")
        if response.status == 429 and response.headers.get("Via"):
            wait = seconds((json_object(body) or {}).get("retry_after"))
            if wait is not None and wait <= max_wait:
                return response
        response.release()
        raise Refusal(response.status, response.headers, body)

    return middleware


@dataclass
class Answer:
    """The last answer seen while :func:`recording` (an empty one before any)."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


_ANSWER: ContextVar[Answer | None] = ContextVar("heartbeat_discord_answer", default=None)


def current_answer() -> Answer | None:
    """The Answer being filled in by the enclosing :func:`recording`, if any."""
    return _ANSWER.get()


@contextmanager
def recording() -> Iterator[Answer]:
    """Within this block, sessions built with :func:`answer_trace` fill in the Answer.

    A context variable, so concurrent tasks each see their own answers.
    """
    answer = Answer()
    token = _ANSWER.set(answer)
    try:
        yield answer
    finally:
        _ANSWER.reset(token)


def answer_trace(*, record: bool = True) -> aiohttp.TraceConfig:
    """Bounds every answer and refuses redirects; with ``record``, keeps the current
    task's last answer (status, headers, the start of its body) in _ANSWER."""

    async def on_redirect(
        _s: aiohttp.ClientSession,
        _c: SimpleNamespace,
        params: aiohttp.TraceRequestRedirectParams,
    ) -> None:
        response = params.response
        location = response.headers.get("Location", "")
        target = str(params.url.join(URL(location))) if location else "(no location)"
        response.close()
        raise RedirectRefused(response.status, target, "the request carries a Discord token")

    async def on_end(
        _s: aiohttp.ClientSession, _c: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        response = params.response
        answer = _ANSWER.get() if record else None
        if answer is not None:
            answer.status, answer.body = response.status, b""
            answer.headers = dict(response.headers)
        if response.status == 101:  # the gateway's websocket: no body to read
            return
        body = await read_capped(response)
        if answer is not None:
            answer.body = body[:_BODY_LIMIT]

    trace = aiohttp.TraceConfig()
    trace.on_request_redirect.append(on_redirect)
    trace.on_request_end.append(on_end)
    return trace


async def read_capped(response: aiohttp.ClientResponse, limit: int = MAX_ANSWER_BYTES) -> bytes:
    """The body of ``response``, read at most once and never past ``limit`` bytes.

    discord.py then reads it with ``response.text()``, which returns what was read here.
    """
    if response._body is not None:  # read already (by the middleware)
        return bytes(response._body)
    if response.content_length is not None and response.content_length > limit:
        response.close()
        raise AnswerTooLarge(response.status, response.headers, limit)
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := await response.content.read(65536):
            size += len(chunk)
            if size > limit:
                raise AnswerTooLarge(response.status, response.headers, limit)
            chunks.append(chunk)
    except BaseException:
        response.close()
        raise
    body = b"".join(chunks)
    response._body = body  # what response.read() returns from now on
    return body


class _RedactWebhooks(logging.Filter):
    """discord.py logs webhook URLs, token included, at DEBUG: mask them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if redact(message) != message:
            record.msg, record.args = redact(message), None
        return True


def install_log_redaction() -> None:
    """Add the filter to discord.py's loggers that print request URLs (once)."""
    for name in ("discord.http", "discord.webhook.async_"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactWebhooks) for f in logger.filters):
            logger.addFilter(_RedactWebhooks())
