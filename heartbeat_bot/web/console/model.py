"""What the console's pages show, read from the posts and the ledger: plain records.

Nothing here writes; the pages render these records and the actions go through
:mod:`heartbeat_bot.web.console.actions`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from heartbeat_bot.announcer import WRITE_BACK_PENDING
from heartbeat_bot.channels import registry
from heartbeat_bot.config import BaseConfig
from heartbeat_bot.errors import DuplicatePost, PostError
from heartbeat_bot.ledger import Delivery, Ledger
from heartbeat_bot.models import Post

# The filters of the posts page, by the name in its query string.
FILTERS = {
    "failed": "Failed",
    "unknown": "Unknown",
    "waiting": "Waiting",
    "held": "Held",
    "awaiting_approval": "Awaiting approval",
    "scheduled": "Scheduled",
    "draft": "Drafts",
    "problems": "Problems",
}


@dataclass(frozen=True)
class Cell:
    """One channel of one post: its state in the ledger (``none``: nothing recorded)."""

    channel: str
    label: str
    state: str
    remote_url: str | None = None
    attempts: int = 0
    next_attempt: str | None = None
    last_error: str | None = None
    delivery_id: int | None = None


# An item of the scan with its state now and the filters it is in.
Shown = tuple[Post | PostError, str, frozenset[str]]


@dataclass(frozen=True)
class Row:
    """One post on the posts page."""

    slug: str
    title: str
    url: str
    state: str
    published: str
    published_iso: str
    cells: tuple[Cell, ...]
    comments_url: str | None
    write_back_error: str | None
    baseline: bool
    problems: tuple[str, ...]
    tags: frozenset[str] = field(default_factory=frozenset)
    sort_key: float = 0.0


def local(moment: datetime, zone: str) -> str:
    """A moment as the blog's readers see it: ``2024-04-22 09:00 PDT``."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def epoch_local(moment: float | None, zone: str) -> str | None:
    if moment is None:
        return None
    return local(datetime.fromtimestamp(moment).astimezone(), zone)


def channels(config: BaseConfig) -> list[tuple[str, str]]:
    """The registry's enabled channels, in announcement order, as (name, label)."""
    return [(u.name, u.label) for u in registry.units() if u.enabled(config)]


def _cells(
    deliveries: Sequence[Delivery], shown: list[tuple[str, str]], zone: str
) -> tuple[Cell, ...]:
    by_channel = {d.channel: d for d in deliveries}
    names = [n for n, _ in shown] + sorted(set(by_channel) - {n for n, _ in shown})
    labels = dict(shown)
    cells = []
    for name in names:
        found = by_channel.get(name)
        label = labels.get(name) or (
            registry.unit(name).label if name in registry.names() else name
        )
        if found is None:
            cells.append(Cell(name, label, "none"))
            continue
        cells.append(
            Cell(
                name,
                label,
                found.state,
                found.remote_url,
                found.attempts,
                epoch_local(found.next_attempt_at, zone),
                found.last_error,
                found.id,
            )
        )
    return tuple(cells)


def rows(config: BaseConfig, ledger: Ledger, shown: Sequence[Shown]) -> list[Row]:
    """The rows of the given items, each with its state and filters, in the order given:
    their ledger rows, pairs and pending write-backs read in a few queries, not per post."""
    zone = config.blog.timezone
    enabled = channels(config)
    urls = [item.url for item, _, _ in shown if isinstance(item, Post)]
    recorded = {row.url: row for row in ledger.posts_with_urls(urls)}
    pairs = ledger.deliveries_of([row.id for row in recorded.values()])
    pending = ledger.meta_with_prefix(WRITE_BACK_PENDING)
    result: list[Row] = []
    for item, state, tags in shown:
        if not isinstance(item, Post):
            result.append(
                Row(
                    slug=item.slug if isinstance(item, DuplicatePost) else "",
                    title=item.path.name,
                    url=item.url if isinstance(item, DuplicatePost) else "",
                    state=state,
                    published="",
                    published_iso="",
                    cells=(),
                    comments_url=None,
                    write_back_error=None,
                    baseline=False,
                    problems=(str(item),),
                    tags=tags,
                    sort_key=float("inf"),
                )
            )
            continue
        ledger_row = recorded.get(item.url)
        waiting_write = pending.get(WRITE_BACK_PENDING + item.url) if ledger_row else None
        result.append(
            Row(
                slug=item.slug,
                title=item.title,
                url=item.url,
                state=state,
                published=local(item.published_at, zone),
                published_iso=item.published_at.isoformat(),
                cells=_cells(pairs[ledger_row.id] if ledger_row else [], enabled, zone),
                comments_url=item.comments_url or (ledger_row.comments_url if ledger_row else None),
                write_back_error=_write_back_error(waiting_write),
                baseline=bool(ledger_row and ledger_row.baseline),
                problems=item.problems,
                tags=tags,
                sort_key=item.published_at.timestamp(),
            )
        )
    return result


def _write_back_error(pending: str | None) -> str | None:
    """Why the thread's URL is not written into the post yet, or None."""
    return str(json.loads(pending).get("error", "")) if pending else None


def history(ledger: Ledger, url: str, zone: str) -> list[dict[str, Any]]:
    """Every event of every channel of one post, oldest first."""
    row = ledger.find_post(url)
    if row is None:
        return []
    events = []
    for delivery in ledger.deliveries(row.id):
        for event in ledger.history(delivery.id):
            events.append(
                {
                    "at": event["at"],
                    "when": epoch_local(event["at"], zone),
                    "channel": delivery.channel,
                    "event": event["event"],
                    "detail": event["detail"] or "",
                }
            )
    events.sort(key=lambda e: e["at"])
    return events


def payloads(
    ledger: Ledger, post: Post, rendered: dict[str, Any], config: BaseConfig
) -> list[dict[str, Any]]:
    """Per channel: the payload stored when it was first sent, else as it would go now."""
    row = ledger.find_post(post.url)
    stored = {d.channel: d for d in ledger.deliveries(row.id)} if row else {}
    shown = []
    for name, label in channels(config):
        delivery = stored.get(name)
        if delivery is not None and delivery.payload is not None:
            body, when = delivery.payload_json(), "as sent"
        elif name in rendered:
            sent = delivery is not None and delivery.state == "done"
            when = "sent; shown as it would be sent now" if sent else "as it would be sent now"
            body = rendered[name].body()
        else:
            continue
        text = json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True)
        shown.append({"channel": name, "label": label, "when": when, "json": text})
    return shown
