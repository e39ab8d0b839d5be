"""A targeted rescan (the paths a watcher event names) against whole rescans, over real folders:
random creates, edits, renames, deletes, broken files and slug clashes."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import DuplicatePost
from heartbeat_bot.models import Post
from heartbeat_bot.sources.entry_read import RACY_NS
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.listing import Listing, list_posts
from heartbeat_bot.sources.scan_result import ScanResult

NAMES = ("a.md", "b.md", "c.mdx", "d.markdown", "_e.md", ".f.md", "g.txt", "sub/h.md")
SLUGS = ("one", "two", "three")
PAST_NS = 1_600_000_000 * 10**9  # long before any rescan: the stamp is trusted

write = st.tuples(
    st.just("write"), st.sampled_from(NAMES), st.sampled_from(SLUGS), st.booleans(), st.booleans()
)
delete = st.tuples(st.just("delete"), st.sampled_from(NAMES))
rename = st.tuples(st.just("rename"), st.sampled_from(NAMES), st.sampled_from(NAMES))
# Written again within the same mtime tick (same size, same stamp), and no event for it:
# seen by content while the stamp is recent (a rescan reads such a file again anyway).
sneak = st.tuples(st.just("sneak"), st.sampled_from(NAMES))
steps = st.lists(st.one_of(write, delete, rename, sneak), min_size=1, max_size=15)


def shape(result: ScanResult) -> tuple[object, ...]:
    """What a rescan says, comparable between two sources (posts by their fields); its
    fresh posts, when it gives them, are the Posts of its changed files."""

    def item(value: object) -> object:
        if isinstance(value, Post):
            return ("post", value.path, value.url, value.slug, value.title)
        assert isinstance(value, Exception)
        return (type(value).__name__, getattr(value, "path", None), str(value))

    posts = {i.path: i for i in result.items if isinstance(i, Post)}
    assert (result.fresh or []) == [posts[p] for p in result.changed if p in posts]
    return (
        [item(i) for i in result.items],
        result.changed,
        result.removed,
        [item(e) for e in result.errors_new],
    )


def apply(folder: Path, step: tuple[object, ...], moment: int) -> list[Path]:
    """Carry out one step in ``folder``; the paths a watcher would name."""
    kind, name = step[0], folder / str(step[1])
    if kind == "write":
        _, _, slug, past, broken = step
        name.parent.mkdir(exist_ok=True)
        head = "title: [unclosed" if broken else f"title: Post {moment}\nslug: {slug}"
        name.write_text(f"---\n{head}\ndate: 2020-01-02\n---\n\nBody {moment}.\n")
        if past:  # written long ago: its stamp is trusted from now on
            os.utime(name, ns=(PAST_NS + moment, PAST_NS + moment))
        return [name]
    if kind == "sneak":
        info = name.stat() if name.is_file() else None
        if info is not None and info.st_mtime_ns > time.time_ns() - RACY_NS // 2:
            text = name.read_text()
            name.write_text(text.replace("Post", "Tost") if "Post" in text else text.upper())
            os.utime(name, ns=(info.st_atime_ns, info.st_mtime_ns))
        return []
    if kind == "delete":
        if name.exists():
            name.unlink()
        return [name]
    target = folder / str(step[2])
    if name.exists() and target.parent.is_dir():
        name.rename(target)
    return [name, target]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps)
def test_a_targeted_rescan_says_what_a_whole_rescan_says(steps: list[tuple[object, ...]]) -> None:
    """After every step, a rescan of only the paths it touched gives the same items, changed
    and removed files and new errors as a whole rescan of a second source (which redoes
    the files its listing finds changed) and of a third that goes over every file, and the
    same items as a fresh source's first scan."""
    blog = BlogConfig(post_url="https://blog.example/{slug}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for number, name in enumerate(("a.md", "b.md")):  # a folder listed with posts in it
            apply(folder, ("write", name, SLUGS[number], True, False), -1 - number)
        targeted, whole, every = FolderSource(folder), FolderSource(folder), FolderSource(folder)
        assert shape(targeted.rescan(blog)) == shape(whole.rescan(blog))
        every.rescan(blog)
        for moment, step in enumerate(steps):
            paths = apply(folder, step, moment)
            expected = whole.rescan(blog)
            assert shape(targeted.rescan(blog, only=paths)) == shape(expected), step
            every._listed = Listing()  # no listing to compare with: each file looked at
            assert shape(every.rescan(blog)) == shape(expected), step
            assert shape(FolderSource(folder).rescan(blog))[0] == shape(expected)[0]


def test_a_slug_clash_made_and_undone_by_events(tmp_path: Path) -> None:
    """A file taking another's slug holds both (the other one counts as changed), and
    renaming its slug away frees the other, each reported by the event's rescan alone."""
    blog = BlogConfig(post_url="https://blog.example/{slug}")
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    for path, slug in ((first, "one"), (second, "two")):
        path.write_text(f"---\ntitle: {slug}\nslug: {slug}\ndate: 2020-01-02\n---\n\nBody.\n")
    source = FolderSource(tmp_path)
    source.rescan(blog)
    second.write_text("---\ntitle: two\nslug: one\ndate: 2020-01-02\n---\n\nBody.\n")
    clash = source.rescan(blog, only=[second])
    assert all(isinstance(i, DuplicatePost) for i in clash.items)
    assert clash.changed == [first, second]
    assert [e.path for e in clash.errors_new] == [first, second]
    second.write_text("---\ntitle: two\nslug: two\ndate: 2020-01-02\n---\n\nBody.\n")
    freed = source.rescan(blog, only=[second])
    assert all(isinstance(i, Post) for i in freed.items)
    assert freed.changed == [first, second] and freed.errors_new == []
    second.unlink()
    gone = source.rescan(blog, only=[second])
    assert gone.removed == [second] and gone.changed == []


def test_a_listing_like_the_last_one_is_in_the_same_order(tmp_path: Path) -> None:
    """Given the last listing's names, a folder holding the same names lists as sorted, and
    one holding other names (as many) is sorted again, not put in the old order."""
    for name in ("b.md", "a.md", "c.md"):
        (tmp_path / name).write_text("---\ntitle: T\n---\n")
    plain = list_posts(tmp_path, recursive=False)
    assert [item[0] for item in plain] == ["a.md", "b.md", "c.md"]
    assert list_posts(tmp_path, recursive=False, like=["a.md", "b.md", "c.md"]) == plain
    (tmp_path / "b.md").rename(tmp_path / "0.md")
    again = list_posts(tmp_path, recursive=False, like=["a.md", "b.md", "c.md"])
    assert [item[0] for item in again] == ["0.md", "a.md", "c.md"]
