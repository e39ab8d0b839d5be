"""The ``heartbeat-bot`` command line.

Only argparse and the standard library are imported at module level, so ``--help`` and
``--version`` answer at once; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2

log = logging.getLogger("heartbeat_bot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="heartbeat-bot",
        description=(
            "Announce blog posts on Discourse, Discord and X, exactly once per post and "
            "channel, seconds after they go live."
        ),
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="settings file (default: $HEARTBEAT_CONFIG, else config/heartbeat.toml)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="how much to log on standard error (default: WARNING)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    preview = commands.add_parser(
        "preview", help="show the three payloads of a post exactly as they would be sent"
    )
    preview.add_argument("post", metavar="POST", help="a file path, a slug or a public URL")
    preview.add_argument("--json", action="store_true", help="print machine-readable JSON")
    _example_flag(preview)
    preview.set_defaults(handler=cmd_preview)

    listing = commands.add_parser("list", help="list every post, its state and its problems")
    listing.add_argument("--json", action="store_true", help="print machine-readable JSON")
    _example_flag(listing)
    listing.set_defaults(handler=cmd_list)
    return parser


def _example_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--example",
        action="store_true",
        help="use the bundled example blog (real DVC posts) instead of --config",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from heartbeat_bot import __version__

        print(f"heartbeat-bot {__version__}")
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    handler: Callable[[argparse.Namespace], int] = args.handler
    return run_guarded(handler, args)


def run_guarded(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; our errors become one line on stderr and exit code 2."""
    from heartbeat_bot.errors import HeartbeatError

    try:
        return handler(args)
    except HeartbeatError as exc:
        if args.debug:
            raise
        print(f"heartbeat-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("heartbeat-bot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head`): not an error of ours. Silence the flush at exit.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def cmd_preview(args: argparse.Namespace) -> int:
    from heartbeat_bot.entrypoints.app import App

    app = App.build(args.config, example=args.example)
    post = app.find(args.post)
    rendered = app.render.render_all(post, post.comments_url)
    if args.json:
        document = {
            "post": post.summary(),
            "discourse": rendered.discourse.body(),
            "discord": rendered.discord.body(),
            "twitter": rendered.twitter.body(),
        }
        _print_json(document)
    else:
        from heartbeat_bot.entrypoints.show import show_preview

        show_preview(post, rendered)
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from heartbeat_bot.entrypoints.app import App, now
    from heartbeat_bot.models import Post

    app = App.build(args.config, example=args.example)
    moment = now()
    rows: list[dict[str, Any]] = []
    for item in app.scan():
        if isinstance(item, Post):
            rows.append(
                {
                    "slug": item.slug,
                    "path": str(item.path),
                    "title": item.title,
                    "published_at": item.published_at.isoformat(),
                    "state": item.state(moment),
                    "problems": list(item.problems),
                }
            )
        else:
            rows.append(
                {
                    "slug": None,
                    "path": str(item.path),
                    "title": None,
                    "published_at": None,
                    "state": "error",
                    "problems": [str(item)],
                }
            )
    rows.sort(key=lambda r: (r["published_at"] or "", r["path"]), reverse=True)
    if args.json:
        _print_json(rows)
    else:
        from heartbeat_bot.entrypoints.show import show_list

        show_list(rows)
    return EXIT_OK


def _print_json(document: Any) -> None:
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    raise SystemExit(main())
