"""Human-readable output: Rich on a terminal, plain rows that keep every character when piped."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from heartbeat_bot.channels import registry
from heartbeat_bot.models import Post
from heartbeat_bot.render.preview import PreviewBlock


def output_console() -> Console:
    """The console for standard output.

    On a terminal: Rich's tables and panels at the terminal's width. Piped or redirected:
    no colour and no wrapping, at any width, so ``list | cat`` or ``status > file`` keeps
    every character of every URL (Rich would otherwise assume 80 columns and cut cells).
    Markup is off either way: a post title such as "[WIP] tips" is text, not a style.
    """
    if sys.stdout.isatty():
        return Console(markup=False, highlight=False)
    return Console(markup=False, highlight=False, soft_wrap=True, no_color=True, width=_PIPED_WIDTH)


# Wide enough that no panel or line is ever wrapped; piped output is read by programs.
_PIPED_WIDTH = 100_000


def _plain_rows(console: Console, header: list[str], rows: list[list[str]]) -> None:
    """A table as tab-separated lines (the header first); a cell's lines joined by "; "."""
    # Written past Rich, which would expand the tabs into spaces.
    for row in [header, *rows]:
        line = "\t".join(cell.replace("\n", "; ").replace("\t", " ") for cell in row)
        console.file.write(line + "\n")


def show_block(console: Console, title: str, body: str) -> None:
    """A titled block of text: a panel on a terminal, a "== title" line and the text piped."""
    if console.is_terminal:
        console.print(Panel(Text(body), title=title, title_align="left"))
    else:
        console.print(f"== {title}\n{body}")


def show_preview(post: Post, rendered: Mapping[str, Any], console: Console | None = None) -> None:
    """Each channel's payload (by name, in announcement order) as its unit shows it."""
    console = console or output_console()
    blocks = [b for name, p in rendered.items() for b in registry.unit(name).preview(p)]
    if not console.is_terminal:
        _plain_preview(post, blocks, console)
        return
    console.print(Text(post.title, style="bold"))
    console.print(f"{post.url}  ·  {post.published_at.isoformat()}  ·  {post.path}")
    for problem in post.problems:
        console.print(Text(f"! {problem}", style="yellow"))
    for block in blocks:
        lines = [Text(line.text, style=line.style or "") for line in block.lines]
        console.print(
            Panel(
                lines[0] if len(lines) == 1 else Group(*lines),
                title=block.title,
                subtitle=block.subtitle,
                title_align="left",
                subtitle_align="right",
            )
        )


def _plain_preview(post: Post, blocks: list[PreviewBlock], console: Console) -> None:
    """The preview as plain sections, one field a line, nothing wrapped or boxed."""
    console.print(post.title)
    console.print(f"{post.url}  ·  {post.published_at.isoformat()}  ·  {post.path}")
    for problem in post.problems:
        console.print(f"! {problem}")
    for block in blocks:
        subtitle = f" ({block.subtitle})" if block.subtitle else ""
        console.print(f"\n== {block.title}{subtitle}")
        for line in block.lines:
            console.print(line.text)


def show_list(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    console = console or output_console()
    header = ["published", "state", "slug", "problems"]
    styles = {
        "published": "green",
        "scheduled": "cyan",
        "draft": "dim",
        "held": "magenta",
        "awaiting_approval": "yellow",
        "unpublished": "yellow",
        "unlisted": "dim",
        "expired": "dim",
        "error": "red",
    }
    cells = [
        [
            row["published_at"] or "-",
            row["state"] + (" (baseline)" if row.get("baseline") else ""),
            row["slug"] or row["path"],
            "\n".join([*row["problems"], *row.get("notes", [])]),
        ]
        for row in rows
    ]
    if not console.is_terminal:
        _plain_rows(console, header, cells)
        return
    table = Table(*header)
    for row, (published, state, slug, problems) in zip(rows, cells, strict=True):
        table.add_row(published, Text(state, style=styles.get(row["state"], "")), slug, problems)
    console.print(table)


_STATE_STYLES = {
    "done": "green",
    "skipped": "dim",
    "waiting": "yellow",
    "pending": "cyan",
    "sending": "cyan",
    "failed": "red",
    "unknown": "magenta",
}


def show_reports(reports: list[Any], *, dry_run: bool, console: Console | None = None) -> None:
    """One block per post: each channel's state, URL and what happened."""
    from datetime import datetime

    console = console or output_console()
    for report in reports:
        console.print(Text(f"{report.post.slug}  {report.post.url}", style="bold"))
        for outcome in report.outcomes.values():
            detail = outcome.url or ""
            if outcome.next_attempt_at is not None:
                when = datetime.fromtimestamp(outcome.next_attempt_at).astimezone()
                verb = "checked again" if outcome.state == "unknown" else "retry"
                detail = f"{verb} at {when.isoformat(timespec='seconds')}"
            note = f"  ({outcome.note})" if outcome.note else ""
            line = Text(f"  {outcome.channel:<10} ")
            line.append(f"{outcome.state:<8}", style=_STATE_STYLES.get(outcome.state, ""))
            line.append(f" {outcome.action:<10} {detail}{note}")
            console.print(line)
        for note in report.notes:
            console.print(Text(f"  ! {note}", style="yellow"))
        if not dry_run and not report.sent_anything and report.ok:
            console.print(Text("  nothing to send: already announced", style="dim"))


def show_status(
    rows: list[dict[str, Any]], state_path: Any, console: Console | None = None
) -> None:
    console = console or output_console()
    if not rows:
        console.print(f"No announcements recorded yet (ledger: {state_path}).")
        return
    header = ["post", "channel", "state", "attempts", "link / next attempt / error"]
    cells: list[list[str]] = []
    for row in rows:
        detail = row["remote_url"] or ""
        if row["state"] == "waiting":
            detail = f"next {row['next_attempt_at']}: {row['last_error']}"
        elif row["state"] == "unknown" and row["next_attempt_at"]:
            detail = f"checked again {row['next_attempt_at']}: {row['last_error']}"
        elif row["state"] in {"failed", "unknown"}:
            detail = row["last_error"] or ""
        if row.get("comments_url_error"):
            line = f"commentsUrl not written yet: {row['comments_url_error']}"
            detail = f"{detail}\n{line}" if detail else line
        if row.get("embed_url"):
            line = (
                f"embedded comments stay under {row['embed_url']} (the forum's API cannot "
                "move them; the first post links the new URL)"
            )
            detail = f"{detail}\n{line}" if detail else line
        if row.get("stale"):
            detail = f"{detail}\nout of date: the post changed, and this is never edited"
        if row.get("post_state"):
            line = f"post {row['post_state']}: {row.get('post_note') or ''}".rstrip(": ")
            detail = f"{detail}\n{line}" if detail else line
        slug = row["slug"] + (" (baseline)" if row.get("baseline") else "")
        state = row["state"] + (" (stale)" if row.get("stale") else "")
        cells.append([slug, row["channel"], state, str(row["attempts"]), detail])
    if console.is_terminal:
        table = Table(*header)
        for slug, channel, state, attempts, detail in cells:
            table.add_row(
                slug,
                channel,
                Text(state, style=_STATE_STYLES.get(state.split()[0], "")),
                attempts,
                detail,
            )
        console.print(table)
    else:
        _plain_rows(console, header, cells)
    for row in rows:
        for event in row.get("history") or []:
            console.print(
                f"{event['at']}  {row['channel']:<9} {event['event']:<14} {event['detail'] or ''}"
            )
