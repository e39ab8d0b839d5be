"""Discord: editing and deleting the messages heartbeat-bot sent, as a bot or a webhook."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord

from heartbeat_bot.channels.discord.answers import allowed_mentions
from heartbeat_bot.channels.discord.settings import DiscordConfig

T = TypeVar("T")


class MessageEdits:
    """A part of :class:`~heartbeat_bot.channels.discord.client.DiscordClient`: each mode
    edits and deletes only its own messages (a bot its own, a webhook its own)."""

    _mode: str
    _config: DiscordConfig

    @property
    def _channel_id(self) -> int:
        raise NotImplementedError

    async def _bot(self) -> discord.Client:
        raise NotImplementedError

    def _webhook(self) -> discord.Webhook:
        raise NotImplementedError

    async def _call(
        self, operation: Callable[[], Awaitable[T]], *, changes: bool, windowed: bool = False
    ) -> T:
        raise NotImplementedError

    async def edit(self, remote_id: str, body: dict[str, Any]) -> None:
        """Make our message ``remote_id`` read as ``body`` (bot or webhook: each edits its
        own messages). The same edit made twice changes nothing."""
        embeds = [discord.Embed.from_dict(e) for e in body.get("embeds") or []]
        content = body.get("content") or None
        mentions = allowed_mentions(body.get("allowed_mentions") or {"parse": []})

        async def bot() -> None:
            message = (
                (await self._bot())
                .get_partial_messageable(self._channel_id, guild_id=self._config.guild_id)
                .get_partial_message(int(remote_id))
            )
            await message.edit(content=content, embeds=embeds, allowed_mentions=mentions)

        async def webhook() -> None:
            await self._webhook().edit_message(
                int(remote_id), content=content, embeds=embeds, allowed_mentions=mentions
            )

        await self._call(bot if self._mode == "bot" else webhook, changes=False)

    async def withdraw(self, remote_id: str) -> None:
        """Delete our message ``remote_id``; one already gone counts as deleted."""

        async def bot() -> None:
            channel = (await self._bot()).get_partial_messageable(
                self._channel_id, guild_id=self._config.guild_id
            )
            with contextlib.suppress(discord.NotFound):
                await channel.get_partial_message(int(remote_id)).delete()

        async def webhook() -> None:
            with contextlib.suppress(discord.NotFound):
                await self._webhook().delete_message(int(remote_id))

        await self._call(bot if self._mode == "bot" else webhook, changes=False)
