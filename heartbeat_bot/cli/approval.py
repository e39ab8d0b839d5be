"""``heartbeat-bot approve POST`` and ``reject POST``: a person's decision on a waiting post."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from heartbeat_bot.app.application import App, now
from heartbeat_bot.app.approval import approve, reject
from heartbeat_bot.app.wiring import open_ledger
from heartbeat_bot.channels import registry

EXIT_OK, EXIT_INCOMPLETE = 0, 1


def who() -> str:
    """The person at the terminal, as the approval records them."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown user"


def cmd_approve(args: argparse.Namespace) -> int:
    """Approve the post, then announce it now if it is live (as `announce` would)."""
    from heartbeat_bot.cli.delivery import _announce_all
    from heartbeat_bot.cli.show import show_reports

    app = App.build(args.config)
    post = app.find(args.post)
    with open_ledger(app.config) as ledger:
        decision = approve(ledger, post, who(), "cli")
    if not decision.approved:
        print(f"heartbeat-bot: {post.slug} was already {decision.describe()}", file=sys.stderr)
        return EXIT_INCOMPLETE
    print(f"{post.slug}: {'' if decision.won else 'already '}{decision.describe()}")
    if post.state(now()) != "published":
        print(f"{post.slug} goes out at {post.published_at.isoformat()}")
        return EXIT_OK
    options = argparse.Namespace(max_wait=args.max_wait, force=False, dry_run=False)
    reports = asyncio.run(_announce_all(app, [post], None, options))
    show_reports(reports, dry_run=False)
    return EXIT_OK if all(r.ok for r in reports) else EXIT_INCOMPLETE


def cmd_reject(args: argparse.Namespace) -> int:
    """Reject the post: what was not sent is skipped for good."""
    app = App.build(args.config)
    post = app.find(args.post)
    with open_ledger(app.config) as ledger:
        decision = reject(ledger, post, who(), "cli", registry.enabled(app.config))
    if decision.row.state != "rejected":
        print(f"heartbeat-bot: {post.slug} was already {decision.describe()}", file=sys.stderr)
        return EXIT_INCOMPLETE
    print(f"{post.slug}: {'' if decision.won else 'already '}{decision.describe()}")
    return EXIT_OK
