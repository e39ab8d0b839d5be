"""The commands that deliver and inspect: announce, status, resolve, check."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import datetime
from typing import Any

from heartbeat_bot.announcer import WRITE_BACK_PENDING, PostReport
from heartbeat_bot.app.application import App, now
from heartbeat_bot.app.wiring import announcer_for, channel_clients, open_ledger
from heartbeat_bot.channels import registry
from heartbeat_bot.errors import HeartbeatError
from heartbeat_bot.ledger import Ledger, LedgerError, PostRow
from heartbeat_bot.models import Post

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE = 0, 1, 2
# Posts announced at once by one command: their waits overlap, their pairs never do.
PARALLEL_POSTS = 4


def parse_only(value: str | None) -> frozenset[str] | None:
    if not value:
        return None
    names = frozenset(v.strip().lower() for v in value.split(",") if v.strip())
    known = registry.names()
    unknown = names - set(known)
    if unknown:
        raise HeartbeatError(
            f"--only: unknown channel {', '.join(sorted(unknown))} (use {', '.join(known)})"
        )
    return names


def cmd_announce(args: argparse.Namespace) -> int:
    from heartbeat_bot.cli.show import show_reports

    app = App.build(args.config)
    only = parse_only(args.only)
    registry.require_enabled(app.config)
    app.render.prepare()  # before --max-wait starts counting
    posts: list[Post] = []
    refused: list[str] = []
    moment = now()
    for ref in args.posts:
        try:
            post = app.find(ref)
        except HeartbeatError as exc:
            refused.append(str(exc))
            print(f"heartbeat-bot: {exc}", file=sys.stderr)
            continue
        state = post.state(moment)
        if state != "published" and not args.force:
            when = f" (goes live {post.published_at.isoformat()})" if state == "scheduled" else ""
            refused.append(f"{post.slug} is {state}{when}; not announced (--force to override)")
            print(f"heartbeat-bot: {refused[-1]}", file=sys.stderr)
            continue
        posts.append(post)
    if args.force and posts and not args.dry_run and not args.yes:
        if not sys.stdin.isatty():
            raise HeartbeatError("--force re-sends what was already sent: add --yes to confirm")
        names = ", ".join(p.slug for p in posts)
        answer = input(f"Send {names} again where already sent? [y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            print("Nothing sent.")
            return EXIT_OK
    reports = asyncio.run(_announce_all(app, posts, only, args))
    if args.json:
        from heartbeat_bot.cli.documents import document, report_item
        from heartbeat_bot.cli.main import print_json

        print_json(document(items=[report_item(r) for r in reports], refused=refused))
    else:
        show_reports(reports, dry_run=args.dry_run)
    if refused:
        return EXIT_USAGE
    return EXIT_OK if all(r.ok for r in reports) else EXIT_INCOMPLETE


async def _announce_all(
    app: App, posts: list[Post], only: frozenset[str] | None, args: argparse.Namespace
) -> list[PostReport]:
    """Announce the posts, a few at a time; reports come back in the order asked.

    ``--max-wait`` bounds the whole command, requests included: what is in flight when it
    runs out is recorded to be checked with the service by the next announce.
    """
    from heartbeat_bot.cli.progress import StderrProgress

    deadline = time.time() + args.max_wait
    gate = asyncio.Semaphore(PARALLEL_POSTS)
    with (
        open_ledger(app.config) as ledger,
        StderrProgress("announcing", len(posts)) as progress,
    ):
        async with announcer_for(app, ledger) as announcer:

            async def one(post: Post) -> PostReport:
                if app.config.approval.mode == "required" and not args.dry_run:
                    from heartbeat_bot.app.approval import approve
                    from heartbeat_bot.cli.approval import who

                    approve(ledger, post, who(), "announce")  # a person announcing approves
                async with gate:
                    report = await announcer.announce(
                        post,
                        only=only,
                        force=args.force,
                        max_wait=args.max_wait,
                        dry_run=args.dry_run,
                        deadline=deadline,
                    )
                progress.advance()
                return report

            return list(await asyncio.gather(*(one(post) for post in posts)))


def status_rows(ledger: Ledger, url: str | None = None) -> list[dict[str, Any]]:
    """Per post and channel: state, remote URL, attempts, next attempt, last error; the
    post's own standing (held, unpublished, awaiting_approval) and whether a sent message
    is out of date."""
    from heartbeat_bot.app.approval import AWAITING, awaiting_note

    rows = []
    topic_channels = {u.name for u in registry.units() if u.delivery == "topic"}
    waiting = {row.post_id: row for row in ledger.approvals("awaiting")}
    for post in ledger.posts():
        if url is not None and post.url != url:
            continue
        deliveries = ledger.deliveries(post.id)
        standing: str | None = None if post.status == "active" else post.status
        note = None if post.status == "active" else post.held_note
        if standing is None and post.id in waiting:
            standing, note = AWAITING, awaiting_note(waiting[post.id])
        if standing in {"held", AWAITING} and not deliveries:
            rows.extend(_unsent_rows(post, str(standing), note))
            continue
        for delivery in deliveries:
            row: dict[str, Any] = {
                "slug": post.slug,
                "url": post.url,
                "channel": delivery.channel,
                "state": delivery.state,
                "remote_url": delivery.remote_url,
                "attempts": delivery.attempts,
                "next_attempt_at": _iso(delivery.next_attempt_at),
                "last_error": delivery.last_error,
                "updated_at": _iso(delivery.updated_at),
                "baseline": post.baseline,
                "post_state": standing,
                "post_note": note,
                "stale": ledger.stale(delivery.id),
            }
            if delivery.channel in topic_channels:
                row["comments_url_error"] = _write_back_error(ledger, post.url)
                row["embed_url"] = _old_embed_url(delivery, post.url)
            if url is not None:
                row["names"] = ledger.names(post.id)
                row["history"] = [
                    {**event, "at": _iso(event["at"])} for event in ledger.history(delivery.id)
                ]
            rows.append(row)
    return rows


def _unsent_rows(post: PostRow, standing: str, note: str | None) -> list[dict[str, Any]]:
    """A held post, or one awaiting approval, has sent nothing: one row per channel,
    ``pending``, saying why."""
    return [
        {
            "slug": post.slug,
            "url": post.url,
            "channel": channel,
            "state": "pending",
            "remote_url": None,
            "attempts": 0,
            "next_attempt_at": None,
            "last_error": None,
            "updated_at": None,
            "baseline": False,
            "post_state": standing,
            "post_note": note,
            "stale": False,
        }
        for channel in registry.names()
    ]


def _old_embed_url(delivery: Any, url: str) -> str | None:
    """The URL a topic was created for, when the post has moved since: the forum keeps
    its embedded comments under that URL (its API cannot change it)."""
    body = delivery.payload_json() if delivery.state == "done" else None
    embedded = body.get("embed_url") if isinstance(body, dict) else None
    if isinstance(embedded, str) and embedded.rstrip("/").lower() != url.rstrip("/").lower():
        return embedded
    return None


def _write_back_error(ledger: Ledger, url: str) -> str | None:
    """Why the topic's URL is not in the post yet (the service keeps trying), or None."""
    pending = ledger.get_meta(WRITE_BACK_PENDING + url)
    return str(json.loads(pending).get("error", "")) if pending else None


