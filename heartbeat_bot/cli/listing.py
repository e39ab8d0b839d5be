"""``heartbeat-bot list``: every post with its state, problems and notes."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from heartbeat_bot.cli.main import EXIT_OK, EXIT_USAGE, print_json


def cmd_list(args: argparse.Namespace) -> int:
    from heartbeat_bot.app.application import App, now
    from heartbeat_bot.app.approval import shown_state
    from heartbeat_bot.cli.progress import StderrProgress
    from heartbeat_bot.errors import DuplicatePost
    from heartbeat_bot.models import Post

    app = App.build(args.config, example=args.example)
    moment = now()
    recorded = app.recorded()
    waiting = app.awaiting_approval()
    rows: list[dict[str, Any]] = []
    with StderrProgress("reading posts", None):
        items = app.scan()
    threads: dict[str, list[str]] = {}
    for item in items:
        if isinstance(item, Post) and item.comments_url:
            threads.setdefault(item.comments_url, []).append(item.slug)
    for item in items:
        if isinstance(item, Post):
            known = recorded.get(item.url)
            state: str = item.state(moment)
            if known is not None and known.status == "held":
                state = "held"
            elif known is not None and known.status == "unpublished" and state == "draft":
                state = "unpublished"
            state = shown_state(state, item.url, waiting)
            sharing = threads.get(item.comments_url or "", [])
            rows.append(
                {
                    "slug": item.slug,
                    "path": str(item.path),
                    "title": item.title,
                    "published_at": item.published_at.isoformat(),
                    "state": state,
                    "problems": list(item.problems)
                    + ([known.held_note] if known and state == "held" and known.held_note else []),
                    "baseline": known is not None and known.baseline,
                    "notes": _thread_note(item.slug, sharing),
                }
            )
        else:
            rows.append(
                {
                    "slug": item.slug if isinstance(item, DuplicatePost) else None,
                    "path": str(item.path),
                    "title": None,
                    "published_at": None,
                    "state": "error",
                    "problems": [str(item)],
                    "baseline": False,
                    "notes": [],
                }
            )
    rows.sort(key=lambda r: (r["published_at"] or "", r["path"]), reverse=True)
    if args.json:
        from heartbeat_bot.cli.documents import document

        print_json(document(items=rows))
    else:
        from heartbeat_bot.cli.show import show_list

        show_list(rows)
    broken = [row for row in rows if row["state"] == "error"]
    if args.strict and broken:
        for row in broken:
            print(f"heartbeat-bot: {row['problems'][0]}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


SHARERS_NAMED = 3  # a template's one comments URL may be shared by thousands of posts


def _thread_note(slug: str, sharing: list[str]) -> list[str]:
    """The note of a post whose discussion thread ``sharing`` (slugs) share too: the first
    few others named, the rest counted."""
    others = len(sharing) - 1
    if others < 1:
        return []
    named = [s for s in sharing[: SHARERS_NAMED + 1] if s != slug][:SHARERS_NAMED]
    rest = f" and {others - len(named)} more" if others > len(named) else ""
    return [f"shares its discussion thread with {', '.join(named)}{rest}"]
