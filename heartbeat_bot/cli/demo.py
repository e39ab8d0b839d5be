"""``heartbeat-bot demo``: the whole job, end to end, against the loopback sandbox.

The bundled example posts are announced on every registered channel's sandbox stand-in,
with a temporary ledger, and what each service received is printed: a newcomer sees exactly
what heartbeat-bot does without creating a single account.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console

from heartbeat_bot.app.application import App, examples_dir, now
from heartbeat_bot.app.wiring import announcer_for, open_ledger
from heartbeat_bot.channels import registry
from heartbeat_bot.cli.show import output_console, show_block, show_reports
from heartbeat_bot.models import Post


def cmd_demo(args: argparse.Namespace) -> int:
    from heartbeat_bot.sandbox import Sandbox

    console = output_console()
    with tempfile.TemporaryDirectory(prefix="heartbeat-demo-") as tmp, Sandbox() as sandbox:
        config_path = _demo_blog(Path(tmp), sandbox.config_snippet())
        app = App.build(str(config_path))
        moment = now()
        posts = [p for p in app.scan() if isinstance(p, Post) and p.state(moment) == "published"]
        posts.sort(key=lambda p: p.published_at)
        console.print(
            f"Announcing {len(posts)} example posts on a sandbox {registry.labels()} "
            f"(ledger in {app.config.state_path})\n"
        )
        reports = asyncio.run(_announce(app, posts))
        show_reports(reports, dry_run=False, console=console)
        console.print()
        _show_received(console, sandbox)
        console.print(
            "\nEach demo starts from an empty ledger and sandbox; against one ledger, a second "
            "announce sends nothing. `heartbeat-bot preview --example POST` shows any payload "
            "in full."
        )
    return 0 if all(r.ok for r in reports) else 1


def _demo_blog(folder: Path, snippet: str) -> Path:
    """A copy of the example blog (write-back edits the copy) and its settings."""
    source = examples_dir()
    shutil.copytree(source / "posts", folder / "posts")
    shutil.copytree(source / "authors", folder / "authors")
    blog = (source / "heartbeat.toml").read_text(encoding="utf-8")
    channel_tables = re.compile(rf"^\[(?:{'|'.join(registry.names())})\]", re.MULTILINE)
    blog = channel_tables.split(blog, maxsplit=1)[0].replace(
        "[blog]", '[blog]\nwrite_back = "file"', 1
    )
    path = folder / "heartbeat.toml"
    path.write_text(f'{blog}\n[state]\npath = "state/heartbeat.sqlite3"\n\n{snippet}', "utf-8")
    return path


async def _announce(app: App, posts: list[Post]) -> list[Any]:
    reports = []
    with open_ledger(app.config) as ledger:
        async with announcer_for(app, ledger) as announcer:
            for post in posts:
                reports.append(await announcer.announce(post, max_wait=30.0))
    return reports


def _show_received(console: Console, sandbox: Any) -> None:
    for title, body in sandbox.received():
        show_block(console, title, body)
