"""The posts folder's listing against an earlier one, over real folders: an unchanged folder
gives the earlier listing back, and any change of size, mtime, inode or name is seen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from heartbeat_bot.sources.listing import (
    Listing,
    list_posts,
    pack_stamp,
    read_listing,
    stamp_mtime,
    stamp_of,
    stamp_parts,
)

PAST_NS = 1_600_000_000 * 10**9


def blog(folder: Path, count: int = 6) -> list[Path]:
    """``count`` posts written long ago, a text file and a hidden post."""
    paths = []
    for number in range(count):
        path = folder / f"post-{number}.md"
        path.write_text(f"---\ntitle: Post {number}\n---\n\nBody.\n")
        os.utime(path, ns=(PAST_NS, PAST_NS))
        paths.append(path)
    (folder / "notes.txt").write_text("not a post\n")
    (folder / ".hidden.md").write_text("---\ntitle: hidden\n---\n")
    return paths


def listed(listing: Listing) -> list[tuple[object, ...]]:
    return [tuple(item) for item in listing.sorted()]


def test_an_unchanged_folder_gives_the_earlier_listing_back(tmp_path: Path) -> None:
    """Listing an unchanged folder against its last listing gives that very listing, with
    every post file and nothing else in it."""
    blog(tmp_path)
    first = read_listing(tmp_path, recursive=False)
    assert read_listing(tmp_path, recursive=False, before=first) is first
    assert [item[0] for item in first.sorted()] == [f"post-{n}.md" for n in range(6)]
    assert first.changes(first) == {}


def _same_size(path: Path) -> None:
    """Rewritten with other bytes of the same size, its mtime kept: only the inode differs."""
    info = path.stat()
    replacement = path.with_name("replacement.tmp")
    replacement.write_bytes(path.read_bytes().upper())
    os.utime(replacement, ns=(info.st_atime_ns, info.st_mtime_ns))
    replacement.replace(path)


def _mtime(path: Path) -> None:
    os.utime(path, ns=(PAST_NS + 1, PAST_NS + 1))


def _size(path: Path) -> None:
    info = path.stat()
    path.write_text(path.read_text() + "More.\n")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def _gone(path: Path) -> None:
    path.unlink()


def _new(path: Path) -> None:
    new = path.with_name("post-new.md")
    new.write_text("---\ntitle: New\n---\n")
    os.utime(new, ns=(PAST_NS, PAST_NS))


def _renamed(path: Path) -> None:
    path.rename(path.with_name("post-renamed.md"))


@pytest.mark.parametrize("change", [_same_size, _mtime, _size, _gone, _new, _renamed])
@pytest.mark.parametrize("which", [0, 3, 5])
def test_any_change_is_seen_wherever_the_file_is_listed(
    tmp_path: Path, change: object, which: int
) -> None:
    """A change of inode, mtime or size, a file gone, new or renamed, whether the folder
    lists it first, in the middle or last, gives a new listing equal to a fresh one, and
    the earlier one names exactly the files that differ."""
    paths = blog(tmp_path)
    first = read_listing(tmp_path, recursive=False)
    order = list(first.plain)  # as the folder lists them
    path = tmp_path / order[which]
    kept = {name: first.get(name) for name in order}
    assert callable(change)
    change(path)
    again = read_listing(tmp_path, recursive=False, before=first)
    fresh = read_listing(tmp_path, recursive=False)
    assert again is not first
    plain = [tuple(item) for item in list_posts(tmp_path, recursive=False)]
    assert listed(again) == listed(fresh) == plain
    names = {*order, *fresh.plain}
    expected = {name: fresh.get(name) for name in names if kept.get(name) != fresh.get(name)}
    assert again.changes(first) == expected != {}
    assert {item[0] for item in first.sorted()} == {p.name for p in paths}  # left as it was


def test_a_link_and_an_upper_case_name_are_listed_and_compared(tmp_path: Path) -> None:
    """A link to a post and a ``.MD`` file are listed as a plain listing would, and a change
    to either is seen against the earlier listing."""
    paths = blog(tmp_path, 2)
    (tmp_path / "link.md").symlink_to(paths[0])
    upper = tmp_path / "UPPER.MD"
    upper.write_text("---\ntitle: Upper\n---\n")
    first = read_listing(tmp_path, recursive=False)
    link = first.get("link.md")
    assert link is not None and link[2] is True
    assert first.get("UPPER.MD") is not None
    assert read_listing(tmp_path, recursive=False, before=first) is first
    os.utime(upper, ns=(PAST_NS, PAST_NS))
    again = read_listing(tmp_path, recursive=False, before=first)
    assert set(again.changes(first)) == {"UPPER.MD"}


def test_page_bundles_are_compared_with_their_files(tmp_path: Path) -> None:
    """A page bundle's index keeps its other files in the listing; one added to the bundle
    is a change to the index's entry."""
    blog(tmp_path, 2)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "index.md").write_text("---\ntitle: Bundle\n---\n")
    first = read_listing(tmp_path, recursive=True)
    stamp = first.rest["bundle/index.md"]
    assert first.get("bundle/index.md") == ("bundle/index.md", stamp, False, ())
    assert read_listing(tmp_path, recursive=True, before=first) is first
    (bundle / "picture.png").write_bytes(b"png")
    again = read_listing(tmp_path, recursive=True, before=first)
    assert again.changes(first) == {"bundle/index.md": again.get("bundle/index.md")}
    index = again.get("bundle/index.md")
    assert index is not None and index[3] == ("picture.png",)


