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
        table.add_row(
            row["published_at"] or "-",
            Text(row["state"], style=styles.get(row["state"], "")),
            row["slug"] or row["path"],
            "\n".join(row["problems"]),
        )
    console.print(table)
