"""The console's pages: posts, one post, upcoming posts, health, and the change marker."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from heartbeat_bot.app.approval import Decision, awaiting
from heartbeat_bot.errors import HeartbeatError
from heartbeat_bot.ledger.posts import shown_hash
from heartbeat_bot.models import Post
from heartbeat_bot.web.console import listing, model
from heartbeat_bot.web.console.sessions import Session

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from heartbeat_bot.web.console.app import Console


def login_form(console: Console) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def show(request: web.Request) -> web.StreamResponse:
        session, _ = console.visitor(request)
        if session.user is not None:
            raise web.HTTPSeeOther("/")
        expired = request.query.get("expired") == "1"
        note = "Your session has expired: log in again." if expired else None
        return console.render_login(session, error=note)

    return show


def _common(console: Console, request: web.Request, session: Session) -> dict[str, Any]:
    notes, session.notes = session.notes, []
    return {
        "session": session,
        "csrf": session.csrf,
        "notes": notes,
        "version": version(console),
        "path": request.path_qs,
        "zone": console.config.blog.timezone,
        "now": time.time(),
    }


def version(console: Console) -> str:
    """A fingerprint of what the pages show: it changes when a pair or a post does, or
    when a post goes live or expires. Cheap enough to poll: the ledger's newest change,
    the scan's digest (worked out once per scan) and how many publish moments are past."""
    index = console.listing.index()
    mark = (console.source.ledger.last_change(), index.digest, index.passed(datetime.now(UTC)))
    return hashlib.sha256(repr(mark).encode()).hexdigest()[:16]


async def posts(console: Console, request: web.Request, session: Session) -> web.StreamResponse:
    wanted = request.query.get("filter") or None
    wanted = wanted if wanted in model.FILTERS else None
    query = request.query.get("q", "").strip()[:200]
    ledger = console.source.ledger
    now = datetime.now(UTC)
    index, every, counted = console.listing.classified(ledger, now, awaiting(ledger))
    counts = {key: counted.get(key, 0) for key in model.FILTERS}
    found = listing.select(index, every, wanted, query, console.source.matching)
    pages = max(1, -(-len(found) // listing.PAGE_SIZE))
    number = min(max(1, _number(request.query.get("page"))), pages)
    start = (number - 1) * listing.PAGE_SIZE
    chosen = found[start : start + listing.PAGE_SIZE]
    shown = [(index.items[e.entry.position], e.state, e.tags) for e in chosen]
    return console.render(
        "posts.html",
        title="Posts",
        rows=model.rows(console.config, ledger, shown),
        total=len(every),
        matched=len(found),
        first=start + 1,
        page=number,
        pages=pages,
        links=_page_links(number, pages, wanted, query),
        filters=model.FILTERS,
        counts=counts,
        wanted=wanted,
        query=query,
        channels=model.channels(console.config),
        **_common(console, request, session),
    )


def _number(text: str | None) -> int:
    """A page number from the query string; anything else is the first page."""
    return int(text) if text and text.isdigit() and len(text) < 9 else 1


def _page_links(number: int, pages: int, wanted: str | None, query: str) -> list[dict[str, Any]]:
    """Links to the first, previous, nearby, next and last pages, keeping the filter and
    the search."""

    def href(page: int) -> str:
        kept = {"filter": wanted or "", "q": query, "page": str(page) if page > 1 else ""}
        text = urlencode({k: v for k, v in kept.items() if v})
        return f"/?{text}" if text else "/"

    def link(label: str, page: int | None, rel: str = "") -> dict[str, Any]:
        target = href(page) if page is not None else None
        return {"label": label, "href": target, "rel": rel, "current": page == number and not rel}

    if pages <= 1:
        return []
    near = range(max(1, number - 2), min(pages, number + 2) + 1)
    links = [link("Previous", number - 1, "prev")] if number > 1 else []
    last = 0
    for page in sorted({1, pages, *near}):
        if page > last + 1:
            links.append(link("…", None))
        links.append(link(str(page), page))
        last = page
    if number < pages:
        links.append(link("Next", number + 1, "next"))
    return links


def find(console: Console, slug: str) -> Post:
    found = console.listing.index().find(slug)
    if found is None:
        raise web.HTTPNotFound(text=f"no post with the slug {slug[:80]!r}\n")
    return found


async def post(console: Console, request: web.Request, session: Session) -> web.StreamResponse:
    found = find(console, request.match_info["slug"])
    ledger = console.source.ledger
    row = model.rows(console.config, ledger, [listing.state_of(found, ledger, awaiting(ledger))])[0]
    recorded = ledger.find_post(found.url)
    comments = found.comments_url or (recorded.comments_url if recorded else None)
    try:
        rendered = console.source.render.render_all(found, comments)
        render_error = None
    except HeartbeatError as exc:
        rendered, render_error = {}, str(exc)
    zone = console.config.blog.timezone
    decided = ledger.approval(recorded.id) if recorded else None
    return console.render(
        "post.html",
        title=found.title,
        row=row,
        post=found,
        approval=Decision(decided, False).describe() if decided else None,
        approval_required=console.config.approval.mode == "required",
        seen=seen(found),
        payloads=model.payloads(ledger, found, rendered, console.config),
        render_error=render_error,
        history=model.history(ledger, found.url, zone),
        **_common(console, request, session),
    )


def seen(post: Post) -> str:
    """A fingerprint of what the post's announcements show, carried by the Approve form:
    a person approves what the page showed them, not an edit made since."""
    return shown_hash(post)[:16]


async def upcoming(console: Console, request: web.Request, session: Session) -> web.StreamResponse:
    now = datetime.now(UTC)
    zone = console.config.blog.timezone
    scheduled = sorted(console.listing.index().scheduled(now), key=lambda p: p.published_at)
    entries = [
        {
            "post": p,
            "when": model.local(p.published_at, zone),
            "iso": p.published_at.isoformat(),
            "in": _duration((p.published_at - now).total_seconds()),
        }
        for p in scheduled
    ]
    return console.render(
        "upcoming.html", title="Upcoming", entries=entries, **_common(console, request, session)
    )


async def health(console: Console, request: web.Request, session: Session) -> web.StreamResponse:
    facts = console.source.health()
    zone = console.config.blog.timezone
    counts: dict[str, int] = {}
    for (_, state), n in console.source.ledger.pair_counts().items():
        counts[state] = counts.get(state, 0) + n
    broken = console.listing.index().broken()
    alerts = [(model.epoch_local(at, zone), plain(text)) for at, text in facts.get("alerts", [])]
    return console.render(
        "health.html",
        title="Health",
        last_scan=model.epoch_local(facts.get("last_scan"), zone),
        last_fetch=model.epoch_local(facts.get("last_fetch"), zone),
        problem=facts.get("problem"),
        counts=sorted(counts.items()),
        broken=broken,
        alerts=list(reversed(alerts)),
        **_common(console, request, session),
    )


async def changes(console: Console, request: web.Request, session: Session) -> web.StreamResponse:
    return web.json_response({"version": version(console)})


def plain(text: str) -> str:
    """An alert's Discord markdown as plain text: no ``**``, backticks or ``<link>``."""
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    return text.replace("**", "").replace("`", "")


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"in {days} d {hours} h"
    if hours:
        return f"in {hours} h {minutes} min"
    return f"in {minutes} min"
