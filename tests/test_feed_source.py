"""The feed source over loopback HTTP: conditional GETs, changes, failures and pauses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.sandbox.feeds import FeedServer
from heartbeat_bot.sources.feed import FeedSource
from heartbeat_bot.sources.feed_fetch import FeedUnavailable, retry_after
from heartbeat_bot.sources.feed_parse import FeedError
from heartbeat_bot.sources.feed_post import key_path
from tests.feed_shapes import SHAPES, with_new_entry

BLOG = BlogConfig()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer(slow_seconds=3.0) as running:
        yield running


def serve(server: FeedServer, name: str, text: str | None = None) -> str:
    shape = SHAPES[name]
    server.put(name, text if text is not None else shape.text(), shape.content_type)
    return server.url(name)


def test_unchanged_feed_costs_a_304_and_no_parsing(server: FeedServer) -> None:
    """The second poll sends the validators back, gets a 304 and parses nothing."""
    source = FeedSource(serve(server, "wordpress"))
    first = source.rescan(BLOG)
    assert len(first.changed) == 2 and source.parses == 1
    again = source.rescan(BLOG)
    assert (again.changed, again.removed, again.errors_new) == ([], [], [])
    assert [p.url for p in again.items if isinstance(p, Post)] == [
        p.url for p in first.items if isinstance(p, Post)
    ]
    assert source.parses == 1 and source.unchanged == 1
    assert server.served("wordpress") == [200, 304]


def test_last_modified_alone_also_gives_a_304(server: FeedServer) -> None:
    """A server without ETags is asked with If-Modified-Since and answers 304."""
    source = FeedSource(serve(server, "ghost"))
    source.rescan(BLOG)
    source.validators = type(source.validators)(None, source.validators.last_modified)
    source.rescan(BLOG)
    assert server.served("ghost") == [200, 304] and source.parses == 1


def test_a_new_entry_is_the_only_change(server: FeedServer) -> None:
    """A new entry shows as changed, the others stay as they were."""
    text = SHAPES["substack"].text()
    source = FeedSource(serve(server, "substack", text))
    source.rescan(BLOG)
    serve(server, "substack", with_new_entry("substack", text, "Issue #43", "issue-43"))
    result = source.rescan(BLOG)
    assert len(result.changed) == 1
    post = next(p for p in result.items if isinstance(p, Post) and p.path == result.changed[0])
    assert post.title == "Issue #43" and post.url.endswith("-issue-43")


def test_an_edited_entry_is_changed_not_new(server: FeedServer) -> None:
    """An edited entry keeps its identity (path): the same post, changed."""
    text = SHAPES["ghost"].text()
    source = FeedSource(serve(server, "ghost", text))
    before = source.rescan(BLOG)
    serve(server, "ghost", text.replace("one surprising compiler flag", "two surprising flags"))
    after = source.rescan(BLOG)
    assert after.changed == [before.items[0].path] and after.removed == []


def test_an_entry_gone_from_the_feed_is_removed(server: FeedServer) -> None:
    """An entry that left the feed is listed as removed (it was not deleted from the blog)."""
    text = with_new_entry("jsonfeed", SHAPES["jsonfeed"].text(), "Extra", "extra")
    source = FeedSource(serve(server, "jsonfeed", text))
    source.rescan(BLOG)
    serve(server, "jsonfeed")
    result = source.rescan(BLOG)
    assert result.removed == [key_path(SHAPES["jsonfeed"].id + "extra/")]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("malformed", "is not well-formed XML"),
        ("html", "serves an HTML page, not a feed"),
        ("huge", "answered more than 5 MB"),
        ("slow", "gave no complete answer within 1 s"),
        ("loop", "redirects too often (more than 5 redirects"),
        ("503", "answered HTTP 503, asking to wait 1 s"),
        ("down", "cannot be reached"),
    ],
)
def test_each_failure_is_one_line_and_the_last_items_are_kept(
    server: FeedServer, fault: str, message: str
) -> None:
    """Each way a feed fails is one line naming blog.feed_url; known entries stay known."""
    url = serve(server, "medium")
    source = FeedSource(url, timeout=1.0)
    known = source.rescan(BLOG).items
    serve(server, "medium", with_new_entry("medium", SHAPES["medium"].text(), "New", "new"))
    server.fail("medium", fault)
    started = time.monotonic()
    with pytest.raises(FeedError) as caught:
        source.rescan(BLOG)
    assert time.monotonic() - started < 20
    line = str(caught.value)
    assert message in line and f"blog.feed_url {url}" in line and "\n" not in line
    assert source.problem == line
    server.fail("medium", None)
    if fault == "503":
        time.sleep(1.1)  # the wait it asked for
    recovered = source.rescan(BLOG)
    assert source.problem is None
    assert len(recovered.items) == len(known) + 1 and len(recovered.changed) == 1


def test_retry_after_pauses_polling(server: FeedServer) -> None:
    """A 429 with Retry-After: polls are skipped until the wait is over, then resume."""
    url = serve(server, "jekyll")
    source = FeedSource(url)
    server.fail("jekyll", "429")
    with pytest.raises(FeedUnavailable) as caught:
        asyncio.run(source.poll(BLOG))
    assert caught.value.retry_after == 1.0
    assert asyncio.run(source.poll(BLOG)) is None  # paused: not even asked
    assert server.served("jekyll") == [429]
    server.fail("jekyll", None)
    time.sleep(1.1)
    assert asyncio.run(source.poll(BLOG)) is not None
    assert server.served("jekyll") == [429, 200]


def test_retry_after_as_a_date() -> None:
    """Retry-After as an HTTP date is the seconds until then, never below 0 or above a day."""
    from datetime import UTC, datetime

    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after("Wed, 01 May 2024 12:00:30 GMT", now) == 30.0
    assert retry_after("Wed, 01 May 2024 11:00:00 GMT", now) == 0.0
    assert retry_after("99999999", now) == 86_400.0
    assert retry_after("soon", now) is None


def test_og_image_is_read_for_new_entries_only_when_asked(server: FeedServer) -> None:
    """With fetch_og_image, a new entry without a picture takes its page's og:image."""
    page = server.page(
        "hello", '<html><head><meta property="og:image" content="/img/cover.png"></head></html>'
    )
    body = '<rss version="2.0"><channel><title>t</title><link>{l}</link>{items}</channel></rss>'
    item = "<item><title>{t}</title><link>{l}</link><guid>{g}</guid></item>"
    first = body.format(l=page, items=item.format(t="Old", l=page + "?old", g="g1"))
    server.put("og", first)
    source = FeedSource(server.url("og"), fetch_og_image=True)
    source.rescan(BLOG)  # the baseline: no page is read
    assert [p for _, p, _ in server.requests if p.startswith("/pages/")] == []
    items = item.format(t="New", l=page, g="g2") + item.format(t="Old", l=page + "?old", g="g1")
    server.put("og", body.format(l=page, items=items))
    result = source.rescan(BLOG)
    new = next(p for p in result.items if isinstance(p, Post) and p.title == "New")
    assert new.picture_url == f"{server.base_url}/img/cover.png"
    plain = FeedSource(server.url("og"))
    assert all(p.picture_url is None for p in plain.scan(BLOG) if isinstance(p, Post))


