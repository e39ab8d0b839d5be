"""``heartbeat-bot web hash-password``: a hash for ``[web] password_hash``."""

from __future__ import annotations

import argparse
import getpass
import sys

from heartbeat_bot.app.passwords import hash_password
from heartbeat_bot.errors import HeartbeatError


def cmd_hash_password(args: argparse.Namespace) -> int:
    """Read a password (asked twice on a terminal, else one line of stdin); print its hash."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password for the console: ")
        if getpass.getpass("Once more: ") != password:
            raise HeartbeatError("web hash-password: the two passwords differ; nothing printed")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise HeartbeatError(f"web hash-password: {exc}") from None
    print(hashed)
    return 0
