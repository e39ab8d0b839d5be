"""The Mastodon thread of every corpus post stays within the instance's rules."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heartbeat_bot.channels.mastodon.render import MastodonOptions, render_mastodon_thread
from heartbeat_bot.channels.mastodon.text import neutralise_mentions, status_length
from heartbeat_bot.config import BlogConfig
from heartbeat_bot.models import Post
from heartbeat_bot.posts import parse_post
from heartbeat_bot.render.templates import default_template
from heartbeat_bot.sandbox import mastodon_rules
from tests.conftest import DVC_POSTS

TEMPLATE = default_template("heartbeat_bot.channels.mastodon")
# (max_characters, characters_reserved_per_url): the default, a larger instance, a
# different URL width, and a tight instance that forces long threads.
INSTANCES = [(500, 23), (1000, 23), (500, 30), (200, 23)]
DISCUSSION = "https://discuss.dvc.org/t/some-topic/12345"


def _problems(statuses: list[str], options: MastodonOptions) -> list[str]:
    """What the sandbox (Mastodon's own rules, written apart from ours) would refuse."""
    found = []
    if not 1 <= len(statuses) <= options.max_posts:
        found.append(f"{len(statuses)} statuses, at most {options.max_posts} allowed")
    for status in statuses:
        length = mastodon_rules.status_length(status, "", options.url_chars)
        if length > options.max_characters:
            found.append(f"{length} > {options.max_characters}: {status!r}")
        if not status.strip():
            found.append("a blank status")
        outside = mastodon_rules.countable_text(status, options.url_chars)
        if mastodon_rules.MENTION_RE.search(outside):
            found.append(f"a live mention in {status!r}")
    return found


@pytest.mark.parametrize(("limit", "url_chars"), INSTANCES)
def test_every_corpus_post_fits_the_instance(
    corpus_posts: list[Any], limit: int, url_chars: int
) -> None:
    """Each post's statuses are within max_characters as Mastodon counts them, link the post
    first and the discussion last, and stay within max_posts."""
    options = MastodonOptions(site_name="DVC", max_characters=limit, url_chars=url_chars)
    assert len(corpus_posts) > 100
    for post in corpus_posts:
        for comments in (None, DISCUSSION):
            thread = render_mastodon_thread(post, options, TEMPLATE, comments_url=comments)
            statuses = list(thread.statuses)
            assert _problems(statuses, options) == [], post.path.name
            assert post.url in statuses[0], post.path.name
            if comments:
                assert comments in statuses[-1], post.path.name


def test_our_count_matches_the_instance_rule_on_the_corpus(corpus_posts: list[Any]) -> None:
    """Our length of every rendered status equals the sandbox's count of Mastodon's rule."""
    options = MastodonOptions(max_characters=500)
    for post in corpus_posts:
        for status in render_mastodon_thread(post, options, TEMPLATE).statuses:
            assert status_length(status, 23) == mastodon_rules.status_length(status, "", 23)


def test_urls_count_as_the_reserved_width() -> None:
    """A long URL counts characters_reserved_per_url, however long it is."""
    url = "https://dvc.org/blog/" + "a" * 200
    assert status_length(f"See {url}.", 23) == len("See .") + 23
    assert status_length(url, 40) == 40


def test_graphemes_count_once() -> None:
    """A family emoji (a ZWJ sequence) and a flag count one character each."""
    assert status_length("👨‍👩‍👧‍👦🇺🇸é") == 3


def test_mentions_are_neutralised() -> None:
    """@name and @name@server from a post notify nobody; e-mails and URLs are untouched."""
    text = "Thanks @alice and (@bob@fosstodon.org), mail me@dvc.org, see https://medium.com/@dvc"
    quiet = neutralise_mentions(text)
    assert not mastodon_rules.MENTION_RE.search(mastodon_rules.countable_text(quiet, 23))
    assert "me@dvc.org" in quiet and "https://medium.com/@dvc" in quiet


def test_thread_is_short_when_the_summary_is(corpus_posts: list[Any]) -> None:
    """A post whose summary fits one status is announced in one status."""
    post = replace(corpus_posts[0], description_long="A short summary.", title="Title")
    thread = render_mastodon_thread(post, MastodonOptions(), TEMPLATE, comments_url=DISCUSSION)
    assert len(thread.statuses) == 1
    assert thread.body() == {"statuses": list(thread.statuses)}


@given(
    title=st.text(min_size=1, max_size=300),
    summary=st.text(max_size=3000),
    limit=st.integers(min_value=100, max_value=1000),
    posts=st.integers(min_value=1, max_value=6),
)
def test_no_input_exceeds_the_limit(title: str, summary: str, limit: int, posts: int) -> None:
    """Whatever the title and summary, every status fits and no mention is left alive."""
    post = replace(_any_post(), title=title.strip() or "t", description_long=summary)
    options = MastodonOptions(max_characters=limit, max_posts=posts)
    thread = render_mastodon_thread(post, options, TEMPLATE, comments_url=DISCUSSION)
    assert _problems(list(thread.statuses), options) == []


@cache
def _any_post() -> Post:
    path = sorted(DVC_POSTS.glob("*.md"))[0]
    blog = BlogConfig(posts_dir=DVC_POSTS, post_url="https://dvc.org/blog/{slug}")
    return parse_post(path, path.read_bytes(), blog, {})
