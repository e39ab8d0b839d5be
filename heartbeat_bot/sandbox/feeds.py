"""A loopback blog that publishes feeds, with a WebSub hub, and the ways real feeds fail.

``GET /feeds/<name>`` serves what :meth:`FeedServer.put` stored, as a web server does: an
``ETag`` and a ``Last-Modified`` on each answer, 304 to a request whose ``If-None-Match``
(or, without one, ``If-Modified-Since``) matches. :meth:`FeedServer.fail` makes a feed
misbehave the ways feeds do in the wild: ``malformed`` (XML cut halfway), ``html`` (a
page instead of the feed), ``huge`` (10 MB), ``slow`` (the answer trickles in for longer
than a client waits), ``loop`` (a redirect to itself), ``429`` and ``503`` (with
``Retry-After``), ``down`` (the connection is closed). ``GET /pages/<name>`` serves an
entry's page (:meth:`FeedServer.page`), for its ``og:image``.

``POST /hub`` is a WebSub hub (W3C WebSub, 2018): a subscription request is answered 202,
then its intent is verified with a GET to the callback carrying ``hub.challenge``, which
must come back as the body. :meth:`FeedServer.publish` sends a feed's content to each
verified subscriber, signed with its ``hub.secret`` in ``X-Hub-Signature``.

Like every sandbox peer, it imports nothing of heartbeat-bot's.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

FAULTS = ("malformed", "html", "huge", "slow", "loop", "429", "503", "down")
HUGE_BYTES = 10 * 1024 * 1024
START_TIMEOUT = 10.0


@dataclass
class _Feed:
    body: bytes
    content_type: str
    etag: str
    modified: float
    link_header: bool = False


@dataclass(frozen=True)
class Subscription:
    """A verified subscription: where to push a topic, signed with which secret."""

    topic: str
    callback: str
    secret: str | None
    lease_seconds: int
    verified_at: float


class FeedServer:
    """Feeds, faults and a WebSub hub on one loopback port, run by a background thread.

    ``requests`` records ``(method, path, status)`` of every request, in order;
    ``hub_requests`` the hub's form fields. ``lease_seconds`` caps the leases granted.
    """

    def __init__(self, *, lease_seconds: int = 864_000, slow_seconds: float = 5.0) -> None:
        self.lease_seconds = lease_seconds
        self.slow_seconds = slow_seconds
        self.requests: list[tuple[str, str, int]] = []
        self.hub_requests: list[dict[str, str]] = []
        self.subscriptions: list[Subscription] = []
        self.verifications: list[tuple[str, int, str]] = []  # (mode, status, callback)
        self._feeds: dict[str, _Feed] = {}
        self._faults: dict[str, str] = {}
        self._pages: dict[str, str] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.base_url = ""

    # -- what a test does -------------------------------------------------------------

    def url(self, name: str) -> str:
        return f"{self.base_url}/feeds/{name}"

    @property
    def hub_url(self) -> str:
        return f"{self.base_url}/hub"

    def put(
        self,
        name: str,
        body: bytes | str,
        content_type: str = "application/rss+xml",
        *,
        link_header: bool = False,
    ) -> None:
        """Serve ``body`` at ``/feeds/<name>`` from now on (a new ETag when it changed);
        ``link_header``: advertise the hub and the topic in a ``Link`` header, as WebSub
        publishers should."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            old = self._feeds.get(name)
            if old is not None and old.body == data and old.content_type == content_type:
                old.link_header = link_header
                return
            etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
            # Whole seconds, as HTTP dates are; never the same second as the old version.
            modified = float(int(time.time()))
            if old is not None and modified <= old.modified:
                modified = old.modified + 1
            self._feeds[name] = _Feed(data, content_type, etag, modified, link_header)

    def page(self, name: str, html: str) -> str:
        """Serve ``html`` at ``/pages/<name>`` (an entry's page); its URL."""
        with self._lock:
            self._pages[name] = html
        return f"{self.base_url}/pages/{name}"

    def fail(self, name: str, fault: str | None) -> None:
        """Make ``/feeds/<name>`` misbehave (one of :data:`FAULTS`), or behave (None)."""
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        with self._lock:
            if fault is None:
                self._faults.pop(name, None)
            else:
                self._faults[name] = fault

    def served(self, name: str) -> list[int]:
        """The statuses of the answers given for ``/feeds/<name>``, in order."""
        with self._lock:
            return [s for m, p, s in self.requests if p == f"/feeds/{name}" and m == "GET"]

    def publish(
        self, name: str, *, body: bytes | None = None, secret: str | None = None
    ) -> list[int]:
        """Push ``/feeds/<name>`` (or ``body``) to its verified subscribers; their statuses.

        ``secret`` signs with that key instead of the subscriber's (a forged push).
        """
        future = asyncio.run_coroutine_threadsafe(
            self._publish(name, body, secret), self._started()
        )
        return future.result(30)

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> FeedServer:
        self._thread = threading.Thread(target=self._run, name="sandbox-feeds", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError("the feed server did not start in time")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _started(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("start the feed server first")
        return self._loop

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._serve())
        self._ready.set()
        loop.run_forever()
        try:
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
            left = asyncio.all_tasks(loop)
            for task in left:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        finally:
            loop.close()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/feeds/{name}", self._feed)
        app.router.add_post("/hub", self._hub)
        app.router.add_get("/pages/{name}", self._page)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    # -- the feeds --------------------------------------------------------------------

    def _log(self, request: web.Request, status: int) -> None:
        with self._lock:
            self.requests.append((request.method, request.path, status))

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        with self._lock:
            feed, fault = self._feeds.get(name), self._faults.get(name)
        if fault is not None:
            return await self._misbehave(request, name, fault, feed)
        if feed is None:
            self._log(request, 404)
            return web.Response(status=404, text="no such feed")
        headers = {
            "ETag": feed.etag,
            "Last-Modified": formatdate(feed.modified, usegmt=True),
            "Cache-Control": "max-age=0",
        }
        if feed.link_header:
            headers["Link"] = f'<{self.hub_url}>; rel="hub", <{self.url(name)}>; rel="self"'
        if _not_modified(request, feed):
            self._log(request, 304)
            return web.Response(status=304, headers=headers)
        self._log(request, 200)
        headers["Content-Type"] = feed.content_type
        return web.Response(body=feed.body, headers=headers)

    async def _page(self, request: web.Request) -> web.Response:
        with self._lock:
            html = self._pages.get(request.match_info["name"])
        self._log(request, 404 if html is None else 200)
        if html is None:
            return web.Response(status=404, text="no such page")
        return web.Response(text=html, content_type="text/html")

    async def _misbehave(
        self, request: web.Request, name: str, fault: str, feed: _Feed | None
    ) -> web.StreamResponse:
        body = feed.body if feed is not None else b"<rss version='2.0'><channel><item>"
        if fault == "loop":
            self._log(request, 302)
            return web.Response(status=302, headers={"Location": f"/feeds/{name}"})
        if fault in ("429", "503"):
            self._log(request, int(fault))
            return web.Response(status=int(fault), headers={"Retry-After": "1"}, text="slow down")
        if fault == "down":
            self._log(request, 0)
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=204)
        self._log(request, 200)
        if fault == "malformed":
            return web.Response(body=body[: len(body) // 2], content_type="application/rss+xml")
        if fault == "html":
            page = "<!DOCTYPE html><html><head><title>Blog</title></head><body>Hi</body></html>"
            return web.Response(text=page, content_type="text/html")
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        if fault == "huge":
            response.content_length = HUGE_BYTES
            await response.prepare(request)
            chunk = b"<!-- " + b"x" * 65_526 + b" -->\n"
            for _ in range(HUGE_BYTES // len(chunk)):
                await response.write(chunk)
            return response
        # slow: the first bytes at once, the rest long after any sane time budget.
        await response.prepare(request)
        await response.write(body[:64])
        await asyncio.sleep(self.slow_seconds)
        await response.write(body[64:])
        return response

    # -- the hub ----------------------------------------------------------------------

    async def _hub(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        with self._lock:
            self.hub_requests.append(form)
        mode, callback, topic = (
            form.get("hub.mode"),
            form.get("hub.callback"),
            form.get("hub.topic"),
        )
        if mode not in ("subscribe", "unsubscribe") or not callback or not topic:
            self._log(request, 400)
            return web.Response(
                status=400, text="hub.mode, hub.callback and hub.topic are required"
            )
        secret = form.get("hub.secret")
        if secret is not None and len(secret.encode()) >= 200:
            self._log(request, 400)
            return web.Response(status=400, text="hub.secret must be under 200 bytes")
        asked = form.get("hub.lease_seconds", "")
        lease = min(int(asked), self.lease_seconds) if asked.isdigit() else self.lease_seconds
        self._log(request, 202)
        task = asyncio.ensure_future(self._verify(mode, callback, topic, secret, lease))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    async def _verify(
        self, mode: str, callback: str, topic: str, secret: str | None, lease: int
    ) -> None:
        challenge = secrets.token_urlsafe(24)
        query: dict[str, Any] = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if mode == "subscribe":
            query["hub.lease_seconds"] = lease
        joiner = "&" if "?" in callback else "?"
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(callback + joiner + urlencode(query)) as answer,
            ):
                text = await answer.text()
                status = answer.status
        except aiohttp.ClientError:
            status, text = 0, ""
        with self._lock:
            self.verifications.append((mode, status, callback))
            if not (200 <= status < 300 and text == challenge):
                return
            self.subscriptions = [
                s for s in self.subscriptions if (s.topic, s.callback) != (topic, callback)
            ]
            if mode == "subscribe":
                sub = Subscription(topic, callback, secret, lease, time.time())
                self.subscriptions.append(sub)

    async def _publish(self, name: str, body: bytes | None, forged: str | None) -> list[int]:
        with self._lock:
            feed = self._feeds[name]
            subscribers = [s for s in self.subscriptions if s.topic == self.url(name)]
        content = body if body is not None else feed.body
        statuses = []
        async with aiohttp.ClientSession() as session:
            for sub in subscribers:
                headers = {
                    "Content-Type": feed.content_type,
                    "Link": f'<{self.hub_url}>; rel="hub"',
                }
                key = forged if forged is not None else sub.secret
                if key is not None:
                    digest = hmac.new(key.encode(), content, hashlib.sha256).hexdigest()
                    headers["X-Hub-Signature"] = f"sha256={digest}"
                async with session.post(sub.callback, data=content, headers=headers) as answer:
                    statuses.append(answer.status)
        return statuses


def _not_modified(request: web.Request, feed: _Feed) -> bool:
    tags = request.headers.get("If-None-Match")
    if tags is not None:
        return feed.etag in [t.strip().removeprefix("W/") for t in tags.split(",")] or tags == "*"
    since = request.headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(since).timestamp() >= feed.modified
    except (TypeError, ValueError):
        return False
