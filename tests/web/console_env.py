"""A real `heartbeat-bot run` with the console on, against the sandbox, in known states.

Four posts: two published ones that `run --backfill` announces while the sandbox refuses
or drops their Discord messages (one pair ``failed``, one ``unknown``), one scheduled a
week ahead, and a draft. Discord is in webhook mode, where a dropped answer cannot be
checked, and ``service.max_attempts = 1``, so a refusal is final at once.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from heartbeat_bot.app.passwords import hash_password
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import make_blog
from tests.service.test_service import Running, wait_for

PASSWORD = "correct horse battery staple"
OTHER = ("alice", "another long passphrase")
PUBLISHED = ("2020-03-11-march-20-dvc-heartbeat.md", "2020-04-06-april-20-dvc-heartbeat.md")
SLUGS = ("march-20-dvc-heartbeat", "april-20-dvc-heartbeat")
GITHUB_WEBHOOK_SECRET = "a-github-webhook-secret-of-some-length"
# Computed once: scrypt is slow on purpose.
HASHES = {"admin": hash_password(PASSWORD), OTHER[0]: hash_password(OTHER[1])}


def post_text(title: str, when: datetime, *, draft: bool = False) -> str:
    flag = "draft: true\n" if draft else ""
    return (
        f"---\ntitle: {title}\ndate: {when.isoformat()}\n{flag}"
        "descriptionLong: A short summary of the post.\ntags: [News]\n---\n\nBody.\n"
    )


@dataclass
class ConsoleService:
    """The running service, its folder and where its console listens."""

    running: Running
    root: Path
    base: str
    sandbox: Sandbox
    secrets: tuple[str, ...]

    def pairs(self) -> dict[tuple[str, str], str]:
        """(slug, channel) -> state, read from the ledger file."""
        db = sqlite3.connect(self.root / "state" / "heartbeat.sqlite3")
        try:
            rows = db.execute(
                "SELECT p.slug, d.channel, d.state FROM deliveries d "
                "JOIN posts p ON p.id = d.post_id"
            ).fetchall()
        finally:
            db.close()
        return {(slug, channel): state for slug, channel, state in rows}

    def approvals(self) -> dict[str, tuple[str, str | None, str | None]]:
        """slug -> (state, decided_by, via), read from the ledger file."""
        db = sqlite3.connect(self.root / "state" / "heartbeat.sqlite3")
        try:
            rows = db.execute(
                "SELECT p.slug, a.state, a.decided_by, a.via FROM approvals a "
                "JOIN posts p ON p.id = a.post_id"
            ).fetchall()
        finally:
            db.close()
        return {slug: (state, by, via) for slug, state, by, via in rows}

    def slug_in(self, state: str, channel: str = "discord") -> str:
        return next(s for (s, c), st in self.pairs().items() if c == channel and st == state)

    def log(self) -> str:
        return self.running.text()


def start(
    root: Path,
    sandbox: Sandbox,
    web: dict[str, Any] | None = None,
    service: dict[str, Any] | None = None,
    *,
    settle: bool = True,
    approval: dict[str, Any] | None = None,
    discord: dict[str, Any] | None = None,
    sections: dict[str, dict[str, Any]] | None = None,
    extra: int = 0,
) -> ConsoleService:
    """Write the blog, queue the faults, start `run --backfill` and wait for the states.

    With ``approval``, no fault is queued and the two published posts wait for approval.
    ``extra`` more posts, published before the backfill's start (baseline: nothing sent),
    one a day from 2015 on, every other one a draft (see :func:`extra_slug`).
    """
    blog = make_blog(
        root,
        sandbox,
        posts=PUBLISHED,
        mode="webhook",
        overrides={
            "blog": {"poll_interval": 2, "timezone": "America/Los_Angeles"},
            "service": {
                "http": "127.0.0.1:0",
                "max_attempts": 1,
                "backfill_interval": 2,
                **(service or {}),
            },
            "web": {"password_hash": HASHES["admin"], **(web or {})},
            **({"approval": approval} if approval else {}),
            **({"discord": discord} if discord else {}),
            **(sections or {}),
        },
    )
    with blog.config.open("a", encoding="utf-8") as config:
        config.write(f'\n[web.users]\n{OTHER[0]} = "{HASHES[OTHER[0]]}"\n')
    soon = (datetime.now(UTC) + timedelta(days=7)).astimezone(ZoneInfo("America/Los_Angeles"))
    (root / "posts" / f"{soon:%Y-%m-%d}-later.md").write_text(post_text("Coming later", soon))
    (root / "posts" / "2019-01-01-draft.md").write_text(
        post_text("Still a draft", datetime(2019, 1, 1, 12, tzinfo=UTC), draft=True)
    )
    for number in range(extra):
        when = datetime(2015, 1, 1, 12, tzinfo=UTC) + timedelta(days=number)
        text = post_text(f"Extra post {number:03d}", when, draft=number % 2 == 0)
        (root / "posts" / f"{when:%Y-%m-%d}-{extra_slug(number)}.md").write_text(text)
    if not approval:
        sandbox.faults.queue("discord", "503", "drop", path="/api/v10/webhooks/")
    running = Running(blog, "--backfill", "2020-01-01")
    started = ConsoleService(
        running,
        root,
        f"http://127.0.0.1:{running.port}",
        sandbox,
        secrets=_secrets(sandbox),
    )

    def settled() -> bool:
        states = started.pairs()
        discord = sorted(v for (_, c), v in states.items() if c == "discord")
        others = [v for (_, c), v in states.items() if c != "discord"]
        return discord == ["failed", "unknown"] and others.count("done") == 4

    def waiting() -> bool:
        return len(started.approvals()) == 2

    if settle:
        wait_for(waiting if approval else settled, timeout=60, what="the backfill to settle")
    return started


def extra_slug(number: int) -> str:
    """The slug of the extra post ``number`` (the older, the smaller)."""
    return f"extra-post-{number:03d}"


def _secrets(sandbox: Sandbox) -> tuple[str, ...]:
    creds = sandbox.credentials.as_dict()
    found = [str(v) for k, v in creds.items() if re.search("key|token|secret|password", k) and v]
    webhook = sandbox.discord_webhook_url.rstrip("/").rsplit("/", 1)[-1]
    return (
        *found,
        webhook,
        GITHUB_WEBHOOK_SECRET,
        PASSWORD,
        *HASHES.values(),
        *(h.split("$")[-1] for h in HASHES.values()),
    )


def login(client: httpx.Client, name: str = "admin", password: str = PASSWORD) -> httpx.Response:
    """Log in through the form, as a browser does (token from the page, same origin)."""
    page = client.get("/login")
    token = csrf(page.text)
    return client.post(
        "/login",
        data={"csrf": token, "username": name, "password": password},
        headers={"Origin": str(client.base_url).rstrip("/")},
    )


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def origin(client: httpx.Client) -> dict[str, str]:
    """The Origin header a browser sends with the console's own forms."""
    return {"Origin": str(client.base_url).rstrip("/")}
