"""Bluesky as the registry lists it: a thread of posts, sent whole at deterministic keys.

The client keeps its session in the state folder, so this unit's :meth:`section` hands it
``session_file`` resolved against the settings (``bluesky-session.json`` beside the ledger
unless the section names another file).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from heartbeat_bot.channels.unit import ChannelInfo
from heartbeat_bot.models import Post

if TYPE_CHECKING:
    from heartbeat_bot.channels.bluesky.render import BlueskyOptions
    from heartbeat_bot.channels.bluesky.settings import BlueskyConfig
    from heartbeat_bot.config.fields import Section
    from heartbeat_bot.render.preview import PreviewBlock

SESSION_FILE = "bluesky-session.json"


async def _open(section: BlueskyConfig, stack: AsyncExitStack, agent: str) -> Any:
    from heartbeat_bot.channels.bluesky.client import open_client

    return await open_client(section, stack, agent)


def _settings() -> type[Section]:
    from heartbeat_bot.channels.bluesky.settings import BlueskyConfig

    return BlueskyConfig


def _options(section: BlueskyConfig, site_name: str) -> BlueskyOptions:
    from heartbeat_bot.channels.bluesky.render import BlueskyOptions

    return BlueskyOptions(
        max_posts=section.max_posts,
        link_card=section.link_card,
        card_picture=section.card_picture,
        site_name=site_name,
    )


def _render(post: Post, options: BlueskyOptions, template: str, comments_url: str | None) -> Any:
    from heartbeat_bot.channels.bluesky.render import render_bluesky_thread

    return render_bluesky_thread(post, options, template, comments_url=comments_url)


def _preview(payload: Any) -> tuple[PreviewBlock, ...]:
    from heartbeat_bot.channels.bluesky.render import preview

    return preview(payload)


def _chat_lines(payload: Any) -> tuple[str, ...]:
    from heartbeat_bot.channels.bluesky.render import chat_lines

    return chat_lines(payload)


@dataclass(frozen=True)
class _Bluesky(ChannelInfo):
    def section(self, config: object) -> Any:
        """The ``[bluesky]`` section with ``session_file`` made absolute: as set (against
        the config file's folder), else beside the ledger."""
        section = super().section(config)
        state = getattr(config, "state_path", None)
        resolve = getattr(config, "resolve", None)
        if not isinstance(state, Path) or not callable(resolve):
            return section
        chosen = section.session_file
        path = resolve(chosen) if chosen is not None else state.parent / SESSION_FILE
        return section.model_copy(update={"session_file": path})


UNIT: ChannelInfo = _Bluesky(
    name="bluesky",
    label="Bluesky",
    settings=_settings,
    delivery="message",
    open=_open,
    options=_options,
    render=_render,
    preview=_preview,
    chat_lines=_chat_lines,
    template_package="heartbeat_bot.channels.bluesky",
    aliases=("bsky",),
)
