"""FolderSource over real files copied from the corpus, and find_post over what it loads."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path

import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import ConfigError, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import find_post
from heartbeat_bot.sources.entry_read import RACY_NS
from heartbeat_bot.sources.folder import FolderSource
from tests.conftest import CORPUS, DVC_AUTHORS, DVC_POSTS

POSTS = (
    "2021-05-21-may-21-dvc-heartbeat.md",
    "2022-05-24-MLEM-release.md",
    "2023-12-11-dvc-git-lfs.md",
)
AUTHOR_IDS = ("jeny_defigueiredo", "aguschin", "peter_rowlands")
BOM_POST = CORPUS / "malformed" / "bom-2022-08-snapshot" / "2021-06-02-introducing-dvc-studio.md"


@pytest.fixture
def blog_dir(tmp_path: Path) -> Path:
    """A small blog: three real posts, a BOM post, a broken post, real authors, a broken author."""
    posts = tmp_path / "posts"
    authors = tmp_path / "authors"
    (posts / "drafts").mkdir(parents=True)
    authors.mkdir()
    for name in POSTS:
        shutil.copy(DVC_POSTS / name, posts / name)
    shutil.copy(BOM_POST, posts / BOM_POST.name)
    for author_id in AUTHOR_IDS:
        shutil.copy(DVC_AUTHORS / f"{author_id}.md", authors / f"{author_id}.md")
    (posts / "2022-01-01-broken.md").write_text("No frontmatter here.\n", encoding="utf-8")
    (posts / "notes.txt").write_text("not a post\n", encoding="utf-8")
    (posts / ".#2022-01-02-lock.md").write_text("editor lock file\n", encoding="utf-8")
    (posts / "drafts" / "2022-01-03-nested.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    (authors / "broken.md").write_bytes(b"\x00\x01 not an author")
    (authors / "nameless.md").write_text("---\navatar: x.png\n---\n", encoding="utf-8")
    return tmp_path


def source_of(root: Path) -> FolderSource:
    return FolderSource(root / "posts", root / "authors")


def blog_of(root: Path, dvc_blog: BlogConfig) -> BlogConfig:
    return dvc_blog.model_copy(
        update={"posts_dir": root / "posts", "authors_dir": root / "authors"}
    )


def test_files_lists_post_files_sorted(blog_dir: Path) -> None:
    """files() lists the Markdown posts right in the folder, by name; no subfolders or dotfiles."""
    names = [path.name for path in source_of(blog_dir).files()]
    assert names == sorted([*POSTS, BOM_POST.name, "2022-01-01-broken.md"])


def test_scan_keeps_going_past_a_broken_file(blog_dir: Path, dvc_blog: BlogConfig) -> None:
    """scan() gives Posts and PostErrors side by side in file order; one bad file stops nothing."""
    results = source_of(blog_dir).scan(blog_of(blog_dir, dvc_blog))
    assert len(results) == 5
    errors = [r for r in results if isinstance(r, PostError)]
    posts = [r for r in results if isinstance(r, Post)]
    assert len(errors) == 1 and errors[0].path == blog_dir / "posts" / "2022-01-01-broken.md"
    assert "does not start with a '---'" in str(errors[0])
    by_slug = {post.slug: post for post in posts}
    assert by_slug["MLEM-release"].authors == ("Alexander Guschin",)
    assert by_slug["dvc-git-lfs"].authors == ("Peter Rowlands",)
    assert by_slug["introducing-dvc-studio"].title
    assert isinstance(results[2], PostError)  # two 2021 posts sort before 2022-01-01-broken


def test_authors_read_again_only_when_changed(blog_dir: Path) -> None:
    """authors() maps ids to names, skips broken or nameless files, reads the folder again
    only when a file changed, and keeps the names last read when the folder goes away."""
    source = source_of(blog_dir)
    names = source.authors()
    assert names == {
        "aguschin": "Alexander Guschin",
        "jeny_defigueiredo": "Jeny De Figueiredo",
        "peter_rowlands": "Peter Rowlands",
    }
    assert sorted(error.path.name for error in source.author_errors) == ["broken.md", "nameless.md"]
    assert source.authors() is names
    (blog_dir / "authors" / "rob_dewit.md").write_text("---\nname: Rob de Wit\n---\n")
    again = source.authors()
    assert again is not names and again["rob_dewit"] == "Rob de Wit"
    shutil.rmtree(blog_dir / "authors")
    assert source.authors() is again


def test_no_authors_dir_shows_ids(blog_dir: Path, dvc_blog: BlogConfig) -> None:
    """Without an authors folder, posts keep their author ids as names and note no problem."""
    source = FolderSource(blog_dir / "posts", None)
    post = source.load(blog_dir / "posts" / "2022-05-24-MLEM-release.md", dvc_blog)
    assert post.authors == ("aguschin",)
    assert not any("author" in problem for problem in post.problems)


def test_missing_posts_dir_is_config_error(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """A posts folder that does not exist is a ConfigError naming blog.posts_dir and the path."""
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError) as caught:
        FolderSource(missing, None).scan(dvc_blog)
    assert caught.value.key == "blog.posts_dir"
    assert "blog.posts_dir" in str(caught.value) and str(missing) in str(caught.value)


def test_missing_authors_dir_is_config_error(blog_dir: Path) -> None:
    """An authors folder that is set but missing is a ConfigError naming blog.authors_dir."""
    with pytest.raises(ConfigError) as caught:
        FolderSource(blog_dir / "posts", blog_dir / "no-authors").authors()
    assert caught.value.key == "blog.authors_dir"


def test_unreadable_file_is_post_error(blog_dir: Path, dvc_blog: BlogConfig) -> None:
    """A file that vanished or cannot be read gives a PostError naming it, not an OSError."""
    gone = blog_dir / "posts" / "2022-02-02-gone.md"
    with pytest.raises(PostError) as caught:
        source_of(blog_dir).load(gone, dvc_blog)
    assert caught.value.path == gone and "cannot be read" in str(caught.value)


@pytest.fixture
def loaded(blog_dir: Path, dvc_blog: BlogConfig) -> list[Post]:
    """The Posts of the small blog."""
    results = source_of(blog_dir).scan(blog_of(blog_dir, dvc_blog))
    return [result for result in results if isinstance(result, Post)]


@pytest.mark.parametrize(
    "ref",
    [
        "MLEM-release",
        "mlem-release",
        "https://dvc.org/blog/MLEM-release",
        "http://DVC.org/blog/MLEM-release/",
        "dvc.org/blog/MLEM-release",
        "2022-05-24-MLEM-release.md",
        "2022-05-24-MLEM-release",
        "posts/2022-05-24-MLEM-release.md",
    ],
)
def test_find_post_by_slug_url_or_file(loaded: list[Post], ref: str) -> None:
    """find_post finds a post by slug (any case), URL (scheme, host case, slash) or file name."""
    found = find_post(loaded, ref)
    assert found is not None and found.slug == "MLEM-release"


@pytest.mark.parametrize("ref", ["", "  ", "nothing-like-it", "https://dvc.org/blog/MLEM"])
def test_find_post_unknown_ref(loaded: list[Post], ref: str) -> None:
    """find_post returns None when nothing matches."""
    assert find_post(loaded, ref) is None


def test_find_post_exact_slug_beats_case_insensitive(loaded: list[Post]) -> None:
    """When two slugs differ only in case, the exact one is found."""
    original = next(post for post in loaded if post.slug == "MLEM-release")
    twin = dataclasses.replace(
        original, slug="mlem-release", url="https://dvc.org/blog/mlem-release"
    )
    assert find_post([original, twin], "mlem-release") is twin
    assert find_post([twin, original], "MLEM-release") is original


MLEM = "2022-05-24-MLEM-release.md"
BROKEN = "2022-01-01-broken.md"


def post_paths(root: Path) -> list[Path]:
    """The post files of the small blog, in name order."""
    return source_of(root).files()


def set_mtime(path: Path, mtime_ns: int) -> None:
    """Give ``path`` this modification time (and access time)."""
    os.utime(path, ns=(mtime_ns, mtime_ns))


def age_posts(root: Path) -> None:
    """Date every post file an hour back, as files written long before the service started."""
    for path in post_paths(root):
        set_mtime(path, path.stat().st_mtime_ns - 3600 * 10**9)


def test_first_rescan_reports_everything_changed(blog_dir: Path, dvc_blog: BlogConfig) -> None:
    """The first rescan gives what scan() gives, with every file changed and the error new."""
    blog = blog_of(blog_dir, dvc_blog)
    result = source_of(blog_dir).rescan(blog)
    assert [str(item) if isinstance(item, PostError) else item for item in result.items] == [
        str(item) if isinstance(item, PostError) else item
        for item in source_of(blog_dir).scan(blog)
    ]
    assert result.changed == post_paths(blog_dir) and result.removed == []
    assert [error.path.name for error in result.errors_new] == [BROKEN]


def test_unchanged_file_is_not_read_again(blog_dir: Path, dvc_blog: BlogConfig) -> None:
    """A file whose size and mtime did not change keeps its cached Post, even if its bytes did."""
    blog = blog_of(blog_dir, dvc_blog)
    age_posts(blog_dir)
    source = source_of(blog_dir)
    first = source.rescan(blog)
    path = blog_dir / "posts" / MLEM
    before = next(item for item in first.items if isinstance(item, Post) and item.path == path)
    info = path.stat()
    path.write_bytes(b"\x00" * info.st_size)  # same size, unparseable
    set_mtime(path, info.st_mtime_ns)
    with pytest.raises(PostError):  # a fresh read would fail: the cached Post proves no read
        source_of(blog_dir).load(path, blog)
    second = source.rescan(blog)
    assert second.changed == [] and second.removed == [] and second.errors_new == []
    assert any(item is before for item in second.items)
    assert len(second.items) == len(first.items)


def test_recent_write_with_same_stamp_is_caught(blog_dir: Path, dvc_blog: BlogConfig) -> None:
    """A file rewritten within the mtime tick of a rescan is read again and seen as changed."""
    blog = blog_of(blog_dir, dvc_blog)
    source = source_of(blog_dir)
    path = blog_dir / "posts" / MLEM
    set_mtime(path, time.time_ns() - RACY_NS // 2)  # written just before the rescan
    source.rescan(blog)
    info = path.stat()
    text = path.read_text(encoding="utf-8")  # one character added to the title, one cut at the end
    path.write_text(text.replace("title: ", "title: X", 1)[:-2] + "\n", encoding="utf-8")
    assert path.stat().st_size == info.st_size
    set_mtime(path, info.st_mtime_ns)
    result = source.rescan(blog)
    assert result.changed == [path]
    post = next(item for item in result.items if isinstance(item, Post) and item.path == path)
    assert post.title.startswith("X")


def test_edited_file_is_changed(blog_dir: Path, dvc_blog: BlogConfig) -> None:
    """New content and a new mtime make the file changed and its Post reflect the edit."""
    blog = blog_of(blog_dir, dvc_blog)
    age_posts(blog_dir)
    source = source_of(blog_dir)
    source.rescan(blog)
    path = blog_dir / "posts" / MLEM
    path.write_text(
        path.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8"
    )
    result = source.rescan(blog)
    assert result.changed == [path] and result.removed == [] and result.errors_new == []
    post = next(item for item in result.items if isinstance(item, Post) and item.path == path)
    assert post.title.startswith("Edited ")


def test_touched_file_with_same_bytes_is_not_changed(blog_dir: Path, dvc_blog: BlogConfig) -> None:
    """A new mtime on identical bytes is not reported as changed and keeps the same Post."""
    blog = blog_of(blog_dir, dvc_blog)
    age_posts(blog_dir)
    source = source_of(blog_dir)
    first = source.rescan(blog)
    path = blog_dir / "posts" / MLEM
    set_mtime(path, path.stat().st_mtime_ns + 10**9)
    second = source.rescan(blog)
    assert second.changed == [] and [id(i) for i in second.items] == [id(i) for i in first.items]


def test_deleted_file_is_removed(blog_dir: Path, dvc_blog: BlogConfig) -> None:
    """A file gone since the previous rescan is listed in removed and left out of items."""
    blog = blog_of(blog_dir, dvc_blog)
    source = source_of(blog_dir)
    first = source.rescan(blog)
    path = blog_dir / "posts" / MLEM
    path.unlink()
    second = source.rescan(blog)
    assert second.removed == [path] and second.changed == []
    assert len(second.items) == len(first.items) - 1
    assert all(item.path != path for item in second.items)
    assert source.rescan(blog).removed == []


def test_malformed_file_reported_once(blog_dir: Path, dvc_blog: BlogConfig) -> None:
    """A malformed post is in errors_new on the rescan that finds it, not on the next ones."""
    blog = blog_of(blog_dir, dvc_blog)
    age_posts(blog_dir)
    source = source_of(blog_dir)
    assert [error.path.name for error in source.rescan(blog).errors_new] == [BROKEN]
    again = source.rescan(blog)
    assert again.errors_new == [] and again.changed == []
    assert any(isinstance(item, PostError) and item.path.name == BROKEN for item in again.items)
    broken = blog_dir / "posts" / BROKEN
    broken.write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    edited = source.rescan(blog)
    assert edited.changed == [broken]
    assert [str(error) for error in edited.errors_new] == [str(_error_of(source, broken, blog))]


def _error_of(source: FolderSource, path: Path, blog: BlogConfig) -> PostError:
    with pytest.raises(PostError) as caught:
        FolderSource(source.posts_dir, source.authors_dir).load(path, blog)
    return caught.value


class _DeletesBeforeReading(FolderSource):
    """A source whose file disappears between the listing and the read, as a racing ``rm``."""

    victim = MLEM

    def read(self, path: Path) -> bytes:
        if path.name == self.victim:
            path.unlink()
        return super().read(path)


def test_file_deleted_after_listing_does_not_raise(blog_dir: Path, dvc_blog: BlogConfig) -> None:
    """A file deleted after the listing is left out (new) or reported removed (known)."""
    blog = blog_of(blog_dir, dvc_blog)
    fresh = _DeletesBeforeReading(blog_dir / "posts", blog_dir / "authors")
    result = fresh.rescan(blog)
    assert all(item.path.name != MLEM for item in result.items)
    assert all(path.name != MLEM for path in result.changed) and result.removed == []

    shutil.copy(DVC_POSTS / MLEM, blog_dir / "posts" / MLEM)
    known = _DeletesBeforeReading(blog_dir / "posts", blog_dir / "authors")
    known.victim = ""
    assert any(path.name == MLEM for path in known.rescan(blog).changed)
    known.victim = MLEM
    set_mtime(blog_dir / "posts" / MLEM, 0)  # a new stamp forces a read, which finds nothing
    assert [path.name for path in known.rescan(blog).removed] == [MLEM]


def test_new_settings_parse_again(blog_dir: Path, dvc_blog: BlogConfig) -> None:
    """Rescanning with other blog settings parses every file again with them."""
    blog = blog_of(blog_dir, dvc_blog)
    source = source_of(blog_dir)
    source.rescan(blog)
    other = blog.model_copy(update={"post_url": "https://example.org/{slug}/"})
    result = source.rescan(other)
    assert result.changed == post_paths(blog_dir)
    urls = [item.url for item in result.items if isinstance(item, Post)]
    assert urls and all(url.startswith("https://example.org/") for url in urls)


def test_rescan_missing_posts_dir_is_config_error(tmp_path: Path, dvc_blog: BlogConfig) -> None:
    """rescan() names blog.posts_dir, like scan(), when the folder does not exist."""
    with pytest.raises(ConfigError) as caught:
        FolderSource(tmp_path / "nowhere", None).rescan(dvc_blog)
    assert caught.value.key == "blog.posts_dir"
