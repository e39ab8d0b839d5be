"""The arguments of the commands for the people around the service: ``approve``,
``reject`` and ``web hash-password``. Only argparse here, so ``--help`` stays fast."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

Handler = Callable[[argparse.Namespace], int]


def add_commands(
    commands: Any,  # argparse's _SubParsersAction, private in typeshed
    *,
    lazy: Callable[[str, str], Handler],
    seconds: Callable[[str], float],
) -> None:
    for verb, does in (
        ("approve", "approve a post (and announce it if live)"),
        ("reject", "reject a post: it is never announced"),
    ):
        decide = commands.add_parser(verb, help=does)
        decide.add_argument("post", metavar="POST", help="a file path, a slug or a public URL")
        if verb == "approve":
            decide.add_argument(
                "--max-wait",
                type=seconds,
                default=60.0,
                metavar="SECONDS",
                help="how long announcing may take in all (default 60)",
            )
        decide.set_defaults(handler=lazy("heartbeat_bot.cli.approval", f"cmd_{verb}"))

    web = commands.add_parser("web", help="the web console's accounts")
    web_commands = web.add_subparsers(
        dest="web_command", metavar="ACTION", required=True, help="what to do"
    )
    web_commands.add_parser(
        "hash-password",
        help="print a hash for [web] password_hash (reads the password from a prompt or stdin)",
    ).set_defaults(handler=lazy("heartbeat_bot.cli.web", "cmd_hash_password"))
