"""Shared fixtures: where the shared corpus and specs live, and a ready blog config."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.oracle import Oracle, installed

# Property tests draw the same examples on every run, so a run fails only when the code
# changed; HYPOTHESIS_PROFILE=explore draws fresh ones to hunt for new failures.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parents[1]
# The corpus and the services' specs live beside the project, in ../shared/.
SHARED = Path(os.environ.get("HEARTBEAT_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
DVC_POSTS = CORPUS / "dvc-blog" / "posts"
DVC_AUTHORS = CORPUS / "dvc-blog" / "authors"
SPECS = SHARED / "specs"

if not DVC_POSTS.is_dir():  # fail loudly rather than run a hollow suite
    raise RuntimeError(f"test corpus not found at {CORPUS}; set HEARTBEAT_SHARED")


@pytest.fixture(autouse=True)
def collector_left_as_found() -> Iterator[None]:
    """Every test leaves the garbage collector on or off as it found it (scans pause it:
    one left off would change what every later test measures)."""
    was = gc.isenabled()
    yield
    now = gc.isenabled()
    if now != was:
        (gc.enable if was else gc.disable)()
        pytest.fail(f"the garbage collector was left {'on' if now else 'off'}")


@pytest.fixture
def dvc_blog():  # type: ignore[no-untyped-def]
    """The blog settings of dvc.org, as in config/heartbeat.example.toml."""
    from heartbeat_bot.config import BlogConfig

    return BlogConfig(
        posts_dir=DVC_POSTS,
        post_url="https://dvc.org/blog/{slug}",
        picture_url="https://dvc.org/blog/images/{picture}",
        authors_dir=DVC_AUTHORS,
        timezone="America/Los_Angeles",
        publish_time="09:00",
        site_name="DVC",
    )


@pytest.fixture(scope="session")
def twitter_text() -> Iterator[Oracle]:
    """The official twitter-text 3.1.0 in one Node.js process (npm-installed on first use)."""
    oracle = Oracle(installed())
    yield oracle
    oracle.close()


@pytest.fixture(scope="session")
def bluesky_richtext(twitter_text: Oracle) -> Oracle:
    """The same Node.js process, asked about Bluesky's official RichText (@atproto/api)."""
    return twitter_text


@pytest.fixture(scope="session")
def corpus_posts():  # type: ignore[no-untyped-def]
    """Every corpus post (dvc.org, the seed, the malformed ones), parsed as dvc.org does."""
    from heartbeat_bot.config import BlogConfig
    from heartbeat_bot.posts import parse_post
    from heartbeat_bot.sources.folder import FolderSource

    blog = BlogConfig(
        posts_dir=DVC_POSTS,
        post_url="https://dvc.org/blog/{slug}",
        picture_url="https://dvc.org/blog/images/{picture}",
        authors_dir=DVC_AUTHORS,
        timezone="America/Los_Angeles",
        publish_time="09:00",
        site_name="DVC",
    )
    authors = FolderSource(DVC_POSTS, DVC_AUTHORS).authors()
    paths = [
        *DVC_POSTS.glob("*.md"),
        *(CORPUS / "seed").glob("*.md"),
        *(CORPUS / "malformed").rglob("*.md"),
    ]
    return [
        parse_post(p, p.read_bytes(), blog, authors) for p in sorted(paths) if p.name != "README.md"
    ]
