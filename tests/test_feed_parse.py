"""Feeds as posts: real generators' feeds and the platforms' shapes, read into Posts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.sources.feed_html import html_to_markdown
from heartbeat_bot.sources.feed_parse import FeedError, parse_feed
from heartbeat_bot.sources.feed_post import entry_post, key_path, path_key
from tests.feed_shapes import FEEDS, SHAPES

SEEN = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
BLOG = BlogConfig(timezone="Europe/Paris")


def posts_of(
    body: bytes, url: str = "https://blog.example/feed", ctype: str | None = None
) -> list[Post]:
    document = parse_feed(body, url, ctype)
    return [
        entry_post(e, BLOG, feed_authors=document.authors, first_seen=SEEN)
        for e in document.entries
    ]


@pytest.mark.parametrize(
    ("name", "fmt", "title", "picture", "tags", "authors"),
    [
        ("wordpress", "rss20", "Shipping the 2.0 release & what comes next", None,
         ("Releases", "Engineering"), ("Jane Doe",)),
        ("ghost", "rss20", "How we cut our build times in half",
         "https://studio.example.com/content/images/2024/05/builds.png", ("Engineering", "CI"),
         ("Sam Lee",)),
        ("substack", "rss20", "Issue #42: merge queues everywhere",
         "https://substackcdn.com/image/fetch/f_auto,q_auto:good/https%3A%2F%2Fsubstack-post-"
         "media.s3.amazonaws.com%2Fpublic%2Fimages%2F42.jpeg", (), ("Alex Kim",)),
        ("medium", "rss20", "Feature stores without the hype", None,
         ("mlops", "data-engineering"), ("Priya Raman",)),
        ("jekyll", "atom10", "Profiling async Python & friends", None, ("python",),
         ("Kai Müller",)),
        ("jsonfeed", "json11", "Dark mode is here",
         "https://changelog.example.net/uploads/2024/dark.png", ("Release", "UI"),
         ("Robin Ortiz",)),
    ],
)  # fmt: skip
def test_platform_feeds_become_posts(
    name: str,
    fmt: str,
    title: str,
    picture: str | None,
    tags: tuple[str, ...],
    authors: tuple[str, ...],
) -> None:
    """Each platform's first entry gives its title, link, date, picture, tags and authors."""
    shape = SHAPES[name]
    body = (FEEDS / shape.file).read_bytes()
    assert parse_feed(body, "https://x.example/feed", shape.content_type).format == fmt
    post = posts_of(body, ctype=shape.content_type)[0]
    assert post.title == title
    assert post.url.startswith(shape.link)
    assert path_key(post.path) == shape.id
    assert post.picture_url == picture
    assert post.tags == tags
    assert post.authors == authors
    assert post.published_at.tzinfo is not None and post.published_at.year == 2024
    assert post.description_long and "<" not in post.description_long.replace("\\<", "")
    assert post.problems == ()


def test_wordpress_entry_dates_and_summary() -> None:
    """A WordPress entry: its pubDate as the publish moment, its excerpt as the summary."""
    post = posts_of((FEEDS / "wordpress.xml").read_bytes())[0]
    assert post.published_at == datetime(2024, 5, 14, 9, 12, 44, tzinfo=UTC)
    assert post.date.isoformat() == "2024-05-14"
    assert post.description_long is not None
    assert post.description_long.startswith("Version 2.0 is out: faster syncs, a new plugin API")
    assert post.slug == "shipping-2-0"
    assert "appeared first on" not in post.description_long  # the SEO plugin's footer


def test_json_feed_dates_updates_and_text_content() -> None:
    """JSON Feed: RFC 3339 dates with offsets, date_modified as updated, content_text."""
    first, second = posts_of((FEEDS / "jsonfeed.json").read_bytes())
    assert first.published_at == datetime(2024, 5, 18, 8, 0, tzinfo=UTC)
    assert first.updated_at == datetime(2024, 5, 18, 9, 30, tzinfo=UTC)
    assert second.description_long == "Search answers in under 50 ms.\n\nAll of it, everywhere."


def test_json_feed_1_0_numeric_ids_and_single_author() -> None:
    """A JSON Feed 1.0 with a numeric id and a feed-level ``author`` still reads."""
    body = (
        b'{"version": "https://jsonfeed.org/version/1", "title": "t", "author": {"name": "Ann"},'
        b'"items": [{"id": 7, "url": "/p/seven", "title": "Seven", "content_text": "x"}]}'
    )
    (post,) = posts_of(body, url="https://blog.example/feed.json")
    assert path_key(post.path) == "7"
    assert post.url == "https://blog.example/p/seven"
    assert post.authors == ("Ann",)
    assert post.problems == ("no date in the feed; taken as published when first seen",)
    assert post.published_at == SEEN


