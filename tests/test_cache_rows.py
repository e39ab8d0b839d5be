"""How the parse cache stores a post's head and names its files, read back as parsed."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.models import Post
from heartbeat_bot.posts import parse_post
from heartbeat_bot.sources.cache_rows import child, decode_head, head_values
from tests.conftest import DVC_POSTS

POST = DVC_POSTS / "2023-12-11-dvc-git-lfs.md"


def parsed(blog: BlogConfig) -> Post:
    return parse_post(POST, POST.read_bytes(), blog, {})


@pytest.mark.parametrize("name", ["a.md", "2024-01-01-é.md", "sub/index.md", "a/b/c.mdx"])
def test_child_is_the_joined_path(tmp_path: Path, name: str) -> None:
    """A file's path built from its folder's parts equals, hashes and reads as the joined one."""
    folder = tmp_path / "posts"
    made, joined = child(folder, name), folder / name
    assert made == joined and hash(made) == hash(joined)
    assert str(made) == str(joined) and made.parts == joined.parts
    assert made.name == joined.name and made.parent == joined.parent
    assert made.relative_to(folder).as_posix() == name


@pytest.mark.parametrize(
    "channels", [frozenset(), frozenset({"twitter"}), frozenset({"discord", "x,y", "twitter"})]
)
def test_head_channels_read_back(dvc_blog: BlogConfig, channels: frozenset[str]) -> None:
    """A head's channels read back as the post's own set: none, one, a name holding a comma."""
    post = dataclasses.replace(parsed(dvc_blog), channels=channels)
    values = decode_head(pickle.dumps(head_values(post)))
    assert values is not None and values[5] == channels


def test_head_of_the_earlier_layout_reads_back(dvc_blog: BlogConfig) -> None:
    """A head stored with its channels as a tuple (rows written before) still reads back."""
    post = parsed(dvc_blog)
    earlier = list(head_values(post))
    earlier[5] = tuple(sorted(post.channels))
    values = decode_head(pickle.dumps(tuple(earlier)))
    assert values is not None and values[5] == post.channels
    assert values[3] == post.published_at and values[0] == post.slug


def test_damaged_channels_are_a_miss(dvc_blog: BlogConfig) -> None:
    """A head whose channels are neither text nor names is a miss, not a crash."""
    values = list(head_values(parsed(dvc_blog)))
    for damaged in ([1, 2], 7, ("twitter", 3)):
        values[5] = damaged
        assert decode_head(pickle.dumps(tuple(values))) is None