def test_find_by_id_link_or_slug(server: FeedServer) -> None:
    """An entry is found by its guid, its link or its slug."""
    source = FeedSource(serve(server, "wordpress"))
    items = source.scan(BLOG)
    for ref in ("https://fieldnotes.example.org/?p=1", "hello-world",
                "https://fieldnotes.example.org/2024/04/02/hello-world/"):  # fmt: skip
        found = source.find(items, ref)
        assert isinstance(found, Post) and found.slug == "hello-world"
    assert source.find(items, "nothing-like-it") is None


def test_duplicate_ids_are_errors(server: FeedServer) -> None:
    """Two entries with one id: neither is announced; one PostError says why."""
    item = "<item><title>{t}</title><link>https://d.example/{t}</link><guid>same</guid></item>"
    server.put("dup", f"<rss version='2.0'><channel><title>t</title>"
                      f"{item.format(t='a')}{item.format(t='b')}</channel></rss>")  # fmt: skip
    items = FeedSource(server.url("dup")).scan(BLOG)
    assert len(items) == 1 and isinstance(items[0], PostError)
    assert "appears twice" in str(items[0])


def test_scan_inside_a_running_loop() -> None:
    """The synchronous scan works from code that runs in an event loop (slash commands)."""

    async def inside(url: str) -> int:
        return len(FeedSource(url).scan(BLOG))

    with FeedServer() as running:
        url = serve(running, "ghost")
        assert asyncio.run(inside(url)) == 2


def test_feed_server_answers_like_a_web_server(server: FeedServer) -> None:
    """The sandbox's feed server: ETag and Last-Modified, 304s, faults on demand."""
    url = serve(server, "wordpress")
    first = httpx.get(url)
    assert first.status_code == 200 and first.headers["etag"]
    assert httpx.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    since = {"If-Modified-Since": first.headers["last-modified"]}
    assert httpx.get(url, headers=since).status_code == 304
    server.fail("wordpress", "loop")
    assert httpx.get(url).status_code == 302
    with pytest.raises(ValueError, match="unknown fault"):
        server.fail("wordpress", "gremlins")


def test_link_header_names_the_hub_first() -> None:
    """WebSub discovery reads the Link header (RFC 8288): relations, quoting, relative URLs."""
    from heartbeat_bot.sources.feed_fetch import header_links

    values = [
        '<https://hub.example/>; rel="hub", </feed.xml>; rel=self',
        '<https://other.example/>; rel="hub alternate"; title="x, y"',
    ]
    assert header_links(values, "https://b.example/blog/feed") == {
        "hub": "https://hub.example/",
        "self": "https://b.example/feed.xml",
        "alternate": "https://other.example/",
    }
    assert header_links(["<https://x.example/>"], "https://b.example/") == {}


def test_hub_from_the_link_header_beats_the_document(server: FeedServer) -> None:
    """A feed whose answer names a hub in its Link header: that hub and topic are used."""
    shape = SHAPES["medium"]
    server.put("medium", shape.text(), shape.content_type, link_header=True)
    source = FeedSource(server.url("medium"))
    source.rescan(BLOG)
    assert (source.hub, source.topic) == (server.hub_url, server.url("medium"))
    plain = FeedSource(serve(server, "ghost"))
    plain.rescan(BLOG)
    assert (plain.hub, plain.topic) == (None, "https://studio.example.com/rss/")
