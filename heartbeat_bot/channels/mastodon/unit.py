"""Mastodon as the registry lists it: a thread of statuses, each with an idempotency key,
edited in place when the post changes (while the thread keeps its number of statuses)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from heartbeat_bot.channels.unit import ChannelInfo
from heartbeat_bot.models import Post

if TYPE_CHECKING:
    from heartbeat_bot.channels.mastodon.render import MastodonOptions
    from heartbeat_bot.channels.mastodon.settings import MastodonConfig
    from heartbeat_bot.config.fields import Section
    from heartbeat_bot.render.preview import PreviewBlock


async def _open(section: MastodonConfig, stack: AsyncExitStack, agent: str) -> Any:
    from heartbeat_bot.channels.mastodon.client import open_client

    return await open_client(section, stack, agent)


def _settings() -> type[Section]:
    from heartbeat_bot.channels.mastodon.settings import MastodonConfig

    return MastodonConfig


def _options(section: MastodonConfig, site_name: str) -> MastodonOptions:
    from heartbeat_bot.channels.mastodon.render import MastodonOptions

    return MastodonOptions(site_name=site_name, max_posts=section.max_posts)


def _render(post: Post, options: MastodonOptions, template: str, comments_url: str | None) -> Any:
    from heartbeat_bot.channels.mastodon.render import render_mastodon_thread

    return render_mastodon_thread(post, options, template, comments_url=comments_url)


def _preview(payload: Any) -> tuple[PreviewBlock, ...]:
    from heartbeat_bot.channels.mastodon.render import preview

    return preview(payload)


def _chat_lines(payload: Any) -> tuple[str, ...]:
    from heartbeat_bot.channels.mastodon.render import chat_lines

    return chat_lines(payload)


UNIT = ChannelInfo(
    name="mastodon",
    label="Mastodon",
    settings=_settings,
    delivery="keyed_thread",
    open=_open,
    options=_options,
    render=_render,
    preview=_preview,
    chat_lines=_chat_lines,
    template_package="heartbeat_bot.channels.mastodon",
    supports_edit=True,
)
