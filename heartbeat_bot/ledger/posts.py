"""The ledger's posts: a stable identity each, with the URLs, slugs and paths it had.

A post is recorded under its public URL the first time it is seen; that URL becomes its
``key``, which never changes. A rename (a new file name, slug or URL) moves the post's
current names and appends them to ``post_names``, so everything hung on the post (its
deliveries, the Discourse ``external_id``, Discord nonces) stays with it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Collection
from pathlib import Path

from heartbeat_bot.ledger.journal import Journal
from heartbeat_bot.ledger.records import LedgerError, PostRow, PostStatus
from heartbeat_bot.models import Post


class PostBook(Journal):
    """A part of :class:`~heartbeat_bot.ledger.store.Ledger`, which opens the connection."""

    path: Path

    def upsert_post(self, post: Post) -> int:
        """Record the post (by its current public URL, or one it had) and return its id."""
        now = self.clock()
        known = self.find_post(post.url)
        if known is not None and known.url != post.url:
            # A URL this post had before (a rename undone): the same post, renamed back.
            self.rename_post(known.id, post, "renamed back")
            return known.id
        with self._transaction():
            self._db.execute(
                """INSERT INTO posts (url, key, slug, path, title, date, content_hash,
                     shown_hash, first_seen, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (url) DO UPDATE SET slug = excluded.slug, path = excluded.path,
                     title = excluded.title, date = excluded.date,
                     content_hash = excluded.content_hash, shown_hash = excluded.shown_hash,
                     updated_at = excluded.updated_at""",
                (
                    post.url,
                    post.url,
                    post.slug,
                    str(post.path),
                    post.title,
                    post.date.isoformat(),
                    post.content_hash,
                    shown_hash(post),
                    now,
                    now,
                ),
            )
            row = self._db.execute("SELECT id FROM posts WHERE url = ?", (post.url,)).fetchone()
            post_id = int(row["id"])
            self._name(post_id, post, "first seen", now)
        return post_id

    def _name(self, post_id: int, post: Post, how: str, now: float) -> None:
        self._db.execute(
            """INSERT INTO post_names (post_id, url, slug, path, since, how)
               VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (post_id, url, path) DO NOTHING""",
            (post_id, post.url, post.slug, str(post.path), now, how),
        )

    def post(self, post_id: int) -> PostRow:
        row = self._db.execute("SELECT * FROM posts WHERE id = ?", (post_id,)).fetchone()
        if row is None:
            raise LedgerError(f"{self.path}: no post {post_id} in the ledger")
        return post_row(row)

    def find_post(self, url: str) -> PostRow | None:
        """The post whose URL is ``url`` now, else the one that had it most recently."""
        row = self._db.execute("SELECT * FROM posts WHERE url = ?", (url,)).fetchone()
        if row is not None:
            return post_row(row)
        earlier = self._db.execute(
            """SELECT p.* FROM post_names n JOIN posts p ON p.id = n.post_id
               WHERE n.url = ? ORDER BY n.since DESC, n.rowid DESC LIMIT 1""",
            (url,),
        ).fetchone()
        return post_row(earlier) if earlier is not None else None

    def posts(self) -> list[PostRow]:
        rows = self._db.execute("SELECT * FROM posts ORDER BY id").fetchall()
        return [post_row(r) for r in rows]

    def posts_at_path(self, path: str) -> list[PostRow]:
        """Posts recorded for a file path now (several when its URL changed)."""
        rows = self._db.execute("SELECT * FROM posts WHERE path = ?", (path,)).fetchall()
        return [post_row(r) for r in rows]

    def posts_with_urls(self, urls: Collection[str]) -> list[PostRow]:
        """Posts whose URL is one of ``urls`` now (not one they had), by id."""
        found: list[PostRow] = []
        wanted = list(urls)
        for start in range(0, len(wanted), 500):  # within SQLite's count of parameters
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT * FROM posts WHERE url IN ({marks})", chunk)
            found += [post_row(r) for r in rows.fetchall()]
        return sorted(found, key=lambda row: row.id)

    def posts_with_comments_url(self, url: str) -> list[PostRow]:
        """Posts that carry the comments URL ``url``, by id."""
        rows = self._db.execute(
            "SELECT * FROM posts WHERE comments_url = ? ORDER BY id", (url,)
        ).fetchall()
        return [post_row(r) for r in rows]

    def names(self, post_id: int) -> list[dict[str, object]]:
        """Every URL, slug and path the post had, oldest first, with when and how."""
        rows = self._db.execute(
            "SELECT url, slug, path, since, how FROM post_names WHERE post_id = ? ORDER BY rowid",
            (post_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def mark_baseline(self, post: Post, baseline: bool = True) -> None:
        """Record ``post`` as present before the first ``run`` (never announced by it)."""
        post_id = self.upsert_post(post)
        self._db.execute("UPDATE posts SET baseline = ? WHERE id = ?", (int(baseline), post_id))

    def set_comments_url(self, post_id: int, url: str) -> None:
        self._db.execute("UPDATE posts SET comments_url = ? WHERE id = ?", (url, post_id))

    def set_shown_hash(self, post_id: int, digest: str) -> None:
        self._db.execute("UPDATE posts SET shown_hash = ? WHERE id = ?", (digest, post_id))

    def announced_posts(self) -> list[PostRow]:
        """Posts sent somewhere or taken as baseline, and not held (one query)."""
        rows = self._db.execute(
            """SELECT p.* FROM posts p WHERE p.status != 'held' AND (p.baseline OR EXISTS
                 (SELECT 1 FROM deliveries d WHERE d.post_id = p.id
                  AND d.state IN ('done', 'sending', 'unknown'))) ORDER BY p.id"""
        ).fetchall()
        return [post_row(r) for r in rows]

    # -- the whole table at once, for a scan of thousands of posts ------------------------

    def known_urls(self) -> set[str]:
        """Every URL :meth:`find_post` finds a post by: current ones and those posts had."""
        rows = self._db.execute(
            "SELECT url FROM posts UNION ALL SELECT n.url FROM post_names n "
            "JOIN posts p ON p.id = n.post_id",
            plain=True,
        ).fetchall()
        return {url for (url,) in rows}

    def quiet_urls(self) -> set[str]:
        """Current URLs of the posts taken as baseline or held: nothing is sent or edited
        for them, whatever their files say (one query)."""
        rows = self._db.execute(
            "SELECT url FROM posts WHERE baseline OR status = 'held'", plain=True
        ).fetchall()
        return {url for (url,) in rows}

    def urls_with_status(self, status: PostStatus) -> set[str]:
        sql = "SELECT url FROM posts WHERE status = ?"
        return {url for (url,) in self._db.execute(sql, (status,), plain=True).fetchall()}

    def url_rows(self) -> list[tuple[int, str, int]]:
        """(id, current URL, quiet) of every recorded post, by id: quiet (1) for a post
        :meth:`quiet_urls` gives. One read for what a first scan asks of every post."""
        return self._db.execute(
            "SELECT id, url, baseline OR status = 'held' FROM posts ORDER BY id", plain=True
        ).fetchall()

    def post_urls(self) -> list[tuple[int, str]]:
        """(id, current URL) of every recorded post, by id (no row built)."""
        return self._db.execute("SELECT id, url FROM posts ORDER BY id", plain=True).fetchall()

    def announced(self, post_id: int) -> bool:
        """Whether the post was sent anywhere, or taken as the first run's baseline."""
        row = self._db.execute(
            """SELECT p.baseline OR EXISTS (SELECT 1 FROM deliveries d
                 WHERE d.post_id = p.id AND d.state IN ('done', 'sending', 'unknown'))
               AS announced FROM posts p WHERE p.id = ?""",
            (post_id,),
        ).fetchone()
        return bool(row and row["announced"])

    # -- a post's life: renames, held posts, unpublishing ---------------------------------

    def rename_post(self, post_id: int, post: Post, how: str) -> None:
        """The recorded post ``post_id`` is ``post`` under a new name: move it there.

        A row recorded meanwhile under the new URL (with nothing sent) is folded into it.
        """
        now = self.clock()
        with self._transaction():
            other = self._db.execute(
                "SELECT id FROM posts WHERE url = ? AND id != ?", (post.url, post_id)
            ).fetchone()
            if other is not None:
                self._fold(int(other["id"]), post_id)
            try:
                self._db.execute(
                    """UPDATE posts SET url = ?, slug = ?, path = ?, title = ?, date = ?,
                         content_hash = ?, status = 'active', held_note = NULL,
                         held_as = NULL, updated_at = ? WHERE id = ?""",
                    (
                        post.url,
                        post.slug,
                        str(post.path),
                        post.title,
                        post.date.isoformat(),
                        post.content_hash,
                        now,
                        post_id,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise LedgerError(f"{post.url}: recorded twice in the ledger ({exc})") from exc
            self._name(post_id, post, how, now)

    def _fold(self, duplicate: int, into: int) -> None:
        """Drop the row ``duplicate`` (a renamed post seen as new), which sent nothing."""
        sent = self._db.execute(
            """SELECT COUNT(*) AS n FROM deliveries WHERE post_id = ?
               AND state NOT IN ('pending', 'skipped')""",
            (duplicate,),
        ).fetchone()
        if sent["n"]:
            raise LedgerError(
                f"post {duplicate} was announced on its own; it cannot be merged into post {into}"
            )
        ids = [
            r["id"]
            for r in self._db.execute(
                "SELECT id FROM deliveries WHERE post_id = ?", (duplicate,)
            ).fetchall()
        ]
        for delivery_id in ids:
            for table in ("attempts", "tweets", "edits"):
                self._db.execute(f"DELETE FROM {table} WHERE delivery_id = ?", (delivery_id,))
        self._db.execute("DELETE FROM deliveries WHERE post_id = ?", (duplicate,))
        self._db.execute(
            "UPDATE post_names SET post_id = ? WHERE post_id = ? AND url NOT IN "
            "(SELECT url FROM post_names WHERE post_id = ?)",
            (into, duplicate, into),
        )
        self._db.execute("DELETE FROM post_names WHERE post_id = ?", (duplicate,))
        self._db.execute("DELETE FROM posts WHERE id = ?", (duplicate,))

    def hold_post(self, post: Post, candidate: int | None, note: str) -> int:
        """Record ``post`` as held: it may be ``candidate`` renamed (None: some post the
        ledger knows, none in particular); a person decides."""
        post_id = self.upsert_post(post)
        self._db.execute(
            "UPDATE posts SET status = 'held', held_note = ?, held_as = ? WHERE id = ?",
            (note, candidate, post_id),
        )
        return post_id

    def settle_same_as(self, held_id: int, other_id: int, post: Post) -> None:
        """``resolve --same-as``: the held post is ``other_id`` renamed; continue its record."""
        self.rename_post(other_id, post, "resolved as the same post")

    def settle_new(self, held_id: int) -> None:
        """``resolve --new``: the held post is a post of its own, to be announced."""
        self.set_status(held_id, "active")

    def set_status(self, post_id: int, status: PostStatus, note: str | None = None) -> None:
        self._db.execute(
            "UPDATE posts SET status = ?, held_note = ?, "
            "held_as = CASE WHEN ? = 'held' THEN held_as END WHERE id = ?",
            (status, note, status, post_id),
        )


def shown_hash(post: Post) -> str:
    """A hash of what announcements show of the post (not its commentsUrl, which the bot
    itself writes back): when it changes, the sent messages may have to follow."""
    shown = [
        post.url,
        post.title,
        post.description,
        post.description_long,
        post.picture_url,
        list(post.authors),
        list(post.tags),
        post.published_at.isoformat(),
    ]
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()


def post_row(row: sqlite3.Row) -> PostRow:
    return PostRow(
        id=row["id"],
        url=row["url"],
        slug=row["slug"],
        path=row["path"],
        title=row["title"],
        content_hash=row["content_hash"],
        comments_url=row["comments_url"],
        baseline=bool(row["baseline"]),
        key=row["key"] or row["url"],
        date=row["date"],
        status=row["status"],
        held_note=row["held_note"],
        held_as=row["held_as"],
        shown_hash=row["shown_hash"],
    )
