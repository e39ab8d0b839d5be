"""Discourse as the registry lists it: the thread provider whose link the others carry."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from heartbeat_bot.channels.unit import ChannelInfo
from heartbeat_bot.models import Post

if TYPE_CHECKING:
    from heartbeat_bot.channels.discourse.render import DiscourseOptions
    from heartbeat_bot.channels.discourse.settings import DiscourseConfig
    from heartbeat_bot.config.fields import Section
    from heartbeat_bot.render.preview import PreviewBlock


async def _open(section: DiscourseConfig, stack: AsyncExitStack, agent: str) -> Any:
    from heartbeat_bot.channels.discourse.client import open_client

    return await open_client(section, stack, agent)


def _settings() -> type[Section]:
    from heartbeat_bot.channels.discourse.settings import DiscourseConfig

    return DiscourseConfig


def _options(section: DiscourseConfig, site_name: str) -> DiscourseOptions:
    from heartbeat_bot.channels.discourse.render import DiscourseOptions

    return DiscourseOptions(
        category=section.category,
        max_tags=section.max_tags,
        max_tag_length=section.max_tag_length,
        min_title_length=section.min_title_length,
        site_name=site_name,
    )


def _render(post: Post, options: DiscourseOptions, template: str, comments_url: str | None) -> Any:
    from heartbeat_bot.channels.discourse.render import render_discourse_topic

    return render_discourse_topic(post, options, template, comments_url=comments_url)


def _preview(payload: Any) -> tuple[PreviewBlock, ...]:
    from heartbeat_bot.channels.discourse.render import preview

    return preview(payload)


def _chat_lines(payload: Any) -> tuple[str, ...]:
    from heartbeat_bot.channels.discourse.render import chat_lines

    return chat_lines(payload)


def _edit_view(body: dict[str, Any]) -> dict[str, Any]:
    """What an edit changes of a topic: its first post and its title."""
    return {"title": body.get("title"), "raw": body.get("raw")}


UNIT = ChannelInfo(
    name="discourse",
    label="Discourse",
    settings=_settings,
    delivery="topic",
    open=_open,
    options=_options,
    render=_render,
    preview=_preview,
    chat_lines=_chat_lines,
    template_package="heartbeat_bot.channels.discourse",
    supports_edit=True,
    edit_view=_edit_view,
)
