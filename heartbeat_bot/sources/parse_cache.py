"""I/O: the parse cache, a SQLite file in the state folder that remembers each post file's
parse result, so a restart, ``list``, ``check`` or a slug look-up parses only what changed.

Why SQLite rather than a compact file: several processes use it at once (the service, its
slash-command bot, a ``list`` or ``preview`` from a shell), and SQLite gives atomic,
concurrent writes (WAL, a busy timeout) and detects a torn or foreign file, which a file
rewritten whole would have to reinvent with locks and renames; its indexes also let a slug
look-up read one row instead of every post.

A row is keyed by the file's path below the posts folder and by ``key``, a digest of
everything parsing depends on besides the file: :data:`PARSER_VERSION`, the package
version, a stamp of the parser's own files (:func:`parser_code_stamp`), the ``[blog]``
settings (engine, URL pattern, summary fields...), the channel names and the author and
tag maps. Its stamp (size, mtime_ns, inode) says whether the file
is the one parsed; a stamp taken within the mtime tick is not ``settled`` and its file is
read again and compared by content (``digest``). A damaged file or one of another schema is
deleted and rebuilt, never trusted; a row that cannot be decoded is a miss.

The results are pickled: the file is the service's own, beside its ledger, written with
the ledger's trust (mode 0600); anyone who can write there can also rewrite the ledger.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from heartbeat_bot import __version__
from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts.lookup import url_key
from heartbeat_bot.sources.cache_rows import (
    CREATE_FILES,
    bundle_files,
    child,
    decode,
    decode_head,
    encode,
)
from heartbeat_bot.sources.listing import Stamp, pack_stamp, stamp_parts
from heartbeat_bot.sources.stored_post import PostStore, stored_post

log = logging.getLogger("heartbeat_bot.sources")

# Bump when parse_post can give a different Post for the same bytes and settings.
PARSER_VERSION = 1
SCHEMA = "heartbeat-bot parse cache 6"
BUSY_TIMEOUT_S = 10.0

# A remembered file: name, path, bundle files, stamp, digest, result, settled (as Cached).
CachedRow = tuple[str, Path, tuple[str, ...], Stamp, str | None, Post | PostError, bool]


@dataclass(frozen=True, slots=True)
class Cached:
    """One file as the cache remembers it."""

    name: str  # path below the posts folder, ``/``-separated
    path: Path  # the file (the Post's own path object)
    bundle: tuple[str, ...]
    stamp: Stamp
    digest: str | None
    result: Post | PostError
    settled: bool


class Remembered(Protocol):
    """What a source remembers of one file (its own record type)."""

    @property
    def path(self) -> Path: ...
    @property
    def bundle(self) -> tuple[str, ...]: ...
    @property
    def stamp(self) -> Stamp: ...
    @property
    def digest(self) -> str | None: ...
    @property
    def result(self) -> Post | PostError: ...
    @property
    def settled(self) -> bool: ...


def settings_key(
    posts_dir: Path,
    blog: BlogConfig,
    channels: Iterable[str] | None,
    authors: Mapping[str, str],
    labels: Mapping[str, str],
) -> str:
    """A digest of everything besides a file's bytes that its parse result depends on."""
    parts = [
        PARSER_VERSION,
        __version__,
        parser_code_stamp(),
        str(posts_dir),
        blog.model_dump_json(),
        None if channels is None else sorted(channels),
        sorted(authors.items()),
        sorted(labels.items()),
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


@functools.cache
def parser_code_stamp() -> str:
    """A digest of the size and mtime of the code a parse result depends on (the posts
    package, the models, errors and settings): an edited or upgraded parser is never
    answered with results of the old one, even when :data:`PARSER_VERSION` was not bumped."""
    package = Path(__file__).resolve().parents[1]
    stamps = []
    for folder in ("posts", "config"):
        stamps += sorted((package / folder).rglob("*.py"))
    stamps += [package / "models.py", package / "errors.py", Path(__file__).resolve()]
    digest = hashlib.sha256()
    for path in stamps:
        with contextlib.suppress(OSError):
            info = path.stat()
            digest.update(
                f"{path.relative_to(package)}:{info.st_size}:{info.st_mtime_ns};".encode()
            )
    return digest.hexdigest()


def cache_path(state_path: Path) -> Path:
    """The parse cache beside the ledger ``state_path``: ``heartbeat.parse-cache.sqlite3``."""
    return state_path.with_name(f"{state_path.stem}.parse-cache.sqlite3")


class ParseCache:
    """The parse cache file at ``path``; every call opens and closes its own connection,
    so an instance may be used from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    # -- reading ------------------------------------------------------------------------

    def load(
        self, key: str, folder: Path, reparse: Callable[[Path], Post] | None = None
    ) -> dict[str, Cached]:
        """Every file below ``folder`` remembered for ``key``; empty when the cache cannot
        be used. With ``reparse`` (how to parse a file again), posts are
        :class:`~heartbeat_bot.sources.stored_post.StoredPost`: their heads only, the rest
        read on use."""
        return {row[0]: Cached(*row) for row in self.rows(key, folder, reparse)}

    def rows(
        self, key: str, folder: Path, reparse: Callable[[Path], Post] | None = None
    ) -> Iterator[CachedRow]:
        """:meth:`load`'s records as plain tuples, one at a time (a source that keeps its
        own records builds them from these, without a :class:`Cached` in between)."""
        store = None if reparse is None else PostStore(self, key, folder, reparse)
        with self._connect() as db:
            if db is None:
                return
            rows = db.execute(  # row by row: the results are not all held twice at once
                "SELECT name, bundle, size, mtime_ns, inode, digest, settled, "
                "CASE WHEN head IS NULL OR ? THEN result END, head FROM files WHERE key = ?",
                (store is None, key),
            )
            for name, bundle, size, mtime, inode, digest, settled, blob, head in rows:
                path = child(folder, name)
                result: Post | PostError | None
                if blob is None and store is not None:
                    values = decode_head(head)
                    result = None if values is None else stored_post(path, values, store)
                else:
                    result = decode(blob, path)
                if result is None:
                    continue
                if isinstance(result, Post) and result.content_hash == digest:
                    digest = result.content_hash  # one string for both
                files = () if bundle == "[]" else bundle_files(bundle)
                packed = pack_stamp(size, mtime, inode)
                yield name, path, files, packed, digest, result, settled == 1

    def stamps(self, key: str) -> dict[str, tuple[Stamp, tuple[str, ...], bool]] | None:
        """Each remembered file's stamp, bundle files and whether it is settled (no result
        is decoded)."""
        rows = self._query(
            "SELECT name, size, mtime_ns, inode, bundle, settled FROM files WHERE key = ?", (key,)
        )
        if rows is None:
            return None
        return {
            name: (pack_stamp(size, mtime, inode), bundle_files(b), bool(s))
            for name, size, mtime, inode, b, s in rows
        }

    def result(self, key: str, name: str, folder: Path) -> Post | PostError | None:
        """One remembered file's whole result; None when there is none (or it is unreadable)."""
        rows = self._query("SELECT result FROM files WHERE key = ? AND name = ?", (key, name))
        return decode(rows[0][0], folder / name) if rows else None

    def results(self, key: str, folder: Path) -> Iterator[tuple[str, Post | PostError | None]]:
        """Every remembered file's name and whole result, one row at a time."""
        with self._connect() as db:
            if db is None:
                return
            for name, blob in db.execute("SELECT name, result FROM files WHERE key = ?", (key,)):
                yield name, decode(blob, folder / name)

    def matching(self, key: str, text: str) -> set[str] | None:
        """The files whose post's slug or title holds ``text`` (lowercase), by their path
        below the folder; None when the cache cannot be read."""
        rows = self._query(
            "SELECT name FROM files WHERE key = ? AND "
            "(instr(slug_lower, ?) > 0 OR instr(title_lower, ?) > 0)",
            (key, text, text),
        )
        return None if rows is None else {row[0] for row in rows}

    def names(self, key: str) -> set[str] | None:
        """Every remembered file's path below the folder (nothing else is read)."""
        rows = self._query("SELECT name FROM files WHERE key = ?", (key,))
        return None if rows is None else {row[0] for row in rows}

    def stamp_of(self, key: str, name: str) -> tuple[Stamp, tuple[str, ...], bool] | None:
        """One remembered file's stamp, bundle files and whether it is settled."""
        rows = self._query(
            "SELECT size, mtime_ns, inode, bundle, settled FROM files WHERE key = ? AND name = ?",
            (key, name),
        )
        if not rows:
            return None
        size, mtime, inode, bundle, settled = rows[0]
        return pack_stamp(size, mtime, inode), bundle_files(bundle), bool(settled)

    def find(self, key: str, folder: Path, ref: str) -> list[Post] | None:
        """The posts ``ref`` names, as :func:`heartbeat_bot.posts.find_post` would choose:
        the first of exact slug, slug in any case, public URL, file name or stem that
        matches anything; with every other post sharing the chosen one's public URL."""
        ref = ref.strip()
        wanted = url_key(ref if "://" in ref else f"https://{ref}")
        name = Path(ref).name
        # Each test names its index: without statistics SQLite would walk the primary key
        # in name order instead (every row of the key).
        tests: list[list[tuple[str, str, object]]] = [
            [("by_slug", "slug", ref)],
            [("by_slug_lower", "slug_lower", ref.lower())],
            [("by_url", "url_key", json.dumps(wanted))],
            [("by_file", "file", name), ("by_stem", "stem", name)],
        ]
        for test in tests:
            rows: list[tuple[Any, ...]] = []
            for index, column, value in test:
                found = self._query(
                    f"SELECT dup_key, name, result FROM files INDEXED BY {index} "
                    f"WHERE key = ? AND {column} = ? ORDER BY name LIMIT 1",
                    (key, value),
                )
                if found is None:
                    return None
                rows = sorted(rows + found, key=lambda row: str(row[1]))
            if not rows:
                continue
            dup_key, name, blob = rows[0]
            same = self._query(
                "SELECT name, result FROM files INDEXED BY by_dup WHERE key = ? AND dup_key = ? "
                "ORDER BY name",
                (key, dup_key),
            )
            posts = [decode(row[1], folder / row[0]) for row in same or [(name, blob)]]
            if all(isinstance(post, Post) for post in posts):
                return [post for post in posts if isinstance(post, Post)]
            return None
        return []

    # -- writing ------------------------------------------------------------------------

    def save_changes(
        self, key: str, before: Mapping[str, Remembered], now: Mapping[str, Remembered]
    ) -> None:
        """Write what a rescan learnt: entries of ``now`` that are not those of ``before``
        (by identity), and names of ``before`` that are gone.

        An entry whose post was read back from this cache (a file read again and found the
        same, its stamp now settled or new) has only its stamp written: its row already
        holds that content, and without the new stamp every later start would read the
        file again."""
        changed: list[Cached] = []
        restamped: list[tuple[object, ...]] = []
        for name, e in now.items():
            if before.get(name) is e:
                continue
            if type(e.result) in (Post, PostError):
                changed.append(
                    Cached(name, e.path, e.bundle, e.stamp, e.digest, e.result, e.settled)
                )
            elif isinstance(e.result, Post) and e.digest is not None:
                restamped.append((*stamp_parts(e.stamp), int(e.settled), key, name, e.digest))
        removed = before.keys() - now.keys()
        if changed or removed or restamped:
            self.save(key, changed, removed, restamped)

    def save(
        self,
        key: str,
        changed: Iterable[Cached],
        removed: Iterable[str],
        restamped: Iterable[tuple[object, ...]] = (),
    ) -> None:
        """Remember ``changed`` for ``key``, forget ``removed``, in one transaction; rows
        of any other key are dropped (parsed with other settings). ``restamped``: (size,
        mtime_ns, inode, settled, key, name, digest) of rows whose content is unchanged."""
        # Encoded one at a time as they are written: a first scan's 50,000 rows all
        # encoded at once were 100 MB more at the peak, memory the process then kept.
        rows = (encode(key, item) for item in changed)
        gone = [(key, name) for name in removed]
        with self._connect() as db:
            if db is None:
                return
            db.execute("BEGIN IMMEDIATE")
            # "key != ?" would read every row; two ranges of the index read none.
            db.execute("DELETE FROM files WHERE key < ? OR key > ?", (key, key))
            db.executemany(
                "INSERT OR REPLACE INTO files VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            db.executemany("DELETE FROM files WHERE key = ? AND name = ?", gone)
            db.executemany(
                "UPDATE files SET size = ?, mtime_ns = ?, inode = ?, settled = ? "
                "WHERE key = ? AND name = ? AND digest = ?",
                restamped,
            )
            db.execute("COMMIT")

    # -- the file -----------------------------------------------------------------------

    def _query(self, sql: str, values: tuple[object, ...]) -> list[tuple[Any, ...]] | None:
        with self._connect() as db:
            if db is None:
                return None
            return list(db.execute(sql, values))

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection | None]:
        """A connection to a usable cache; None (and a warning) when there cannot be one."""
        for attempt in (1, 2):
            try:
                db = self._open()
            except sqlite3.DatabaseError as exc:
                if attempt == 2 or not self._damaged(exc):
                    log.warning("parse cache %s unusable (%s); parsing without it", self.path, exc)
                    yield None
                    return
                continue
            except OSError as exc:  # a read-only checkout, say: fine for `list`
                log.info("parse cache %s unusable (%s); parsing without it", self.path, exc)
                yield None
                return
            try:
                yield db
            except sqlite3.OperationalError as exc:  # busy past the timeout, a full disk...
                log.warning("parse cache %s: %s; parsing without it this time", self.path, exc)
            except sqlite3.DatabaseError as exc:  # a page damaged since it was opened
                db.close()
                self._damaged(exc)
            finally:
                db.close()
            return

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            if not self._ready:
                db.execute("PRAGMA journal_mode=WAL")
                self._check_schema(db)
                self._ready = True
            db.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            db.close()
            raise
        return db

    def _check_schema(self, db: sqlite3.Connection) -> None:
        """Create the tables, or drop and recreate them when they are of another schema."""
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            if row is None or row[0] != SCHEMA:
                if row is not None:
                    log.warning("parse cache %s is of another version; rebuilding it", self.path)
                db.execute("DROP TABLE IF EXISTS files")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA,))
            db.execute(CREATE_FILES)
            db.execute("CREATE INDEX IF NOT EXISTS by_slug ON files (key, slug, name)")
            db.execute("CREATE INDEX IF NOT EXISTS by_slug_lower ON files (key, slug_lower, name)")
            db.execute("CREATE INDEX IF NOT EXISTS by_url ON files (key, url_key, name)")
            db.execute("CREATE INDEX IF NOT EXISTS by_dup ON files (key, dup_key, name)")
            db.execute("CREATE INDEX IF NOT EXISTS by_file ON files (key, file, name)")
            db.execute("CREATE INDEX IF NOT EXISTS by_stem ON files (key, stem, name)")
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise

    def _damaged(self, exc: sqlite3.DatabaseError) -> bool:
        """Delete a file SQLite cannot read as a database, so the next open rebuilds it."""
        log.warning("parse cache %s is damaged (%s); rebuilding it", self.path, exc)
        self._ready = False
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.path}{suffix}").unlink()
        return True
