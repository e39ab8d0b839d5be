"""A post's whole life with `run` following a shared git blog: renames, new authors, shared
threads, a person's own commentsUrl, held posts, unpublishing and push races."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import make_blog
from tests.service.blog_history import History, linked, post_text
from tests.service.test_git_blog import git
from tests.service.test_service import Running, wait_for

FIRST = "content/2022-05-03-e2e-cv-pt1.md"
RENAMED = "content/2022-05-03-end-to-end-computer-vision-api-part-1.md"
RENAMED_SLUG = "end-to-end-computer-vision-api-part-1"
CLI = (sys.executable, "-m", "heartbeat_bot", "--config")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def announced(history: History, title: str) -> bool:
    """Whether Discourse, Discord and X each received the post's announcement."""
    topics = [t for t in history.topics() if title in t["title"]]
    messages = [m for m in history.messages() if title in json.dumps(m["embeds"])]
    tweets = [t for t in history.tweets() if title in t["text"]]
    return bool(topics and messages and tweets)


def counts(sandbox: Sandbox) -> tuple[int, int, int]:
    return len(sandbox.discourse.topics), len(sandbox.discord.messages), len(sandbox.x.tweets)


def status(history: History, *args: str) -> list[dict[str, object]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    out = subprocess.run(
        [*CLI, str(history.blog.config), "status", "--json", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    items: list[dict[str, object]] = json.loads(out)["items"]
    return items


def test_a_file_renamed_after_its_announcement_is_not_announced_again(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """git mode: a post announced, then its file renamed (a new slug) by the person: the
    services receive nothing more, and the ledger keeps both URLs of the one post."""
    history = History(tmp_path, sandbox)
    history.start()
    try:
        history.write(FIRST, post_text("Computer vision, part 1", "2022-05-03"))
        history.commit("add the post")
        history.notify()
        history.settle(lambda: linked(history, FIRST), "the link commit")
        counts = history.counts()
        assert counts[0] == counts[1] == 1
        history.push()  # the person pulls the link commit
        git(history.person, "mv", FIRST, RENAMED)
        history.commit("a better slug")
        history.notify()
        assert history.running is not None
        history.settle(lambda: "post renamed" in history.running.text(), "the rename")  # type: ignore[union-attr]
        new_url = f"https://dvc.org/blog/{RENAMED_SLUG}"
        history.settle(
            lambda: (
                history.messages()[0]["embeds"][0]["url"] == new_url
                and new_url in history.topics()[0]["raw"]
            ),
            "the links edited to the new URL",
        )
    finally:
        assert history.stop() == 0
    assert history.counts() == counts, "nothing sent again"
    rows = status(history, "end-to-end-computer-vision-api-part-1")
    assert {r["state"] for r in rows} == {"done"}
    (topic_row,) = [r for r in rows if r["channel"] == "discourse"]
    assert topic_row["embed_url"] == "https://dvc.org/blog/e2e-cv-pt1", "comments stay there"
    names = rows[0]["names"]
    assert isinstance(names, list)
    assert [n["url"] for n in names] == [
        "https://dvc.org/blog/e2e-cv-pt1",
        "https://dvc.org/blog/end-to-end-computer-vision-api-part-1",
    ]


def test_a_rename_in_a_plain_folder_is_the_same_post(tmp_path: Path, sandbox: Sandbox) -> None:
    """Folder mode: a file renamed after its announcement (same date and title, seen in one
    scan) continues its record; nothing is sent again."""
    blog = make_blog(tmp_path / "blog", sandbox, posts=(), overrides={"service": {"http": ""}})
    running = Running(blog)
    posts = blog.root / "posts"
    try:
        (posts / "2022-05-03-e2e-cv-pt1.md").write_text(
            post_text("Computer vision, part 1", "2022-05-03"), "utf-8"
        )
        wait_for(lambda: len(sandbox.x.tweets) >= 1 and sandbox.discord.messages, what="sent")
        wait_for(lambda: "announced e2e-cv-pt1 on twitter" in running.text(), what="done")
        before = (
            len(sandbox.discourse.topics),
            len(sandbox.discord.messages),
            len(sandbox.x.tweets),
        )
        (posts / "2022-05-03-e2e-cv-pt1.md").rename(posts / "2022-05-03-e2e-cv-part-1.md")
        wait_for(lambda: "post renamed" in running.text(), what="the rename")
    finally:
        assert running.stop() == 0
    assert counts(sandbox) == before


def test_a_rename_landing_before_the_link_commit_keeps_the_thread(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """The slug changes while the bot's link commit is still refused by the remote: no second
    topic, no message without the link; the link lands in the renamed file."""
    history = History(tmp_path, sandbox)
    hook_file = history.bare / "hooks" / "pre-receive"
    gate = tmp_path / "refuse-bot"
    hook_file.write_text(
        f"#!/bin/sh\nif [ -e {gate} ]; then echo 'failed to update ref' >&2; exit 1; fi\n"
    )
    hook_file.chmod(0o755)
    history.start()
    try:
        gate.touch()
        history.write(FIRST, post_text("Computer vision, part 1", "2022-05-03"))
        gate.unlink()
        history.commit("add the post")
        gate.touch()  # the remote now refuses every push, the bot's link commit included
        history.notify()
        history.settle(lambda: announced(history, "Computer vision, part 1"), "the announcement")
        assert history.running is not None
        history.settle(lambda: "commentsUrl not written" in history.running.text(), "refusal")  # type: ignore[union-attr]
        gate.unlink()
        git(history.person, "mv", FIRST, RENAMED)
        history.commit("a better slug")
        history.notify()
        history.settle(lambda: "post renamed" in history.running.text(), "the rename")  # type: ignore[union-attr]
        history.notify()  # the link is written at the next scan
        history.settle(lambda: linked(history, RENAMED), "the link in the renamed file", 90)
    finally:
        assert history.stop() == 0
    (topic,) = history.topics()
    (message,) = history.messages()
    assert topic["url"] in json.dumps(message)
    assert topic["url"] in history.on_remote(RENAMED)


def test_a_new_author_is_shown_by_name_from_their_first_post(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A guest author's file arrives in the same commit as their first post, while the
    service runs: every announcement names them, none shows the raw id."""
    history = History(tmp_path, sandbox)
    history.start()
    try:
        history.write("authors/rob_dewit.md", "---\nname: Rob de Wit\n---\n")
        history.write(
            "content/2022-06-01-guest.md",
            post_text("A guest post", "2022-06-01", author="rob_dewit"),
        )
        history.commit("a guest post")
        history.notify()
        history.settle(lambda: announced(history, "A guest post"), "the announcement")
    finally:
        assert history.stop() == 0
    (topic,) = history.topics()
    (message,) = history.messages()
    assert "Rob de Wit" in topic["raw"] and "rob_dewit" not in topic["raw"]
    assert "Rob de Wit" in json.dumps(message) and "rob_dewit" not in json.dumps(message)


def test_three_posts_sharing_one_thread_each_get_a_whole_thread(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Three posts of a series share one Discourse topic: each gets its complete X thread,
    no tweet repeats another, and nothing ends `unknown`."""
    history = History(tmp_path, sandbox)
    thread = f"{sandbox.discourse_url}/t/the-series/99"
    long = " ".join(["This sentence about the series is long enough to fill a tweet."] * 5)
    history.start()
    try:
        for part in (1, 2, 3):
            history.write(
                f"content/2022-05-0{part}-series-{part}.md",
                post_text(
                    f"Series, part {part}", f"2022-05-0{part}", summary=long, comments=thread
                ),
            )
        history.commit("the series")
        history.notify()
        assert history.running is not None
        history.settle(
            lambda: all(
                f"announced series-{n} on twitter" in history.running.text()  # type: ignore[union-attr]
                for n in (1, 2, 3)
            ),
            "three threads",
        )
    finally:
        assert history.stop() == 0
    tweets = history.tweets()
    texts = [t["text"] for t in tweets]
    assert len(set(texts)) == len(texts)
    assert sum(thread in text for text in texts) == 3, "each thread ends with the discussion"
    rows = status(history)
    assert {r["state"] for r in rows if r["channel"] == "twitter"} == {"done"}
    assert not history.topics(), "the series' topic is adopted, never created"


def test_a_person_adding_comments_url_on_a_branch_merges_into_one_key(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A person adds the thread's link by hand on a branch cut before the bot's link
    commit; merged after it, the post has exactly one commentsUrl, where the blog keeps it."""
    history = History(tmp_path, sandbox)
    history.start()
    try:
        history.write(FIRST, post_text("Computer vision, part 1", "2022-05-03"))
        history.commit("add the post")
        git(history.person, "checkout", "-q", "-b", "links")
        history.notify()
        history.settle(lambda: linked(history, FIRST), "the link commit")
        (topic,) = history.topics()
        history.write(
            FIRST, post_text("Computer vision, part 1", "2022-05-03", comments=topic["url"])
        )
        history.commit("link the thread", push=False)
        git(history.person, "checkout", "-q", "main")
        git(history.person, "pull", "-q", "origin", "main")
        git(history.person, "merge", "-q", "--no-edit", "links")
        history.push()
        history.notify()
    finally:
        assert history.stop() == 0
    text = history.on_remote(FIRST)
    assert text.count("commentsUrl:") == 1
    lines = text.splitlines()
    assert lines[lines.index(f"commentsUrl: {topic['url']}") - 1].startswith("author:")
    assert history.counts()[:2] == (1, 1)


def test_weak_evidence_holds_the_post_until_a_person_resolves_it(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A post disappears as another appears with its title but another date: the new one
    is held (status, one alert), never announced, until `resolve --same-as` settles it."""
    history = History(tmp_path, sandbox)
    history.start()
    try:
        history.write(FIRST, post_text("Computer vision, part 1", "2022-05-03"))
        history.commit("add the post")
        history.notify()
        history.settle(lambda: linked(history, FIRST), "the link commit")
        counts = history.counts()
        history.push()
        history.write(FIRST, None)
        other = "\n".join(f"Line {n} of a text written anew." for n in range(40))
        history.write(RENAMED, post_text("Computer vision, part 1", "2022-05-04", body=other))
        history.commit("rewrite it, a day later")
        history.notify()
        assert history.running is not None
        history.settle(lambda: "post held" in history.running.text(), "the hold")  # type: ignore[union-attr]
        rows = status(history)
        held = [r for r in rows if r["post_state"] == "held"]
        assert held and {r["state"] for r in held} == {"pending"}
    finally:
        assert history.stop() == 0
    assert history.counts() == counts
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    resolved = subprocess.run(
        [*CLI, str(history.blog.config), "resolve", RENAMED_SLUG, "--same-as", "e2e-cv-pt1"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert resolved.returncode == 0, resolved.stderr
    rows = status(history)
    assert {r["post_state"] for r in rows} == {None}
    assert {r["url"] for r in rows} == {
        "https://dvc.org/blog/end-to-end-computer-vision-api-part-1"
    }
    ledger = sqlite3.connect(history.blog.root / "state" / "heartbeat.sqlite3")
    assert ledger.execute("SELECT COUNT(*) FROM posts").fetchone() == (1,)


def test_a_deleted_post_is_reported_once_and_nothing_is_deleted(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A post deleted after its announcement is `unpublished` in status, logged once, and
    its topic, message and tweets stay."""
    history = History(tmp_path, sandbox)
    history.start()
    try:
        history.write(FIRST, post_text("Computer vision, part 1", "2022-05-03"))
        history.write("content/2022-05-01-kept.md", post_text("Kept", "2022-05-01"))
        history.commit("add the posts")
        history.notify()
        history.settle(lambda: linked(history, FIRST), "the link commit")
        history.settle(lambda: linked(history, "content/2022-05-01-kept.md"), "the other link")
        counts = history.counts()
        history.push()
        history.write(FIRST, None)
        history.commit("remove it")
        history.notify()
        assert history.running is not None
        history.settle(lambda: "post unpublished" in history.running.text(), "the report")  # type: ignore[union-attr]
        history.notify()
    finally:
        assert history.stop() == 0
    assert history.running.text().count("post unpublished") == 1
    assert history.counts() == counts
    assert not any(m.get("deleted") for m in history.messages())
    states = {r["slug"]: r["post_state"] for r in status(history)}
    assert states == {"e2e-cv-pt1": "unpublished", "kept": None}


def test_a_refused_push_is_rebased_and_retried_at_once(tmp_path: Path, sandbox: Sandbox) -> None:
    """The remote refuses the bot's first push (`failed to update ref`): the link commit is
    fetched, rebased and pushed again at once, without waiting for another scan."""
    history = History(tmp_path, sandbox)
    hook_file = history.bare / "hooks" / "pre-receive"
    once = tmp_path / "refuse-once"
    hook_file.write_text(
        f"#!/bin/sh\nif [ -e {once} ]; then rm {once}; "
        "echo 'error: failed to update ref' >&2; exit 1; fi\n"
    )
    hook_file.chmod(0o755)
    history.start()
    try:
        history.write(FIRST, post_text("Computer vision, part 1", "2022-05-03"))
        history.commit("add the post")
        once.touch()
        history.notify()
        history.settle(lambda: linked(history, FIRST), "the link commit")
    finally:
        assert history.stop() == 0
    assert not once.exists(), "the first push was refused"
    assert history.log()[0] == "heartbeat-bot|blog: link comments for e2e-cv-pt1"
    assert history.running is not None
    assert "commentsUrl not written" not in history.running.text()
