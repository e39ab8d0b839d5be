"""I/O: the blog's git repository, as a clone that belongs to heartbeat-bot alone.

A thin, synchronous wrapper over the ``git`` command line, so the bot can read posts, commit
the comments URL back and push it over others' pushes. Each call is an argument list (never
a shell string) with a timeout, and the host's system and global git config are switched
off: a ``~/.gitconfig`` (signing, hooks, ``autocrlf``, credential helpers) cannot change
what the bot commits or make it wait for a prompt. The HTTPS token reaches git only through
each call's environment: never in a URL, ``.git/config``, ``ps`` or an error message.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from heartbeat_bot.errors import HeartbeatError
from heartbeat_bot.sources.git_auth import GitAuth

__all__ = ["GitAuth", "GitConflict", "GitError", "GitRepo"]

NO_AUTH = GitAuth()  # frozen: a shared default is safe

TIMEOUT_S = 120.0
# Byte-exact commits, no signing prompt, no hooks, whatever the host's git would add.
_CONFIG = "commit.gpgsign=false tag.gpgsign=false core.autocrlf=false core.fsmonitor=false "
_CONFIG += f"core.hooksPath={os.devnull}"
# No system or global config, no prompt, pathspecs taken literally, messages in English.
_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}
_ENV |= {"GIT_LITERAL_PATHSPECS": "1", "LC_ALL": "C"}
# The only inherited GIT_* variables kept: others could redirect the repository or identity.
_KEEP_GIT_ENV = frozenset({"GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSH_VARIANT", "GIT_PROXY_COMMAND"})


class GitError(HeartbeatError):
    """A git command failed; one line: what was attempted and git's own reason, redacted."""


class GitConflict(GitError):
    """Someone else changed the same lines on the remote, so our commit was dropped.

    ``files`` are worktree-relative; the clone is reset, ready to re-read and try again.
    """

    def __init__(self, message: str, files: Sequence[str]) -> None:
        super().__init__(message)
        self.files = tuple(files)


def _same_remote(stored: str, wanted: str) -> bool:
    """Whether the clone's origin is ``wanted`` (git stores a local path made absolute)."""
    if stored.rstrip("/") == wanted.rstrip("/"):
        return True
    local = stored and "://" not in wanted
    return bool(local) and Path(stored).resolve() == Path(wanted).resolve()


def _reason(stdout: str, stderr: str) -> str:
    """git's own reason, as one line: its first ``fatal:``/``error:`` line, else the last."""
    lines = [line.strip() for line in (stderr + "\n" + stdout).splitlines() if line.strip()]
    first = next((line for line in lines if line.startswith(("fatal:", "error:", "!"))), None)
    return first or (lines[-1] if lines else "no message")


