"""Human-readable output for the terminal (Rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from heartbeat_bot.models import Post
from heartbeat_bot.render import Rendered
from heartbeat_bot.render.twitter_text import weighted_length


def show_preview(post: Post, rendered: Rendered, console: Console | None = None) -> None:
    console = console or Console()
    console.print(Text(post.title, style="bold"))
    console.print(f"{post.url}  ·  {post.published_at.isoformat()}  ·  {post.path}")
    for problem in post.problems:
        console.print(Text(f"! {problem}", style="yellow"))

    topic = rendered.discourse
    console.print(
        Panel(
            Group(
                Text(f"Title: {topic.title}", style="bold"),
                Text(f"Category: {topic.category}  Tags: {', '.join(topic.tags) or '-'}"),
                Text(f"external_id: {topic.external_id}  embed_url: {topic.embed_url}"),
                Text(""),
                Text(topic.raw),
            ),
            title="Discourse topic",
            title_align="left",
        )
    )
    embed: dict[str, Any] = rendered.discord.embeds[0]
    parts: list[Any] = [Text(embed.get("title", ""), style="bold"), Text(embed.get("url", ""))]
    if "author" in embed:
        parts.append(Text(f"by {embed['author']['name']}", style="italic"))
    if embed.get("description"):
        parts += [Text(""), Text(embed["description"])]
    for field in embed.get("fields", []):
        parts += [Text(""), Text(f"{field['name']}: {field['value']}")]
    if "image" in embed:
        parts += [Text(""), Text(f"image: {embed['image']['url']}", style="dim")]
    console.print(Panel(Group(*parts), title="Discord message", title_align="left"))
    for number, tweet in enumerate(rendered.twitter.tweets, start=1):
        console.print(
            Panel(
                Text(tweet),
                title=f"X tweet {number}/{len(rendered.twitter.tweets)}",
                subtitle=f"{weighted_length(tweet)}/280",
                title_align="left",
                subtitle_align="right",
            )
        )


def show_list(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    console = console or Console()
    table = Table("published", "state", "slug", "problems")
    styles = {"published": "green", "scheduled": "cyan", "draft": "dim", "error": "red"}
    for row in rows:
        state = row["state"] + (" (baseline)" if row.get("baseline") else "")
        table.add_row(
            row["published_at"] or "-",
            Text(state, style=styles.get(row["state"], "")),
            row["slug"] or row["path"],
            "\n".join(row["problems"]),
        )
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

    console = console or Console(soft_wrap=True)  # long URLs stay whole and clickable
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
    console = console or Console()
    if not rows:
        console.print(f"No announcements recorded yet (ledger: {state_path}).")
        return
    table = Table("post", "channel", "state", "attempts", "link / next attempt / error")
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
        slug = row["slug"] + (" (baseline)" if row.get("baseline") else "")
        table.add_row(
            slug,
            row["channel"],
            Text(row["state"], style=_STATE_STYLES.get(row["state"], "")),
            str(row["attempts"]),
            detail,
        )
    console.print(table)
    for row in rows:
        for event in row.get("history", []):
            console.print(
                f"{event['at']}  {row['channel']:<9} {event['event']:<14} {event['detail'] or ''}"
            )
