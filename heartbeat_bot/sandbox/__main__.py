"""``python -m heartbeat_bot.sandbox``: run the fakes until SIGINT or SIGTERM.

Prints the URLs and a config snippet (or, with ``--json``, first one line of JSON a
test or a script can read), so a real heartbeat-bot can be pointed at them.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType
from typing import Any

from heartbeat_bot.sandbox.runner import Sandbox


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m heartbeat_bot.sandbox",
        description=(
            "Run loopback fakes of Discourse, Discord, X, GitHub, Mastodon, Bluesky and a "
            "webhook receiver until interrupted."
        ),
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="R",
        help="chance (0-1) that an API request meets a random fault",
    )
    parser.add_argument("--seed", type=int, default=None, metavar="N", help="seed random faults")
    parser.add_argument(
        "--no-timeline",
        action="store_true",
        help="refuse X timeline reads (403), as on X's free tier",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one line of JSON (URLs, credentials, config)"
    )
    for service in ("discourse", "discord", "x", "github", "mastodon", "webhook", "bluesky"):
        parser.add_argument(
            f"--{service}-port", type=int, default=0, metavar="PORT", help=argparse.SUPPRESS
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Start the sandbox, print how to reach it, serve until SIGINT/SIGTERM; exit 0."""
    args = _parser().parse_args(argv)
    if not 0.0 <= args.fault_rate <= 1.0:
        _parser().error("--fault-rate must be between 0 and 1")
    stop = threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():

        def _on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _on_signal)
    sandbox = Sandbox(
        fault_rate=args.fault_rate,
        seed=args.seed,
        timeline_access=not args.no_timeline,
        discourse_port=args.discourse_port,
        discord_port=args.discord_port,
        x_port=args.x_port,
        github_port=args.github_port,
        mastodon_port=args.mastodon_port,
        webhook_port=args.webhook_port,
        bluesky_port=args.bluesky_port,
    )
    try:
        with sandbox:
            if args.json:
                print(json.dumps(sandbox.info()))
            else:
                print(f"Discourse: {sandbox.discourse_url}")
                print(f"Discord:   {sandbox.discord_api_url}")
                print(f"X:         {sandbox.x_api_url}")
                print(f"GitHub:    {sandbox.github_api_url}")
                print(f"Mastodon:  {sandbox.mastodon_url}")
                print(f"Webhook:   {sandbox.webhook_url}")
                print(f"Bluesky:   {sandbox.bluesky_url}")
                print("\nPaste into your heartbeat-bot config (Ctrl-C stops the sandbox):\n")
                print(sandbox.config_snippet())
            sys.stdout.flush()
            while not stop.wait(0.2):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
