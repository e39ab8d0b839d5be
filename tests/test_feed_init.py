"""`heartbeat-bot init URL`: a feed config from a feed's URL or from a page of the site."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heartbeat_bot.channels.settings import load_config
from heartbeat_bot.sandbox.feeds import FeedServer
from heartbeat_bot.sources.feed_discovery import feed_links
from tests.feed_shapes import SHAPES
from tests.test_cli import run


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        shape = SHAPES["wordpress"]
        server.put("wordpress", shape.text(), shape.content_type)
        yield server


def test_init_from_a_page_finds_its_feed_and_writes_a_working_config(
    tmp_path: Path, feeds: FeedServer
) -> None:
    """A site page naming its feed: the feed is found, the config written loads, and
    `list` reads the entries with it; the newest entries are printed."""
    page = feeds.page(
        "home",
        '<html><head><link rel="alternate" type="application/rss+xml" title="Comments" '
        'href="/feeds/comments"><link rel="alternate" type="application/rss+xml" '
        'href="/feeds/wordpress"></head><body>Blog</body></html>',
    )
    done = run("init", page, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"the RSS feed {feeds.url('wordpress')}, named by {page}" in done.stdout
    assert "Shipping the 2.0 release & what comes next" in done.stdout
    config = load_config(tmp_path / "config" / "heartbeat.toml")
    assert config.blog.feed_url == feeds.url("wordpress")
    assert config.blog.site_name == "Field Notes"
    listed = run("--config", "config/heartbeat.toml", "list", cwd=tmp_path)
    assert listed.returncode == 0 and "hello-world" in listed.stdout
    again = run("init", feeds.url("wordpress"), cwd=tmp_path)
    assert again.returncode == 2 and "never overwritten" in again.stderr


def test_init_from_the_feed_itself(tmp_path: Path, feeds: FeedServer) -> None:
    """The feed's own URL is taken as it is; --config says where the file goes."""
    target = tmp_path / "blog.toml"
    done = run("--config", str(target), "init", feeds.url("wordpress"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert load_config(target).blog.feed_url == feeds.url("wordpress")


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("<html><body>No feed here</body></html>", "is a page that names no feed"),
        (
            '<html><head><link rel="alternate" type="application/atom+xml" href="/feeds/none">'
            "</head></html>",
            "names feeds that cannot be read",
        ),
    ],
)
def test_init_without_a_feed_is_one_line(
    tmp_path: Path, feeds: FeedServer, page: str, message: str
) -> None:
    """A page that names no feed, or only broken ones: one line, exit 2, no file."""
    done = run("init", feeds.page("p", page), cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "config").exists()


def test_feed_links_in_page_order_comments_last() -> None:
    """Feed links are made absolute, JSON and Atom included, comment feeds last."""
    html = (
        '<link rel="alternate" type="application/rss+xml" href="/comments/feed/">'
        '<link rel="alternate stylesheet" type="text/css" href="/x.css">'
        '<link rel="alternate" type="application/feed+json" href="feed.json">'
        '<link rel="alternate" type="application/atom+xml; charset=utf-8" href="/atom.xml">'
    )
    assert feed_links(html, "https://b.example/blog/") == [
        "https://b.example/blog/feed.json",
        "https://b.example/atom.xml",
        "https://b.example/comments/feed/",
    ]
