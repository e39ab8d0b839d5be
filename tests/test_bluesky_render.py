"""The Bluesky thread: 300 graphemes, facets at UTF-8 offsets, checked with @atproto/api."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heartbeat_bot.channels.bluesky._tlds import TLDS
from heartbeat_bot.channels.bluesky.facets import (
    byte_length,
    detect_facets,
    grapheme_length,
)
from heartbeat_bot.channels.bluesky.render import (
    BlueskyOptions,
    BlueskyThread,
    hashtags,
    render_bluesky_thread,
)
from heartbeat_bot.models import Post
from heartbeat_bot.render.templates import default_template
from tests.oracle import Oracle
from tests.oracle.strings import generated
from tests.test_render_properties import TEXT, make_post
from tests.test_twitter_oracle import SEED, _newer_than_python

COMMENTS = "https://discuss.dvc.org/t/some-topic/12345"
TEMPLATE = default_template("heartbeat_bot.channels.bluesky")


def _render(post: Post, comments: str | None, max_posts: int = 4, card: bool = True) -> Any:
    options = BlueskyOptions(max_posts=max_posts, link_card=card, site_name="DVC")
    return render_bluesky_thread(post, options, TEMPLATE, comments_url=comments)


def _spans(facets: list[dict[str, Any]]) -> list[tuple[int, int, dict[str, Any]]]:
    """Facets as (byteStart, byteEnd, feature), mentions left out (we never make them)."""
    return [
        (f["index"]["byteStart"], f["index"]["byteEnd"], f["features"][0])
        for f in facets
        if f["features"][0]["$type"] != "app.bsky.richtext.facet#mention"
    ]


def _problems(thread: BlueskyThread, max_posts: int) -> list[str]:
    problems = []
    if not 1 <= len(thread.posts) <= max_posts:
        problems.append(f"{len(thread.posts)} posts")
    for record in thread.posts:
        text = record["text"]
        if grapheme_length(text) > 300 or byte_length(text) > 3000:
            problems.append(f"too long: {text[:40]!r}")
        if record["$type"] != "app.bsky.feed.post" or not record["createdAt"].endswith("Z"):
            problems.append(f"not a post record: {record}")
    return problems


def test_every_corpus_post_matches_the_official_richtext(
    bluesky_richtext: Oracle, corpus_posts: list[Post]
) -> None:
    """On every corpus post, grapheme length and each facet's byte range equal RichText's."""
    threads = [
        _render(post, comments, max_posts)
        for post in corpus_posts
        for comments in (None, post.comments_url, COMMENTS)
        for max_posts in (1, 4)
    ]
    assert sum(_problems(t, 4) != [] for t in threads) == 0
    records = [record for thread in threads for record in thread.posts]
    assert len(records) > 500
    official = bluesky_richtext.richtext([r["text"] for r in records])
    wrong = [
        (r["text"][:60], o)
        for r, o in zip(records, official, strict=True)
        if o["graphemeLength"] != grapheme_length(r["text"])
        or o["length"] != byte_length(r["text"])
        or _spans(o["facets"]) != _spans(r.get("facets", []))
        or o["graphemeLength"] > 300
    ]
    assert wrong == []
    linked = [r for r in records if any("#link" in str(f) for f in r.get("facets", []))]
    tagged = [r for r in records if any("#tag" in str(f) for f in r.get("facets", []))]
    assert len(linked) > 300 and len(tagged) > 100


def test_generated_strings_get_richtext_facets_and_lengths(bluesky_richtext: Oracle) -> None:
    """On thousands of tricky strings (URLs, tags, emoji, scripts) we find RichText's facets."""
    strings = generated(SEED)
    official = bluesky_richtext.richtext(strings)
    wrong, newer = [], 0
    for text, reference in zip(strings, official, strict=True):
        ours = (grapheme_length(text), byte_length(text), _spans(detect_facets(text)))
        theirs = (reference["graphemeLength"], reference["length"], _spans(reference["facets"]))
        if ours == theirs:
            continue
        if _newer_than_python(text):
            newer += 1
            continue
        wrong.append(f"{text!r}: ours {ours}, official {theirs}")
    assert wrong == [], "\n".join(wrong[:10])
    assert newer < len(strings) // 100


def test_bare_domains_are_linked_by_the_same_tld_list(bluesky_richtext: Oracle) -> None:
    """Our top-level-domain list is the ASCII part of the one RichText loads."""
    official = {tld for tld in bluesky_richtext.tlds() if tld.isascii()}
    assert official == TLDS


def test_facet_offsets_count_utf8_bytes() -> None:
    """A link after multi-byte characters starts at its UTF-8 byte offset, not its index."""
    text = "Ünïcode 👨‍👩‍👧 https://dvc.org/blog/x #MLOps"
    link, tag = detect_facets(text)
    start = len("Ünïcode 👨‍👩‍👧 ".encode())
    assert link["index"] == {"byteStart": start, "byteEnd": start + 22}
    assert text.encode()[start : start + 22].decode() == "https://dvc.org/blog/x"
    assert tag["features"] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "MLOps"}]
    assert grapheme_length(text) == 39  # the family emoji is one


def test_the_first_post_carries_link_card_and_hashtags() -> None:
    """The first record embeds the post's card; tags become hashtags with tag facets."""
    post = make_post("Title", "One. " * 200, ["Data Science", "ml-ops", "CML"], COMMENTS)
    thread = _render(post, COMMENTS)
    first = thread.posts[0]
    assert first["embed"]["external"]["uri"] == post.url
    assert first["embed"]["external"]["title"] == "Title"
    assert "#DataScience #mlops #CML" in first["text"]
    assert all("embed" not in record for record in thread.posts[1:])
    assert COMMENTS in thread.posts[-1]["text"] and len(thread.posts) == 4
    assert "embed" not in _render(post, COMMENTS, card=False).posts[0]
    assert hashtags(("100", "a b", "A B", "x")) == "#AB #x"


def test_created_at_is_the_callers_moment() -> None:
    """createdAt is the moment handed in, in UTC with milliseconds and Z."""
    post = make_post("T", "S", [], None)
    moment = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    thread = render_bluesky_thread(post, BlueskyOptions(), TEMPLATE, created_at=moment)
    assert thread.posts[0]["createdAt"] == "2024-05-06T07:08:09.123Z"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=TEXT,
    summary=TEXT,
    tags=st.lists(TEXT, max_size=12),
    comments=st.sampled_from([None, COMMENTS]),
    max_posts=st.integers(1, 5),
)
def test_no_input_breaks_a_bluesky_limit(
    title: str, summary: str, tags: list[str], comments: str | None, max_posts: int
) -> None:
    """Whatever the frontmatter holds, each record's text stays within 300 and 3000."""
    post = make_post(title, summary, tags, comments)
    thread = _render(post, comments, max_posts)
    assert _problems(thread, max_posts) == []
    for record in thread.posts:
        size = byte_length(record["text"])
        assert all(0 <= f["index"]["byteStart"] < f["index"]["byteEnd"] <= size
                   for f in record.get("facets", []))  # fmt: skip