class GitRepo:
    """A clone of ``url`` in ``clone_dir``, tracking ``branch``; nobody else may touch it.

    ``sync`` throws away anything in the clone that is not on the remote (local edits,
    untracked files, an interrupted rebase), which is only safe because the clone is the
    bot's own working copy, never a developer's checkout.
    """

    def __init__(
        self,
        url: str,
        branch: str,
        clone_dir: Path,
        *,
        auth: GitAuth = NO_AUTH,
        author_name: str = "heartbeat-bot",
        author_email: str = "heartbeat-bot@localhost",
        timeout: float = TIMEOUT_S,
    ) -> None:
        self.url = url
        self.branch = branch
        self._dir = Path(clone_dir).absolute()
        self._auth = auth
        self._author = (author_name, author_email)
        self._timeout = timeout
        self._check_branch(branch)

    @property
    def worktree(self) -> Path:
        """The clone's working tree (absolute), where the post files are."""
        return self._dir

    def _env(self) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _KEEP_GIT_ENV
        }
        env.pop("SSH_ASKPASS", None)  # an askpass program would prompt all the same
        env.update(_ENV, **self._auth.env(self.url))
        # Never fall back to a repository above the clone directory (a user's checkout).
        env["GIT_CEILING_DIRECTORIES"] = str(self._dir.parent)
        for role in ("AUTHOR", "COMMITTER"):  # environment beats -c user.name
            env[f"GIT_{role}_NAME"], env[f"GIT_{role}_EMAIL"] = self._author
        return env

    def _run(
        self,
        *args: str,
        what: str | None = None,
        check: bool = True,
        cwd: Path | None = None,
        stdin: bytes | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``git <args>`` in the clone; a failure (when ``check``) raises GitError."""
        name, email = self._author
        config = [f"user.name={name}", f"user.email={email}", *_CONFIG.split()]
        argv = ["git", *(arg for item in config for arg in ("-c", item)), *args]
        what = what or "git " + " ".join(args)
        cwd = cwd or self._dir
        try:  # a session of its own, so a timeout kills git's helpers (ssh, remote-https) too
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=self._env(),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            if Path(cwd).is_dir():  # the folder is there: the git command is not
                raise self._fail(
                    "the git command was not found: blog.git_url needs git installed on PATH"
                ) from exc
            raise self._fail(f"{what}: cannot run git in {cwd}: {exc.strerror}") from exc
        except OSError as exc:
            raise self._fail(f"{what}: cannot run git in {cwd}: {exc.strerror}") from exc
        try:
            out, err = proc.communicate(stdin, timeout=self._timeout)
        except BaseException as exc:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            if isinstance(exc, subprocess.TimeoutExpired):
                raise self._fail(f"{what}: timed out after {self._timeout:g} s") from None
            raise
        result = subprocess.CompletedProcess(argv, proc.returncode, out, err)
        if check and result.returncode != 0:
            raise self._error(what, result)
        return result

    def _fail(self, message: str) -> GitError:
        """The error to raise, with every trace of the credentials removed."""
        return GitError(self._auth.redact(message))

    def _error(self, what: str, result: subprocess.CompletedProcess[bytes]) -> GitError:
        return self._fail(f"{what} failed: {_reason(_text(result.stdout), _text(result.stderr))}")

    def _check_branch(self, branch: str) -> None:
        """Refuse a branch name git would not accept, or one that reads as an option."""
        check = self._run("check-ref-format", f"refs/heads/{branch}", check=False, cwd=Path("/"))
        if branch.startswith("-") or check.returncode:
            raise GitError(f"not a valid branch name: {branch!r}")

    def head(self) -> str:
        """The sha of the commit checked out in the clone."""
        return _text(self._run("rev-parse", "--verify", "HEAD").stdout).strip()

    def renames(self, old: str, new: str, under: str) -> list[tuple[str, str]]:
        """Files under ``under`` that git sees renamed between commits ``old`` and ``new``,
        as (old, new) worktree-relative paths; none when ``old`` is unknown (a force push)."""
        listing = self._run(
            "diff",
            "-M",
            "--name-status",
            "-z",
            "--diff-filter=R",
            old,
            new,
            "--",
            under or ".",
            check=False,
        )
        if listing.returncode != 0:
            return []
        fields = [_text(f) for f in listing.stdout.split(b"\0")]
        found = []
        for index, status in enumerate(fields):
            if status.startswith("R") and index + 2 < len(fields):
                found.append((fields[index + 1], fields[index + 2]))
        return found

    def file_at_tip(self, relpath: Path) -> bytes | None:
        """The file's bytes at ``origin/<branch>`` as last fetched; None if it is not there.

        Read from the object store, not the worktree, so a half-written local file is
        never mistaken for the published one. Only regular files count.
        """
        path = Path(relpath).as_posix()
        listing = self._run("ls-tree", "-z", f"refs/remotes/origin/{self.branch}", "--", path)
        # One entry at most, "<mode> <type> <sha>\t<path>"; a tree or a link is not a post.
        mode, _, sha = _text(listing.stdout.partition(b"\t")[0]).partition(" blob ")
        if mode not in ("100644", "100755"):
            return None
        return self._run("cat-file", "blob", sha).stdout

    def sync(self) -> str:
        """Make the clone exactly ``origin/<branch>`` (cloning it first); return the tip sha."""
        if not (self._dir / ".git").is_dir():
            if self._dir.exists() and any(self._dir.iterdir()):
                raise GitError(f"{self._dir} exists and is not a git clone; empty it or move it")
            self._dir.parent.mkdir(parents=True, exist_ok=True)
            clone = ["clone", "--quiet", "--no-tags", "--branch", self.branch, "--"]
            what = f"git clone {self.url} (branch {self.branch})"
            self._run(*clone, self.url, str(self._dir), what=what, cwd=self._dir.parent)
            return self.head()
        stored = self._run("config", "--get", "remote.origin.url", check=False)
        origin = _text(stored.stdout).strip()
        if not _same_remote(origin, self.url):
            raise self._fail(
                f"{self._dir} holds a clone of {origin or 'no remote'}, not of blog.git_url "
                f"{self.url}; remove it or choose another clone directory"
            )
        self._recover()
        self._fetch(self.branch)
        self._run("checkout", "--quiet", "--force", "-B", self.branch, _tracking(self.branch))
        self._run("clean", "-fdxq")
        return self.head()

    def _recover(self) -> None:
        """Undo what a killed run may have left: a stale index lock, a rebase in progress."""
        (self._dir / ".git" / "index.lock").unlink(missing_ok=True)
        if any((self._dir / ".git" / name).exists() for name in ("rebase-merge", "rebase-apply")):
            self._run("rebase", "--abort", check=False)

    def _fetch(self, *branches: str) -> None:
        refspecs = [f"+refs/heads/{b}:{_tracking(b)}" for b in branches]
        what = f"git fetch origin {' '.join(branches)}"
        self._run("fetch", "--quiet", "--no-tags", "origin", *refspecs, what=what)

    def _remote_has(self, branch: str) -> bool:
        ref = f"refs/heads/{branch}"
        out = self._run("ls-remote", "--heads", "origin", ref, what=f"git ls-remote {branch}")
        return any(line.split("\t")[-1] == ref for line in _text(out.stdout).splitlines())

    def checkout_branch(self, branch: str) -> None:
        """Put local ``branch`` at ``origin/<branch>`` if the remote has it, else at the tip.

        For a bot-owned pull-request branch: reusing it keeps one pull request per change;
        otherwise it starts from ``origin/<self.branch>``. Local edits are discarded.
        """
        self._check_branch(branch)
        exists = self._remote_has(branch)
        self._fetch(self.branch, *([branch] if exists else []))
        if not exists:  # forget a tracking ref to a branch since deleted on the remote
            self._run("update-ref", "-d", _tracking(branch))
        start = _tracking(branch if exists else self.branch)
        self._run("checkout", "--quiet", "--force", "-B", branch, start)
        self._run("clean", "-fdxq")

    def ahead_of_base(self) -> int:
        """How many commits HEAD has that ``origin/<branch>`` (as last fetched) has not."""
        out = self._run("rev-list", "--count", f"{_tracking(self.branch)}..HEAD")
        return int(_text(out.stdout).strip() or 0)

    def _inside(self, relpath: Path) -> Path:
        """The absolute path for ``relpath``, refusing anything outside the worktree."""
        rel = Path(relpath)
        parts = rel.parts
        if rel.is_absolute() or not parts or ".." in parts or parts[0].lower() == ".git":
            raise GitError(f"{relpath}: not a path inside the clone's worktree")
        target = self._dir / rel
        if target.is_symlink() or not target.parent.resolve().is_relative_to(self._dir.resolve()):
            raise GitError(f"{relpath}: leads through a symbolic link; refusing to write it")
        return target

    def commit_files(self, changes: dict[Path, bytes], message: str) -> str | None:
        """Write and commit ``changes`` (worktree-relative path → bytes); the new sha.

        None when every file already held those bytes: no empty commit is made. Only the
        named paths are committed, byte for byte (``core.autocrlf`` is off).
        """
        if not changes:
            return None
        targets = {self._inside(rel): data for rel, data in changes.items()}  # check all first
        for target, data in targets.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        paths = [Path(rel).as_posix() for rel in changes]
        self._run("add", "--", *paths)
        if self._run("diff", "--cached", "--quiet", "--", *paths, check=False).returncode == 0:
            return None
        commit = ["commit", "--quiet", "--no-verify", "--file=-", "--", *paths]
        self._run(*commit, what=f"git commit {' '.join(paths)}", stdin=message.encode())
        return self.head()

    def _push(self, branch: str, *options: str) -> tuple[bool, str]:
        """Push HEAD to ``branch``: (True, "") or (False, the porcelain status of the ref)."""
        push = ["push", "--porcelain", *options, "origin", f"HEAD:refs/heads/{branch}"]
        result = self._run(*push, check=False)
        if result.returncode == 0:
            self._run("update-ref", _tracking(branch), "HEAD")
            return True, ""
        status = [ln for ln in _text(result.stdout).splitlines() if ln.startswith("!")]
        if not status:
            raise self._error(f"git push origin {branch}", result)
        return False, status[0].split("\t")[-1]

    def push_with_rebase(self, *, attempts: int = 5) -> str:
        """Push HEAD to ``origin/<branch>``, rebasing over others' pushes; the pushed sha.

        A refused push of any kind (someone pushed meanwhile: not a fast-forward, the
        remote's ``failed to update ref`` or a lease) is answered at once by fetching and
        rebasing our commits on top, up to ``attempts`` pushes. When the rebase conflicts, our
        commits are dropped, the clone is reset to the remote and GitConflict names the
        files: the remote never receives a merge the bot could not check.
        """
        last = ""
        for attempt in range(1, attempts + 1):
            pushed, status = self._push(self.branch)
            if pushed:
                return self.head()
            last = status
            if attempt == attempts:
                break
            self._fetch(self.branch)
            self._rebase()
        raise self._fail(
            f"git push origin {self.branch}: still refused after {attempts} attempts "
            f"({last}); try again later"
        )

    def _rebase(self) -> None:
        upstream = _tracking(self.branch)
        result = self._run("rebase", "--quiet", upstream, check=False)
        if result.returncode == 0:
            return
        listing = self._run("diff", "--name-only", "-z", "--diff-filter=U", check=False)
        files = [_text(f) for f in listing.stdout.split(b"\0") if f]
        self._run("rebase", "--abort", check=False)
        self._run("reset", "--quiet", "--hard", upstream)
        self._run("clean", "-fdxq")
        if not files:
            raise self._error(f"git rebase {upstream}", result)
        raise GitConflict(
            f"{', '.join(files)}: changed on {self.branch} by someone else in the same place; "
            f"our commit was dropped and the clone reset to origin/{self.branch}",
            files,
        )

    def push_branch(self, branch: str, *, base: str | None = None) -> str:
        """Force-push HEAD to the bot-owned ``branch`` (for a pull request); the pushed sha.

        ``--force-with-lease``: the push only replaces what the bot expects the remote
        branch to hold — ``base`` (a sha) when given, else ``origin/<branch>`` as last
        fetched, else nothing (the branch must not exist yet). A human's commit pushed
        onto the branch meanwhile is therefore never overwritten.
        """
        self._check_branch(branch)
        if base is None:
            tracked = ["rev-parse", "--verify", "--quiet", _tracking(branch)]
            known = self._run(*tracked, check=False)
            base = _text(known.stdout).strip() if known.returncode == 0 else ""
        pushed, status = self._push(branch, f"--force-with-lease=refs/heads/{branch}:{base}")
        if not pushed:
            raise self._fail(
                f"git push origin {branch} refused: {status} (the remote branch moved since "
                "it was fetched; call checkout_branch again)"
            )
        return self.head()


def _tracking(branch: str) -> str:
    return f"refs/remotes/origin/{branch}"


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")
