"""The ``heartbeat-bot`` command line.

Only argparse, a few modules the interpreter has loaded already and the channel registry
(names and labels, no channel loaded) are imported at module level, so ``--help`` and
``--version`` answer at once; each command imports what it needs when it runs, logging
included (:mod:`heartbeat_bot.cli.logs`). The arguments are :mod:`heartbeat_bot.cli.parser`'s.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from heartbeat_bot.cli.parser import build_parser

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2


def cmd_sandbox(args: argparse.Namespace) -> int:
    from heartbeat_bot.sandbox.__main__ import main as sandbox_main

    argv = ["--fault-rate", str(args.fault_rate)]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    if args.json:
        argv.append("--json")
    return sandbox_main(argv)


def cmd_completion(args: argparse.Namespace) -> int:
    from argcomplete.shell_integration import shellcode

    sys.stdout.write(shellcode(["heartbeat-bot"], shell=args.shell))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    # A shell asking for completions walks every command's parser; else only the one named.
    parser = build_parser(deferred="_ARGCOMPLETE" not in os.environ)
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
    skip_unused_imports()
    handler: Callable[[argparse.Namespace], int] = args.handler
    return run_guarded(handler, args)


# Modules libraries import only when they happen to be installed, never used by a command:
# httpx's own command line (click, rich's console, pygments) and trio, which httpcore loads
# for a trio event loop (ours is asyncio). A tenth of a second at every start.
UNUSED_IMPORTS = ("httpx._main", "trio")


def skip_unused_imports() -> None:
    """Have :data:`UNUSED_IMPORTS` not imported from now on (unless already loaded): a name
    set to None in ``sys.modules`` fails its import as a missing package does, which both
    libraries expect and handle."""
    for name in UNUSED_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


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
