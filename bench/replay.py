"""Replay a real blog's git history through `heartbeat-bot run` in git mode, against the sandbox.

    python bench/replay.py --repo PATH [--since 2022-02-01] [--until 2022-07-01]

PATH is a clone of https://github.com/iterative/dvc.org (a bare one will do). The posts
(``content/blog``) and authors (``content/authors``) as they were just before ``--since``
become a new repository, pushed to a bare remote; `heartbeat-bot run` follows that
remote (the first run takes every post as baseline). Then each first-parent commit of the
period that touched a post or an author file is replayed by a person's clone, one by one:
every changed file is merged three ways (``git merge-file``) into the person's copy, which
holds the bot's link commits, then committed with the original message, pushed, and
announced to the service with a signed push webhook. The service works between commits
until it is idle.

The bot is to create the forum threads, so ``commentsUrl`` lines are taken out of the
replayed files, except where several posts share one (a series' thread, kept: adopted).

Checks and prints: every new post announced exactly once on every channel (renamed or
edited posts not again), every author shown by name, every X thread complete, every link
commit one added line, and no person's commit conflicting with them.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from heartbeat_bot.sandbox import Sandbox

SECRET = "replay-secret"
POSTS, AUTHORS = "content/blog", "content/authors"
PATHSPECS = (f"{POSTS}/*.md", f"{AUTHORS}/*.md")
_COMMENTS = re.compile(r"^commentsUrl:.*\n", re.MULTILINE)
IDLE_S = 1.0


def git(cwd: Path, *args: str, check: bool = True, data: bytes | None = None) -> bytes:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"}
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, input=data, capture_output=True, check=False
    )
    if check and result.returncode:
        raise SystemExit(f"git {' '.join(args)}: {result.stderr.decode(errors='replace')}")
    return result.stdout


class Upstream:
    """The real blog's history, read from its clone."""

    def __init__(self, repo: Path, since: str, until: str) -> None:
        self.repo = repo
        log = git(
            repo,
            "log",
            "--first-parent",
            "--reverse",
            f"--since={since}",
            f"--until={until}",
            "--format=%H%x00%an%x00%ae%x00%aI%x00%s",
            "HEAD",
            "--",
            *PATHSPECS,
        ).decode()
        self.commits = [line.split("\0") for line in log.splitlines() if line]
        if not self.commits:
            raise SystemExit("no commit touches the posts in that period")
        self.start = self.commits[0][0] + "^"
        self.shared = self._shared_threads()

    def _shared_threads(self) -> set[str]:
        """commentsUrl values that several posts of the period share (series: kept)."""
        counts: Counter[str] = Counter()
        last = self.commits[-1][0]
        for name in self.files(last):
            text = self.read(last, name) or ""
            for url in re.findall(r"^commentsUrl:\s*(\S+)", text, re.MULTILINE):
                counts[url] += 1
        return {url for url, n in counts.items() if n > 1}

    def files(self, commit: str) -> list[str]:
        out = git(self.repo, "ls-tree", "-r", "--name-only", commit, "--", POSTS, AUTHORS)
        return [n for n in out.decode().splitlines() if n.endswith(".md")]

    def read(self, commit: str, path: str) -> str | None:
        out = subprocess.run(
            ["git", "show", f"{commit}:{path}"], cwd=self.repo, capture_output=True, check=False
        )
        return out.stdout.decode("utf-8") if out.returncode == 0 else None

    def as_replayed(self, commit: str, path: str) -> str | None:
        text = self.read(commit, path)
        if text is None:
            return None
        kept = re.search(r"^commentsUrl:\s*(\S+)", text, re.MULTILINE)
        if kept and kept.group(1) in self.shared:
            return text
        return _COMMENTS.sub("", text)

    def changes(self, commit: str) -> list[list[str]]:
        out = git(self.repo, "diff", "--name-status", "-M", f"{commit}^", commit, "--", *PATHSPECS)
        return [line.split("\t") for line in out.decode().splitlines() if line]


