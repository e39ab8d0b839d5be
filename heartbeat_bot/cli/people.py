"""The arguments of the commands for the people around the service: ``approve``,
``reject`` and ``web hash-password``. Only argparse here, so ``--help`` stays fast."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from heartbeat_bot.cli.commands import Commands

Handler = Callable[[argparse.Namespace], int]


def add_commands(
    commands: Commands,
    *,
    lazy: Callable[[str, str], Handler],
    seconds: Callable[[str], float],
) -> None:
    for verb, does in (
        ("approve", "approve a post (and announce it if live)"),
        ("reject", "reject a post: it is never announced"),
    ):

        def decision(decide: argparse.ArgumentParser, verb: str = verb) -> None:
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

        commands.add_command(verb, help=does, define=decision)

    def accounts(web: argparse.ArgumentParser) -> None:
        web_commands = web.add_subparsers(
            dest="web_command", metavar="ACTION", required=True, help="what to do"
        )
        web_commands.add_parser(
            "hash-password",
            help="print a hash for [web] password_hash (reads the password from a prompt or stdin)",
        ).set_defaults(handler=lazy("heartbeat_bot.cli.web", "cmd_hash_password"))

    commands.add_command("web", help="the web console's accounts", define=accounts)