def test_an_update_takes_in_the_changes_it_is_given(tmp_path: Path) -> None:
    """A listing updated with another's changes lists what the other lists."""
    paths = blog(tmp_path)
    first = read_listing(tmp_path, recursive=False)
    _size(paths[1])
    _gone(paths[2])
    _new(paths[0])
    fresh = read_listing(tmp_path, recursive=False)
    first.update(fresh.changes(first))
    assert listed(first) == listed(fresh)
    assert read_listing(tmp_path, recursive=False, before=first) is not first  # order differs
    assert listed(read_listing(tmp_path, recursive=False, before=first)) == listed(fresh)


@pytest.mark.parametrize(
    "size, mtime_ns, inode",
    [
        (0, 0, 0),
        (1234, PAST_NS, 99),
        (2**63 - 1, 2**63 + 5, 2**64 - 1),  # the largest size and inode, a far mtime
        (7, -1, 3),  # written before 1970
        (2**64 - 1, -(2**70), 0),
    ],
)
def test_a_stamp_is_one_int_that_gives_its_three_parts_back(
    size: int, mtime_ns: int, inode: int
) -> None:
    """A stamp packs size, mtime_ns and inode into one int that gives each back, and any
    one of them changed by one (the others kept) gives another stamp."""
    packed = pack_stamp(size, mtime_ns, inode)
    assert isinstance(packed, int)
    assert stamp_parts(packed) == (size, mtime_ns, inode)
    assert stamp_mtime(packed) == mtime_ns
    others = {
        pack_stamp(size + 1, mtime_ns, inode),
        pack_stamp(size, mtime_ns + 1, inode),
        pack_stamp(size, mtime_ns - 1, inode),
        pack_stamp(size, mtime_ns, inode + 1),
    }
    if size:
        others.add(pack_stamp(size - 1, mtime_ns, inode))
    if inode:
        others.add(pack_stamp(size, mtime_ns, inode - 1))
    assert packed not in others


def test_a_listed_stamp_is_the_files_stat(tmp_path: Path) -> None:
    """Each listed file's stamp is the size, mtime_ns and inode its own stat gives."""
    for path in blog(tmp_path):
        info = path.stat()
        found = read_listing(tmp_path, recursive=False).get(path.name)
        assert found is not None and found[1] == stamp_of(info)
        assert stamp_parts(found[1]) == (info.st_size, info.st_mtime_ns, info.st_ino)
