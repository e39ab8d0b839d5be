"""The three built-in channels' renderers as one object, for the rendering tests."""

from __future__ import annotations

from dataclasses import dataclass

from heartbeat_bot.channels import registry
from heartbeat_bot.channels.discord.render import (
    DiscordMessage,
    DiscordOptions,
    render_discord_message,
)
from heartbeat_bot.channels.discourse.render import (
    DiscourseOptions,
    DiscourseTopic,
    render_discourse_topic,
)
from heartbeat_bot.channels.rendering import Renderers
from heartbeat_bot.channels.twitter.render import (
    TweetThread,
    TwitterOptions,
    render_tweet_thread,
)
from heartbeat_bot.config import BaseConfig
from heartbeat_bot.models import Post
from heartbeat_bot.render.templates import default_template

# Every registered channel's name, in announcement order.
CHANNELS = registry.names()


@dataclass(frozen=True)
class Templates:
    """The template text of each built-in channel."""

    discourse: str
    discord: str
    twitter: str

    @classmethod
    def defaults(cls) -> Templates:
        return cls(
            discourse=default_template("heartbeat_bot.channels.discourse"),
            discord=default_template("heartbeat_bot.channels.discord"),
            twitter=default_template("heartbeat_bot.channels.twitter"),
        )


@dataclass(frozen=True)
class Rendered:
    discourse: DiscourseTopic
    discord: DiscordMessage
    twitter: TweetThread


@dataclass(frozen=True)
class RenderSettings:
    """Each built-in renderer's options, plus the template texts."""

    discourse: DiscourseOptions
    discord: DiscordOptions
    twitter: TwitterOptions
    templates: Templates

    @classmethod
    def from_config(cls, config: BaseConfig, templates: Templates) -> RenderSettings:
        options = Renderers.from_config(config).options
        return cls(options["discourse"], options["discord"], options["twitter"], templates)

    def discourse_topic(self, post: Post, comments_url: str | None = None) -> DiscourseTopic:
        return render_discourse_topic(
            post, self.discourse, self.templates.discourse, comments_url=comments_url
        )

    def discord_message(self, post: Post, comments_url: str | None = None) -> DiscordMessage:
        return render_discord_message(
            post, self.discord, self.templates.discord, comments_url=comments_url
        )

    def tweet_thread(self, post: Post, comments_url: str | None = None) -> TweetThread:
        return render_tweet_thread(
            post, self.twitter, self.templates.twitter, comments_url=comments_url
        )

    def render_all(self, post: Post, comments_url: str | None = None) -> Rendered:
        return Rendered(
            discourse=self.discourse_topic(post, comments_url),
            discord=self.discord_message(post, comments_url),
            twitter=self.tweet_thread(post, comments_url),
        )
