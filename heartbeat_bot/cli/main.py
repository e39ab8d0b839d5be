"""The ``heartbeat-bot`` command line.

Only argparse, a few modules the interpreter has loaded already and the channel registry
(names and labels, no channel loaded) are imported at module level, so ``--help`` and
``--version`` answer at once; each command imports what it needs when it runs, logging
included (:mod:`heartbeat_bot.cli.logs`).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from heartbeat_bot.channels import registry

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2

EXIT_CODES = """\
exit codes:
  0  done: every enabled pair is done or skipped (or nothing to do)
  1  incomplete: a pair is left waiting, failed or unknown, or held by another process
  2  usage, settings, post or ledger error (one line on standard error naming it)
  130  interrupted"""

SHELLS = ("bash", "zsh", "fish")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="heartbeat-bot",
        description=(
            f"Announce blog posts on {registry.labels()}, exactly once per post and "
            "channel, seconds after they go live."
        ),
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="settings file (default: $HEARTBEAT_CONFIG, else config/heartbeat.toml)",
    )
    parser.add_argument(
        "--log-level",
        default=None,
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="how much to log on standard error (default: INFO for run and bot, else WARNING)",
    )
    parser.add_argument(
        "--log-format",
        default="human",
        choices=["human", "json"],
        help="log lines for people (default) or one JSON object per line",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", help="what to do")

    preview = commands.add_parser(
        "preview", help="show the three payloads of a post exactly as they would be sent"
    )
    preview.add_argument("post", metavar="POST", help="a file path, a slug or a public URL")
    preview.add_argument("--json", action="store_true", help="print machine-readable JSON")
    _example_flag(preview)
    preview.set_defaults(handler=cmd_preview)

    listing = commands.add_parser("list", help="list every post, its state and its problems")
    listing.add_argument("--json", action="store_true", help="print machine-readable JSON")
    listing.add_argument(
        "--strict", action="store_true", help="exit 2 when a post is broken (naming each file)"
    )
    _example_flag(listing)
    listing.set_defaults(handler=_lazy("heartbeat_bot.cli.listing", "cmd_list"))

    announce = commands.add_parser(
        "announce", help="send a post's announcements that are not done yet"
    )
    announce.add_argument("posts", nargs="+", metavar="POST", help="file path, slug or URL")
    announce.add_argument("--dry-run", action="store_true", help="show what would be sent")
    announce.add_argument(
        "--only", metavar="CHANNELS", help="comma-separated: " + ",".join(registry.names())
    )
    announce.add_argument(
        "--force",
        action="store_true",
        help="also send drafts and future posts, and send done pairs again",
    )
    announce.add_argument("--yes", action="store_true", help="do not ask before --force")
    announce.add_argument("--json", action="store_true", help="print machine-readable JSON")
    announce.add_argument(
        "--max-wait",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="how long announce may take in all, retry waits and requests included; what "
        "is left is retried or checked later (default 60)",
    )
    announce.set_defaults(handler=_lazy("heartbeat_bot.cli.delivery", "cmd_announce"))

    status = commands.add_parser("status", help="what was sent where, per post and channel")
    status.add_argument("post", nargs="?", metavar="POST", help="one post, with its history")
    status.add_argument("--json", action="store_true", help="print machine-readable JSON")
    status.set_defaults(handler=_lazy("heartbeat_bot.cli.delivery", "cmd_status"))

    resolve = commands.add_parser(
        "resolve", help="settle an unknown or failed pair, or a held post, by hand"
    )
    resolve.add_argument("post", metavar="POST", help="a file path, a slug or a public URL")
    resolve.add_argument(
        "channel",
        nargs="?",
        metavar="CHANNEL",
        help=registry.joined(list(registry.names()), "or"),
    )
    how = resolve.add_mutually_exclusive_group(required=True)
    how.add_argument("--done", metavar="URL", help="it was sent: record its URL")
    how.add_argument("--retry", action="store_true", help="send it again on the next announce")
    how.add_argument("--skip", action="store_true", help="never send it")
    how.add_argument(
        "--same-as",
        metavar="OTHER",
        help="a held post is OTHER (slug or URL) renamed: continue its record",
    )
    how.add_argument("--new", action="store_true", help="a held post is new: announce it")
    resolve.set_defaults(handler=_lazy("heartbeat_bot.cli.delivery", "cmd_resolve"))

    check = commands.add_parser("check", help="validate the settings (and, online, the accounts)")
    check.add_argument("--online", action="store_true", help="call each enabled service once")
    check.add_argument("--json", action="store_true", help="print machine-readable JSON")
    check.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a link between posts is not the URL computed for its target",
    )
    check.set_defaults(handler=_lazy("heartbeat_bot.cli.delivery", "cmd_check"))

    sandbox = commands.add_parser(
        "sandbox",
        help=(
            "run loopback Discourse, Discord, X, GitHub, Mastodon and Bluesky servers and a "
            "webhook receiver for trying things out"
        ),
    )
    sandbox.add_argument(
        "--fault-rate",
        type=_fraction,
        default=0.0,
        metavar="R",
        help="share of requests (0 to 1) answered with an injected fault (default 0)",
    )
    sandbox.add_argument(
        "--seed", type=int, default=None, metavar="N", help="seed for the faults (repeatable runs)"
    )
    sandbox.add_argument("--json", action="store_true", help="print the URLs as one JSON line")
    sandbox.set_defaults(handler=cmd_sandbox)

    run = commands.add_parser(
        "run", help="the service: watch the blog and announce each post as it goes live"
    )
    run.add_argument(
        "--backfill",
        metavar="DATE",
        type=_date,
        help="also announce the published posts since DATE (YYYY-MM-DD), spaced out",
    )
    # Also accepted after `run`, where people put them in service definitions.
    run.add_argument(
        "--log-format",
        choices=["human", "json"],
        default=argparse.SUPPRESS,
        help="log lines for people or one JSON object per line (same as before `run`)",
    )
    run.add_argument(
        "--log-level",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default=argparse.SUPPRESS,
        help="how much to log (same as before `run`; default INFO)",
    )
    run.set_defaults(handler=_lazy("heartbeat_bot.service.run", "cmd_run"))

    bot = commands.add_parser("bot", help="only the Discord slash commands (`run` starts them too)")
    bot.set_defaults(handler=_lazy("heartbeat_bot.service.run", "cmd_bot"))

    init = commands.add_parser(
        "init",
        help="write a first config/heartbeat.toml for the site in PATH, or for the blog "
        "whose feed or site is at URL",
    )
    init.add_argument(
        "path",
        metavar="PATH|URL",
        nargs="?",
        default=".",
        help="the site's folder, or the URL of the blog's feed or site",
    )
    init.add_argument(
        "--site-url", metavar="URL", help="the public base URL, when the site config has none"
    )
    init.set_defaults(handler=_lazy("heartbeat_bot.cli.init", "cmd_init"))

    from heartbeat_bot.cli.people import add_commands

    add_commands(commands, lazy=_lazy, seconds=_seconds)

    demo = commands.add_parser(
        "demo", help="announce the example posts end to end against the sandbox (no accounts)"
    )
    demo.set_defaults(handler=_lazy("heartbeat_bot.cli.demo", "cmd_demo"))

    completion = commands.add_parser(
        "completion",
        help="print the shell completion script for bash, zsh or fish",
        description=(
            'Print a completion script. bash: `eval "$(heartbeat-bot completion bash)"` in '
            "~/.bashrc; zsh: the same with zsh in ~/.zshrc (after compinit); fish: "
            "`heartbeat-bot completion fish > ~/.config/fish/completions/heartbeat-bot.fish`."
        ),
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    completion.set_defaults(handler=cmd_completion)
    return parser


def _seconds(value: str) -> float:
    """A finite, non-negative number of seconds."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, 0 or more, got {value!r}")
    return number


