"""A feed blog from the command line: its settings, list, preview and announce by link or id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from heartbeat_bot.channels.settings import load_config
from heartbeat_bot.errors import ConfigError
from heartbeat_bot.sandbox import Sandbox
from heartbeat_bot.sandbox.feeds import FeedServer
from tests.feed_shapes import SHAPES
from tests.service.test_feed_service import feed_blog
from tests.test_cli import run


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'feed_url = "https://b.example/feed"\ngit_url = "https://g.example/b.git"\n',
            "blog.feed_url and blog.git_url name two blogs",
        ),
        (
            'feed_url = "https://b.example/feed"\nposts_dir = "posts"\n',
            "blog.feed_url and blog.posts_dir name two blogs",
        ),
        (
            'feed_url = "https://b.example/feed"\nwrite_back = "file"\n',
            'blog.write_back must be "off" with blog.feed_url',
        ),
        ('feed_url = "feed.xml"\n', "blog.feed_url must be an absolute http:// or https:// URL"),
        ('feed_url = "https://b.example/feed"\nfeed_timeout = 0\n', "blog.feed_timeout"),
    ],
)
def test_feed_settings_mistakes_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    """A feed with a folder or a repository, a write-back, or a bad URL: one line each."""
    (tmp_path / "c.toml").write_text("[blog]\n" + text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "c.toml")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_feed_url_alone_is_enough(tmp_path: Path) -> None:
    """Only feed_url set: a valid blog (the file keys keep their unused defaults)."""
    (tmp_path / "c.toml").write_text('[blog]\nfeed_url = "https://b.example/feed"\n')
    assert load_config(tmp_path / "c.toml").blog.feed_url == "https://b.example/feed"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def test_list_preview_and_announce_by_link_and_id(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer
) -> None:
    """list shows the entries, preview renders one named by its guid, announce sends one
    named by its link once, and a name matching nothing is one line naming the feed."""
    shape = SHAPES["ghost"]
    feeds.put("ghost", shape.text(), shape.content_type)
    config = str(feed_blog(tmp_path, sandbox, feeds.url("ghost")).config)
    listed = run("--config", config, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)["items"]
    assert [r["slug"] for r in rows] == ["build-times", "welcome"]
    assert rows[0]["path"] == shape.id and rows[0]["state"] == "published"
    preview = run("--config", config, "preview", "--json", shape.id)
    assert preview.returncode == 0, preview.stderr
    document = json.loads(preview.stdout)
    assert document["post"]["url"] == shape.link
    assert document["discord"]["embeds"][0]["image"]["url"].endswith("/2024/05/builds.png")
    assert "[everything we changed](https://studio.example.com/tag/ci/)" not in json.dumps(
        document["twitter"]
    )  # the summary is the excerpt, not the body
    sent = run("--config", config, "announce", shape.link, "--json")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["items"][0]["ok"] is True
    assert len(sandbox.discourse.topics) == 1
    again = run("--config", config, "announce", "build-times")
    assert again.returncode == 0 and "already announced" in again.stdout
    assert len(sandbox.discourse.topics) == 1
    missing = run("--config", config, "preview", "no-such-entry")
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and feeds.url("ghost") in missing.stderr


def test_an_unreadable_feed_is_one_line_from_every_command(
    tmp_path: Path, sandbox: Sandbox, feeds: FeedServer
) -> None:
    """list and check on a feed that serves an HTML page: exit 2, one line naming it."""
    feeds.put("ghost", SHAPES["ghost"].text())
    feeds.fail("ghost", "html")
    config = str(feed_blog(tmp_path, sandbox, feeds.url("ghost")).config)
    for command in ("list", "check"):
        result = run("--config", config, command)
        assert result.returncode == 2, result.stdout
        assert result.stderr.count("\n") == 1
        assert f"blog.feed_url {feeds.url('ghost')} serves an HTML page" in result.stderr
