"""The console's index of a scan over posts loaded from the parse cache, as the service
holds them on a large blog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.parse_cache import ParseCache
from heartbeat_bot.sources.stored_post import StoredPost
from heartbeat_bot.web.console.listing import Listing

BLOG = BlogConfig(post_url="https://blog.example/{slug}")


def write(folder: Path, slug: str, when: datetime, summary: bool = True) -> Path:
    path = folder / f"{when:%Y-%m-%d}-{slug}.md"
    described = "descriptionLong: A short summary.\n" if summary else ""
    path.write_text(f"---\ntitle: Post {slug}\ndate: {when.isoformat()}\n{described}---\n\nBody.\n")
    return path


def stored_items(folder: Path, cache: ParseCache) -> list[Post | PostError]:
    """The folder's items as a restart loads them: from the parse cache, heads only."""
    FolderSource(folder, cache=cache).rescan(BLOG)
    items = list(FolderSource(folder, cache=cache).rescan(BLOG).items)
    assert all(isinstance(item, StoredPost | PostError) for item in items)
    return items


def test_the_index_orders_finds_flags_and_counts_moments(tmp_path: Path) -> None:
    """Broken files first, then newest first; a slug finds its post; the post without a
    summary is flagged though only its head is held; only the post due later is
    scheduled; a publish moment passing moves the count of moments."""
    folder = tmp_path / "posts"
    folder.mkdir()
    now = datetime.now(UTC).replace(microsecond=0)
    write(folder, "old", now - timedelta(days=3))
    write(folder, "bare", now - timedelta(days=2), summary=False)
    write(folder, "soon", now + timedelta(hours=1))
    (folder / "2020-01-01-broken.md").write_text("---\ntitle: [unclosed\n---\n\nBody.\n")
    items = stored_items(folder, ParseCache(tmp_path / "cache.sqlite3"))
    index = Listing(lambda: items).index()
    assert [e.slug for e in index.entries] == ["", "soon", "bare", "old"]
    assert [e.path.name for e in index.broken()] == ["2020-01-01-broken.md"]
    assert [p.slug for p in index.scheduled(now)] == ["soon"]
    assert index.scheduled(now + timedelta(hours=2)) == []
    assert {e.slug: e.problems for e in index.entries if e.post} == {
        "soon": False,
        "bare": True,
        "old": False,
    }
    found = index.find("bare")
    assert found is not None and found.title == "Post bare"
    assert index.find("nope") is None
    assert index.passed(now + timedelta(hours=2)) == index.passed(now) + 1


def test_the_digest_moves_only_when_a_scan_changes_a_post(tmp_path: Path) -> None:
    """A new scan of unchanged files gives the same digest (another index); an edited file
    another digest."""
    folder = tmp_path / "posts"
    folder.mkdir()
    now = datetime.now(UTC).replace(microsecond=0)
    path = write(folder, "one", now - timedelta(days=1))
    write(folder, "two", now - timedelta(days=2))
    cache = ParseCache(tmp_path / "cache.sqlite3")
    current = stored_items(folder, cache)
    listing = Listing(lambda: current)
    first = listing.index()
    current = stored_items(folder, cache)
    again = listing.index()
    assert again is not first and again.digest == first.digest
    path.write_text(path.read_text().replace("Post one", "Post one, edited"))
    current = stored_items(folder, cache)
    assert listing.index().digest != first.digest
