"""The commit write-back on real repositories: quoted values, and links never written through."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.models import Post
from heartbeat_bot.posts import read_frontmatter
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.git import GitRepo
from heartbeat_bot.sources.git_writeback import CommitWriteBack
from heartbeat_bot.sources.writeback import WriteBackError
from tests.test_git_source import FIRST, git, make_remote


def synced(tmp_path: Path) -> tuple[Path, Path, GitRepo]:
    remote, author = make_remote(tmp_path)
    repo = GitRepo(str(remote), "main", tmp_path / "clone")
    repo.sync()
    return remote, author, repo


def load(repo: GitRepo, relpath: Path) -> Post:
    folder = repo.worktree / relpath.parent
    blog = BlogConfig(posts_dir=folder, post_url="https://blog.example/{slug}")
    return FolderSource(folder).load(repo.worktree / relpath, blog)


def test_a_url_yaml_would_misread_is_committed_quoted(tmp_path: Path) -> None:
    """A topic URL holding `: ` is committed quoted, and the post on the branch reads back
    with exactly that URL."""
    remote, _, repo = synced(tmp_path)
    url = "https://discuss.example/t/a: b/42"
    note = asyncio.run(CommitWriteBack(repo).write(load(repo, FIRST), url))
    assert note is not None and "committed" in note
    pushed = git(remote, "show", f"main:{FIRST.as_posix()}").encode() + b"\n"
    meta, _ = read_frontmatter(FIRST, pushed)
    assert meta["commentsUrl"] == url


def test_a_symbolic_link_is_refused_not_written_through(tmp_path: Path) -> None:
    """A post that is a symbolic link (to another post in the folder) gets no commit: neither
    the link nor the file it leads to changes on the branch."""
    remote, author, repo = synced(tmp_path)
    link = FIRST.parent / "2024-03-01-alias.md"
    os.symlink(FIRST.name, author / link)
    git(author, "add", "--", link.as_posix())
    git(author, "commit", "-q", "-m", "An alias")
    git(author, "push", "-q", "origin", "HEAD:refs/heads/main")
    tip = repo.sync()
    post = load(repo, link)
    with pytest.raises(WriteBackError, match="is a symbolic link"):
        asyncio.run(CommitWriteBack(repo).write(post, "https://discuss.example/t/alias/7"))
    assert git(remote, "rev-parse", "main") == tip
