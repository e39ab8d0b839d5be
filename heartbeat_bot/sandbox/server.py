"""What the three fake services share: the request log, fault handling, control endpoints.

Each service is an aiohttp application behind one middleware that draws the request's
fault, applies it (before or after the real handler, as the kind says), records the
request and adds the service's usual headers. ``/_sandbox/*`` control endpoints let a
test drive a sandbox that runs in another process.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from aiohttp import web

from heartbeat_bot.sandbox.faults import FAULT_KINDS, Faults

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JSON = dict[str, Any]

CONTROL_PREFIX = "/_sandbox/"


@dataclass(frozen=True)
class Settings:
    """Knobs every service reads: how long a 429 asks to wait, how slow "slow" is."""

    rate_limit_wait: float = 0.2
    slow_delay: float = 0.5
    timeline_access: bool = True


class RequestLog:
    """Every API request seen, in arrival order, readable from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[JSON] = []

    def add(self, entry: JSON) -> None:
        with self._lock:
            self._entries.append(entry)

    def snapshot(self, service: str | None = None) -> list[JSON]:
        with self._lock:
            return [dict(entry) for entry in self._entries if service in (None, entry["service"])]


class Snowflakes:
    """Increasing 64-bit ids in the Discord/X style: milliseconds since an epoch, shifted."""

    def __init__(self, epoch_ms: int) -> None:
        self._epoch_ms = epoch_ms
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        value = (int(time.time() * 1000) - self._epoch_ms) << 22
        with self._lock:
            value = max(value, self._last + 1)
            self._last = value
        return value


def json_response(
    data: Any,
    status: int = 200,
    *,
    content_type: str = "application/json; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A JSON answer with exactly ``content_type`` (aiohttp's helper would add a charset)."""
    all_headers = {"Content-Type": content_type, **(headers or {})}
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return web.Response(body=body, status=status, headers=all_headers)


def html_response(status: int, title: str) -> web.Response:
    """An HTML error page, as a proxy or load balancer in front of a service sends."""
    page = (
        f"<!DOCTYPE html>\n<html><head><title>{status} {title}</title></head>"
        f"<body><center><h1>{status} {title}</h1></center><hr><center>nginx</center>"
        "</body></html>\n"
    )
    return web.Response(text=page, status=status, content_type="text/html")


class Service(ABC):
    """One fake service: its routes, its recorded items and its error shapes."""

    name: ClassVar[str]
    items_key: ClassVar[str]
    content_type: ClassVar[str] = "application/json; charset=utf-8"

    def __init__(self, faults: Faults, log: RequestLog, settings: Settings) -> None:
        self._lock = threading.RLock()
        self._faults = faults
        self._log = log
        self.settings = settings
        self.base_url = ""

    # --- what each service provides -------------------------------------------------

    @abstractmethod
    def routes(self) -> list[web.RouteDef]:
        """The service's API routes."""

    @abstractmethod
    def _items(self) -> list[JSON]:
        """The recorded items (topics, messages, tweets); called under the lock."""

    @abstractmethod
    def error_response(self, status: int) -> web.Response:
        """A 5xx (or an unknown-route 404/405) in the service's own shape."""

    @abstractmethod
    def rate_limited_response(self) -> web.Response:
        """A 429 in the service's exact shape, asking for ``settings.rate_limit_wait``."""

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        """Add the headers the service puts on every answer (rate-limit counters...)."""
        return None

    # --- shared ----------------------------------------------------------------------

    def json(
        self, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        return json_response(data, status, content_type=self.content_type, headers=headers)

    def snapshot(self) -> list[JSON]:
        """Deep copies of the recorded items, safe to read from another thread."""
        with self._lock:
            return copy.deepcopy(self._items())

    @property
    def requests(self) -> list[JSON]:
        """This service's entries of the request log."""
        return self._log.snapshot(self.name)

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(
            [
                web.get(CONTROL_PREFIX + "state", self._control_state),
                web.post(CONTROL_PREFIX + "faults", self._control_faults),
            ]
        )
        app.add_routes(self.routes())
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        fault = self._faults.take(self.name, request.path)
        if fault == "slow":
            await asyncio.sleep(self.settings.slow_delay)
        response: web.StreamResponse
        if fault in ("500", "502", "503", "429", "html", "drop_before"):
            await request.read()  # drain the body, so closing sends no reset
            if fault == "drop_before":
                self._record(request, None, fault)
                _close(request)
                return web.Response(status=204)
            if fault == "429":
                response = self.rate_limited_response()
            elif fault == "html":
                response = html_response(500, "Internal Server Error")
            else:
                response = self.error_response(int(fault or 500))
        else:
            response = await self._call(request, handler)
            # The work is done (or refused), but the client gets a success it cannot use.
            status = 201 if response.status == 201 else 200
            if fault == "badjson":
                response = _garbled(response, status, self.content_type)
            elif fault == "missing":
                response = self.json({}, status)
        self.decorate(request, response)
        self._record(request, response.status, fault)
        if fault == "drop":
            _close(request)
        return response

    async def _call(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:  # no such route or method: answer in our shape
            return self.error_response(exc.status)
        except ConnectionResetError:
            # The client went away mid-request (a killed process): nothing to answer, and
            # nothing worth a traceback.
            _close(request)
            return web.Response(status=499)

    def _record(self, request: web.Request, status: int | None, fault: str | None) -> None:
        self._log.add(
            {
                "service": self.name,
                "method": request.method,
                "path": request.path,
                "query": request.query_string,
                "status": status,
                "fault": fault,
                "time": time.time(),
            }
        )

    async def _control_state(self, request: web.Request) -> web.Response:
        items = self.snapshot()
        return json_response(
            {
                "service": self.name,
                "url": self.base_url,
                "items": items,
                self.items_key: items,
                "requests": self.requests,
                "faults": self._fault_state(),
            }
        )

    async def _control_faults(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            if body.get("clear"):
                self._faults.clear(self.name)
            kinds = body.get("queue", [])
            path = body.get("path")
            if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
                raise ValueError(f"queue must be a list of fault kinds from {FAULT_KINDS}")
            if path is not None and not isinstance(path, str):
                raise ValueError("path must be a string prefix")
            self._faults.queue(self.name, *kinds, path=path)
            if "rate" in body:
                rate = body["rate"]
                self._faults.set_rate(self.name, None if rate is None else float(rate))
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(self._fault_state())

    def _fault_state(self) -> JSON:
        return {
            "queued": [{"kind": f.kind, "path": f.path} for f in self._faults.pending(self.name)],
            "rate": self._faults.rate_for(self.name),
        }


def _close(request: web.Request) -> None:
    """Close the connection with no answer; aiohttp then drops the response silently."""
    transport = request.transport
    if transport is not None:
        transport.close()


def _garbled(response: web.StreamResponse, status: int, content_type: str) -> web.Response:
    """A JSON-labelled answer that is not JSON: the real body cut in half, or a fragment."""
    body = response.body if isinstance(response, web.Response) else None
    is_json = response.headers.get("Content-Type", "").startswith("application/json")
    cut = body[: len(body) // 2] if isinstance(body, bytes) and is_json else b""
    return web.Response(body=cut or b'{"', status=status, headers={"Content-Type": content_type})
