"""What the ledger's connection holds in memory: its page cache, capped."""

from __future__ import annotations

import ctypes
import sqlite3
from pathlib import Path

from heartbeat_bot.ledger import Ledger
from heartbeat_bot.ledger.connection import PAGE_CACHE_KIB, Connection


def _sqlite_memory_used() -> int:
    """Bytes SQLite has allocated in this process (``sqlite3_memory_used``)."""
    import _sqlite3

    used = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    used.restype = ctypes.c_int64
    return int(used())


def test_the_ledgers_connection_caps_its_page_cache(tmp_path: Path) -> None:
    """Every ledger connection keeps at most PAGE_CACHE_KIB of pages (SQLite's default
    is 2 MiB), and the ledger opens through such a connection."""
    path = tmp_path / "state" / "ledger.sqlite3"
    with Ledger(path):
        pass
    connection = Connection(path)
    try:
        assert connection.execute("PRAGMA cache_size").fetchone()[0] == -PAGE_CACHE_KIB
    finally:
        connection.close()


def test_reading_a_large_ledger_holds_no_more_than_the_cap(tmp_path: Path) -> None:
    """A whole-table read of a ledger file several times the cap leaves SQLite holding
    about the cap, not SQLite's default of 2 MiB."""
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path):
        pass
    filler = sqlite3.connect(path)
    filler.execute("CREATE TABLE bulk (id INTEGER PRIMARY KEY, body TEXT)")
    filler.executemany("INSERT INTO bulk (body) VALUES (?)", [("x" * 1000,) for _ in range(8000)])
    filler.commit()
    filler.close()
    before = _sqlite_memory_used()
    connection = Connection(path)
    try:
        assert len(connection.execute("SELECT body FROM bulk").fetchall()) == 8000
        held = _sqlite_memory_used() - before
    finally:
        connection.close()
    assert held < (PAGE_CACHE_KIB + 512) * 1024  # the cap, and the schema and statements
