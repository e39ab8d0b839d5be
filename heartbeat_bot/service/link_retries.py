"""The service's later tries at comments URLs that could not be written into their posts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Container, Mapping

from heartbeat_bot.announcer.links import Links
from heartbeat_bot.ledger import LedgerError
from heartbeat_bot.models import Post
from heartbeat_bot.service.alerts import Alerts

log = logging.getLogger("heartbeat_bot.service")


async def retry_links(
    links: Links,
    posts: Mapping[str, Post],
    *,
    busy: Container[str],
    stopping: asyncio.Event,
    limit: int,
    alerts: Alerts,
    now: float,
) -> None:
    """Try each due link again, from the post as it reads now (``posts``: by URL), unless
    the post is gone or being announced (``busy``); alert once past ``limit`` tries."""
    for url, pending in links.pending().items():
        post = posts.get(url)
        if post is None or url in busy or stopping.is_set():
            continue
        if post.comments_url is not None:  # a person set it meanwhile: theirs stands
            links.forget(url)
            continue
        if pending.attempts >= limit:
            detail = (
                f"not written into {post.path.name} after {pending.attempts} tries "
                f"({pending.error}); `heartbeat-bot announce {post.slug}` tries again"
            )
            await alerts.pair_alert(post.slug, url, "commentsUrl", "failed", detail)
            continue
        if pending.next_at > now:
            continue
        try:
            note = await links.retry(post)
        except LedgerError:  # the service pauses until the ledger is usable again
            raise
        except Exception:  # one post's trouble never stops the others
            log.exception("%s: writing its comments URL failed unexpectedly", post.slug)
            continue
        if note:
            failed = url in links.pending()
            log.log(logging.WARNING if failed else logging.INFO, "%s: %s", post.slug, note)
