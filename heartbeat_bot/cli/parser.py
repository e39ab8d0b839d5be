"""The ``heartbeat-bot`` command line's arguments: every command, its options and the
handler that runs it (imported only when it runs).

Only argparse, a few modules the interpreter has loaded already and the channel registry
(names and labels, no channel loaded) are imported, so ``--help`` and ``--version`` answer
at once.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from heartbeat_bot.channels import registry
from heartbeat_bot.cli.commands import subcommands

EXIT_CODES = """\
exit codes:
  0  done: every enabled pair is done or skipped (or nothing to do)
  1  incomplete: a pair is left waiting, failed or unknown, or held by another process
  2  usage, settings, post or ledger error (one line on standard error naming it)
  130  interrupted"""

SHELLS = ("bash", "zsh", "fish")


def build_parser(*, deferred: bool = False) -> argparse.ArgumentParser:
    """The whole command line; ``deferred``: each command's parser built only when the
    command line names it (see :class:`~heartbeat_bot.cli.commands.Commands`)."""
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
    commands = subcommands(parser, deferred=deferred, dest="command", metavar="COMMAND")
    commands.add_command(
        "preview",
        help="show the three payloads of a post exactly as they would be sent",
        define=_preview_command,
    )
    commands.add_command(
        "list", help="list every post, its state and its problems", define=_listing_command
    )
    commands.add_command(
        "announce",
        help="send a post's announcements that are not done yet",
        define=_announce_command,
    )
    commands.add_command(
        "status", help="what was sent where, per post and channel", define=_status_command
    )
    commands.add_command(
        "resolve",
        help="settle an unknown or failed pair, or a held post, by hand",
        define=_resolve_command,
    )
    commands.add_command(
        "check", help="validate the settings (and, online, the accounts)", define=_check_command
    )
    commands.add_command(
        "sandbox",
        help=(
            "run loopback Discourse, Discord, X, GitHub, Mastodon and Bluesky servers and a "
            "webhook receiver for trying things out"
        ),
        define=_sandbox_command,
    )
    commands.add_command(
        "run",
        help="the service: watch the blog and announce each post as it goes live",
        define=_run_command,
    )
    commands.add_command(
        "bot", help="only the Discord slash commands (`run` starts them too)", define=_bot_command
    )
    commands.add_command(
        "init",
        help="write a first config/heartbeat.toml for the site in PATH, or for the blog "
        "whose feed or site is at URL",
        define=_init_command,
    )
    from heartbeat_bot.cli.people import add_commands

    add_commands(commands, lazy=_lazy, seconds=_seconds)
    commands.add_command(
        "demo",
        help="announce the example posts end to end against the sandbox (no accounts)",
        define=_demo_command,
    )
    commands.add_command(
        "completion",
        help="print the shell completion script for bash, zsh or fish",
        description=(
            'Print a completion script. bash: `eval "$(heartbeat-bot completion bash)"` in '
            "~/.bashrc; zsh: the same with zsh in ~/.zshrc (after compinit); fish: "
            "`heartbeat-bot completion fish > ~/.config/fish/completions/heartbeat-bot.fish`."
        ),
        define=_completion_command,
    )
    return parser


def _preview_command(preview: argparse.ArgumentParser) -> None:
    preview.add_argument("post", metavar="POST", help="a file path, a slug or a public URL")
    preview.add_argument("--json", action="store_true", help="print machine-readable JSON")
    _example_flag(preview)
    preview.set_defaults(handler=_lazy("heartbeat_bot.cli.main", "cmd_preview"))


def _listing_command(listing: argparse.ArgumentParser) -> None:
    listing.add_argument("--json", action="store_true", help="print machine-readable JSON")
    listing.add_argument(
        "--strict", action="store_true", help="exit 2 when a post is broken (naming each file)"
    )
    _example_flag(listing)
    listing.set_defaults(handler=_lazy("heartbeat_bot.cli.listing", "cmd_list"))


def _announce_command(announce: argparse.ArgumentParser) -> None:
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


def _status_command(status: argparse.ArgumentParser) -> None:
    status.add_argument("post", nargs="?", metavar="POST", help="one post, with its history")
    status.add_argument("--json", action="store_true", help="print machine-readable JSON")
    status.set_defaults(handler=_lazy("heartbeat_bot.cli.delivery", "cmd_status"))


def _resolve_command(resolve: argparse.ArgumentParser) -> None:
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


def _check_command(check: argparse.ArgumentParser) -> None:
    check.add_argument("--online", action="store_true", help="call each enabled service once")
    check.add_argument("--json", action="store_true", help="print machine-readable JSON")
    check.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a link between posts is not the URL computed for its target",
    )
    check.set_defaults(handler=_lazy("heartbeat_bot.cli.delivery", "cmd_check"))


def _sandbox_command(sandbox: argparse.ArgumentParser) -> None:
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
    sandbox.set_defaults(handler=_lazy("heartbeat_bot.cli.main", "cmd_sandbox"))


def _run_command(run: argparse.ArgumentParser) -> None:
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


def _bot_command(bot: argparse.ArgumentParser) -> None:
    bot.set_defaults(handler=_lazy("heartbeat_bot.service.run", "cmd_bot"))


def _init_command(init: argparse.ArgumentParser) -> None:
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


def _demo_command(demo: argparse.ArgumentParser) -> None:
    demo.set_defaults(handler=_lazy("heartbeat_bot.cli.demo", "cmd_demo"))


def _completion_command(completion: argparse.ArgumentParser) -> None:
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    completion.set_defaults(handler=_lazy("heartbeat_bot.cli.main", "cmd_completion"))


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


def _example_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--example",
        action="store_true",
        help="use the bundled example blog (real DVC posts) instead of --config",
    )
