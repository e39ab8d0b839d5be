"""Writing a new topic's URL back into a blog kept in git: a commit, or a pull request.

Only the ``commentsUrl`` line changes (the same byte-preserving edit as the file mode),
made on the branch tip as it is now. A post whose file changed since it was read is
reported, never overwritten; a push that raced another is rebased and tried again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from pathlib import Path

import httpx
from pydantic import SecretStr

from heartbeat_bot.errors import ChannelError
from heartbeat_bot.models import Post
from heartbeat_bot.sources.git import GitError, GitRepo
from heartbeat_bot.sources.github import GitHubClient
from heartbeat_bot.sources.writeback import WriteBackError, with_comments_url
from heartbeat_bot.sources.writeback_position import learn_from_folder
from heartbeat_bot.transport import tls_context

# One git operation at a time in the clone: the service's scans and the write-backs share it.
_LOCKS: dict[tuple[int, int], asyncio.Lock] = {}


def git_lock(repo: GitRepo) -> asyncio.Lock:
    """The lock of ``repo`` in the running event loop (a lock belongs to one loop)."""
    key = (id(repo), id(asyncio.get_running_loop()))
    lock = _LOCKS.get(key)
    if lock is None:
        lock = _LOCKS[key] = asyncio.Lock()
    return lock


def message_for(post: Post) -> str:
    return f"blog: link comments for {post.slug}"


def _relative(repo: GitRepo, post: Post) -> Path:
    """The post's path in the repository; a symbolic link is refused, never written through."""
    if post.path.is_symlink():
        raise WriteBackError(
            f"{post.path.name} is a symbolic link; commentsUrl not written (add the line to "
            "the file it leads to by hand)"
        )
    try:
        folder = post.path.parent.resolve()
        return (folder / post.path.name).relative_to(repo.worktree.resolve())
    except ValueError:
        raise WriteBackError(f"{post.path} is not inside the clone of blog.git_url") from None


def _edited(
    repo: GitRepo, post: Post, url: str, current: bytes | None, key: str = "commentsUrl"
) -> bytes | None:
    """The new file content, or None when it already links ``url``."""
    if current is None:
        raise WriteBackError(
            f"{post.path.name} is gone from the branch (or is not a regular file there); "
            "commentsUrl not written"
        )
    changed = hashlib.sha256(current).hexdigest() != post.content_hash
    try:
        position = learn_from_folder(post.path.parent, post.path, key)
        updated = with_comments_url(current, url, key, position)
    except WriteBackError as exc:
        raise _changed(post) if changed else WriteBackError(f"{post.path.name}: {exc}") from exc
    if updated == current:  # linked already (by another run, say), whatever else changed
        return None
    if changed:
        raise _changed(post)
    return updated


def _changed(post: Post) -> WriteBackError:
    return WriteBackError(
        f"{post.path.name} changed on the branch since it was read; commentsUrl not written"
    )


class CommitWriteBack:
    """``blog.write_back = "commit"``: commit to the branch and push, rebasing on a race."""

    def __init__(self, repo: GitRepo, key: str = "commentsUrl") -> None:
        self.repo = repo
        self.key = key  # blog.comments_key

    async def write(self, post: Post, url: str) -> str | None:
        async with git_lock(self.repo):
            return await asyncio.to_thread(self._write, post, url)

    def _write(self, post: Post, url: str) -> str | None:
        relative = _relative(self.repo, post)
        try:
            self.repo.sync()
            updated = _edited(self.repo, post, url, self.repo.file_at_tip(relative), self.key)
            if updated is None:
                return None
            sha = self.repo.commit_files({relative: updated}, message_for(post))
            if sha is None:
                return None
            pushed = self.repo.push_with_rebase()
        except GitError as exc:
            raise WriteBackError(f"commentsUrl not pushed: {exc}") from exc
        return f"commentsUrl committed to {self.repo.branch} ({pushed[:10]})"


class PullRequestWriteBack:
    """``blog.write_back = "pull_request"``: one open pull request collects the links."""

    def __init__(
        self,
        repo: GitRepo,
        branch: str,
        *,
        api_url: str,
        token: SecretStr,
        repository: str,
        key: str = "commentsUrl",
    ) -> None:
        self.repo = repo
        self.branch = branch
        self.key = key  # blog.comments_key
        self.api_url, self.token, self.repository = api_url, token, repository

    async def write(self, post: Post, url: str) -> str | None:
        async with git_lock(self.repo):
            proposed = await asyncio.to_thread(self._commit, post, url)
            if not proposed:
                return None
            try:
                async with httpx.AsyncClient(timeout=30.0, verify=tls_context()) as http:
                    github = GitHubClient(http, self.api_url, self.token, self.repository)
                    pull = await github.ensure_pull(
                        self.branch,
                        self.repo.branch,
                        "blog: link comment threads",
                        "Sets `commentsUrl` of newly announced posts to their Discourse "
                        "topics. Each commit changes one line of one post.",
                    )
            except ChannelError as exc:
                # The commit is on the branch; a later try finds it there and opens the PR.
                raise WriteBackError(
                    f"commentsUrl pushed to {self.branch}, but no pull request: {exc}"
                ) from exc
        return f"commentsUrl proposed in {pull.get('html_url', 'a pull request')}"

    def _commit(self, post: Post, url: str) -> bool:
        """Put the link on the pull-request branch; whether that branch has anything to
        propose (a pull request must be open), including an earlier try's commit."""
        relative = _relative(self.repo, post)
        try:
            self.repo.sync()
            # The post as it is on the main branch decides whether it changed meanwhile.
            at_tip = self.repo.file_at_tip(relative)
            if _edited(self.repo, post, url, at_tip, self.key) is None:
                return False  # main links it already
            self.repo.checkout_branch(self.branch)
            current = (self.repo.worktree / relative).read_bytes()
            position = learn_from_folder(post.path.parent, post.path, self.key)
            updated = with_comments_url(current, url, self.key, position)
            if updated == current:  # committed by an earlier try
                return self.repo.ahead_of_base() > 0
            sha = self.repo.commit_files({relative: updated}, message_for(post))
            if sha is None:
                return self.repo.ahead_of_base() > 0
            self.repo.push_branch(self.branch)
            return True
        except (GitError, OSError) as exc:
            raise WriteBackError(f"commentsUrl not pushed: {exc}") from exc
        finally:
            with contextlib.suppress(GitError):
                self.repo.sync()  # back on the blog's branch for the next scan
