"""Every real post renders into payloads within every platform limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from heartbeat_bot.channels.discord.render import DiscordOptions
from heartbeat_bot.channels.discourse.render import DiscourseOptions
from heartbeat_bot.channels.twitter.render import TwitterOptions
from heartbeat_bot.config import BlogConfig
from heartbeat_bot.models import Post
from heartbeat_bot.posts import parse_post
from heartbeat_bot.sources.folder import FolderSource
from tests.conftest import CORPUS, DVC_AUTHORS, DVC_POSTS
from tests.render_limits import discord_problems, discourse_problems, twitter_problems
from tests.rendering import RenderSettings, Templates

ALL_POSTS = sorted(
    [
        *DVC_POSTS.glob("*.md"),
        *(CORPUS / "seed").glob("*.md"),
        *(CORPUS / "malformed").rglob("*.md"),
    ]
)
ALL_POSTS = [p for p in ALL_POSTS if p.name != "README.md"]

SETTINGS = RenderSettings(
    discourse=DiscourseOptions(category=7, site_name="DVC"),
    discord=DiscordOptions(site_name="DVC"),
    twitter=TwitterOptions(site_name="DVC", max_tweets=4),
    templates=Templates.defaults(),
)


@pytest.fixture(scope="module")
def authors() -> dict[str, str]:
    return FolderSource(DVC_POSTS, DVC_AUTHORS).authors()


def load(path: Path, blog: BlogConfig, authors: dict[str, str]) -> Post:
    return parse_post(path, path.read_bytes(), blog, authors)


@pytest.mark.parametrize("path", ALL_POSTS, ids=lambda p: p.name)
def test_post_renders_within_limits(
    path: Path, dvc_blog: BlogConfig, authors: dict[str, str]
) -> None:
    """The post's three payloads respect every limit, with and without a comments URL."""
    post = load(path, dvc_blog, authors)
    for comments in (None, post.comments_url, "https://discuss.dvc.org/t/some-topic/12345"):
        rendered = SETTINGS.render_all(post, comments)
        assert discourse_problems(rendered.discourse.body()) == []
        assert discord_problems(rendered.discord.body()) == []
        assert twitter_problems(list(rendered.twitter.tweets)) == []
        first = rendered.twitter.tweets[0]
        assert post.url in first, "the first tweet links the post"
        if comments:
            assert comments in rendered.twitter.tweets[-1], "the last tweet links the thread"
            assert comments in str(rendered.discord.embeds[0].get("fields"))
        else:
            assert "fields" not in rendered.discord.embeds[0]


@pytest.mark.parametrize("max_tweets", [1, 2, 3, 4, 6])
def test_longest_summary_respects_max_tweets(
    max_tweets: int, dvc_blog: BlogConfig, authors: dict[str, str]
) -> None:
    """The longest descriptionLong is cut to max_tweets tweets, at a sentence or line end."""
    path = DVC_POSTS / "2022-05-05-end-to-end-computer-vision-api-part-2-local-experiments.md"
    post = load(path, dvc_blog, authors)
    settings = RenderSettings(
        SETTINGS.discourse, SETTINGS.discord, TwitterOptions("DVC", max_tweets), SETTINGS.templates
    )
    tweets = list(settings.tweet_thread(post, "https://discuss.dvc.org/t/x/1178").tweets)
    assert twitter_problems(tweets, max_tweets) == []
    assert post.url in tweets[0]
    assert tweets[-1].endswith("https://discuss.dvc.org/t/x/1178")
    summary = " ".join((post.description_long or "").split())
    kept = "".join(tweets)
    if max_tweets < 4:
        assert "persistence of the most promising ones." in summary
        assert "persistence of the most promising ones." not in kept
        assert "…" not in kept, "whole sentences and lines were dropped, no word was cut"
