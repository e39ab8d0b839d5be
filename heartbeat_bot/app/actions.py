"""What a person does to a pair by hand, shared by ``resolve`` and the web console."""

from __future__ import annotations

from typing import Literal

from heartbeat_bot.channels import registry
from heartbeat_bot.errors import HeartbeatError
from heartbeat_bot.ledger import Delivery, Ledger
from heartbeat_bot.models import Post, Sent

Settle = Literal["done", "retry", "skip"]
SETTLEABLE = frozenset({"unknown", "failed", "waiting"})


def settle(
    ledger: Ledger,
    post: Post,
    channel: str,
    how: Settle,
    *,
    url: str | None = None,
    who: str | None = None,
) -> Delivery:
    """Settle an ``unknown``, ``failed`` or ``waiting`` pair: done at ``url``, to be sent
    again (``pending``), or skipped. HeartbeatError, naming the post and channel, when
    there is nothing to settle. Returns the pair as it is now."""
    channel = channel.lower()
    if channel not in registry.names():
        raise HeartbeatError(f"unknown channel {channel!r} (use {', '.join(registry.names())})")
    row = ledger.find_post(post.url)
    delivery = (
        next((d for d in ledger.deliveries(row.id) if d.channel == channel), None) if row else None
    )
    if row is None or delivery is None:
        raise HeartbeatError(f"{post.slug} has nothing recorded for {channel}")
    if delivery.state not in SETTLEABLE:
        raise HeartbeatError(
            f"{post.slug} on {channel} is {delivery.state}; only unknown, failed or "
            "waiting pairs are settled by hand"
        )
    by = f" (by {who})" if who else ""
    if how == "done":
        if not url:
            raise HeartbeatError(f"{post.slug} on {channel}: give the URL where it went out")
        remote_id = url.rstrip("/").rsplit("/", 1)[-1]
        ledger.resolve(delivery.id, "done", f"marked done by hand{by}: {url}", Sent(remote_id, url))
        if registry.unit(channel).delivery == "topic":
            ledger.set_comments_url(row.id, url)
    elif how == "retry":
        ledger.resolve(delivery.id, "pending", f"to be sent again, by hand{by}")
    else:
        ledger.resolve(delivery.id, "skipped", f"skipped by hand{by}")
    return ledger.get(delivery.id)
