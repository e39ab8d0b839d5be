"""Pure: the text of the slash commands' replies (Discord limits: 2000 per message)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from heartbeat_bot.announcer import PostReport
from heartbeat_bot.channels import registry
from heartbeat_bot.models import Post

CONTENT_LIMIT = 2000
CHOICES_LIMIT = 25
CHOICE_NAME_LIMIT = 100


def fit(text: str, limit: int = CONTENT_LIMIT) -> str:
    """Cut to ``limit`` characters at a line end, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 2]
    if "\n" in cut:
        cut = cut[: cut.rindex("\n")]
    return cut + "\n…"


def preview_text(post: Post, rendered: Mapping[str, Any], shown: str | None = None) -> str:
    """Each channel's payload as text (by name, in announcement order), the ``shown`` one's
    last: its message is posted below the text, as it will be sent."""
    lines = [f"**Preview of {post.slug}** ({post.url})"]
    order = [name for name in rendered if name != shown]
    if shown is not None and shown in rendered:
        order.append(shown)
    for name in order:
        lines += registry.unit(name).chat_lines(rendered[name])
    return fit("\n".join(lines))


def report_text(report: PostReport) -> str:
    """Each channel's outcome and link after /announce."""
    lines = [f"**{report.post.slug}**"]
    for outcome in report.outcomes.values():
        where = f" <{outcome.url}>" if outcome.url else ""
        note = f" ({outcome.note})" if outcome.note else ""
        lines.append(f"- {outcome.channel}: {outcome.state}, {outcome.action}{where}{note}")
    lines += [f"- {note}" for note in report.notes]
    if report.ok and not report.sent_anything:
        lines.append("Already announced: nothing was sent. Use `force` to send it again.")
    return fit("\n".join(lines))


def status_text(rows: Sequence[dict[str, Any]], *, history: bool) -> str:
    """Per post and channel: state and link; with ``history``, the post's attempt log."""
    if not rows:
        return "Nothing announced yet."
    lines: list[str] = []
    current = None
    for row in rows:
        if row["slug"] != current:
            current = row["slug"]
            lines.append(f"**{current}**" + (" (baseline)" if row.get("baseline") else ""))
            if row.get("post_state"):
                lines.append(f"- post {row['post_state']}: {row.get('post_note') or ''}".rstrip())
        link = f" <{row['remote_url']}>" if row["remote_url"] else ""
        error = f": {row['last_error']}" if row["last_error"] and row["state"] != "done" else ""
        stale = " (stale: out of date, never edited)" if row.get("stale") else ""
        lines.append(f"- {row['channel']}: {row['state']}{stale}{link}{error}")
        if row.get("comments_url_error"):
            lines.append(f"  - commentsUrl not written yet: {row['comments_url_error']}")
        if history:
            for event in (row.get("history") or [])[-8:]:
                lines.append(f"  - {event['at']} {event['event']} {event['detail'] or ''}".rstrip())
    return fit("\n".join(lines))


def choices(
    posts: Iterable[Post], current: str, found: Collection[Path] | None = None
) -> list[tuple[str, str]]:
    """(name, value) autocomplete choices: newest first, matching slug or title.

    ``found``: the files whose slug or title holds the text, when the parse cache told
    (a post of a large blog keeps its title there: only the titles shown are read back).
    """
    wanted = current.strip().lower()
    if wanted and found is not None:
        matches = [p for p in posts if p.path in found]
    else:
        matches = [
            p for p in posts if not wanted or wanted in p.slug.lower() or wanted in p.title.lower()
        ]
    matches.sort(key=lambda p: p.published_at, reverse=True)
    result = []
    for post in matches[:CHOICES_LIMIT]:
        day = post.published_at.date().isoformat()
        name = f"{post.title} · {day}"
        if len(name) > CHOICE_NAME_LIMIT:
            name = name[: CHOICE_NAME_LIMIT - len(day) - 4].rstrip() + f"… · {day}"
        result.append((name, post.slug[:CHOICE_NAME_LIMIT]))
    return result
