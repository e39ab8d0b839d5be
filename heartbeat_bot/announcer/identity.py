"""Which recorded post a post is, for the announcer: by URL, or the same file renamed."""

from __future__ import annotations

import logging

from heartbeat_bot.ledger import Delivery, Ledger
from heartbeat_bot.ledger.identity import apply as apply_verdict
from heartbeat_bot.ledger.identity import recognise
from heartbeat_bot.models import Post

log = logging.getLogger("heartbeat_bot.announcer")


def linked_url(claimed: Delivery, url: str) -> str:
    """The post URL a stored message payload links to (its first embed's, as the post's URL
    was when it was sent), else ``url``."""
    body = claimed.payload_json()
    embeds = body.get("embeds") if isinstance(body, dict) else None
    first = embeds[0] if isinstance(embeds, list) and embeds else None
    linked = first.get("url") if isinstance(first, dict) else None
    return linked if isinstance(linked, str) and linked else url


def identify(ledger: Ledger, post: Post) -> int:
    """The post's id in the ledger: recorded now, or the post it is under an older name
    (the same file whose slug or URL changed since it was announced)."""
    if ledger.find_post(post.url) is None:
        earlier = [r for r in ledger.posts_at_path(str(post.path)) if r.url != post.url]
        verdict = recognise(ledger, post, gone=earlier)
        if verdict is not None:
            log.info("%s: the same post as %s (%s)", post.slug, verdict.row.url, verdict.how)
            return apply_verdict(ledger, post, verdict)
    return ledger.upsert_post(post)
