"""`heartbeat-bot run` with only blog.feed_url set, against the loopback feed server."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from heartbeat_bot.sandbox import Sandbox
from heartbeat_bot.sandbox.feeds import FeedServer
from tests.announce_env import Blog, make_blog
from tests.feed_shapes import FEEDS, SHAPES, renumbered, with_new_entry
from tests.service.test_service import Running, wait_for
from tests.test_cli import run
from tests.web.console_env import HASHES, login

# What a feed blog does not set: the keys of a blog kept as files.
_FILE_KEYS = re.compile(r"^(posts_dir|authors_dir|post_url|picture_url) = .*\n", re.MULTILINE)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer(slow_seconds=4.0) as server:
        yield server


def feed_blog(
    root: Path,
    sandbox: Sandbox,
    url: str,
    *,
    channels: tuple[str, ...] = ("discourse", "discord", "twitter"),
    blog: dict[str, Any] | None = None,
    service: dict[str, Any] | None = None,
    discord: dict[str, Any] | None = None,
    web: dict[str, Any] | None = None,
) -> Blog:
    """Settings with only blog.feed_url (no posts_dir, no post_url) and the sandbox."""
    made = make_blog(
        root,
        sandbox,
        posts=(),
        channels=channels,
        overrides={
            "blog": {"feed_url": url, "poll_interval": 1, "feed_timeout": 1, **(blog or {})},
            "service": {"http": "127.0.0.1:0", **(service or {})},
            "alerts": {"discord_webhook_url": sandbox.discord_webhook_url},
            "discord": discord or {},
            **({"web": web} if web else {}),
        },
    )
    made.config.write_text(_FILE_KEYS.sub("", made.config.read_text()), encoding="utf-8")
    (root / "posts").rmdir()
    return made


def announcements(sandbox: Sandbox) -> tuple[int, int, int]:
    """Topics, Discord messages (alerts aside) and tweets received so far."""
    messages = [m for m in sandbox.discord.messages if m["via"] != "webhook"]
    return len(sandbox.discourse.topics), len(messages), len(sandbox.x.tweets)


def alerts(sandbox: Sandbox) -> list[str]:
    return [m["content"] for m in sandbox.discord.messages if m["via"] == "webhook"]


def polls_after(feeds: FeedServer, name: str, count: int) -> None:
    """Wait until the feed was asked ``count`` more times."""
    start = len(feeds.served(name))
    wait_for(lambda: len(feeds.served(name)) >= start + count, what=f"{count} polls")


@pytest.mark.parametrize("name", ["wordpress", "ghost", "substack", "jsonfeed"])
def test_a_new_entry_goes_out_once_everywhere_and_unchanged_costs_a_304(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer, name: str
) -> None:
    """First run is a quiet baseline; a new entry is announced once on every channel within
    a poll; then the unchanged feed is answered 304 and nothing more is sent."""
    shape = SHAPES[name]
    feeds.put(name, shape.text(), shape.content_type)
    running = Running(feed_blog(tmp_path, sandbox, feeds.url(name)))
    try:
        polls_after(feeds, name, 2)
        assert announcements(sandbox) == (0, 0, 0), "the first run announces nothing"
        assert "first run: 2 published posts recorded as baseline" in running.text()
        text = with_new_entry(name, shape.text(), "Release notes for June", "june")
        feeds.put(name, text, shape.content_type)
        wait_for(lambda: announcements(sandbox)[2] >= 1, what="the announcement")
        logged = re.compile(r"announced \S*june\S* on twitter")
        wait_for(lambda: logged.search(running.text()), what="the log line")
        sent = announcements(sandbox)
        assert sent[:2] == (1, 1)
        assert sandbox.discord.messages[0]["embeds"][0]["url"].startswith(shape.link)
        assert "Release notes for June" in sandbox.discourse.topics[0]["title"]
        polls_after(feeds, name, 3)
        assert announcements(sandbox) == sent
        assert feeds.served(name)[-3:] == [304, 304, 304]
        metrics = httpx.get(f"http://127.0.0.1:{running.port}/metrics").text
        assert 'heartbeat_feed_fetches_total{result="changed"} 2.0' in metrics
        assert re.search(r'heartbeat_feed_fetches_total\{result="unchanged"\} [3-9]', metrics)
    finally:
        assert running.stop() == 0
    assert "Traceback" not in running.text()


def test_an_edited_entry_is_not_announced_again(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer
) -> None:
    """An entry edited after its announcement (summary and title) is not sent again."""
    shape = SHAPES["wordpress"]
    feeds.put("wordpress", shape.text())
    running = Running(feed_blog(tmp_path, sandbox, feeds.url("wordpress")))
    try:
        polls_after(feeds, "wordpress", 1)
        text = with_new_entry("wordpress", shape.text(), "Fresh news", "fresh")
        feeds.put("wordpress", text)
        wait_for(lambda: announcements(sandbox)[2] >= 1, what="the announcement")
        wait_for(lambda: "announced fresh on twitter" in running.text(), what="the log line")
        sent = announcements(sandbox)
        edited = text.replace("Fresh news", "Fresh news, corrected", 1)
        feeds.put("wordpress", edited.replace("faster syncs", "much faster syncs", 1))
        wait_for(lambda: feeds.served("wordpress")[-1] == 200, what="the edit to be read")
        polls_after(feeds, "wordpress", 2)
        assert announcements(sandbox) == sent
    finally:
        assert running.stop() == 0


def test_ids_changed_wholesale_are_held_with_one_alert(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer
) -> None:
    """A real 15-entry feed re-published with every id and link changed announces nothing,
    raises one alert, and a really new entry afterwards still goes out."""
    original = FEEDS / "feedparser" / "large_atom_feed_that_needs_css_sanitisation.xml"
    text = original.read_text(encoding="utf-8")
    feeds.put("mt", text, "application/atom+xml")
    blog = feed_blog(tmp_path, sandbox, feeds.url("mt"), channels=("discourse", "twitter"))
    running = Running(blog)
    try:
        polls_after(feeds, "mt", 1)
        assert "15 published posts recorded as baseline" in running.text()
        moved = renumbered("jekyll", text)
        feeds.put("mt", moved, "application/atom+xml")
        wait_for(lambda: "changed its ids" in running.text(), what="the hold")
        polls_after(feeds, "mt", 2)
        assert announcements(sandbox) == (0, 0, 0)
        wait_for(lambda: alerts(sandbox), what="the alert")
        polls_after(feeds, "mt", 2)
        held = [a for a in alerts(sandbox) if "changed its ids" in a]
        assert len(held) == 1 and "All 15 are held" in held[0]
        assert running.text().count("changed its ids") == 2  # the log line and the alert's
        entry = (
            "<entry><title>A really new post</title><link rel='alternate' type='text/html' "
            "href='http://touchnokia.ru/2024/new.html'/><id>tag:touchnokia.ru,2024://1.900</id>"
            "<published>2024-06-01T10:00:00Z</published><summary>New.</summary></entry>"
        )
        feeds.put("mt", moved.replace("<entry>", entry + "<entry>", 1), "application/atom+xml")
        wait_for(lambda: announcements(sandbox)[0] == 1, what="the new post")
        wait_for(lambda: announcements(sandbox)[2] >= 1, what="its tweet")
    finally:
        assert running.stop() == 0


def test_ids_changed_while_stopped_are_held_at_start(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer
) -> None:
    """Ids and links changed while the service was stopped: held at the next start."""
    shape = SHAPES["jsonfeed"]
    feeds.put("json", shape.text(), shape.content_type)
    blog = feed_blog(tmp_path, sandbox, feeds.url("json"))
    first = Running(blog)
    try:
        polls_after(feeds, "json", 1)
        assert "first run: 2 published posts recorded as baseline" in first.text()
    finally:
        assert first.stop() == 0
    feeds.put("json", renumbered("jsonfeed", shape.text()), shape.content_type)
    second = Running(blog)
    try:
        wait_for(lambda: "changed its ids" in second.text(), what="the hold")
        polls_after(feeds, "json", 2)
        assert announcements(sandbox) == (0, 0, 0)
    finally:
        assert second.stop() == 0


def test_each_broken_feed_is_reported_once_and_the_loop_goes_on(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer
) -> None:
    """Malformed XML, an HTML page, 10 MB, a slow answer, a redirect loop, a 503 and a
    dropped connection: each one log line, one alert and a /healthz detail, polled on."""
    shape = SHAPES["ghost"]
    feeds.put("ghost", shape.text())
    running = Running(feed_blog(tmp_path, sandbox, feeds.url("ghost")))
    faults = {
        "malformed": "is not well-formed XML",
        "html": "serves an HTML page",
        "huge": "answered more than 5 MB",
        "slow": "gave no complete answer within 1 s",
        "loop": "redirects too often",
        "503": "answered HTTP 503",
        "down": "cannot be reached",
    }
    try:
        health = f"http://127.0.0.1:{running.port}/healthz"
        polls_after(feeds, "ghost", 1)
        for fault, message in faults.items():
            feeds.fail("ghost", fault)
            wait_for(lambda m=message: m in running.text(), what=fault)  # type: ignore[misc]
            polls_after(feeds, "ghost", 2)
            answer = httpx.get(health)
            assert answer.status_code == 200 and message in answer.text, answer.text
            after = len(running.text())
            feeds.fail("ghost", None)
            wait_for(lambda n=after: "feed readable again" in running.text()[n:], what="up")  # type: ignore[misc]
            assert httpx.get(health).text == "ok\n"
        log = running.text()
        assert log.count("feed unreadable") == len(faults)
        for message in faults.values():
            assert len(re.findall(r"ERROR.*" + re.escape(message), log)) == 1, message
        assert len(alerts(sandbox)) >= 1  # merged when they come faster than one a minute
        text = with_new_entry("ghost", shape.text(), "After the storm", "after")
        feeds.put("ghost", text)
        wait_for(lambda: announcements(sandbox)[0] == 1, what="the loop to go on")
        assert "Traceback" not in running.text()
    finally:
        assert running.stop() == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_websub_subscribe_challenge_signed_push_and_renewal(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer
) -> None:
    """With service.public_url, the service subscribes at the feed's hub, answers its
    challenge, announces a signed push at once (polling every minute), ignores a forged
    one, and renews its lease before it ends."""
    feeds.lease_seconds = 3
    shape = SHAPES["medium"]
    hubbed = shape.text().replace("http://medium.superfeedr.com", feeds.hub_url)
    hubbed = hubbed.replace("https://medium.com/@priya.raman/feed", feeds.url("medium"))
    feeds.put("medium", hubbed, shape.content_type)
    port = free_port()
    blog = feed_blog(
        tmp_path,
        sandbox,
        feeds.url("medium"),
        blog={"poll_interval": 60},
        service={"http": f"127.0.0.1:{port}", "public_url": f"http://127.0.0.1:{port}"},
    )
    running = Running(blog)
    try:
        wait_for(lambda: feeds.subscriptions, what="the verified subscription")
        sub = feeds.subscriptions[0]
        assert sub.callback == f"http://127.0.0.1:{port}/websub" and sub.secret
        assert feeds.verifications[0][:2] == ("subscribe", 200)
        pushed = with_new_entry("medium", hubbed, "Pushed, not polled", "pushed")
        feeds.put("medium", pushed, shape.content_type)
        assert feeds.publish("medium") == [200]
        wait_for(lambda: announcements(sandbox)[0] == 1, timeout=15, what="the pushed entry")
        forged = with_new_entry("medium", pushed, "Forged", "forged")
        assert feeds.publish("medium", body=forged.encode(), secret="not-the-secret") == [200]
        wait_for(lambda: "without a valid X-Hub-Signature" in running.text(), what="refusal")
        wait_for(lambda: len(feeds.hub_requests) >= 2, timeout=15, what="the renewal")
        assert announcements(sandbox)[0] == 1
        assert len(feeds.served("medium")) == 1  # one poll: the rest came by push
        challenge = httpx.get(
            f"http://127.0.0.1:{port}/websub",
            params={
                "hub.mode": "subscribe",
                "hub.topic": "https://evil.example/",
                "hub.challenge": "x",
            },
        )
        assert challenge.status_code == 404  # not a subscription this service asked for
    finally:
        assert running.stop() == 0


def test_held_entries_are_listed_and_resolve_new_sends_one(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer
) -> None:
    """Held entries show as held in `list`; `resolve LINK --new` releases one, which the
    service then announces; the others stay held."""
    shape = SHAPES["jsonfeed"]
    feeds.put("json", shape.text(), shape.content_type)
    blog = feed_blog(tmp_path, sandbox, feeds.url("json"))
    running = Running(blog)
    try:
        polls_after(feeds, "json", 1)
        moved = renumbered("jsonfeed", shape.text())
        feeds.put("json", moved, shape.content_type)
        wait_for(lambda: "changed its ids" in running.text(), what="the hold")
        listed = run("--config", str(blog.config), "list", "--json")
        rows = json.loads(listed.stdout)["items"]
        held = [r for r in rows if r["state"] == "held"]
        assert len(held) == 2 and "the feed changed its ids" in held[0]["problems"][-1]
        link = "https://migrated.changelog.example.net/2024/05/18/dark-mode/"
        released = run("--config", str(blog.config), "resolve", link, "--new")
        assert released.returncode == 0, released.stderr
        wait_for(lambda: announcements(sandbox)[0] == 1, what="the released entry")
        polls_after(feeds, "json", 2)
        assert announcements(sandbox)[0] == 1
    finally:
        assert running.stop() == 0


def test_entries_leaving_the_feed_are_not_unpublished(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer
) -> None:
    """An announced entry that scrolls off the feed is not taken as deleted: no alert, no
    change to its announcements."""
    shape = SHAPES["ghost"]
    feeds.put("ghost", shape.text())
    running = Running(feed_blog(tmp_path, sandbox, feeds.url("ghost")))
    try:
        polls_after(feeds, "ghost", 1)
        feeds.put("ghost", with_new_entry("ghost", shape.text(), "Short-lived", "short"))
        wait_for(lambda: announcements(sandbox)[2] >= 1, what="the announcement")
        feeds.put("ghost", shape.text())  # the new entry scrolled off
        polls_after(feeds, "ghost", 3)
        assert "unpublished" not in running.text() and alerts(sandbox) == []
    finally:
        assert running.stop() == 0


def test_a_new_entry_dated_as_one_that_left_the_feed_is_announced(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer
) -> None:
    """A busy feed: an announced entry scrolls off as a new entry of the same day arrives;
    the new one is announced, not held as the other renamed."""
    shape = SHAPES["ghost"]
    feeds.put("ghost", shape.text())
    running = Running(feed_blog(tmp_path, sandbox, feeds.url("ghost")))
    try:
        polls_after(feeds, "ghost", 1)
        feeds.put("ghost", with_new_entry("ghost", shape.text(), "Morning notes", "morning"))
        wait_for(lambda: announcements(sandbox)[2] >= 1, what="the first announcement")
        feeds.put("ghost", with_new_entry("ghost", shape.text(), "Evening notes", "evening"))
        wait_for(lambda: announcements(sandbox)[2] >= 2, what="the second announcement")
        assert "Evening notes" in sandbox.discourse.topics[-1]["title"]
        assert "held" not in running.text() and alerts(sandbox) == []
    finally:
        assert running.stop() == 0


def test_the_console_lists_a_feeds_entries_and_its_held_ones(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer
) -> None:
    """With the web console on, a feed's entries are its posts, and entries held because
    the feed changed its ids are under the Held filter."""
    shape = SHAPES["jsonfeed"]
    feeds.put("json", shape.text(), shape.content_type)
    blog = feed_blog(tmp_path, sandbox, feeds.url("json"), web={"password_hash": HASHES["admin"]})
    running = Running(blog)
    try:
        polls_after(feeds, "json", 1)
        feeds.put("json", renumbered("jsonfeed", shape.text()), shape.content_type)
        wait_for(lambda: "changed its ids" in running.text(), what="the hold")
        with httpx.Client(base_url=f"http://127.0.0.1:{running.port}") as client:
            assert login(client).status_code == 303  # to the posts page
            page = client.get("/", params={"filter": "held"})
        assert page.status_code == 200
        # The feed now holds only its two entries under their new ids: both held.
        assert "2 of 2 posts" in page.text and page.text.count("post-held") == 2
        assert shape.title in page.text
    finally:
        assert running.stop() == 0


def test_an_entry_dated_ahead_waits_for_its_moment(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer
) -> None:
    """An entry dated a few seconds ahead is scheduled, not sent, then goes out once at its
    publish moment."""
    shape = SHAPES["ghost"]
    feeds.put("ghost", shape.text())
    running = Running(feed_blog(tmp_path, sandbox, feeds.url("ghost")))
    try:
        polls_after(feeds, "ghost", 1)
        when = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
        feeds.put("ghost", with_new_entry("ghost", shape.text(), "Coming up", "soon", when))
        wait_for(lambda: "scheduled: soon" in running.text(), what="the schedule")
        assert datetime.now(UTC) < when and announcements(sandbox) == (0, 0, 0)
        wait_for(lambda: announcements(sandbox) == (1, 1, 1), timeout=30, what="the post")
        assert datetime.now(UTC) >= when
        polls_after(feeds, "ghost", 2)
        assert announcements(sandbox) == (1, 1, 1)
    finally:
        assert running.stop() == 0
