"""The service's HTTP listener: ``/healthz``, ``/metrics``, GitHub webhooks and the console.

It runs on the service's own event loop (aiohttp), so it needs no thread and shares no
state beyond the :class:`Metrics` it renders and the health checks it is given.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from heartbeat_bot.web.metrics import Metrics

if TYPE_CHECKING:
    from heartbeat_bot.web.console.app import Console

log = logging.getLogger(__name__)

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Webhook = Callable[[bytes, Mapping[str, str]], Awaitable[int]]
# WebSub: the hub's intent check (query -> status, body) and a push (body, headers -> status).
WebSubCheck = Callable[[Mapping[str, str]], tuple[int, str]]


def parse_address(address: str) -> tuple[str | None, int]:
    """``"host:port"`` (or ``"[::1]:port"``) as ``(host, port)``; an empty host is all.

    Raises ValueError naming ``service.http`` so a bad setting is one clear line.
    """
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f'service.http: must be "host:port", got "{address}"')
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return (host or None), int(port)


class HealthServer:
    """``GET /healthz``, ``GET /metrics`` and, when a handler is given, GitHub webhooks.

    ``ledger_problem`` is what the service found (why its ledger cannot be used, or None);
    ``ledger_writable`` looks at the file itself, in a worker thread: it touches the disk
    and may wait up to a second on SQLite's lock, which must not hold up the loop.
    """

    def __init__(
        self,
        address: str,
        metrics: Metrics,
        *,
        loop_alive: Callable[[], bool],
        ledger_writable: Callable[[], bool],
        ledger_problem: Callable[[], str | None] | None = None,
        webhook: Webhook | None = None,
        detail: Callable[[], str | None] | None = None,
        websub: tuple[WebSubCheck, Webhook] | None = None,
        console: Console | None = None,
    ) -> None:
        self.host, self._requested_port = parse_address(address)
        self.metrics = metrics
        self._loop_alive = loop_alive
        self._ledger_writable = ledger_writable
        self._ledger_problem = ledger_problem
        self._webhook = webhook
        self._detail = detail
        self._websub = websub
        self._console = console
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The port actually bound (useful when the address asked for port 0)."""
        if self._port is None:
            raise RuntimeError("HealthServer.port: the server is not started")
        return self._port

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        if self._webhook is not None:
            app.router.add_post("/webhooks/github", self._github)
        if self._websub is not None:
            app.router.add_get("/websub", self._websub_check)
            app.router.add_post("/websub", self._websub_push)
        if self._console is not None and self._console.enabled:
            self._console.install(app)
        return app

    async def start(self) -> None:
        # access_log=None: probes arrive every few seconds and would drown the real log.
        runner = web.AppRunner(self._app(), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self._requested_port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        log.info("health server listening on port %d", self._port)

    async def stop(self) -> None:
        if self._console is not None:
            await self._console.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> HealthServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _healthz(self, request: web.Request) -> web.Response:
        reason = await self._problem()
        if reason is None:
            # A problem outside the service (the blog's feed is down) is a detail, not a 503:
            # restarting the service would not fix it.
            detail = self._detail() if self._detail is not None else None
            extra = " ".join(detail.split()) + "\n" if detail else ""
            return web.Response(text="ok\n" + extra)
        return web.Response(status=503, text=reason + "\n")

    async def _problem(self) -> str | None:
        """The first reason the service is unhealthy, or None when it is fine."""
        if not _safely(self._loop_alive):
            return "scheduler loop stalled"
        problem = self._ledger_problem() if self._ledger_problem is not None else None
        if problem:
            return " ".join(problem.split())  # one line, whatever the reason holds
        if not await asyncio.to_thread(_safely, self._ledger_writable):
            return "ledger not writable"
        return None

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self.metrics.render().encode(), headers={"Content-Type": METRICS_CONTENT_TYPE}
        )

    async def _github(self, request: web.Request) -> web.Response:
        assert self._webhook is not None  # the route exists only with a handler
        status = await self._webhook(await request.read(), request.headers)
        return web.Response(status=status)

    async def _websub_check(self, request: web.Request) -> web.Response:
        assert self._websub is not None
        status, body = self._websub[0](dict(request.query))
        return web.Response(status=status, text=body)

    async def _websub_push(self, request: web.Request) -> web.Response:
        assert self._websub is not None
        status = await self._websub[1](await request.read(), request.headers)
        return web.Response(status=status)


def _safely(check: Callable[[], bool]) -> bool:
    """``check()``, where an exception counts as "unhealthy" rather than a 500."""
    try:
        return bool(check())
    except Exception:
        log.warning("health check %r raised", check, exc_info=True)
        return False


def ledger_writable_check(
    path: Path, *, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic
) -> Callable[[], bool]:
    """A check that the SQLite ledger at ``path`` can still be written, cached ``ttl`` s.

    It opens its own short-lived connection, so the service's connection is untouched,
    and takes the write lock without writing (``BEGIN IMMEDIATE; ROLLBACK``). The cache
    makes a burst of probes cost one look at the disk. Thread-safe: it shares no
    connection, and the cache is one tuple replaced at once.
    """
    cached: tuple[float, bool] | None = None

    def check() -> bool:
        nonlocal cached
        now = clock()
        if cached is not None and now - cached[0] < ttl:
            return cached[1]
        result = _ledger_writable(path)
        cached = (now, result)
        return result

    return check


def _ledger_writable(path: Path) -> bool:
    # os.access first: a path that is gone, or whose folder is, means the service is
    # writing to an unlinked file that nobody will ever read again.
    folder = path.parent
    if not (path.is_file() and os.access(path, os.W_OK) and os.access(folder, os.W_OK | os.X_OK)):
        return False
    # mode=rw: never create an empty ledger where the real one used to be.
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=rw"
    try:
        db = sqlite3.connect(uri, uri=True, timeout=1.0, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
    except sqlite3.Error as exc:
        # Busy means another connection (the service) is writing: the file is fine.
        return getattr(exc, "sqlite_errorname", "") in {"SQLITE_BUSY", "SQLITE_LOCKED"}
    finally:
        db.close()
    return True
