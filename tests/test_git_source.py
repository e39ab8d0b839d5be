"""The git source: real repositories in tmp_path, a bare repository as the remote."""

from __future__ import annotations

import base64
import functools
import http.server
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from heartbeat_bot.errors import ConfigError
from heartbeat_bot.sources.git import GitAuth, GitConflict, GitError, GitRepo
from heartbeat_bot.sources.writeback import with_comments_url

FIRST = Path("posts/2024-01-10-first.md")
SECOND = Path("posts/2024-02-20-second.md")
FIRST_TEXT = "---\ntitle: First\ndate: 2024-01-10\n---\n\nBody one.\n"
SECOND_TEXT = "---\ntitle: Second\ndate: 2024-02-20\n---\n\nBody two.\n"
URL = "https://discuss.example/t/first/42"
TOKEN = "ghs_S3cretT0kenValue0123456789"
# The tests' own git calls ignore the host's configuration, as the module's do.
ENV = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Ada Author",
    "GIT_AUTHOR_EMAIL": "ada@example.org",
    "GIT_COMMITTER_NAME": "Ada Author",
    "GIT_COMMITTER_EMAIL": "ada@example.org",
    "LC_ALL": "C",
}


def git(cwd: Path, *args: str) -> str:
    """Run git as a person would, outside the module under test."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip()


def author_push(author: Path, relpath: Path, text: str, message: str, branch: str = "main") -> str:
    """Commit one file in the author's clone and push it; the new sha."""
    (author / relpath).parent.mkdir(parents=True, exist_ok=True)
    (author / relpath).write_text(text)
    git(author, "add", "--", str(relpath))
    git(author, "commit", "-q", "-m", message)
    git(author, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    return git(author, "rev-parse", "HEAD")


def make_remote(tmp_path: Path, name: str = "remote.git") -> tuple[Path, Path]:
    """A bare remote holding two posts, and the author's clone that pushed them."""
    remote, author = tmp_path / name, tmp_path / f"author-{name}"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(tmp_path, "init", "-q", "-b", "main", str(author))
    git(author, "remote", "add", "origin", str(remote))
    (author / SECOND).parent.mkdir(parents=True)
    (author / SECOND).write_text(SECOND_TEXT)
    git(author, "add", "--", str(SECOND))
    author_push(author, FIRST, FIRST_TEXT, "Add two posts")
    return remote, author


@pytest.fixture
def blog(tmp_path: Path) -> tuple[Path, Path, GitRepo]:
    """The remote, the author's clone and a GitRepo not yet synced."""
    remote, author = make_remote(tmp_path)
    return remote, author, GitRepo(str(remote), "main", tmp_path / "clone")


def test_sync_clones_and_returns_the_tip(blog: tuple[Path, Path, GitRepo]) -> None:
    """The first sync clones the remote and returns its tip commit."""
    remote, _, repo = blog
    assert repo.sync() == git(remote, "rev-parse", "main")
    assert (repo.worktree / FIRST).read_text() == FIRST_TEXT
    assert repo.head() == git(remote, "rev-parse", "main")


def test_sync_brings_a_new_commit(blog: tuple[Path, Path, GitRepo]) -> None:
    """A commit pushed by someone else arrives with the next sync."""
    _, author, repo = blog
    repo.sync()
    third = Path("posts/2024-03-30-third.md")
    sha = author_push(author, third, "---\ntitle: Third\n---\n", "Add a third post")
    assert repo.sync() == sha
    assert (repo.worktree / third).read_text() == "---\ntitle: Third\n---\n"


def test_sync_discards_local_changes(blog: tuple[Path, Path, GitRepo]) -> None:
    """Edits, untracked files and local commits in the clone are thrown away by sync."""
    remote, _, repo = blog
    repo.sync()
    (repo.worktree / SECOND).write_text("scribbled")
    (repo.worktree / "stray.md").write_text("stray")
    repo.commit_files({FIRST: b"local only\n"}, "A local commit never pushed")
    assert repo.sync() == git(remote, "rev-parse", "main")
    assert (repo.worktree / FIRST).read_text() == FIRST_TEXT
    assert (repo.worktree / SECOND).read_text() == SECOND_TEXT
    assert not (repo.worktree / "stray.md").exists()


def test_file_at_tip(blog: tuple[Path, Path, GitRepo]) -> None:
    """file_at_tip returns a post's bytes, and None for a missing path or a folder."""
    _, _, repo = blog
    repo.sync()
    (repo.worktree / FIRST).write_text("not what the remote holds")
    assert repo.file_at_tip(FIRST) == FIRST_TEXT.encode()
    assert repo.file_at_tip(Path("posts/missing.md")) is None
    assert repo.file_at_tip(Path("posts")) is None


def test_commit_and_push_change_one_line(blog: tuple[Path, Path, GitRepo]) -> None:
    """One commit by the bot reaches the remote, and its diff is the commentsUrl line alone."""
    remote, _, repo = blog
    before = repo.sync()
    raw = repo.file_at_tip(FIRST)
    assert raw is not None
    sha = repo.commit_files({FIRST: with_comments_url(raw, URL)}, "Set the comments URL")
    assert sha is not None and sha != before
    assert repo.push_with_rebase() == sha == git(remote, "rev-parse", "main")
    assert git(remote, "rev-parse", "main~1") == before
    diff = git(remote, "diff", "main~1", "main", "--unified=0").splitlines()
    changed = [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [f"+commentsUrl: {URL}"]
    stat = git(remote, "show", "--stat", "--format=", "main")
    assert stat.splitlines()[-1].strip() == "1 file changed, 1 insertion(+)"
    who = "heartbeat-bot|heartbeat-bot@localhost"
    assert git(remote, "log", "-1", "--format=%an|%ae%n%cn|%ce", "main").splitlines() == [who] * 2


def test_commit_without_change_returns_none(blog: tuple[Path, Path, GitRepo]) -> None:
    """Writing the bytes a file already holds makes no commit."""
    _, _, repo = blog
    tip = repo.sync()
    assert repo.commit_files({FIRST: FIRST_TEXT.encode()}, "Nothing") is None
    assert repo.commit_files({}, "Nothing at all") is None
    assert repo.head() == tip


def test_commit_refuses_paths_outside_the_worktree(blog: tuple[Path, Path, GitRepo]) -> None:
    """A path that escapes the worktree or points into .git is refused before any write."""
    _, _, repo = blog
    repo.sync()
    outside = repo.worktree.parent / "evil.md"
    for path in (Path("../evil.md"), Path(".git/config"), outside):
        with pytest.raises(GitError, match="not a path inside"):
            repo.commit_files({FIRST: b"x\n", path: b"evil\n"}, "Escape")
    assert not outside.exists()
    assert (repo.worktree / FIRST).read_text() == FIRST_TEXT


def test_concurrent_push_is_rebased_over(blog: tuple[Path, Path, GitRepo]) -> None:
    """An unrelated commit pushed after our sync stays, with ours rebased on top of it."""
    remote, author, repo = blog
    repo.sync()
    theirs = author_push(author, SECOND, SECOND_TEXT + "More.\n", "Extend the second post")
    repo.commit_files({FIRST: with_comments_url(FIRST_TEXT.encode(), URL)}, "Set the URL")
    pushed = repo.push_with_rebase()
    assert pushed == git(remote, "rev-parse", "main") == repo.head()
    assert git(remote, "rev-parse", "main~1") == theirs
    assert git(remote, "log", "-2", "--format=%s", "main").splitlines() == [
        "Set the URL",
        "Extend the second post",
    ]
    assert git(remote, "show", f"main:{FIRST.as_posix()}").endswith("Body one.")
    assert URL in git(remote, "show", f"main:{FIRST.as_posix()}")


def test_conflicting_push_raises_conflict(blog: tuple[Path, Path, GitRepo]) -> None:
    """A commentsUrl added by someone else in the same place gives GitConflict and leaves
    the remote alone."""
    remote, author, repo = blog
    repo.sync()
    other = FIRST_TEXT.replace(
        "2024-01-10\n", "2024-01-10\ncommentsUrl: https://discuss.example/t/other/7\n"
    )
    theirs = author_push(author, FIRST, other, "Set the URL by hand")
    repo.commit_files({FIRST: with_comments_url(FIRST_TEXT.encode(), URL)}, "Set the URL")
    with pytest.raises(GitConflict, match=FIRST.as_posix()) as caught:
        repo.push_with_rebase()
    assert caught.value.files == (FIRST.as_posix(),)
    assert git(remote, "rev-parse", "main") == theirs
    assert repo.head() == theirs
    assert git(repo.worktree, "status", "--porcelain") == ""
    assert not (repo.worktree / ".git" / "rebase-merge").exists()
    assert (repo.worktree / FIRST).read_text() == other


def test_push_branch_and_its_lease(blog: tuple[Path, Path, GitRepo]) -> None:
    """push_branch creates a branch, reuses it, and never overwrites someone else's commit."""
    remote, author, repo = blog
    main = repo.sync()
    repo.checkout_branch("heartbeat/first")
    assert repo.head() == main
    sha = repo.commit_files({FIRST: with_comments_url(FIRST_TEXT.encode(), URL)}, "Set the URL")
    assert repo.push_branch("heartbeat/first") == sha
    assert git(remote, "rev-parse", "heartbeat/first") == sha
    assert git(remote, "rev-parse", "main") == main
    git(author, "fetch", "-q", "origin", "heartbeat/first")
    git(author, "checkout", "-q", "-B", "pr", "FETCH_HEAD")
    human = author_push(author, SECOND, "edited\n", "A human's fix", branch="heartbeat/first")
    repo.commit_files({SECOND: b"bot edit\n"}, "A later bot edit")
    with pytest.raises(GitError, match="stale info"):
        repo.push_branch("heartbeat/first")
    assert git(remote, "rev-parse", "heartbeat/first") == human
    repo.checkout_branch("heartbeat/first")
    assert repo.head() == human
    assert repo.sync() == main
    assert repo.file_at_tip(FIRST) == FIRST_TEXT.encode()


def test_clone_of_another_url_is_refused(tmp_path: Path) -> None:
    """A clone directory holding a clone of another remote is an error naming blog.git_url."""
    remote, _ = make_remote(tmp_path)
    other, _ = make_remote(tmp_path, "other.git")
    GitRepo(str(other), "main", tmp_path / "clone").sync()
    with pytest.raises(GitError, match=r"blog\.git_url"):
        GitRepo(str(remote), "main", tmp_path / "clone").sync()


def test_invalid_branch_is_refused(tmp_path: Path) -> None:
    """A branch name git rejects, or one read as an option, fails at construction."""
    for branch in ("-x", "a..b", "bad name"):
        with pytest.raises(GitError, match="not a valid branch name"):
            GitRepo(str(tmp_path), branch, tmp_path / "clone")


def test_missing_clone_and_key_are_clear_errors(tmp_path: Path) -> None:
    """Reading a clone never synced, or using a missing SSH key, names what is missing."""
    with pytest.raises(GitError, match=r"cannot run git in .*clone"):
        GitRepo(str(tmp_path), "main", tmp_path / "clone").head()
    auth = GitAuth(ssh_key=tmp_path / "no key")
    with pytest.raises(ConfigError, match="no key does not exist"):
        GitRepo("ssh://127.0.0.1:9/x.git", "main", tmp_path / "clone", auth=auth).sync()
    with pytest.raises(ConfigError, match="token"):
        GitAuth(token="abc\r\nX-Injected: 1")


def secret_forms() -> list[str]:
    """The token and the base64 forms it could leak in."""
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    return [TOKEN, basic, base64.b64encode(TOKEN.encode()).decode()]


def test_token_never_in_error_or_config(tmp_path: Path) -> None:
    """A failed HTTPS clone's error names the failure but not the token in any form."""
    clone = tmp_path / "clone"
    repo = GitRepo("https://127.0.0.1:9/x.git", "main", clone, auth=GitAuth(token=TOKEN))
    with pytest.raises(GitError) as caught:
        repo.sync()
    message = str(caught.value)
    assert "git clone https://127.0.0.1:9/x.git" in message and "\n" not in message
    assert not any(form in message for form in secret_forms())
    assert not (clone / ".git" / "config").exists()
    assert TOKEN not in repr(GitAuth(token=TOKEN))
    redacted = GitAuth(token=TOKEN).redact(" ".join([*secret_forms(), "https://u:p@h/x"]))
    assert not any(form in redacted for form in secret_forms()) and "u:p" not in redacted


@pytest.fixture
def http_remote(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """The remote served over plain (dumb) HTTP; the Authorization headers it received."""
    remote, _ = make_remote(tmp_path)
    git(remote, "update-server-info")
    seen: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Handler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/remote.git", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_token_is_sent_but_never_stored(tmp_path: Path, http_remote: tuple[str, list[str]]) -> None:
    """The token goes out as a Basic header, and no file of the clone holds it in any form."""
    url, seen = http_remote
    repo = GitRepo(url, "main", tmp_path / "clone", auth=GitAuth(token=TOKEN))
    repo.sync()
    assert repo.sync() == repo.head()  # the second sync fetches, with the token again
    assert (repo.worktree / FIRST).read_text() == FIRST_TEXT
    assert seen and set(seen) == {f"Basic {secret_forms()[1]}"}
    for path in repo.worktree.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(form.encode() in data for form in secret_forms()), path


def test_hung_remote_times_out(tmp_path: Path) -> None:
    """A remote that never answers fails with a timeout instead of hanging the bot."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"https://127.0.0.1:{listener.getsockname()[1]}/x.git"
        repo = GitRepo(url, "main", tmp_path / "clone", timeout=1)
        with pytest.raises(GitError, match="timed out after 1 s"):
            repo.sync()


def test_host_git_setup_is_ignored(
    blog: tuple[Path, Path, GitRepo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile global config and GIT_* environment change neither the commit nor its bytes."""
    remote, _, repo = blog
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("pre-commit", "commit-msg", "pre-push"):
        (hooks / hook).write_text("#!/bin/sh\nexit 1\n")
        (hooks / hook).chmod(0o755)
    (tmp_path / "home").mkdir()
    config = tmp_path / "home" / ".gitconfig"
    (tmp_path / "attributes").write_text("*.md filter=shout\n")
    config.write_text(
        f"[user]\n\tname = Mallory\n[commit]\n\tgpgsign = true\n"
        f"[core]\n\thooksPath = {hooks}\n\tautocrlf = true\n"
        f'\tattributesFile = {tmp_path / "attributes"}\n[filter "shout"]\n\tclean = tr a-z A-Z\n'
    )
    monkeypatch.setenv("HOME", str(config.parent))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Mallory")
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    repo.sync()
    crlf = with_comments_url(FIRST_TEXT.replace("\n", "\r\n").encode(), URL)
    repo.commit_files({FIRST: crlf}, "Set the URL, CRLF kept")
    assert repo.push_with_rebase() == git(remote, "rev-parse", "main")
    assert repo.file_at_tip(FIRST) == crlf
    assert git(remote, "log", "-1", "--format=%an|%cn", "main") == "heartbeat-bot|heartbeat-bot"
