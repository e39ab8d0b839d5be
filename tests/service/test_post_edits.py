"""Edits follow the post, with `run` and the sandbox: what heartbeat-bot sent is edited in
place (Discourse, Discord in bot and webhook mode), X is only marked stale, people's topics
are never edited, and an unpublished post's messages are withdrawn only when asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import make_blog
from tests.sandbox.helpers import discourse_headers
from tests.service.blog_history import History, linked, post_text
from tests.service.test_service import Running, wait_for

FIRST = "content/2022-05-03-e2e-cv-pt1.md"
NAME = "2022-05-03-e2e-cv-pt1.md"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def status(config: Path) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    out = subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", "--config", str(config), "status", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    items: list[dict[str, Any]] = json.loads(out)["items"]
    return items


def edited_text(title: str, summary: str) -> str:
    return post_text(title, "2022-05-03", summary=summary)


def test_a_title_and_summary_edit_is_followed_and_never_repeated(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """git mode: the person changes the title and summary of an announced post: the topic's
    first post and title and the Discord message are edited, X is untouched and shown
    stale, nothing new is sent, and a restart edits nothing again."""
    history = History(tmp_path, sandbox)
    history.start()
    try:
        history.write(FIRST, edited_text("Computer vision, part 1", "The first summary."))
        history.commit("add the post")
        history.notify()
        history.settle(lambda: linked(history, FIRST), "the link commit")
        counts = history.counts()
        tweets = history.tweets()
        history.push()
        text = history.on_remote(FIRST).replace(
            "Computer vision, part 1", "Computer vision, part one"
        )
        history.write(FIRST, text.replace("The first summary.", "A better summary."))
        history.commit("a better title and summary")
        history.notify()
        history.settle(
            lambda: (
                "part one" in history.topics()[0]["title"]
                and history.messages()[0].get("edits") == 1
            ),
            "the edits",
        )
    finally:
        assert history.stop() == 0
    (topic,) = history.topics()
    (message,) = history.messages()
    assert "A better summary." in topic["raw"] and "part one" in topic["title"]
    assert "part one" in json.dumps(message["embeds"])
    assert "A better summary." in json.dumps(message["embeds"])
    assert history.counts() == counts and history.tweets() == tweets, "X untouched"
    rows = {r["channel"]: r for r in status(history.blog.config)}
    assert rows["twitter"]["stale"] is True
    assert rows["discourse"]["stale"] is False and rows["discord"]["stale"] is False
    edits = topic["edits"]
    history.start()  # a restart reads every post again: nothing is edited twice
    history.notify()
    assert history.stop() == 0
    assert history.topics()[0]["edits"] == edits and history.messages()[0]["edits"] == 1


def test_webhook_mode_edits_its_message_and_people_s_topics_stay(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Folder mode, Discord through a webhook, a topic a person made (commentsUrl set by
    hand): a title edit changes the webhook's message, never the person's topic."""
    made = httpx.post(
        f"{sandbox.discourse_url}/posts.json",
        json={"title": "A thread a person opened by hand", "raw": "Discuss the post here."},
        headers=discourse_headers(sandbox),
    ).json()
    url = f"{sandbox.discourse_url}/t/{made['topic_slug']}/{made['topic_id']}"
    blog = make_blog(
        tmp_path / "blog", sandbox, posts=(), mode="webhook", overrides={"service": {"http": ""}}
    )
    path = blog.root / "posts" / NAME
    running = Running(blog)
    try:
        path.write_text(post_text("Computer vision, part 1", "2022-05-03", comments=url), "utf-8")
        wait_for(lambda: "announced e2e-cv-pt1 on discord" in running.text(), what="sent")
        wait_for(lambda: "announced e2e-cv-pt1 on twitter" in running.text(), what="sent")
        path.write_text(post_text("Computer vision, part one", "2022-05-03", comments=url))
        wait_for(lambda: sandbox.discord.messages[0].get("edits") == 1, what="the edit")
    finally:
        assert running.stop() == 0
    (message,) = sandbox.discord.messages
    assert message["via"] == "webhook" and "part one" in json.dumps(message["embeds"])
    (topic,) = sandbox.discourse.topics
    assert topic["edits"] == 0 and topic["title"] == "A thread a person opened by hand"


def test_with_edits_off_nothing_is_edited_and_status_says_stale(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """[sync] edits = false: a changed post's topic and message stay as sent, and status
    shows each channel stale."""
    blog = make_blog(
        tmp_path / "blog",
        sandbox,
        posts=(),
        overrides={"service": {"http": ""}, "sync": {"edits": False}},
    )
    path = blog.root / "posts" / NAME
    running = Running(blog)
    try:
        path.write_text(post_text("Computer vision, part 1", "2022-05-03"), "utf-8")
        wait_for(lambda: "announced e2e-cv-pt1 on twitter" in running.text(), what="sent")
        wait_for(lambda: "announced e2e-cv-pt1 on discord" in running.text(), what="sent")
        path.write_text(post_text("Computer vision, part one", "2022-05-03"), "utf-8")
        wait_for(
            lambda: all(r["stale"] for r in status(blog.config)), timeout=30, what="stale pairs"
        )
    finally:
        assert running.stop() == 0
    assert sandbox.discourse.topics[0]["edits"] == 0
    assert "edits" not in sandbox.discord.messages[0]


def test_unlist_on_unpublish_withdraws_only_what_the_bot_made(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """[sync] on_unpublish = "unlist": a post turned back into a draft gets its topic
    unlisted and its Discord message deleted, once; its tweets stay."""
    blog = make_blog(
        tmp_path / "blog",
        sandbox,
        posts=(),
        overrides={"service": {"http": ""}, "sync": {"on_unpublish": "unlist"}},
    )
    path = blog.root / "posts" / NAME
    running = Running(blog)
    try:
        path.write_text(post_text("Computer vision, part 1", "2022-05-03"), "utf-8")
        wait_for(lambda: "announced e2e-cv-pt1 on twitter" in running.text(), what="sent")
        wait_for(lambda: "announced e2e-cv-pt1 on discord" in running.text(), what="sent")
        tweets = sandbox.x.tweets
        path.write_text(
            post_text("Computer vision, part 1", "2022-05-03").replace(
                "---\n", "---\ndraft: true\n", 1
            ),
            "utf-8",
        )
        wait_for(lambda: "post unpublished" in running.text(), what="the withdrawal")
    finally:
        assert running.stop() == 0
    assert sandbox.discourse.topics[0]["visible"] is False
    assert sandbox.discord.messages == [] and len(sandbox.discord.deleted) == 1
    assert sandbox.x.tweets == tweets
    assert running.text().count("post unpublished") == 1
    assert {r["post_state"] for r in status(blog.config)} == {"unpublished"}
