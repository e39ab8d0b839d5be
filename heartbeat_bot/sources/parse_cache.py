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
import pickle
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

from heartbeat_bot import __version__
from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts.lookup import url_key

log = logging.getLogger("heartbeat_bot.sources")

# Bump when parse_post can give a different Post for the same bytes and settings.
PARSER_VERSION = 1
SCHEMA = "heartbeat-bot parse cache 1"
BUSY_TIMEOUT_S = 10.0
_POST_FIELDS = tuple(field.name for field in fields(Post))[1:]  # all but the path

Stamp = tuple[int, int, int]  # size, mtime_ns, inode


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


Listing = list[tuple[str, Stamp, bool, tuple[str, ...]]]


def find_indexed(
    cache: ParseCache, key: str, folder: Path, listing: Callable[[], Listing], ref: str
) -> Post | None:
    """The post ``ref`` names, from the cache's index, parsing nothing: only when the cache
    holds every file ``listing()`` gives with its current stamp and bundle, settled (and not
    a link), and no other post shares its public URL; None otherwise (then rescan)."""
    known = cache.stamps(key)
    if not known:
        return None
    listed = listing()
    if len(listed) != len(known):
        return None
    for name, stamp, link, bundle in listed:
        if link or known.get(name) != (stamp, bundle, True):
            return None
    found = cache.find(key, folder, ref)
    return found[0] if found is not None and len(found) == 1 else None


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

    def load(self, key: str, folder: Path) -> dict[str, Cached]:
        """Every file below ``folder`` remembered for ``key``; empty when the cache cannot
        be used."""
        found: dict[str, Cached] = {}
        rows = self._query(
            "SELECT name, bundle, size, mtime_ns, inode, digest, settled, result "
            "FROM files WHERE key = ?",
            (key,),
        )
        for name, bundle, size, mtime, inode, digest, settled, blob in rows or []:
            path = folder / name
            result = _decode(blob, path)
            if result is not None:
                stamp = (size, mtime, inode)
                found[name] = Cached(
                    name, path, _bundle(bundle), stamp, digest, result, bool(settled)
                )
        return found

    def stamps(self, key: str) -> dict[str, tuple[Stamp, tuple[str, ...], bool]] | None:
        """Each remembered file's stamp, bundle files and whether it is settled (no result
        is decoded)."""
        rows = self._query(
            "SELECT name, size, mtime_ns, inode, bundle, settled FROM files WHERE key = ?", (key,)
        )
        if rows is None:
            return None
        return {
            name: ((size, mtime, inode), _bundle(b), bool(s))
            for name, size, mtime, inode, b, s in rows
        }

    def find(self, key: str, folder: Path, ref: str) -> list[Post] | None:
        """The posts ``ref`` names, as :func:`heartbeat_bot.posts.find_post` would choose:
        the first of exact slug, slug in any case, public URL, file name or stem that
        matches anything; with every other post sharing the chosen one's public URL."""
        ref = ref.strip()
        wanted = url_key(ref if "://" in ref else f"https://{ref}")
        name = Path(ref).name
        tests: list[tuple[str, tuple[object, ...]]] = [
            ("slug = ?", (ref,)),
            ("slug_lower = ?", (ref.lower(),)),
            ("url_key = ?", (json.dumps(wanted),)),
            ("(file = ? OR stem = ?)", (name, name)),
        ]
        for where, values in tests:
            rows = self._query(
                f"SELECT dup_key, name, result FROM files WHERE key = ? AND {where} "
                "ORDER BY name LIMIT 1",
                (key, *values),
            )
            if rows is None:
                return None
            if not rows:
                continue
            dup_key, name, blob = rows[0]
            same = self._query(
                "SELECT name, result FROM files WHERE key = ? AND dup_key = ? ORDER BY name",
                (key, dup_key),
            )
            posts = [_decode(row[1], folder / row[0]) for row in same or [(name, blob)]]
            if all(isinstance(post, Post) for post in posts):
                return [post for post in posts if isinstance(post, Post)]
            return None
        return []

    # -- writing ------------------------------------------------------------------------

    def save_changes(
        self, key: str, before: Mapping[str, Remembered], now: Mapping[str, Remembered]
    ) -> None:
        """Write what a rescan learnt: entries of ``now`` that are not those of ``before``
        (by identity), and names of ``before`` that are gone."""
        changed = [
            Cached(name, e.path, e.bundle, e.stamp, e.digest, e.result, e.settled)
            for name, e in now.items()
            if before.get(name) is not e and type(e.result) in (Post, PostError)
        ]
        removed = before.keys() - now.keys()
        if changed or removed:
            self.save(key, changed, removed)

    def save(self, key: str, changed: Iterable[Cached], removed: Iterable[str]) -> None:
        """Remember ``changed`` for ``key``, forget ``removed``, in one transaction; rows
        of any other key are dropped (parsed with other settings)."""
        rows = [_row(key, item) for item in changed]
        gone = [(key, name) for name in removed]
        with self._connect() as db:
            if db is None:
                return
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM files WHERE key != ?", (key,))
            db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            db.executemany("DELETE FROM files WHERE key = ? AND name = ?", gone)
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
            db.execute(_CREATE_FILES)
            db.execute("CREATE INDEX IF NOT EXISTS by_slug ON files (key, slug)")
            db.execute("CREATE INDEX IF NOT EXISTS by_slug_lower ON files (key, slug_lower)")
            db.execute("CREATE INDEX IF NOT EXISTS by_url ON files (key, url_key)")
            db.execute("CREATE INDEX IF NOT EXISTS by_dup ON files (key, dup_key)")
            db.execute("CREATE INDEX IF NOT EXISTS by_file ON files (key, file)")
            db.execute("CREATE INDEX IF NOT EXISTS by_stem ON files (key, stem)")
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