@pytest.mark.parametrize(
    "file",
    [
        "large_atom_feed_that_needs_css_sanitisation.xml",
        "atomthreadingwithentry.xml",
        "rss1.0withModules.xml",
        "rss2.0NSwithModules.xml",
    ],
)
def test_real_generator_feeds_from_feedparser(file: str) -> None:
    """Movable Type, Blogger and the RSS 1.0/2.0 test feeds read without a broken entry."""
    document = parse_feed((FEEDS / "feedparser" / file).read_bytes(), "http://x.example/", None)
    posts = posts_of((FEEDS / "feedparser" / file).read_bytes(), url="http://x.example/")
    assert len(posts) == len(document.entries) >= 1
    assert all(p.url.startswith("http") and p.title for p in posts)


def test_rss_091_without_guid_falls_back_to_the_link() -> None:
    """An RSS 0.91 item has no guid: its identity is its link."""
    body = (
        b'<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title>'
        b"<link>http://old.example/</link><description>d</description><item>"
        b"<title>First &amp; only</title><link>http://old.example/first.html</link>"
        b"<description>Plain text.</description></item></channel></rss>"
    )
    (post,) = posts_of(body)
    assert path_key(post.path) == "http://old.example/first.html"
    assert post.slug == "first"
    assert post.title == "First & only"


def test_identity_survives_the_path_form() -> None:
    """Any id, slashes and queries included, maps to one path name and back."""
    for key in ("https://x.example/?p=12", "tag:blogger.com,1999:blog-1.post-2", "a/b c%2F"):
        path = key_path(key)
        assert path.name == str(path)
        assert path_key(path) == key


def test_html_becomes_markdown_with_absolute_links() -> None:
    """Paragraphs, lists and links survive; relative links become absolute; scripts go."""
    html = (
        "<p>Read <a href='/docs/x?a=1&b=2'>the docs</a> *now*.</p><script>alert(1)</script>"
        "<ul><li>one</li><li>two <a href='javascript:evil()'>bad</a></li></ul>"
        "<h2>Next</h2><p>1. not a list</p><img src='/p.png'><br>end"
    )
    text = html_to_markdown(html, "https://blog.example/2024/post/")
    assert "[the docs](https://blog.example/docs/x?a=1&b=2)" in text
    assert "\\*now\\*" in text
    assert "alert" not in text and "javascript" not in text
    assert "- one\n- two bad" in text
    assert "## Next" in text
    assert "1\\. not a list" in text


def test_entry_without_link_or_title_is_a_post_error() -> None:
    """An entry with no link, or no title, is a PostError naming the entry and the field."""
    body = (
        b'<rss version="2.0"><channel><title>t</title>'
        b'<item><guid isPermaLink="false">a-1</guid><title>No link</title></item>'
        b"<item><link>https://b.example/untitled</link></item></channel></rss>"
    )
    document = parse_feed(body, "https://b.example/feed", None)
    errors = []
    for entry in document.entries:
        with pytest.raises(PostError) as caught:
            entry_post(entry, BLOG, first_seen=SEEN)
        errors.append(caught.value)
    assert (errors[0].field, str(errors[0].path)) == ("link", "a-1")
    assert errors[1].field == "title"


@pytest.mark.parametrize(
    ("body", "ctype", "message"),
    [
        (b"<!DOCTYPE html><html><body>Blog</body></html>", "text/html", "serves an HTML page"),
        (b"<rss version='2.0'><channel><item><title>a</title>", None, "not well-formed XML"),
        (b"<?xml version='1.0'?><note>hi</note>", "application/xml", "not an RSS, Atom or JSON"),
        (b'{"items": 3}', "application/json", 'no "items" list'),
        (b"{not json", "application/feed+json", "not valid JSON"),
    ],
)
def test_what_is_not_a_feed_says_what_it_is(body: bytes, ctype: str | None, message: str) -> None:
    """An HTML page, broken XML, other XML and other JSON each give their own one line."""
    with pytest.raises(FeedError, match=message) as caught:
        parse_feed(body, "https://x.example/feed", ctype)
    assert "\n" not in str(caught.value)


def test_a_feed_labelled_html_is_still_read() -> None:
    """An Atom feed served as text/html (a misconfigured server) is read as the feed it is."""
    body = (FEEDS / "jekyll-atom.xml").read_bytes()
    assert len(parse_feed(body, "https://n.example/feed.xml", "text/html").entries) == 2
    with pytest.raises(FeedError, match="not well-formed"):  # and never read loosely
        parse_feed(body[: len(body) // 2], "https://n.example/feed.xml", "text/html")


def test_websub_hub_is_found_in_each_format() -> None:
    """The hub and topic a feed advertises: Atom links in RSS, JSON Feed ``hubs``."""
    medium = parse_feed((FEEDS / "medium.xml").read_bytes(), "https://m.example/", None)
    assert (medium.hub, medium.self_url) == (
        "http://medium.superfeedr.com",
        "https://medium.com/@priya.raman/feed",
    )
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "feed_url": '
        b'"https://j.example/feed.json", "hubs": [{"type": "WebSub", "url": "https://hub.example/"}],'
        b' "items": []}'
    )
    assert parse_feed(body, "https://j.example/feed.json", None).hub == "https://hub.example/"


def test_post_files_are_not_mistaken_for_entries(tmp_path: Path) -> None:
    """A key path is one name; a post file's path is never read as an entry id."""
    assert key_path("x").parent == Path(".")
    assert path_key(tmp_path / "post.md") == "post.md"