class Person:
    """A person's clone of the blog's new remote, replaying the upstream commits."""

    def __init__(self, root: Path, upstream: Upstream) -> None:
        self.up = upstream
        self.bare = root / "remote.git"
        git(root, "init", "-q", "--bare", "-b", "main", str(self.bare))
        self.dir = root / "person"
        git(root, "clone", "-q", str(self.bare), str(self.dir))
        for name in upstream.files(upstream.start):
            self._write(name, upstream.as_replayed(upstream.start, name))
        self.conflicts: list[str] = []
        self._commit("The blog before the replay", "Replay", "replay@example.org", None)
        git(self.dir, "push", "-q", "origin", "HEAD:main")

    def _write(self, name: str, text: str | None) -> None:
        path = self.dir / name
        if text is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")

    def _merge(self, ours: str, base: str | None, theirs: str | None, name: str) -> None:
        """``theirs`` (the upstream change) merged into our copy three ways."""
        if theirs is None:
            self._write(ours, None)
            return
        mine = self.dir / ours
        if not mine.exists() or base is None:
            self._write(name, theirs)
            return
        with tempfile.TemporaryDirectory() as tmp:
            b, t = Path(tmp) / "base", Path(tmp) / "theirs"
            b.write_text(base, "utf-8")
            t.write_text(theirs, "utf-8")
            code = subprocess.run(
                ["git", "merge-file", "-q", str(mine), str(b), str(t)], check=False
            ).returncode
        if code:
            self.conflicts.append(name)
            self._write(name, theirs)
        if ours != name:
            (self.dir / name).parent.mkdir(parents=True, exist_ok=True)
            mine.rename(self.dir / name)

    def replay(self, commit: list[str]) -> None:
        sha, author, email, when, subject = commit
        git(self.dir, "pull", "-q", "--rebase", "origin", "main")
        for change in self.up.changes(sha):
            status, paths = change[0], change[1:]
            old, new = paths[0], paths[-1]
            base = self.up.as_replayed(f"{sha}^", old)
            theirs = None if status == "D" else self.up.as_replayed(sha, new)
            self._merge(old, base, theirs, new)
        self._commit(subject, author, email, when)
        git(self.dir, "push", "-q", "origin", "HEAD:main")

    def _commit(self, subject: str, author: str, email: str, when: str | None) -> None:
        git(self.dir, "add", "-A")
        env = ["-c", f"user.name={author}", "-c", f"user.email={email}"]
        date = ["--date", when] if when else []
        git(self.dir, *env, "commit", "-q", "--allow-empty", "-m", subject, *date)


def config_text(sandbox: Sandbox, bare: Path) -> str:
    return (
        f'[blog]\ngit_url = "{bare}"\ngit_path = "{POSTS}"\nauthors_dir = "{AUTHORS}"\n'
        'post_url = "https://dvc.org/blog/{slug}"\n'
        'picture_url = "https://dvc.org/blog/images/{picture}"\nsite_name = "DVC"\n'
        'write_back = "commit"\npoll_interval = 3600\n\n'
        '[state]\npath = "state/replay.sqlite3"\n\n[service]\nhttp = "127.0.0.1:0"\n\n'
        f'[github]\nwebhook_secret = "{SECRET}"\n\n' + sandbox.config_snippet()
    )


def busy(ledger: Path) -> bool:
    """Whether a pair or a link is still to be done (by the service, now or soon)."""
    try:
        db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=1)
        pairs = db.execute(
            "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sending', 'waiting')"
        ).fetchone()[0]
        links = db.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'writeback:%'").fetchone()[0]
        db.close()
    except sqlite3.Error:
        return True
    return bool(pairs or links)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", type=Path, required=True, help="a clone of iterative/dvc.org")
    parser.add_argument("--since", default="2022-02-01")
    parser.add_argument("--until", default="2022-07-01")
    args = parser.parse_args()
    upstream = Upstream(args.repo, args.since, args.until)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, Sandbox() as sandbox:
        root = Path(tmp)
        person = Person(root, upstream)
        (root / "bot").mkdir()
        config = root / "bot" / "heartbeat.toml"
        config.write_text(config_text(sandbox, person.bare), "utf-8")
        ledger = root / "bot" / "state" / "replay.sqlite3"
        log = root / "run.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
        with log.open("w") as sink:
            child = subprocess.Popen(
                [sys.executable, "-m", "heartbeat_bot", "--config", str(config), "run"],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
            )
        try:
            port = _started(child, log)
            for number, commit in enumerate(upstream.commits, start=1):
                person.replay(commit)
                _notify(port, number)
                _idle(log, ledger, number)
        finally:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=60)
        text = log.read_text(errors="replace")
        report(upstream, person, sandbox, ledger, text, time.monotonic() - started)


def _started(child: subprocess.Popen[bytes], log: Path) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"health and metrics on http://127\.0\.0\.1:(\d+)/", log.read_text())
        if found and "watching" in log.read_text():
            return int(found.group(1))
        if child.poll() is not None:
            raise SystemExit(log.read_text())
        time.sleep(0.05)
    raise SystemExit(f"the service did not start\n{log.read_text()[-3000:]}")


def _notify(port: int, number: int) -> None:
    body = json.dumps({"ref": "refs/heads/main"}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": f"replay-{number}",
        "Content-Type": "application/json",
        "X-Hub-Signature-256": signature,
    }
    response = httpx.post(f"http://127.0.0.1:{port}/webhooks/github", content=body, headers=headers)
    if response.status_code != 202:
        raise SystemExit(f"push webhook answered {response.status_code}")


def _idle(log: Path, ledger: Path, number: int, timeout: float = 120.0) -> None:
    """Until the service took push ``number`` and has been idle for ``IDLE_S``."""
    deadline = time.monotonic() + timeout
    size, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if text.count("push to refs/heads/main: fetching now") >= number:
            if len(text) != size or busy(ledger):
                size, since = len(text), time.monotonic()
            elif time.monotonic() - since >= IDLE_S:
                return
        time.sleep(0.05)
    raise SystemExit(f"the service did not settle after push {number}\n{text[-3000:]}")


