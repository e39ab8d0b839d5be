"""Property tests: no title, summary or tag list can push a payload past a limit or ping."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heartbeat_bot.channels.discord.render import DiscordOptions
from heartbeat_bot.channels.discourse.render import DiscourseOptions
from heartbeat_bot.channels.twitter.render import TwitterOptions
from heartbeat_bot.models import Post
from tests.render_limits import discord_problems, discourse_problems, twitter_problems
from tests.rendering import CHANNELS, RenderSettings, Templates

EMOJI = ["👨‍👩‍👧‍👦", "🇺🇦", "🙋🏽", "1️⃣", "🔥", "😷"]
PIECES = st.one_of(
    st.text(min_size=1, max_size=30),
    st.sampled_from(EMOJI),
    st.sampled_from(
        ["@everyone", "@here", "<@&123>", "https://dvc.org/x", "example.com", "\n", "- ", "[a](/b)"]
    ),
    st.sampled_from(["故人西辞黄鹤楼", "x" * 300, " ", "\n\n", "**bold** _it_"]),
)
TEXT = st.lists(PIECES, max_size=40).map("".join)
# A mention as X reads one (twitter-text's validMentionOrList), outside URL paths.
MENTION = re.compile(r"(?:^|(?<=[^A-Za-z0-9_!#$%&*@\uff20/]))[@\uff20][A-Za-z0-9_]")


def make_post(title: str, summary: str, tags: list[str], comments: str | None) -> Post:
    return Post(
        path=Path("post.md"),
        slug="a-post",
        url="https://dvc.org/blog/a-post",
        title=" ".join(title.split()) or "x",
        date=date(2024, 1, 1),
        published_at=datetime(2024, 1, 1, tzinfo=UTC),
        picture_url="https://dvc.org/blog/images/a.png",
        authors=("Ada",),
        author_ids=("ada",),
        tags=tuple(tags),
        description=summary,
        description_long=summary,
        comments_url=comments,
        draft=False,
        channels=frozenset(CHANNELS),
        content_hash="0" * 64,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=TEXT,
    summary=TEXT,
    tags=st.lists(TEXT, max_size=12),
    comments=st.sampled_from([None, "https://discuss.dvc.org/t/a/1"]),
    max_tweets=st.integers(1, 5),
    hashtags=st.integers(0, 3),
    site=st.sampled_from(["DVC", "", "A very long site name " * 20]),
)
def test_no_input_breaks_a_limit(
    title: str,
    summary: str,
    tags: list[str],
    comments: str | None,
    max_tweets: int,
    hashtags: int,
    site: str,
) -> None:
    """Whatever the frontmatter holds, each payload stays within its platform's limits."""
    post = make_post(title, summary, tags, comments)
    render = RenderSettings(
        DiscourseOptions(category=1, site_name=site),
        DiscordOptions(site_name=site),
        TwitterOptions(site_name=site, max_tweets=max_tweets, hashtags=hashtags),
        Templates.defaults(),
    )
    rendered = render.render_all(post, comments)
    assert discourse_problems(rendered.discourse.body()) == []
    body = rendered.discord.body()
    assert discord_problems(body) == []
    assert body["allowed_mentions"] == {"parse": []}
    assert body["content"] == ""
    assert twitter_problems(list(rendered.twitter.tweets), max_tweets) == []
    assert post.url in rendered.twitter.tweets[0]
    assert [m.group() for t in rendered.twitter.tweets for m in MENTION.finditer(t)] == []


def test_mention_role_is_the_only_ping() -> None:
    """With mention_role_id set, that role alone may be pinged; @everyone still is not."""
    post = make_post("@everyone look", "@here too", [], None)
    render = RenderSettings(
        DiscourseOptions(),
        DiscordOptions(mention_role_id=987),
        TwitterOptions(),
        Templates.defaults(),
    )
    body = render.discord_message(post).body()
    assert body["content"] == "<@&987>"
    assert body["allowed_mentions"] == {"parse": [], "roles": ["987"]}
