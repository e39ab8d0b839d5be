"""Pure renderers: a Post (plus the comments URL, once known) -> each service's exact payload."""

from __future__ import annotations

from dataclasses import dataclass

from heartbeat_bot.config import Config
from heartbeat_bot.models import DiscordMessage, DiscourseTopic, Post, TweetThread
from heartbeat_bot.render.discord import DiscordOptions, render_discord_message
from heartbeat_bot.render.discourse import DiscourseOptions, render_discourse_topic
from heartbeat_bot.render.templates import Templates
from heartbeat_bot.render.twitter import TwitterOptions, render_tweet_thread


@dataclass(frozen=True)
class Rendered:
    discourse: DiscourseTopic
    discord: DiscordMessage
    twitter: TweetThread


@dataclass(frozen=True)
class RenderSettings:
    """Everything the renderers take from the config, plus the template texts."""

    discourse: DiscourseOptions
    discord: DiscordOptions
    twitter: TwitterOptions
    templates: Templates

    @classmethod
    def from_config(cls, config: Config, templates: Templates) -> RenderSettings:
        site = config.blog.site_name
        return cls(
            discourse=DiscourseOptions(
                category=config.discourse.category,
                max_tags=config.discourse.max_tags,
                max_tag_length=config.discourse.max_tag_length,
                min_title_length=config.discourse.min_title_length,
                site_name=site,
            ),
            discord=DiscordOptions(site_name=site, mention_role_id=config.discord.mention_role_id),
            twitter=TwitterOptions(
                site_name=site,
                max_tweets=config.twitter.max_tweets,
                hashtags=config.twitter.hashtags,
            ),
            templates=templates,
        )

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