def _linked_to(message: dict[str, object], urls: set[str]) -> bool:
    embeds = message.get("embeds")
    first = embeds[0] if isinstance(embeds, list) and embeds else None
    return isinstance(first, dict) and first.get("url") in urls


def report(
    upstream: Upstream,
    person: Person,
    sandbox: Sandbox,
    ledger: Path,
    log: str,
    seconds: float,
) -> None:
    db = sqlite3.connect(ledger)
    db.row_factory = sqlite3.Row
    posts = db.execute("SELECT * FROM posts WHERE baseline = 0 ORDER BY id").fetchall()
    names = {
        row["id"]: {
            r["url"]
            for r in db.execute("SELECT url FROM post_names WHERE post_id = ?", (row["id"],))
        }
        for row in posts
    }
    messages = sandbox.discord.messages
    tweets = sandbox.x.tweets
    topics = sandbox.discourse.topics
    firsts = [t for t in tweets if not t["in_reply_to_tweet_id"]]
    problems: list[str] = []
    for row in posts:
        urls = names[row["id"]]
        sent = {  # by the link each carries: the embed's URL, a word of the first tweet
            "discord": sum(
                bool(m["embeds"]) and m["embeds"][0].get("url") in urls for m in messages
            ),
            "twitter": sum(bool(urls & set(t["text"].split())) for t in firsts),
        }
        created = sum(t["embed_url"] in {u.lower() for u in urls} for t in topics)
        adopted = row["comments_url"] in upstream.shared
        sent["discourse"] = created + (1 if adopted and created == 0 else 0)
        for channel, count in sent.items():
            if count != 1:
                problems.append(f"{row['slug']}: {count} announcements on {channel}")
        for state, channel in db.execute(
            "SELECT state, channel FROM deliveries WHERE post_id = ?", (row["id"],)
        ):
            if state != "done":
                problems.append(f"{row['slug']}: {channel} is {state}")
    unfinished = db.execute("SELECT COUNT(*) FROM tweets WHERE state != 'done'").fetchone()[0]
    ids = [p.stem for p in (person.dir / AUTHORS).glob("*.md") if "_" in p.stem]
    texts = [json.dumps(m) for m in messages] + [t["raw"] for t in topics]
    texts += [t["text"] for t in tweets]
    raw_ids = sorted({i for i in ids for text in texts if re.search(rf"\b{re.escape(i)}\b", text)})
    bot = [
        line.split("\0")[0]
        for line in git(person.bare, "log", "--format=%H%x00%an", "main").decode().splitlines()
        if line.endswith("\0heartbeat-bot")
    ]
    one_line = 0
    for sha in bot:
        diff = git(person.bare, "show", "--format=", "--unified=0", sha).decode().splitlines()
        lines = [d for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---")]
        one_line += len(lines) == 1 and lines[0].startswith("+commentsUrl: ")
    renamed = db.execute("SELECT COUNT(*) FROM post_names WHERE how != 'first seen'").fetchone()[0]
    edited = db.execute(
        """SELECT d.channel, COUNT(*) FROM edits e JOIN deliveries d ON d.id = e.delivery_id
           WHERE e.state = 'done' AND e.detail = 'edited to follow the post' GROUP BY 1"""
    ).fetchall()
    edits = ", ".join(f"{n} on {channel}" for channel, n in edited) or "none"
    marked = db.execute(
        """SELECT d.channel, COUNT(DISTINCT e.delivery_id) FROM edits e
           JOIN deliveries d ON d.id = e.delivery_id WHERE e.state = 'stale' GROUP BY 1"""
    ).fetchall()
    stale = ", ".join(f"{n} on {channel}" for channel, n in marked) or "none"
    print(f"replayed {len(upstream.commits)} commits of {upstream.repo} in {seconds:.0f} s")
    print(f"new posts announced: {len(posts)}; posts renamed and kept: {renamed}")
    print(
        f"sent: {len(topics)} Discourse topics created, {len(messages)} Discord messages, "
        f"{len(firsts)} X threads ({len(tweets)} tweets)"
    )
    print(f"edits of sent messages: {edits}; marked stale (not edited): {stale}")
    print(f"X tweets not done: {unfinished}; author ids shown raw: {raw_ids or 'none'}")
    print(
        f"link commits: {len(bot)}, one added line each: {one_line}; "
        f"conflicts replaying the person's commits: {len(person.conflicts)}"
    )
    print(f"log: {log.count(' WARNING ')} warnings, {log.count(' ERROR ')} errors")
    for line in log.splitlines():
        if " WARNING " in line or " ERROR " in line:
            print(f"  {line[:200]}")
    if unfinished or raw_ids or one_line != len(bot) or person.conflicts:
        problems.append("see the figures above")
    for problem in problems:
        print(f"PROBLEM {problem}")
    print("PASS" if not problems else "FAIL")
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
