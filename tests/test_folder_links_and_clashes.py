"""FolderSource over real folders: symbolic links in the posts folder, and posts sharing a slug."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import DuplicatePost, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import mark_duplicates, parse_post
from heartbeat_bot.sources.folder import FolderSource
from tests.conftest import DVC_AUTHORS, DVC_POSTS

MLEM = "2022-05-24-MLEM-release.md"
LFS = "2023-12-11-dvc-git-lfs.md"


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    """A posts folder with two real posts, and a real post outside it (``tmp_path/secret.md``)."""
    folder = tmp_path / "posts"
    (folder / "drafts").mkdir(parents=True)
    for name in (MLEM, LFS):
        shutil.copy(DVC_POSTS / name, folder / name)
    shutil.copy(DVC_POSTS / "2021-05-21-may-21-dvc-heartbeat.md", tmp_path / "secret.md")
    return folder


def blog_for(folder: Path, dvc_blog: BlogConfig) -> BlogConfig:
    return dvc_blog.model_copy(update={"posts_dir": folder})


def by_name(items: list[Post | PostError]) -> dict[str, Post | PostError]:
    return {item.path.name: item for item in items}


def test_a_link_out_of_the_folder_is_reported_not_read(posts: Path, dvc_blog: BlogConfig) -> None:
    """A symbolic link to a file outside the posts folder is a PostError naming the link, in
    scan and rescan alike, and the file it leads to is never parsed into a Post."""
    link = posts / "2024-01-01-outside.md"
    link.symlink_to(posts.parent / "secret.md")
    blog = blog_for(posts, dvc_blog)
    source = FolderSource(posts, DVC_AUTHORS)
    for items in (source.scan(blog), source.rescan(blog).items):
        error = by_name(items)[link.name]
        assert isinstance(error, PostError), "the target was read and parsed"
        assert error.path == link
        assert "symbolic link" in str(error) and "outside blog.posts_dir" in str(error)
    with pytest.raises(PostError, match=r"outside blog\.posts_dir"):
        source.load(link, blog)


def test_a_link_out_of_the_folder_is_reported_once(posts: Path, dvc_blog: BlogConfig) -> None:
    """The link's error is new on the rescan that finds it, not on the next ones."""
    (posts / "2024-01-01-outside.md").symlink_to(posts.parent / "secret.md")
    source, blog = FolderSource(posts, DVC_AUTHORS), blog_for(posts, dvc_blog)
    assert [e.path.name for e in source.rescan(blog).errors_new] == ["2024-01-01-outside.md"]
    again = source.rescan(blog)
    assert again.errors_new == [] and again.changed == []


def test_a_link_made_to_lead_out_later_is_caught(posts: Path, dvc_blog: BlogConfig) -> None:
    """A link to a file inside the posts folder (a subfolder here) is a post; pointed outside
    afterwards, it is refused at the next rescan."""
    shutil.copy(DVC_POSTS / "2021-05-21-may-21-dvc-heartbeat.md", posts / "drafts" / "may.md")
    link = posts / "2024-01-02-inside.md"
    link.symlink_to(Path("drafts") / "may.md")
    source, blog = FolderSource(posts, DVC_AUTHORS), blog_for(posts, dvc_blog)
    inside = by_name(source.rescan(blog).items)[link.name]
    assert isinstance(inside, Post) and inside.path == link and inside.slug == "inside"
    link.unlink()
    link.symlink_to(posts.parent / "secret.md")
    result = source.rescan(blog)
    assert isinstance(by_name(result.items)[link.name], PostError)
    assert [e.path for e in result.errors_new] == [link]


def post_with_slug(folder: Path, name: str, slug: str) -> Path:
    """A copy of a real post under ``name`` whose frontmatter sets ``slug``."""
    text = (DVC_POSTS / MLEM).read_text(encoding="utf-8")
    path = folder / name
    path.write_text(text.replace("---\n", f"---\nslug: {slug}\n", 1), encoding="utf-8")
    return path


def test_posts_sharing_a_slug_are_both_errors_naming_each_other(
    posts: Path, dvc_blog: BlogConfig
) -> None:
    """Two files with the same slug both become DuplicatePost errors, each naming the other
    file; the third post is untouched."""
    first = post_with_slug(posts, "2024-02-01-first.md", "same")
    second = post_with_slug(posts, "2024-02-02-second.md", "same")
    items = by_name(FolderSource(posts, DVC_AUTHORS).scan(blog_for(posts, dvc_blog)))
    for mine, other in ((first, second), (second, first)):
        error = items[mine.name]
        assert isinstance(error, DuplicatePost), "the clash went unnoticed"
        assert error.path == mine and error.others == (other,) and error.field == "slug"
        assert str(error).startswith(f'{mine}: slug "same" is also the slug of {other.name}')
        assert error.url == "https://dvc.org/blog/same"
    assert isinstance(items[LFS], Post)


def test_a_clash_appears_and_clears_in_rescan(posts: Path, dvc_blog: BlogConfig) -> None:
    """A second file taking a post's slug makes both changed and new errors once; giving it
    its own slug makes both changed again, as posts."""
    source, blog = FolderSource(posts, DVC_AUTHORS), blog_for(posts, dvc_blog)
    first = post_with_slug(posts, "2024-02-01-first.md", "same")
    assert isinstance(by_name(source.rescan(blog).items)[first.name], Post)
    second = post_with_slug(posts, "2024-02-02-second.md", "same")
    clash = source.rescan(blog)
    assert sorted(clash.changed) == [first, second]
    assert sorted(e.path for e in clash.errors_new) == [first, second]
    quiet = source.rescan(blog)
    assert quiet.changed == [] and quiet.errors_new == []
    post_with_slug(posts, second.name, "other")
    cleared = source.rescan(blog)
    assert sorted(cleared.changed) == [first, second] and cleared.errors_new == []
    assert all(isinstance(item, Post) for item in cleared.items)


def test_the_same_public_url_from_different_slugs_is_a_clash(dvc_blog: BlogConfig) -> None:
    """Slugs that differ only by %-escaping give the same public URL: both are held."""

    def parsed(name: str, slug: str) -> Post:
        raw = f"---\ntitle: A post\ndate: 2022-01-01\nslug: '{slug}'\n---\n".encode()
        return parse_post(Path(name), raw, dvc_blog, {})

    marked = mark_duplicates([parsed("a.md", "café"), parsed("b.md", "caf%C3%A9")])
    assert all(isinstance(item, DuplicatePost) for item in marked)
    assert "as b.md does" in str(marked[0])
