"""Discord as the registry lists it: one message per post (bot or webhook)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from heartbeat_bot.channels.unit import ChannelInfo
from heartbeat_bot.models import Post

if TYPE_CHECKING:
    from heartbeat_bot.channels.discord.render import DiscordOptions
    from heartbeat_bot.channels.discord.settings import DiscordConfig
    from heartbeat_bot.config.fields import Section
    from heartbeat_bot.render.preview import PreviewBlock


async def _open(section: DiscordConfig, stack: AsyncExitStack, agent: str) -> Any:
    from heartbeat_bot.channels.discord.client import DiscordClient

    return await stack.enter_async_context(DiscordClient(section))


def _settings() -> type[Section]:
    from heartbeat_bot.channels.discord.settings import DiscordConfig

    return DiscordConfig


def _options(section: DiscordConfig, site_name: str) -> DiscordOptions:
    from heartbeat_bot.channels.discord.render import DiscordOptions

    return DiscordOptions(site_name=site_name, mention_role_id=section.mention_role_id)


def _render(post: Post, options: DiscordOptions, template: str, comments_url: str | None) -> Any:
    from heartbeat_bot.channels.discord.render import render_discord_message

    return render_discord_message(post, options, template, comments_url=comments_url)


def _preview(payload: Any) -> tuple[PreviewBlock, ...]:
    from heartbeat_bot.channels.discord.render import preview

    return preview(payload)


def _chat_lines(payload: Any) -> tuple[str, ...]:
    from heartbeat_bot.channels.discord.render import chat_lines

    return chat_lines(payload)


UNIT = ChannelInfo(
    name="discord",
    label="Discord",
    settings=_settings,
    delivery="message",
    open=_open,
    options=_options,
    render=_render,
    preview=_preview,
    chat_lines=_chat_lines,
    template_package="heartbeat_bot.channels.discord",
    supports_edit=True,
)
