"""The records kept per post file share their objects rather than copy them (the listing's
names and stamps are those of the parse cache's records; one URL index entry is a name, not
a list; the service's life reads URLs from the service's map), and still see every change:
a file rewritten, removed, renamed, a URL clash made and undone, URLs swapped."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import DuplicatePost
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.models import Post
from heartbeat_bot.service.alerts import Alerts
from heartbeat_bot.service.life import PostLife
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.listing import Listing, read_listing
from heartbeat_bot.sources.parse_cache import ParseCache
from heartbeat_bot.sources.scan_result import ScanResult
from heartbeat_bot.sources.stored_post import StoredPost

PAST_NS = 1_600_000_000 * 10**9  # long before any rescan: the stamp is trusted
BLOG = BlogConfig(post_url="https://blog.example/{slug}")


def write(path: Path, slug: str, body: str = "Body.", *, past: int | None = 0) -> None:
    """A post file with ``slug``; written long ago unless ``past`` is None."""
    path.write_text(f"---\ntitle: {slug}\nslug: {slug}\ndate: 2020-01-02\n---\n\n{body}\n")
    if past is not None:
        os.utime(path, ns=(PAST_NS + past, PAST_NS + past))


def same_size_rewrite(path: Path) -> None:
    """Other bytes of the same size, the mtime kept: only the inode tells."""
    info = path.stat()
    replacement = path.with_name("replacement.tmp")
    replacement.write_bytes(path.read_bytes().replace(b"Body", b"Bodx"))
    os.utime(replacement, ns=(info.st_atime_ns, info.st_mtime_ns))
    replacement.replace(path)


def listed(listing: Listing) -> list[tuple[object, ...]]:
    return [tuple(item) for item in listing.sorted()]


def test_a_listing_holds_the_name_and_stamp_objects_it_is_given(tmp_path: Path) -> None:
    """A file listed with the name and stamp held for it holds those very objects; a file
    changed, new or gone since is listed as a fresh listing lists it, and a later change
    of an unchanged file (only its inode) is seen against that listing."""
    for number in range(5):
        write(tmp_path / f"post-{number}.md", f"post-{number}", past=number)
    first = read_listing(tmp_path, recursive=False)
    kept = {name: (name.encode().decode(), int(str(stamp))) for name, stamp in first.plain.items()}
    os.utime(tmp_path / "post-1.md", ns=(PAST_NS + 99, PAST_NS + 99))
    (tmp_path / "post-2.md").unlink()
    write(tmp_path / "post-9.md", "post-9")
    shared = read_listing(tmp_path, recursive=False, held=kept.get)
    assert listed(shared) == listed(read_listing(tmp_path, recursive=False))
    for name, stamp in shared.plain.items():
        held = kept.get(name)
        if name in ("post-0.md", "post-3.md", "post-4.md"):
            assert held is not None and name is held[0] and stamp is held[1]
        else:
            assert held is None or (name is not held[0] and stamp is not held[1])
    assert "post-2.md" not in shared and "post-9.md" in shared
    same_size_rewrite(tmp_path / "post-3.md")
    again = read_listing(tmp_path, recursive=False, before=shared)
    assert set(again.changes(shared)) == {"post-3.md"}


def warm_source(folder: Path, cache: Path) -> tuple[FolderSource, ScanResult]:
    """A source over a parse cache another source filled, after its first rescan."""
    FolderSource(folder, cache=ParseCache(cache)).rescan(BLOG)
    source = FolderSource(folder, cache=ParseCache(cache))
    return source, source.rescan(BLOG)


def shape(result: ScanResult) -> tuple[object, ...]:
    items = [
        (i.path, i.url) if isinstance(i, Post) else (type(i).__name__, i.path) for i in result.items
    ]
    return items, result.changed, result.removed


@pytest.mark.parametrize("targeted", [True, False])
def test_a_warm_start_shares_its_records_and_sees_every_change(
    tmp_path: Path, targeted: bool
) -> None:
    """After a start from the parse cache, the listing holds the records' own names and
    stamps (and the posts of one day one date); a file rewritten (same size and mtime),
    removed or renamed is then reported by the event's rescan (or a periodic one) as a
    fresh source sees the folder."""
    folder = tmp_path / "posts"
    folder.mkdir()
    for number in range(6):
        write(folder / f"post-{number}.md", f"post-{number}", past=number)
    source, start = warm_source(folder, tmp_path / "cache.sqlite3")
    assert start.changed == [folder / f"post-{n}.md" for n in range(6)]
    posts = [item for item in start.items if isinstance(item, StoredPost)]
    assert len(posts) == 6 and len({id(post.date) for post in posts}) == 1  # one day, shared
    assert source._showing.differs == {}  # no clash: no result kept apart from the records
    entries = source._entries
    for name, stamp in source._listed.plain.items():
        entry = entries[name]
        assert name is entry.path.name and stamp is entry.stamp
        assert next(key for key in entries if key == name) is name
    steps = [
        (same_size_rewrite, "post-1.md", "post-1.md"),
        (Path.unlink, "post-2.md", "post-2.md"),
        (lambda p: p.rename(p.with_name("post-7.md")), "post-3.md", "post-7.md"),
    ]
    for change, name, lands in steps:
        change(folder / name)
        only = [folder / name, folder / lands] if targeted else None
        result = source.rescan(BLOG, only=only)
        assert result.changed or result.removed, name
        assert shape(result)[0] == shape(FolderSource(folder).rescan(BLOG))[0]
    result = source.rescan(BLOG)
    assert result.changed == result.removed == []
    urls = [i.url for i in result.items if isinstance(i, Post)]
    assert urls == [f"https://blog.example/post-{n}" for n in (0, 1, 4, 5, 3)]


@pytest.mark.parametrize("targeted", [True, False])
def test_three_files_sharing_a_url_clash_and_are_freed_one_by_one(
    tmp_path: Path, targeted: bool
) -> None:
    """Two files, then a third, taking one URL are all clashes (the URL index going from a
    name to a list), freed one at a time by the events' rescans (back to a name), each
    rescan (an event's, or a periodic one) saying what a fresh source says of the folder;
    the source keeps apart only the results that differ from their records' (the clashes)."""
    paths = [tmp_path / f"{letter}.md" for letter in "abc"]
    for path, slug in zip(paths, ("one", "two", "three"), strict=True):
        write(path, slug)
    source = FolderSource(tmp_path)
    source.rescan(BLOG)
    source.rescan(BLOG, only=[paths[0]])  # the index is built at a first targeted rescan
    steps = [(paths[1], "one"), (paths[2], "one"), (paths[1], "two"), (paths[0], "zero")]
    clashes = [{0, 1}, {0, 1, 2}, {0, 2}, set()]
    for number, ((path, slug), clash) in enumerate(zip(steps, clashes, strict=True)):
        write(path, slug, body=f"Now {slug}.", past=10 + number)  # a stamp of its own
        result = source.rescan(BLOG, only=[path] if targeted else None)
        assert shape(result)[0] == shape(FolderSource(tmp_path).rescan(BLOG))[0]
        marked = {n for n, item in enumerate(result.items) if isinstance(item, DuplicatePost)}
        assert marked == clash
        assert set(source._showing.differs) == {paths[n].name for n in clash}
        again = source.rescan(BLOG)  # nothing changed since: nothing to say
        assert (again.items, again.changed, again.removed) == (result.items, [], [])
    assert [i.url for i in result.items if isinstance(i, Post)] == [
        "https://blog.example/zero",
        "https://blog.example/two",
        "https://blog.example/one",
    ]


def post(name: str, slug: str, *, draft: bool = False) -> Post:
    return Post(
        path=Path("/blog") / name,
        slug=slug,
        url=f"https://blog.example/{slug}",
        title=slug,
        date=date(2024, 1, 1),
        published_at=datetime(2024, 1, 1, tzinfo=UTC),
        picture_url=None,
        authors=(),
        author_ids=(),
        tags=(),
        description=None,
        description_long=None,
        comments_url=None,
        draft=draft,
        channels=frozenset(),
        content_hash=slug,
    )


def test_life_follows_the_service_map_through_swaps_drafts_and_removals(
    tmp_path: Path,
) -> None:
    """Told each scan's changes and the service's path -> URL map as the previous scan
    left it, the URLs present and the drafts are those of the posts now, through two files
    swapping their URLs, a draft published, a post turned draft and a file removed."""

    async def scans() -> None:
        async with httpx.AsyncClient() as http:
            with Ledger(tmp_path / "ledger.sqlite3") as ledger:
                life = PostLife(ledger, Alerts(None, http), None, "")
                by_path: dict[Path, str] = {}
                states = [
                    [post("a.md", "one"), post("b.md", "two"), post("c.md", "three", draft=True)],
                    [post("a.md", "two"), post("b.md", "one"), post("c.md", "three", draft=True)],
                    [post("a.md", "two"), post("b.md", "one", draft=True), post("c.md", "three")],
                    [post("b.md", "one", draft=True), post("c.md", "three")],
                ]
                before: dict[Path, Post] = {}
                for number, state in enumerate(states):
                    now = {p.path: p for p in state}
                    fresh = [p for p in state if before.get(p.path) != p]
                    removed = [path for path in before if path not in now]
                    gone = [p.path for p in fresh] + removed
                    life.track(state, fresh, gone, first=number == 0, urls=by_path)
                    for path in removed:  # as the service takes the scan in, after
                        del by_path[path]
                    by_path.update((p.path, p.url) for p in fresh)
                    assert life.present == {p.url for p in state if not p.draft}, number
                    assert life.drafts == {p.url for p in state if p.draft}, number
                    before = now

    asyncio.run(scans())
