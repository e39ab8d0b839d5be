"""A blog shared by a person and the bot: a bare remote, a person's clone pushing commits,
and `heartbeat-bot run` following it with signed push webhooks."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import Blog, make_blog
from tests.service.test_git_blog import SECRET, git, hook, signed
from tests.service.test_service import Running, wait_for

AUTHORS = {
    "dave_berenbaum": "Dave Berenbaum",
    "alex_kim": "Alex Kim",
}


def post_text(
    title: str,
    day: str,
    *,
    author: str = "dave_berenbaum",
    summary: str = "A short summary of the post.",
    comments: str | None = None,
    body: str = "The body.",
) -> str:
    """A post as the DVC blog writes one, ``commentsUrl`` after ``author`` when given."""
    lines = [
        "---",
        f"title: {json.dumps(title)}",
        f"date: {day}",
        f"description: {json.dumps(summary)}",
        f"descriptionLong: {json.dumps(summary)}",
        f"author: {author}",
    ]
    if comments:
        lines.append(f"commentsUrl: {comments}")
    lines += ["tags:", "  - DVC", "---", "", body, ""]
    return "\n".join(lines)


def author_text(name: str) -> str:
    return f"---\nname: {name}\n---\n"


class History:
    """The remote, the person's clone and the service that follows them."""

    def __init__(self, root: Path, sandbox: Sandbox, **blog: Any) -> None:
        self.root = root
        self.sandbox = sandbox
        self.bare = root / "remote.git"
        git(root, "init", "--bare", "-b", "main", str(self.bare))
        self.person = root / "person"
        git(root, "clone", str(self.bare), str(self.person))
        (self.person / "content").mkdir()
        (self.person / "authors").mkdir()
        for author, name in AUTHORS.items():
            (self.person / "authors" / f"{author}.md").write_text(author_text(name), "utf-8")
        (self.person / "README.md").write_text("The blog.\n", "utf-8")
        self.commit("start the blog", push=False)
        git(self.person, "push", "-q", "origin", "HEAD:main")
        self.blog: Blog = make_blog(
            root / "bot",
            sandbox,
            posts=(),
            overrides={
                "blog": {
                    "git_url": str(self.bare),
                    "git_path": "content",
                    "authors_dir": "authors",
                    "write_back": "commit",
                    "poll_interval": 3600,
                    **blog,
                },
                "service": {"http": "127.0.0.1:0"},
                "github": {"webhook_secret": SECRET},
            },
        )
        self.running: Running | None = None
        self.deliveries = 0

    def start(self) -> Running:
        self.running = Running(self.blog)
        return self.running

    def stop(self) -> int:
        assert self.running is not None
        return self.running.stop()

    def write(self, relpath: str, text: str | None) -> None:
        """Change one file in the person's clone (None deletes it)."""
        path = self.person / relpath
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")

    def commit(self, message: str, *, push: bool = True) -> None:
        git(self.person, "add", "-A")
        git(self.person, "commit", "-q", "-m", message)
        if push:
            self.push()

    def push(self) -> None:
        """Push, pulling first what the bot pushed meanwhile (its link commits)."""
        git(self.person, "pull", "-q", "--rebase", "origin", "main")
        git(self.person, "push", "-q", "origin", "HEAD:main")

    def notify(self) -> None:
        """The signed push webhook GitHub sends; waits until the service has scanned."""
        assert self.running is not None
        self.deliveries += 1
        body = json.dumps({"ref": "refs/heads/main"}).encode()
        before = self.running.text().count("push to refs/heads/main")
        code = hook(self.running.port, body, signed(body), delivery=f"d-{self.deliveries}")
        assert code == 202, code
        wait_for(
            lambda: (
                self.running is not None
                and self.running.text().count("push to refs/heads/main") > before
            ),
            what="the push to be taken",
        )

    def settle(self, check: Callable[[], object], what: str, timeout: float = 30.0) -> None:
        wait_for(check, timeout=timeout, what=what)

    def on_remote(self, relpath: str) -> str:
        return git(self.bare, "show", f"main:{relpath}")

    def log(self) -> list[str]:
        return git(self.bare, "log", "--format=%an|%s", "main").splitlines()

    # -- what the services received ------------------------------------------------------

    def topics(self) -> list[dict[str, Any]]:
        return self.sandbox.discourse.topics

    def messages(self) -> list[dict[str, Any]]:
        return self.sandbox.discord.messages

    def tweets(self) -> list[dict[str, Any]]:
        return self.sandbox.x.tweets

    def counts(self) -> tuple[int, int, int]:
        return len(self.topics()), len(self.messages()), len(self.tweets())


def linked(history: History, relpath: str) -> bool:
    """Whether the bot's link commit for the post at ``relpath`` reached the remote."""
    try:
        return "commentsUrl:" in history.on_remote(relpath)
    except subprocess.CalledProcessError:
        return False


def slug_of(name: str) -> str:
    return re.sub(r"^[\d-]+", "", name.removesuffix(".md"))