def cmd_status(args: argparse.Namespace) -> int:
    from heartbeat_bot.cli.main import print_json
    from heartbeat_bot.cli.show import show_status

    app = App.build(args.config)
    url = app.find(args.post).url if args.post else None
    if not app.config.state_path.exists():
        rows: list[dict[str, Any]] = []
    else:
        with open_ledger(app.config) as ledger:
            rows = status_rows(ledger, url)
    if args.json:
        from heartbeat_bot.cli.documents import document

        for row in rows:  # one shape for every row
            row.setdefault("comments_url_error", None)
            row.setdefault("history", None)
            row.setdefault("names", None)
            row.setdefault("embed_url", None)
        print_json(document(items=rows))
    else:
        show_status(rows, app.config.state_path)
    return EXIT_OK


def cmd_resolve(args: argparse.Namespace) -> int:
    from heartbeat_bot.app.actions import settle

    app = App.build(args.config)
    post = app.find(args.post)
    if args.same_as is not None or args.new:
        if args.channel is not None:
            raise HeartbeatError("resolve --same-as/--new settles a held post: give no CHANNEL")
        with open_ledger(app.config) as ledger:
            print(settle_held(ledger, post, args.same_as))
        return EXIT_OK
    if args.channel is None:
        raise HeartbeatError("resolve --done/--retry/--skip needs a CHANNEL")
    channel = args.channel.lower()
    if channel not in registry.names():
        raise HeartbeatError(
            f"unknown channel {args.channel!r} (use {', '.join(registry.names())})"
        )
    with open_ledger(app.config) as ledger:
        if args.done:
            settle(ledger, post, channel, "done", url=args.done)
            print(f"{post.slug} {channel}: done ({args.done})")
        elif args.retry:
            settle(ledger, post, channel, "retry")
            print(f"{post.slug} {channel}: pending; `heartbeat-bot announce {post.slug}` sends it")
        else:
            settle(ledger, post, channel, "skip")
            print(f"{post.slug} {channel}: skipped")
    return EXIT_OK


