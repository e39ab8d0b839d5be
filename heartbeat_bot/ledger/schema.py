"""The ledger's SQLite schema, as an ordered list of migrations.

``PRAGMA user_version`` holds the number of migrations applied. A migration is never
edited once released: a change of schema is a new migration appended to the list.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: posts, one delivery row per (post, channel), and the append-only attempt log.
    """
    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        slug TEXT NOT NULL,
        path TEXT NOT NULL,
        title TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        first_seen REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        post_id INTEGER NOT NULL REFERENCES posts(id),
        channel TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,
        last_error TEXT,
        payload TEXT,
        remote_id TEXT,
        remote_url TEXT,
        claimed_by TEXT,
        lease_expires_at REAL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (post_id, channel)
    );
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
        at REAL NOT NULL,
        event TEXT NOT NULL,
        detail TEXT,
        process TEXT NOT NULL
    );
    CREATE INDEX attempts_by_delivery ON attempts (delivery_id, id);
    """,
    # 2: per-tweet state of X threads, Discord nonces, the comments URL learned from
    #    Discourse, and a key/value table for markers such as the first-run baseline.
    """
    CREATE TABLE tweets (
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        remote_id TEXT,
        last_error TEXT,
        updated_at REAL NOT NULL,
        PRIMARY KEY (delivery_id, position)
    );
    ALTER TABLE deliveries ADD COLUMN nonce TEXT;
    ALTER TABLE posts ADD COLUMN comments_url TEXT;
    ALTER TABLE posts ADD COLUMN baseline INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 3: a post's stable identity. ``key`` is the post's URL when it was first recorded
    #    and never changes (Discourse external ids and Discord nonces derive from it);
    #    url, slug and path are its current names, and ``post_names`` keeps every name
    #    it had. ``status``: active, held (a person decides whether it is a renamed post)
    #    or unpublished (announced, then deleted or made a draft). ``edits``: each edit of
    #    a sent message, by the hash of the payload it sent, so none is ever repeated.
    """
    ALTER TABLE posts ADD COLUMN key TEXT;
    UPDATE posts SET key = url;
    CREATE UNIQUE INDEX posts_by_key ON posts (key);
    ALTER TABLE posts ADD COLUMN date TEXT;
    ALTER TABLE posts ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
    ALTER TABLE posts ADD COLUMN held_note TEXT;
    ALTER TABLE posts ADD COLUMN held_as INTEGER;
    ALTER TABLE posts ADD COLUMN shown_hash TEXT;
    CREATE TABLE post_names (
        post_id INTEGER NOT NULL REFERENCES posts(id),
        url TEXT NOT NULL,
        slug TEXT NOT NULL,
        path TEXT NOT NULL,
        since REAL NOT NULL,
        how TEXT NOT NULL,
        UNIQUE (post_id, url, path)
    );
    INSERT INTO post_names (post_id, url, slug, path, since, how)
        SELECT id, url, slug, path, first_seen, 'first seen' FROM posts;
    CREATE INDEX post_names_by_url ON post_names (url);
    CREATE TABLE edits (
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
        payload_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        detail TEXT,
        at REAL NOT NULL,
        process TEXT,
        PRIMARY KEY (delivery_id, payload_hash)
    );
    """,
    # 4: a person's go-ahead for a post ([approval] mode = "required"): one row per post,
    #    from the moment it came due, with who decided, when, and how.
    """
    CREATE TABLE approvals (
        post_id INTEGER PRIMARY KEY REFERENCES posts(id),
        state TEXT NOT NULL,
        requested_at REAL,
        decided_at REAL,
        decided_by TEXT,
        via TEXT,
        message_id TEXT
    );
    """,
    # 5: indexes for what each new post file is checked against (the posts at its path,
    #    sharing its comments URL, or unpublished), so that costs the same at any size.
    """
    CREATE INDEX posts_by_path ON posts (path);
    CREATE INDEX posts_by_comments_url ON posts (comments_url);
    CREATE INDEX posts_by_status ON posts (status);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
