"""Discourse tags are shortened at word boundaries, never cut mid-word."""

from __future__ import annotations

import pytest

from heartbeat_bot.channels.discourse.render import clean_tag, discourse_tags
from heartbeat_bot.models import Post


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("Modular Infrastructure", "modular"),
        ("Data Registry", "data-registry"),
        ("O'Reilly", "o-reilly"),
        ("continuous-integration-x", "continuous"),
        ("Supercalifragilisticexpialidocious", ""),
        ("machine learning ops", "machine-learning-ops"),
        ("machine learning ops!", "machine-learning-ops"),
        ("a-b-c-d-e-f-g-h-i-j-k", "a-b-c-d-e-f-g-h-i-j"),
    ],
)
def test_long_tags_keep_whole_words(tag: str, expected: str) -> None:
    """A tag over 20 characters keeps the whole words that fit, or goes when none does."""
    assert clean_tag(tag, 20) == expected


def test_tags_that_shorten_alike_appear_once() -> None:
    """Two long tags that shorten to the same words give one tag; an unfit one is left out."""
    tags = (
        "Modular Infrastructure",
        "Modular Infrastructures",
        "Supercalifragilisticexpialidocious",
    )
    assert discourse_tags(tags, 5, 20) == ("modular",)


def test_corpus_tags_are_whole_words(corpus_posts: list[Post]) -> None:
    """Every corpus post's Discourse tags are whole-word prefixes of its cleaned tags."""
    seen = 0
    for post in corpus_posts:
        full = [clean_tag(tag, 10_000) for tag in post.tags]
        for tag in discourse_tags(post.tags, 5, 20):
            assert len(tag) <= 20
            assert any(f == tag or f.startswith(tag + "-") for f in full), (post.slug, tag)
            seen += tag not in full
    assert seen >= 5, "the corpus has long tags that were shortened"
