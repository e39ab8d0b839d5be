"""The signed webhook as the registry lists it: one JSON POST per post, at least once."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from heartbeat_bot.channels.unit import ChannelInfo
from heartbeat_bot.models import Post

if TYPE_CHECKING:
    from heartbeat_bot.channels.webhook.render import WebhookOptions
    from heartbeat_bot.channels.webhook.settings import WebhookConfig
    from heartbeat_bot.config.fields import Section
    from heartbeat_bot.render.preview import PreviewBlock


async def _open(section: WebhookConfig, stack: AsyncExitStack, agent: str) -> Any:
    from heartbeat_bot.channels.webhook.client import open_client

    return await open_client(section, stack, agent)


def _settings() -> type[Section]:
    from heartbeat_bot.channels.webhook.settings import WebhookConfig

    return WebhookConfig


def _options(section: WebhookConfig, site_name: str) -> WebhookOptions:
    from heartbeat_bot.channels.webhook.render import WebhookOptions

    return WebhookOptions()


def _render(post: Post, options: WebhookOptions, template: str, comments_url: str | None) -> Any:
    from heartbeat_bot.channels.webhook.render import render

    return render(post, options, template, comments_url)


def _preview(payload: Any) -> tuple[PreviewBlock, ...]:
    from heartbeat_bot.channels.webhook.render import preview

    return preview(payload)


def _chat_lines(payload: Any) -> tuple[str, ...]:
    from heartbeat_bot.channels.webhook.render import chat_lines

    return chat_lines(payload)


UNIT = ChannelInfo(
    name="webhook",
    label="the webhook",
    settings=_settings,
    delivery="message",
    open=_open,
    options=_options,
    render=_render,
    preview=_preview,
    chat_lines=_chat_lines,
    digest=True,
    at_least_once=True,
)