def _fraction(value: str) -> float:
    """A number from 0 to 1."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {value!r}")
    return number


def _date(value: str) -> str:
    """A YYYY-MM-DD date, kept as text for the command."""
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date (YYYY-MM-DD), got {value!r}") from None
    return value


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A handler imported only when its command runs."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        function: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(module), name
        )
        return function(args)

    return handler


def cmd_sandbox(args: argparse.Namespace) -> int:
    from heartbeat_bot.sandbox.__main__ import main as sandbox_main

    argv = ["--fault-rate", str(args.fault_rate)]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    if args.json:
        argv.append("--json")
    return sandbox_main(argv)


def _example_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--example",
        action="store_true",
        help="use the bundled example blog (real DVC posts) instead of --config",
    )


def cmd_completion(args: argparse.Namespace) -> int:
    from argcomplete.shell_integration import shellcode

    sys.stdout.write(shellcode(["heartbeat-bot"], shell=args.shell))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # a shell asking for completions (see `completion`)
        from argcomplete import autocomplete

        autocomplete(parser)
    args = parser.parse_args(argv)
    if args.version:
        from heartbeat_bot import __version__

        print(f"heartbeat-bot {__version__}")
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    level = args.log_level or ("INFO" if args.command in {"run", "bot"} else "WARNING")
    from heartbeat_bot.cli.logs import configure_logging

    configure_logging(level, args.log_format)
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
        from heartbeat_bot.app.redaction import scrub

        print(f"heartbeat-bot: {scrub(str(exc))}", file=sys.stderr)
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
    from heartbeat_bot.app.application import App

    app = App.build(args.config, example=args.example)
    post = app.find(args.post, showing=True)
    rendered = app.render.render_all(post, app.comments_url(post))
    if args.json:
        from heartbeat_bot.cli.documents import document

        bodies = {name: payload.body() for name, payload in rendered.items()}
        print_json(document(post=post.summary(), **bodies))
    else:
        from heartbeat_bot.cli.show import show_preview

        show_preview(post, rendered)
    return EXIT_OK


def print_json(document: Any) -> None:
    import json

    json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    raise SystemExit(main())
