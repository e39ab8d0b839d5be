"""The web console on the service's listener: login, sessions and the routes.

Off until ``[web] password_hash`` (or ``[web.users]``) names an account. Every page needs
a login; every POST needs the session's CSRF token (and, when the browser gives one, our
own ``Origin``). Pages are rendered on the server with Jinja2 (autoescaped, every value
masked for secrets on its way out) and a small script that reloads a page whose data
changed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from heartbeat_bot.announcer import Announcer
from heartbeat_bot.app.passwords import DUMMY_HASH, verify_password
from heartbeat_bot.app.redaction import scrub
from heartbeat_bot.channels.rendering import Renderers
from heartbeat_bot.config import BaseConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.models import Post
from heartbeat_bot.web.console.listing import Listing
from heartbeat_bot.web.console.security import (
    COOKIE,
    add_headers,
    client_address,
    same_origin,
    set_session_cookie,
    token_matches,
)
from heartbeat_bot.web.console.sessions import Session, Sessions, Throttle

log = logging.getLogger("heartbeat_bot.console")

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}
# Console pages (and the static files they use); others (health, metrics, webhook) are
# left exactly as they were.
PAGES = frozenset({"/", "/login", "/logout", "/upcoming", "/health", "/changes"})
PREFIXES = ("/posts/", "/static/")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class ConsoleSource:
    """What the console reads and acts through: the service's own objects."""

    config: BaseConfig
    ledger: Ledger
    announcer: Announcer
    render: Renderers
    # The posts of the latest scan (and the files held back or broken).
    items: Callable[[], list[Post | PostError]]
    # Facts for the health page: last scan, the ledger's problem, recent alerts.
    health: Callable[[], dict[str, Any]]
    # The post files whose slug or title holds a word (lowercase), from the source's
    # index; None: no index, the titles are searched one by one.
    matching: Callable[[str], set[Path] | None] = lambda _word: None


