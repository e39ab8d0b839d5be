"""A post's life after its announcement, as the service's scans see it.

After each scan: posts new to the ledger are matched with the announced posts that
disappeared (a renamed file, a changed slug: the same post, never announced again; weaker
evidence holds the post for a person), and an announced post that was deleted or turned
back into a draft is reported once (log, alert, ``status``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from pathlib import Path

from heartbeat_bot.announcer import WRITE_BACK_PENDING
from heartbeat_bot.announcer.edits import Editor
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.ledger.identity import gone_posts
from heartbeat_bot.models import Post
from heartbeat_bot.service.alerts import Alerts
from heartbeat_bot.service.post_ledger import identify_posts
from heartbeat_bot.sources.git import GitRepo

log = logging.getLogger("heartbeat_bot.service")

# The ledger marker of the last commit whose posts a scan read (git mode).
GIT_SCANNED_KEY = "git_scanned"


class PostLife:
    """Identity and unpublishing of posts across the service's scans."""

    def __init__(self, ledger: Ledger, alerts: Alerts, repo: GitRepo | None, git_path: str) -> None:
        self.ledger = ledger
        self.alerts = alerts
        self.repo = repo
        self.git_path = git_path
        self.renames: dict[str, str] = {}  # new path -> old path, since the last scan
        self._tip: str | None = None
        self.held: set[str] = set()  # URLs of posts held for a person, as last seen
        self.links_moved = False  # a renamed post has a link to write: try it now
        # After a first scan's after_scan: the URLs Ledger.quiet_urls gives, from the read
        # it made of every post (None: ask the ledger).
        self.quiet: set[str] | None = None
        self.editor: Editor | None = None  # set with sync.on_unpublish = "unlist"
        # Whether a post that leaves the blog was unpublished, or may be a new one renamed:
        # not for a feed, which keeps only its newest entries (its changed ids are
        # FeedWatch's to hold).
        self.follows_removals = True
        # The URLs of the posts of the latest scan, drafts apart, and the paths of the
        # drafts (kept up to date from what each scan changed: see track).
        self.present: set[str] = set()
        self.drafts: set[str] = set()
        self._draft_paths: set[Path] = set()

    async def fetched(self) -> None:
        """After a fetch: the renames git reports since the last commit scanned."""
        if self.repo is None:
            return
        repo = self.repo
        last = self.ledger.get_meta(GIT_SCANNED_KEY)

        def renames() -> tuple[str, list[tuple[str, str]]]:
            tip = repo.head()
            moved = [] if last is None or last == tip else repo.renames(last, tip, self.git_path)
            return tip, moved

        self._tip, moved = await asyncio.to_thread(renames)
        for old, new in moved:
            self.renames[str(repo.worktree / new)] = str(repo.worktree / old)

    def track(
        self,
        current: Sequence[Post],
        fresh: Sequence[Post],
        gone: Iterable[Path],
        *,
        first: bool,
        urls: Mapping[Path, str],
    ) -> None:
        """Take what a scan found: every post (``current``), those new or changed
        (``fresh``), and the paths of files changed into something else or removed
        (``gone``); the URLs present and drafts follow, in time that grows with the
        changes. ``urls``: each post's URL by path as the previous scan left them (the
        service's own map, read before it takes this scan in: no second map of every post
        is kept here). On the first scan, and for a feed, they are taken from ``current``."""
        if first or not self.follows_removals:
            self.present, self.drafts, self._draft_paths = set(), set(), set()
            fresh = current
        else:
            dropped: set[Path] = set()
            for path in (*gone, *(post.path for post in fresh)):
                if path not in dropped:
                    dropped.add(path)
                    self._drop(path, urls.get(path))
        for post in fresh:
            if post.draft:
                self._draft_paths.add(post.path)
                self.drafts.add(post.url)
            else:
                self.present.add(post.url)

    def _drop(self, path: Path, url: str | None) -> None:
        draft = path in self._draft_paths
        self._draft_paths.discard(path)
        if url is not None:
            (self.drafts if draft else self.present).discard(url)

    async def after_scan(
        self, fresh: Sequence[Post], before: AbstractSet[str], *, first: bool
    ) -> None:
        """Record renamed and held posts, and announced posts gone, before any is
        considered: ``fresh`` are the posts new or changed (all on the first scan),
        ``before`` the URLs of the previous scan's posts; :meth:`track` took this scan."""
        now = datetime.now(UTC)
        present = self.present  # state "draft" is just this
        # On the first scan every recorded post is read once, for all its checks.
        urls = self.ledger.url_rows() if first else None
        self.quiet = None
        if not self.follows_removals:  # a feed: an entry leaving it says nothing
            gone_now: AbstractSet[str] = set()
        elif first:
            gone_now = {row.url for row in gone_posts(self.ledger, present, urls)}
        else:
            gone_now = before - present
        fresh = [p for p in fresh if not p.draft]
        found = identify_posts(
            self.ledger, fresh, present=present, gone_now=gone_now, renames=self.renames, urls=urls
        )
        if urls is not None and not found:  # nothing renamed or held: the read still holds
            self.quiet = {url for _id, url, quiet in urls if quiet}
        for post, verdict in found:
            if verdict.kind == "same":
                self._move_link(verdict.row.url, post.url)
                log.info(
                    "post renamed: %s is %s (%s); not announced again",
                    post.slug,
                    verdict.row.url,
                    verdict.how,
                )
                continue
            self.held.add(post.url)
            text = f"{post.slug} <{post.url}> is held, not announced: it {verdict.how}"
            log.warning("post held: %s", text)
            await self.alerts.post_alert(post.url, "held", text)
        self.renames = {}
        if self.follows_removals:
            await self._unpublished(gone_now, now)
        if self._tip is not None:
            self.ledger.set_meta(GIT_SCANNED_KEY, self._tip)

    def _move_link(self, old_url: str, new_url: str) -> None:
        """A comments URL still to be written goes into the renamed post, at once."""
        entry = self.ledger.get_meta(WRITE_BACK_PENDING + old_url)
        if entry is None:
            return
        pending = json.loads(entry)
        pending["next_at"] = 0
        with self.ledger.transaction():
            self.ledger.delete_meta(WRITE_BACK_PENDING + old_url)
            self.ledger.set_meta(WRITE_BACK_PENDING + new_url, json.dumps(pending))
        self.links_moved = True

    def settled(self) -> set[str]:
        """URLs of held posts a person settled since the last scan (to be considered now)."""
        done = set()
        for url in self.held:
            row = self.ledger.find_post(url)
            if row is None or row.status != "held":
                done.add(url)
        self.held -= done
        return done

    async def _unpublished(self, gone_now: Collection[str], now: datetime) -> None:
        drafts, live = self.drafts, self.present
        for url in sorted(set(gone_now) | drafts):
            row = self.ledger.find_post(url)
            if row is None or row.url != url or row.status != "active":
                continue
            if row.baseline or not self.ledger.announced(row.id):
                continue
            why = "turned back into a draft" if url in drafts else "deleted"
            note = f"{why} after its announcement"
            self.ledger.set_status(row.id, "unpublished", note)
            text = f"{row.slug} <{url}> was {note}; its announcements were left as they are"
            if self.editor is not None:
                done = [await self.editor.withdraw(d) for d in self.ledger.deliveries(row.id)]
                said = "; ".join(n for n in done if n)
                text = f"{row.slug} <{url}> was {note}; " + (said or "nothing to withdraw")
            log.warning("post unpublished: %s", text)
            await self.alerts.post_alert(url, "unpublished", text)
        for url in sorted(live & self.ledger.urls_with_status("unpublished")):
            row = self.ledger.find_post(url)
            if row is not None and row.url == url and row.status == "unpublished":
                self.ledger.set_status(row.id, "active")
                log.info("post published again: %s", row.slug)
