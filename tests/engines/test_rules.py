"""Engine rules one at a time: placeholders, frontmatter formats, bundles, dates, states."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import ConfigError, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import checks, parse_post
from heartbeat_bot.posts.place import Place
from heartbeat_bot.sources.folder import FolderSource

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def parse(text: str, name: str = "2024-01-06-10-tips.md", **settings: Any) -> Post:
    blog = BlogConfig(**settings)
    return parse_post(Path(name), text.encode(), blog, {}, place=Place(name, "posts"))


JEKYLL = (
    "---\ntitle: Ten tips\ncategories: [Release Notes, Tips]\n---\n\nFirst paragraph.\n\nMore.\n"
)


@pytest.mark.parametrize(
    ("pattern", "url"),
    [
        ("https://b.example/{slug}/", "https://b.example/10-tips/"),
        ("https://b.example/{filename}.html", "https://b.example/10-tips.html"),
        ("https://b.example/{year}/{month}/{day}/{slug}/", "https://b.example/2024/01/06/10-tips/"),
        (
            "https://b.example/{categories}/{slug}",
            "https://b.example/release-notes/tips/10-tips",
        ),
        ("https://b.example/{section}/{slug}", "https://b.example/posts/10-tips"),
        ("https://b.example/{route}", "https://b.example/10-tips"),
    ],
)
def test_every_placeholder(pattern: str, url: str) -> None:
    """Each post_url placeholder is filled by its documented rule (Jekyll slug keeps 10-)."""
    assert parse(JEKYLL, engine="jekyll", post_url=pattern).url == url


def test_placeholders_in_folders_and_empty_ones() -> None:
    """{section} is the first folder below the posts folder and {route} holds the folders;
    an empty {categories} leaves no double slash."""
    blog = BlogConfig(engine="hugo", post_url="https://b.example/{categories}/{section}/x/{route}/")
    place = Place("news/2024/launch/index.md", "blog")
    post = parse_post(
        Path("index.md"), b"---\ntitle: Launch\ndate: 2024-03-01\n---\n", blog, {}, place=place
    )
    assert post.url == "https://b.example/news/x/news/2024/launch/"


def test_dates_use_the_blog_time_zone() -> None:
    """{year}/{month}/{day} come from the moment in blog.timezone (Jekyll's localtime rule)."""
    text = "---\ntitle: Late\ndate: 2013-05-06 02:12:52 +0200\ndescription: D.\n---\n"
    post = parse(
        text,
        "2013-05-06-late.md",
        engine="jekyll",
        timezone="America/Los_Angeles",
        post_url="https://j.example/{year}/{month}/{day}/{slug}/",
    )
    assert post.url == "https://j.example/2013/05/05/late/"
    assert post.published_at.isoformat() == "2013-05-05T17:12:52-07:00"
    assert post.problems == ()  # the file name's date is the one written, in its own zone


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://b.example/{slug}/{oops}", "unknown placeholder {oops}"),
        ("https://b.example/{year}/", "must contain {slug}"),
    ],
)
def test_unknown_placeholder_is_a_config_error(tmp_path: Path, value: str, message: str) -> None:
    """A post_url with an unknown placeholder, or none that tells posts apart, stops loading."""
    from heartbeat_bot.channels.settings import load_config

    path = tmp_path / "heartbeat.toml"
    path.write_text(f'[blog]\nengine = "hugo"\npost_url = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value) and "blog.post_url" in str(caught.value)


def test_custom_engine_needs_a_post_url(tmp_path: Path) -> None:
    """engine = "custom" applies no preset, so the public URL pattern must be given."""
    from heartbeat_bot.channels.settings import load_config

    path = tmp_path / "heartbeat.toml"
    path.write_text('[blog]\nengine = "custom"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="post_url must be set"):
        load_config(path)


TOML_POST = """+++
title = "Rust 2.0"
date = 2025-05-15T10:00:00Z
slug = "rust-2"
description = "The next edition."
authors = ["Ferris"]

[taxonomies]
tags = ["release", "edition"]
+++

Body text.
"""


def test_toml_frontmatter() -> None:
    """A +++ TOML post reads like a YAML one: dates, lists and nested taxonomies."""
    post = parse(TOML_POST, "rust-2.md", engine="zola", site_url="https://r.example")
    assert post.title == "Rust 2.0" and post.slug == "rust-2"
    assert post.url == "https://r.example/rust-2/"
    assert post.published_at == datetime(2025, 5, 15, 10, tzinfo=UTC)
    assert post.tags == ("release", "edition") and post.authors == ("Ferris",)


def test_toml_refused_where_the_engine_does_not_read_it() -> None:
    """Gatsby (dvc.org) reads YAML only: a TOML post is an error naming the setting."""
    with pytest.raises(PostError, match=r"blog\.frontmatter_formats"):
        parse(TOML_POST, "rust-2.md")


@pytest.mark.parametrize(
    "text",
    [
        '{\n  "title": "JSON post",\n  "date": "2024-02-03",\n  "tags": ["a"]\n}\n\nBody.\n',
        '---json\n{"title": "JSON post", "date": "2024-02-03", "tags": ["a"]}\n---\nBody.\n',
    ],
)
def test_json_frontmatter(text: str) -> None:
    """Hugo's JSON object and Eleventy's ---json block are both read."""
    post = parse(text, "json-post.md", engine="hugo")
    assert (post.title, post.tags, post.date.isoformat()) == ("JSON post", ("a",), "2024-02-03")


def test_json_key_given_twice_is_an_error() -> None:
    """JSON readers keep the last of two equal keys; a post is refused instead."""
    with pytest.raises(PostError, match="given twice"):
        parse('{\n"title": "a",\n"title": "b"\n}\n', "x.md", engine="hugo")


def test_page_bundle_with_a_relative_picture(tmp_path: Path) -> None:
    """A bundle is named by its folder; its relative image sits under the post's URL, and
    without one, a bundle file matching *feature* is the picture (Hugo's Open Graph rule)."""
    posts = tmp_path / "content" / "blog"
    for name, extra in (("2024-05-01-with-image", "image: cover.png\n"), ("plain", "")):
        (posts / name).mkdir(parents=True)
        (posts / name / "index.md").write_text(
            f"---\ntitle: Bundle {name}\ndate: 2024-05-01\n{extra}---\n\nText.\n"
        )
        (posts / name / "featured.jpg").write_bytes(b"\xff\xd8")
        (posts / name / "notes.md").write_text("not a post\n")
    blog = BlogConfig(engine="hugo", posts_dir=posts, site_url="https://h.example")
    found = {p.slug: p for p in FolderSource(posts).scan(blog) if isinstance(p, Post)}
    assert set(found) == {"2024-05-01-with-image", "plain"}
    dated = found["2024-05-01-with-image"]
    assert dated.url == "https://h.example/blog/2024-05-01-with-image/"
    assert dated.picture_url == "https://h.example/blog/2024-05-01-with-image/cover.png"
    assert found["plain"].picture_url == "https://h.example/blog/plain/featured.jpg"


def test_docusaurus_folder_post_gets_a_dated_route(tmp_path: Path) -> None:
    """blog/2024-08-01-name/index.mdx is /blog/2024/08/01/name, dated by its folder name."""
    posts = tmp_path / "blog"
    (posts / "2024-08-01-name").mkdir(parents=True)
    (posts / "2024-08-01-name" / "index.mdx").write_text("---\ntitle: Folder post\n---\n\nHi.\n")
    blog = BlogConfig(engine="docusaurus", posts_dir=posts, site_url="https://d.example")
    [post] = FolderSource(posts).scan(blog)
    assert isinstance(post, Post)
    assert post.url == "https://d.example/blog/2024/08/01/name"
    assert post.published_at == datetime(2024, 8, 1, tzinfo=UTC)


def test_publish_date_and_expiry() -> None:
    """Hugo's publishDate is the publish moment (not date); expiryDate makes a post expired."""
    text = (
        "---\ntitle: Later\ndate: 2020-01-01\npublishDate: 2099-01-01\n"
        "expiryDate: 2100-01-01\n---\n"
    )
    post = parse(text, "later.md", engine="hugo")
    assert post.published_at == datetime(2099, 1, 1, tzinfo=UTC)
    assert post.state(NOW) == "scheduled"
    assert post.state(datetime(2100, 6, 1, tzinfo=UTC)) == "expired"
    expired = parse(
        "---\ntitle: Gone\ndate: 2020-01-01\nexpiryDate: 2021-01-01\n---\n",
        "gone.md",
        engine="hugo",
    )
    assert expired.state(NOW) == "expired"


@pytest.mark.parametrize(
    ("line", "state"),
    [("draft: true", "draft"), ("published: false", "draft"), ("unlisted: true", "unlisted")],
)
def test_hidden_posts(line: str, state: str) -> None:
    """Drafts, unpublished and unlisted posts are never in the published state."""
    post = parse(
        f"---\ntitle: Hidden\ndate: 2020-01-01\n{line}\n---\n", "x.md", engine="docusaurus"
    )
    assert post.state(NOW) == state


def test_jekyll_date_from_the_file_name() -> None:
    """A Jekyll post without `date:` is dated by its file name, at midnight in the site zone."""
    post = parse(JEKYLL, engine="jekyll", timezone="Europe/Paris")
    assert post.published_at.isoformat() == "2024-01-06T00:00:00+01:00"


@pytest.mark.parametrize(
    ("body", "engine", "summary"),
    [
        ("Intro line.\nSecond line.\n\n<!--more-->\n\nRest.", "hugo", "Intro line.\nSecond line."),
        ("Intro.\n\n<!-- truncate -->\n\nRest.", "docusaurus", "Intro."),
        ("import X from 'x';\n\nIntro.\n\n{/* truncate */}\n\nRest.", "docusaurus", "Intro."),
        ("# Heading\n\nFirst line\nsecond line.\n\nMore.", "docusaurus", "First line"),
        ("First paragraph\nstill first.\n\nSecond.", "jekyll", "First paragraph\nstill first."),
        ("Para one.\n\nPara two.", "eleventy", None),
    ],
)
def test_excerpt_rules(body: str, engine: str, summary: str | None) -> None:
    """Without a summary field, each engine's own excerpt rule gives the summary."""
    post = parse(f"---\ntitle: T\ndate: 2024-01-01\n---\n\n{body}\n", "p.md", engine=engine)
    assert post.description_long == summary


def test_summary_fields_order_is_configurable() -> None:
    """blog.summary_fields picks which keys make the summary, in order."""
    text = "---\ntitle: T\ndate: 2024-01-01\ndescription: Short.\nsummary: Longer one.\n---\n"
    assert parse(text, "p.md", engine="hugo").description_long == "Short."
    chosen = parse(text, "p.md", engine="hugo", summary_fields=["summary", "description"])
    assert chosen.description_long == "Longer one."


def test_tags_and_authors_from_data_files(tmp_path: Path) -> None:
    """Docusaurus tags.yml labels and authors.yml names replace the keys; inline authors
    give their own name."""
    posts = tmp_path / "blog"
    posts.mkdir()
    (posts / "authors.yml").write_text("ada:\n  name: Ada Lovelace\n")
    (posts / "tags.yml").write_text("news:\n  label: Project News\n")
    (posts / "2024-01-01-x.md").write_text(
        "---\ntitle: X\nauthors: [ada, {name: Bo Inline, url: 'https://b.example'}]\n"
        "tags: [news, other]\n---\nText.\n"
    )
    blog = BlogConfig(engine="docusaurus", posts_dir=posts)
    [post] = FolderSource(posts).scan(blog)
    assert isinstance(post, Post)
    assert post.authors == ("Ada Lovelace", "Bo Inline")
    assert post.tags == ("Project News", "other")


@settings(max_examples=300)
@given(st.from_regex(checks._PLAIN_TOPIC, fullmatch=True))
def test_plain_topic_urls_read_as_splitting_reads_them(url: str) -> None:
    """The fast reading of a plain topic URL gives exactly what splitting the URL gives."""
    assert checks.comments_url(url, "commentsUrl") == (checks.split_topic(url)[0], None)


def test_a_page_that_is_never_written_is_a_draft() -> None:
    """Eleventy's `permalink: false` writes no page: such a post is never announced."""
    post = parse(
        "---\ntitle: Data only\ndate: 2024-01-01\npermalink: false\n---\n",
        "d.md",
        engine="eleventy",
    )
    assert post.state(NOW) == "draft"
