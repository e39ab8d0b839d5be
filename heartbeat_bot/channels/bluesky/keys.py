"""Pure: the record key of each post of a thread, the same for the same pair and generation.

A post's record key on Bluesky is a TID: 13 characters of base32-sortable encoding a
64-bit number, a microsecond timestamp (53 bits) and a clock id (10 bits). A key we choose
makes a create repeatable: the repository holds at most one record per key, so sending a
thread again can never post it twice. The keys are derived from the pair's nonce (a hash
of the post and its generation, kept in the ledger from the first attempt on) and the
post's index in the thread, so they change only with ``--force``.

The timestamp part is drawn from the hash within 2023 (the PDS does not check it against
the clock); the post's index is added to it, so a thread's keys sort in thread order.
"""

from __future__ import annotations

import hashlib
import re

_S32 = "234567abcdefghijklmnopqrstuvwxyz"
_TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
_START = 1_672_531_200_000_000  # 2023-01-01T00:00:00Z, in microseconds
_SPAN = 365 * 86_400 * 1_000_000
_MAX_POSTS = 1000


def tid(micros: int, clock: int) -> str:
    """The TID of a moment (microseconds since the epoch) and a clock id (0-1023)."""
    if not 0 <= micros < 1 << 53 or not 0 <= clock < 1024:
        raise ValueError("a TID holds 53 bits of microseconds and a 10-bit clock id")
    value = (micros << 10) | clock
    return "".join(_S32[(value >> shift) & 31] for shift in range(60, -5, -5))


def is_tid(value: str) -> bool:
    """Whether ``value`` is a syntactically valid TID."""
    return bool(_TID.fullmatch(value))


def record_keys(nonce: str, count: int) -> list[str]:
    """The keys of the ``count`` posts of the thread sent under ``nonce``."""
    if not nonce:
        raise ValueError("a thread's keys need the pair's nonce")
    if not 0 < count <= _MAX_POSTS:
        raise ValueError(f"a thread has 1 to {_MAX_POSTS} posts")
    digest = int.from_bytes(hashlib.sha256(f"bluesky:{nonce}".encode()).digest()[:16], "big")
    base = _START + (digest % (_SPAN // _MAX_POSTS)) * _MAX_POSTS
    clock = (digest >> 64) % 1024
    return [tid(base + index, clock) for index in range(count)]