_CREATE_FILES = """
CREATE TABLE IF NOT EXISTS files (
    key TEXT NOT NULL, name TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
    settled INTEGER NOT NULL, digest TEXT, bundle TEXT NOT NULL,
    slug TEXT, slug_lower TEXT, url_key TEXT, dup_key TEXT, file TEXT, stem TEXT,
    result BLOB NOT NULL,
    PRIMARY KEY (key, name)
) WITHOUT ROWID
"""


def _row(key: str, item: Cached) -> tuple[object, ...]:
    result = item.result
    size, mtime, inode = item.stamp
    if isinstance(result, Post):
        # Its fields after the path, as a tuple: half the cost of loading a pickled Post.
        values = tuple(getattr(result, name) for name in _POST_FIELDS)
        blob = pickle.dumps(("post", values), protocol=pickle.HIGHEST_PROTOCOL)
        slug, lower = result.slug, result.slug.lower()
        url = json.dumps(url_key(result.url))
        dup: str | None = unquote(result.url).rstrip("/")
        file, stem = result.path.name, result.path.stem
    else:  # an exception's pickle keeps only its message: store what rebuilds it
        record = ("error", str(result.path), result.message, result.field)
        blob = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        slug = lower = url = dup = file = stem = None  # type: ignore[assignment]
    bundle = json.dumps(list(item.bundle))
    settled = int(item.settled)
    head = (key, item.name, size, mtime, inode, settled, item.digest, bundle)
    return (*head, slug, lower, url, dup, file, stem, blob)


def _bundle(text: str) -> tuple[str, ...]:
    return () if text == "[]" else tuple(json.loads(text))


def _decode(blob: object, path: Path) -> Post | PostError | None:
    """A stored result for the file at ``path``, or None for a row that cannot be decoded
    (it is parsed again)."""
    if not isinstance(blob, bytes):
        return None
    try:
        value = pickle.loads(blob)
    except Exception:  # a damaged or foreign row: a miss, never trusted
        return None
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "post":
        try:
            return Post(path, *value[1])
        except TypeError:  # fields of another model: a miss
            return None
    if isinstance(value, tuple) and len(value) == 4 and value[0] == "error":
        _, _stored, message, field = value
        return PostError(path, message, field=field)
    return None
