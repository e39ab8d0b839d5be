"""Property tests of post parsing: any input gives a Post or a one-line PostError."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import parse_post
from tests.test_posts import AUTHORS, BLOG


def _parse_or_error(raw: bytes) -> Post | PostError:
    try:
        return parse_post(Path("2022-01-01-fuzz.md"), raw, BLOG, AUTHORS)
    except PostError as error:
        assert "\n" not in str(error)
        return error


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_only_raise_post_error(raw: bytes) -> None:
    """Any bytes at all give a Post or a one-line PostError, never another exception."""
    _parse_or_error(raw)


@given(st.text(max_size=500), st.text(max_size=200))
def test_arbitrary_frontmatter_text_only_raises_post_error(front: str, body: str) -> None:
    """Arbitrary text between `---` lines (random YAML) gives a Post or a PostError."""
    _parse_or_error(f"---\n{front}\n---\n{body}".encode())


@given(
    st.text(max_size=1200),
    st.lists(st.one_of(st.text(max_size=40), st.integers(), st.none()), max_size=8),
)
def test_arbitrary_titles_and_tags(title: str, tags: list[object]) -> None:
    """Any title and tags in valid YAML parse (folded, capped, deduplicated) or raise PostError."""
    meta = {"title": title, "date": "2022-01-10", "tags": tags}
    raw = ("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\nBody\n").encode()
    result = _parse_or_error(raw)
    if isinstance(result, PostError):
        assert result.field == "title"
        return
    assert result.title and len(result.title) <= 1000 and "\n" not in result.title
    assert "  " not in result.title and result.title == result.title.strip()
    assert len(set(result.tags)) == len(result.tags) and all(
        t.strip() == t and t for t in result.tags
    )
