"""Loopback servers that misbehave: redirects to a second host, and endless answers.

:class:`Servers` runs two aiohttp servers in a thread of their own. ``first``, on
127.0.0.1, answers each path as its rules say. ``second``, on 127.0.0.2 (another loopback
address, hence another host, with its own port), records every request it receives and
answers 200 ``{}`` unless its own rules say otherwise. A client holding credentials for
the first must never reach the second.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

HUGE = 50 * 1024 * 1024
"""The size of an endless answer, in bytes: generated on the fly, never held in memory."""
_CHUNK = b"x" * 65536


@dataclass(frozen=True)
class Rule:
    """How ``first`` answers a path: redirect to ``second``, a huge body, or JSON."""

    kind: Literal["redirect", "huge", "json", "bytes"]
    status: int = 200
    body: Any = None
    content_type: str = "application/json"
    to: Literal["first", "second"] = "second"  # redirect: to which server
    path: str | None = None  # redirect: to this path (else the same one)
    declared: bool = False  # huge: send Content-Length (else chunked)


def redirect(
    status: int = 301, to: Literal["first", "second"] = "second", path: str | None = None
) -> Rule:
    """Redirect to the same path (or ``path``) and query on ``second``, or on ``first``."""
    return Rule("redirect", status, to=to, path=path)


def huge(status: int = 500, *, declared: bool = False) -> Rule:
    """A JSON-typed answer of HUGE bytes of junk."""
    return Rule("huge", status, declared=declared)


def json_answer(body: Any, status: int = 200) -> Rule:
    return Rule("json", status, body)


def raw_answer(body: bytes, content_type: str, status: int = 200) -> Rule:
    return Rule("bytes", status, body, content_type=content_type)


@dataclass(frozen=True)
class Seen:
    """One request as a server received it."""

    method: str
    path: str
    headers: dict[str, str]


class Servers:
    """``first`` (rules) on 127.0.0.1 and ``second`` (records) on 127.0.0.2; a context manager."""

    def __init__(self) -> None:
        self.rules: list[tuple[str, str | None, Rule]] = []
        self.second_rules: list[tuple[str, str | None, Rule]] = []
        self.first_seen: list[Seen] = []
        self.second_seen: list[Seen] = []
        self.written = 0  # bytes of huge answers written so far, all answers together
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runners: list[web.AppRunner] = []
        self.first_port = self.second_port = 0

    def on(self, prefix: str, rule: Rule, method: str | None = None) -> Servers:
        """Answer paths starting with ``prefix`` (asked with ``method``, if given) by
        ``rule``; the first rule that matches wins."""
        self.rules.append((prefix, method, rule))
        return self

    def on_second(self, prefix: str, rule: Rule, method: str | None = None) -> Servers:
        """Let ``second`` answer as :meth:`on` says."""
        self.second_rules.append((prefix, method, rule))
        return self

    def first_url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.first_port}{path}"

    def second_url(self, path: str = "") -> str:
        return f"http://127.0.0.2:{self.second_port}{path}"

    def __enter__(self) -> Servers:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        self.first_port = await self._serve(self._first, "127.0.0.1")
        self.second_port = await self._serve(self._second, "127.0.0.2")

    async def _serve(self, handler: Any, host: str) -> int:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, 0)
        await site.start()
        self._runners.append(runner)
        return int(runner.addresses[-1][1])

    async def _stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()

    async def _second(self, request: web.Request) -> web.StreamResponse:
        self.second_seen.append(_seen(request))
        await request.read()
        rule = _match(self.second_rules, request) or json_answer({})
        return await self._answer(request, rule)

    async def _first(self, request: web.Request) -> web.StreamResponse:
        self.first_seen.append(_seen(request))
        await request.read()
        rule = _match(self.rules, request)
        if rule is None:
            return web.json_response({"message": "404: Not Found"}, status=404)
        return await self._answer(request, rule)

    async def _answer(self, request: web.Request, rule: Rule) -> web.StreamResponse:
        if rule.kind == "redirect":
            where = self.second_url if rule.to == "second" else self.first_url
            query = f"?{request.query_string}" if request.query_string else ""
            target = where((rule.path or request.path) + query)
            return web.Response(status=rule.status, headers={"Location": target})
        if rule.kind == "json":  # exactly application/json: discord.py wants no charset
            body = json.dumps(rule.body).encode()
            return web.Response(body=body, status=rule.status, content_type="application/json")
        if rule.kind == "bytes":
            return web.Response(body=rule.body, status=rule.status, content_type=rule.content_type)
        return await self._huge(request, rule)

    async def _huge(self, request: web.Request, rule: Rule) -> web.StreamResponse:
        response = web.StreamResponse(status=rule.status)
        response.content_type = "application/json"
        if rule.declared:
            response.content_length = HUGE
        await response.prepare(request)
        sent = 0
        try:
            while sent < HUGE:
                await response.write(_CHUNK)
                sent += len(_CHUNK)
                self.written += len(_CHUNK)
            await response.write_eof()
        except (ConnectionError, RuntimeError):  # the client hung up: what it should do
            pass
        return response


def _match(rules: list[tuple[str, str | None, Rule]], request: web.Request) -> Rule | None:
    return next(
        (
            rule
            for prefix, method, rule in rules
            if request.path.startswith(prefix) and method in (None, request.method)
        ),
        None,
    )


def _seen(request: web.Request) -> Seen:
    return Seen(request.method, request.path_qs, dict(request.headers))
