"""X as the registry lists it: a thread of tweets, each replying to the one before."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from heartbeat_bot.channels.unit import ChannelInfo
from heartbeat_bot.models import Post

if TYPE_CHECKING:
    from heartbeat_bot.channels.twitter.render import TwitterOptions
    from heartbeat_bot.channels.twitter.settings import TwitterConfig
    from heartbeat_bot.config.fields import Section
    from heartbeat_bot.render.preview import PreviewBlock


async def _open(section: TwitterConfig, stack: AsyncExitStack, agent: str) -> Any:
    from heartbeat_bot.channels.twitter.client import TwitterClient

    return TwitterClient(section)


def _settings() -> type[Section]:
    from heartbeat_bot.channels.twitter.settings import TwitterConfig

    return TwitterConfig


def _options(section: TwitterConfig, site_name: str) -> TwitterOptions:
    from heartbeat_bot.channels.twitter.render import TwitterOptions

    return TwitterOptions(
        site_name=site_name, max_tweets=section.max_tweets, hashtags=section.hashtags
    )


def _render(post: Post, options: TwitterOptions, template: str, comments_url: str | None) -> Any:
    from heartbeat_bot.channels.twitter.render import render_tweet_thread

    return render_tweet_thread(post, options, template, comments_url=comments_url)


def _preview(payload: Any) -> tuple[PreviewBlock, ...]:
    from heartbeat_bot.channels.twitter.render import preview

    return preview(payload)


def _chat_lines(payload: Any) -> tuple[str, ...]:
    from heartbeat_bot.channels.twitter.render import chat_lines

    return chat_lines(payload)


def _distinct(tweets: list[str], taken: set[str], title: str) -> list[str]:
    from heartbeat_bot.channels.twitter.render import distinct_from

    return distinct_from(tweets, taken, title)


UNIT = ChannelInfo(
    name="twitter",
    label="X",
    settings=_settings,
    delivery="thread",
    open=_open,
    options=_options,
    render=_render,
    preview=_preview,
    chat_lines=_chat_lines,
    template_package="heartbeat_bot.channels.twitter",
    aliases=("x",),
    distinct=_distinct,
)