def settle_held(ledger: Ledger, post: Post, same_as: str | None) -> str:
    """``resolve POST --same-as OTHER`` or ``--new``: what was done, in one line."""
    row = ledger.find_post(post.url)
    if row is None or row.url != post.url or row.status != "held":
        raise HeartbeatError(f"{post.slug} is not held; nothing to settle")
    if same_as is None:
        ledger.settle_new(row.id)
        return f"{post.slug}: a new post; `heartbeat-bot announce {post.slug}` (or `run`) sends it"
    ref = same_as.strip()
    other = ledger.find_post(ref) or next(
        (r for r in ledger.posts() if r.slug == ref and r.id != row.id), None
    )
    if other is None or other.id == row.id:
        raise HeartbeatError(
            f"--same-as {same_as!r}: no other post of that slug or URL in the ledger "
            "(`heartbeat-bot status` lists them)"
        )
    ledger.settle_same_as(row.id, other.id, post)
    return f"{post.slug}: the same post as {other.url}; its record continues, nothing is resent"


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 2 when a post is broken (each named on a line of its own) or the ledger cannot
    be used, 1 when an online check failed or (with ``--strict``) a link between posts is
    not the URL computed for its target, else 0."""
    from heartbeat_bot.cli.progress import StderrProgress

    app = App.build(args.config)
    with StderrProgress("reading posts", None):
        posts = app.scan()
    broken = [p for p in posts if not isinstance(p, Post)]
    unknown_authors = [
        {"path": str(p.path), "problem": problem}
        for p in posts
        if isinstance(p, Post)
        for problem in p.problems
        if problem.startswith("unknown author id")
    ]
    mismatches = app.link_mismatches(posts)
    ledger: dict[str, Any] = {"ok": True, "path": str(app.config.state_path), "schema": None}
    try:  # opening runs PRAGMA quick_check; the probe commits a marker
        with open_ledger(app.config) as opened:
            opened.probe()
            ledger.update(path=str(opened.path), schema=opened.schema_version, error=None)
    except LedgerError as exc:
        ledger.update(ok=False, error=str(exc))
    enabled = registry.enabled(app.config)
    online = asyncio.run(_check_online(app)) if args.online else None
    if broken or not ledger["ok"]:
        code = EXIT_USAGE
    elif (online and any(isinstance(r, Exception) for r in online.values())) or (
        mismatches and args.strict
    ):
        code = EXIT_INCOMPLETE
    else:
        code = EXIT_OK
    if args.json:
        from heartbeat_bot.cli.documents import document
        from heartbeat_bot.cli.main import print_json

        print_json(
            document(
                ok=code == EXIT_OK,
                config={"path": None if app.config.source is None else str(app.config.source)},
                posts={
                    "folder": app.origin,
                    "readable": len(posts) - len(broken),
                    "broken": [{"path": str(e.path), "error": str(e)} for e in broken],
                    "unknown_authors": unknown_authors,
                },
                links=[
                    {
                        "path": str(m.source),
                        "target": str(m.target),
                        "link": m.link,
                        "expected": m.expected,
                    }
                    for m in mismatches
                ],
                ledger=ledger,
                channels={"enabled": list(enabled)},
                online=None
                if online is None
                else {
                    name: {"ok": not isinstance(r, Exception), "detail": str(r)}
                    for name, r in online.items()
                },
            )
        )
        return code
    print(f"ok    config {app.config.source}")
    print(
        f"{'ok   ' if not broken else 'FAIL '} posts: {len(posts) - len(broken)} readable, "
        f"{len(broken)} with errors in {app.origin}"
    )
    for error in broken:
        print(f"      {error}")
    for flagged in unknown_authors:
        print(f"WARN  {flagged['path']}: {flagged['problem']} (shown as the id)")
    print(
        f"{'ok   ' if not mismatches else 'WARN '} links between posts: "
        f"{len(mismatches) or 'none'} not the URL computed for their target"
    )
    for mismatch in mismatches:
        print(f"      {mismatch}")
    if ledger["ok"]:
        print(f"ok    ledger {ledger['path']} (schema {ledger['schema']})")
    else:
        print(f"FAIL  ledger: {ledger['error']}")
    print(f"ok    channels enabled: {', '.join(enabled) or 'none'}")
    for name, result in (online or {}).items():
        print(f"{'FAIL ' if isinstance(result, Exception) else 'ok   '} {name}: {result}")
    return code


async def _check_online(app: App) -> dict[str, str | Exception]:
    results: dict[str, str | Exception] = {}
    async with channel_clients(app.config) as clients:
        for name, client in clients.items():
            try:
                results[name] = str(await client.check())
            except HeartbeatError as exc:
                results[name] = exc
    return results


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment).astimezone().isoformat(timespec="seconds")