class Console:
    """The console's routes, sessions and background actions."""

    def __init__(self, source: ConsoleSource, *, clock: Callable[[], float] = time.time) -> None:
        self.source = source
        self.config = source.config
        self.listing = Listing(source.items)
        self.accounts = self.config.web.accounts()
        public = self.config.service.public_url
        self.https = bool(public and public.startswith("https://"))
        self.public_origin = "/".join(public.split("/", 3)[:3]) if public else None
        self.sessions = Sessions(self.config.web.session_ttl, clock=clock)
        self.throttle = Throttle()
        self.clock = clock
        self.tasks: set[asyncio.Task[None]] = set()
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            finalize=_masked,
        )

    @property
    def enabled(self) -> bool:
        return bool(self.accounts)

    def install(self, app: web.Application) -> None:
        """Add the console's routes to the listener's application."""
        from heartbeat_bot.web.console import actions, pages

        app.on_response_prepare.append(self._headers)
        get = app.router.add_get
        post = app.router.add_post
        get("/", self.page(pages.posts))
        get("/login", pages.login_form(self))
        post("/login", self.login)
        post("/logout", self.form(self.logout))
        get("/posts/{slug}", self.page(pages.post))
        get("/upcoming", self.page(pages.upcoming))
        get("/health", self.page(pages.health))
        get("/changes", self.page(pages.changes))
        get("/static/{name}", self.static)
        post("/posts/{slug}/announce", self.form(actions.announce))
        post("/posts/{slug}/approval/{decision}", self.form(actions.decide))
        post("/posts/{slug}/{channel}/{how}", self.form(actions.settle_pair))

    async def close(self, grace: float = 10.0) -> None:
        """Let actions in flight finish (up to ``grace`` seconds), then cancel them."""
        if self.tasks:
            _, pending = await asyncio.wait(set(self.tasks), timeout=grace)
            for task in pending:
                task.cancel()

    def spawn(self, job: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await job
            except Exception:
                log.exception("console action failed")

        task = asyncio.ensure_future(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- sessions --------------------------------------------------------------------

    def address(self, request: web.Request) -> str:
        """The client's address, for the throttle and the log."""
        return client_address(request, behind_proxy=self.public_origin is not None)

    def session(self, request: web.Request) -> Session | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    def visitor(self, request: web.Request) -> tuple[Session, bool]:
        """The request's session, or a new anonymous one (True: set its cookie)."""
        found = self.session(request)
        if found is not None:
            return found, False
        return self.sessions.new(), True

    def page(
        self, handler: Callable[[Console, web.Request, Session], Awaitable[web.StreamResponse]]
    ) -> Handler:
        """A page for people logged in; others are sent to the login form."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            session = self.session(request)
            if session is None or session.user is None:
                # A cookie that names no live session: its login has run out.
                expired = session is None and COOKIE in request.cookies
                target = "/login?expired=1" if expired else "/login"
                if request.path == "/changes":
                    raise web.HTTPUnauthorized(text="log in again\n")
                raise web.HTTPSeeOther(target)
            await self.listing.fresh()  # a new scan indexed off the loop
            return await handler(self, request, session)

        return guarded

    def form(
        self,
        handler: Callable[
            [Console, web.Request, Session, dict[str, str]], Awaitable[web.StreamResponse]
        ],
    ) -> Handler:
        """A state-changing request: logged in, our own origin, the session's CSRF token."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            session = self.session(request)
            if session is None or session.user is None:
                log.warning(
                    "console: %s %s refused from %s: not logged in",
                    request.method,
                    request.raw_path[:200],  # as sent: no decoded line breaks in the log
                    self.address(request),
                )
                return self.refusal(
                    401, "Your session has expired or you are not logged in. Log in again."
                )
            data = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
            if not same_origin(request, self.public_origin) or not token_matches(
                data.get("csrf"), session.csrf
            ):
                log.warning(
                    "console: %s %s refused from %s (user %s): CSRF token missing or wrong",
                    request.method,
                    request.raw_path[:200],  # as sent: no decoded line breaks in the log
                    self.address(request),
                    session.user,
                )
                return self.refusal(
                    403,
                    "This form is out of date or did not come from the console. "
                    "Reload the page and try again.",
                )
            return await handler(self, request, session, data)

        return guarded

    def refusal(self, status: int, message: str) -> web.Response:
        return self.render(
            "message.html", status=status, title="Refused", message=message, session=None
        )

    async def login(self, request: web.Request) -> web.StreamResponse:
        session, _ = self.visitor(request)
        data = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        address = self.address(request)
        if not same_origin(request, self.public_origin) or not token_matches(
            data.get("csrf"), session.csrf
        ):
            log.warning(
                "console: login refused from %s: CSRF token missing or wrong (origin %s)",
                address,
                request.headers.get("Origin"),
            )
            return self.refusal(
                403, "The login form is out of date. Reload the page and try again."
            )
        wait = self.throttle.wait(address)
        if wait > 0:
            log.warning("console: login refused from %s: too many failed attempts", address)
            response = self.render_login(
                session,
                error=f"Too many failed logins. Try again in {int(wait) + 1} seconds.",
                status=429,
            )
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        name = data.get("username", "").strip()
        hashed = self.accounts.get(name)
        password = data.get("password", "")
        # Counted as failed until it verifies: guesses sent together cannot all slip in
        # while the first ones are still being checked.
        self.throttle.failed(address)
        ok = await asyncio.to_thread(verify_password, password, hashed or DUMMY_HASH)
        if not ok or hashed is None:
            log.warning("console: failed login from %s%s", address, f" as {name}" if hashed else "")
            return self.render_login(session, error="Wrong name or password.", status=401)
        self.throttle.succeeded(address)
        self.sessions.drop(session.id)
        fresh = self.sessions.new(name)
        log.info("console: %s logged in from %s", name, address)
        response = see_other("/")
        set_session_cookie(response, fresh.id, https=self.https)
        return response

    async def logout(
        self, _: Console, request: web.Request, session: Session, data: dict[str, str]
    ) -> web.StreamResponse:
        log.info("console: %s logged out from %s", session.user, self.address(request))
        self.sessions.drop(session.id)
        response = see_other("/login")
        response.del_cookie(COOKIE, path="/")
        return response

    # -- rendering -------------------------------------------------------------------

    def render(self, name: str, *, status: int = 200, **values: Any) -> web.Response:
        values = {"notes": [], "path": "", "version": "", "csrf": "", **values}
        html = self.templates.get_template(name).render(**values)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def render_login(
        self, session: Session, *, error: str | None = None, status: int = 200
    ) -> web.Response:
        response = self.render(
            "login.html",
            status=status,
            title="Log in",
            session=None,
            csrf=session.csrf,
            error=error,
        )
        set_session_cookie(response, session.id, https=self.https)
        return response

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = STATIC / name
        if "/" in name or path.suffix not in STATIC_TYPES or not path.is_file():
            raise web.HTTPNotFound()
        return web.Response(
            body=path.read_bytes(), content_type=STATIC_TYPES[path.suffix], charset="utf-8"
        )

    async def _headers(self, request: web.Request, response: web.StreamResponse) -> None:
        if request.path in PAGES or request.path.startswith(PREFIXES):
            add_headers(response, https=self.https)


def see_other(location: str) -> web.Response:
    """A redirect after a form (303: the browser follows it with a GET)."""
    return web.Response(status=303, headers={"Location": location})


def _masked(value: Any) -> Any:
    """Every value a template prints, with any secret the settings hold masked."""
    return scrub(value) if isinstance(value, str) else value
