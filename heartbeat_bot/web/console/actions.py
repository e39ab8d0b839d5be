"""What a person does from the console: announce now, retry, skip, settle an unknown.

Each goes through the same announcer and ledger as the command line (``announce``,
``resolve``) and is logged with who did it and from where. Announcing runs in the
background; the page shows the pairs change as they do.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from aiohttp import web

from heartbeat_bot.app.actions import Settle, settle
from heartbeat_bot.app.approval import approve, reject
from heartbeat_bot.config.urls import check_http_url
from heartbeat_bot.errors import HeartbeatError
from heartbeat_bot.models import Post
from heartbeat_bot.web.console.pages import find, seen
from heartbeat_bot.web.console.security import safe_next
from heartbeat_bot.web.console.sessions import Session

if TYPE_CHECKING:
    from heartbeat_bot.web.console.app import Console

log = logging.getLogger("heartbeat_bot.console")

# Waits the services ask for are sat out up to this long; longer ones stay `waiting`,
# retried by the service.
MAX_WAIT = 30.0
HOW = {"retry": "retry", "skip": "skip", "done": "done"}


def _back(request: web.Request, data: dict[str, str], slug: str) -> web.Response:
    from heartbeat_bot.web.console.app import see_other

    return see_other(safe_next(data.get("next"), f"/posts/{slug}"))


def _start(console: Console, post: Post, only: frozenset[str] | None, who: str) -> None:
    async def job() -> None:
        report = await console.source.announcer.announce(post, only=only, max_wait=MAX_WAIT)
        states = ", ".join(f"{o.channel} {o.state}" for o in report.outcomes.values())
        log.info("console: announced %s for %s: %s", post.slug, who, states)

    console.spawn(job())


async def announce(
    console: Console, request: web.Request, session: Session, data: dict[str, str]
) -> web.StreamResponse:
    post = find(console, request.match_info["slug"])
    who, where = session.user or "?", console.address(request)
    state = post.state(datetime.now(UTC))
    if state != "published":
        session.notes.append(f"{post.slug} is {state}: not announced.")
        log.warning("console: announce %s refused for %s from %s: %s", post.slug, who, where, state)
        return _back(request, data, post.slug)
    log.info("console: announce %s by %s from %s", post.slug, who, where)
    if console.config.approval.mode == "required":  # a person announcing it approves it
        decision = approve(console.source.ledger, post, who, "console")
        if not decision.approved:
            session.notes.append(
                f"{post.slug} was {decision.describe()}: not announced (its pairs are skipped)."
            )
            return _back(request, data, post.slug)
    _start(console, post, None, who)
    session.notes.append(f"Announcing {post.slug}: the states below update as it goes.")
    return _back(request, data, post.slug)


async def settle_pair(
    console: Console, request: web.Request, session: Session, data: dict[str, str]
) -> web.StreamResponse:
    post = find(console, request.match_info["slug"])
    channel = request.match_info["channel"]
    how = HOW.get(request.match_info["how"])
    if how is None:
        raise web.HTTPNotFound()
    who, where = session.user or "?", console.address(request)
    url = data.get("url", "").strip() or None
    try:
        if how == "done":
            if url is None:
                raise HeartbeatError("give the link where it went out")
            try:
                check_http_url(url)
            except ValueError as exc:
                raise HeartbeatError(f"the link {exc}") from None
        settle(console.source.ledger, post, channel, cast(Settle, how), url=url, who=who)
    except HeartbeatError as exc:
        session.notes.append(f"{post.slug} on {channel}: {exc}")
        log.warning(
            "console: %s %s %s refused for %s from %s: %s", how, post.slug, channel, who, where, exc
        )
        return _back(request, data, post.slug)
    detail = f" at {url}" if url else ""
    log.info("console: %s %s %s%s by %s from %s", how, post.slug, channel, detail, who, where)
    if how == "retry":
        _start(console, post, frozenset({channel}), who)
        session.notes.append(f"{post.slug} on {channel}: sending again.")
    elif how == "skip":
        session.notes.append(f"{post.slug} on {channel}: skipped.")
    else:
        session.notes.append(f"{post.slug} on {channel}: marked done{detail}.")
    return _back(request, data, post.slug)


async def decide(
    console: Console, request: web.Request, session: Session, data: dict[str, str]
) -> web.StreamResponse:
    """Approve (and announce) or reject a post; the first decision wins."""
    post = find(console, request.match_info["slug"])
    verb = request.match_info["decision"]
    who, where = session.user or "?", console.address(request)
    ledger = console.source.ledger
    if verb == "approve" and data.get("seen", seen(post)) != seen(post):
        session.notes.append(
            f"{post.slug} changed since you opened its page: check its previews and approve again."
        )
        log.info("console: approve %s by %s from %s: the post changed since", post.slug, who, where)
        return _back(request, data, post.slug)
    if verb == "approve":
        decision = approve(ledger, post, who, "console")
    elif verb == "reject":
        decision = reject(ledger, post, who, "console", console.source.announcer.enabled)
    else:
        raise web.HTTPNotFound()
    if not decision.won:
        session.notes.append(f"{post.slug} was already {decision.describe()}.")
        log.info("console: %s %s by %s from %s: already decided", verb, post.slug, who, where)
        return _back(request, data, post.slug)
    log.info("console: %s %s by %s from %s", verb, post.slug, who, where)
    if decision.approved and post.state(datetime.now(UTC)) == "published":
        _start(console, post, None, who)
        session.notes.append(f"{post.slug} approved: announcing it now.")
    else:
        session.notes.append(f"{post.slug}: {decision.row.state}.")
    return _back(request, data, post.slug)
