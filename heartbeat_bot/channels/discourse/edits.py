"""Discourse: editing the topics heartbeat-bot created, and unlisting them."""

from __future__ import annotations

from typing import Any

from heartbeat_bot.channels.common import unexpected
from heartbeat_bot.errors import ChannelError
from heartbeat_bot.transport import Answer

CHANNEL, SERVICE = "discourse", "Discourse"


class TopicEdits:
    """A part of :class:`~heartbeat_bot.channels.discourse.client.DiscourseClient`."""

    async def topic(self, topic_id: int) -> dict[str, Any]:
        raise NotImplementedError

    async def _request(self, method: str, path: str, *, json: Any = None) -> Answer:
        raise NotImplementedError

    def _error(self, response: Answer) -> ChannelError:
        raise NotImplementedError

    async def edit(self, remote_id: str, body: dict[str, Any]) -> None:
        """Make the topic ``remote_id`` read as ``body``: its first post's ``raw``
        (``PUT /posts/{id}.json``) and its ``title`` (``PUT /t/-/{id}.json``). The same
        edit made twice changes nothing, so one cut short is simply made again.

        The topic's embed URL cannot be changed through the API: Discourse keeps keying
        embedded comments by the URL the topic was created with.
        """
        topic = await self.topic(int(remote_id))
        stream = topic.get("post_stream")
        posts = stream.get("posts") if isinstance(stream, dict) else None
        first = posts[0].get("id") if isinstance(posts, list) and posts else None
        if not isinstance(first, int):
            raise unexpected(CHANNEL, SERVICE, "a topic without its first post", 200)
        raw = body.get("raw")
        if isinstance(raw, str) and raw:
            edit = {"post": {"raw": raw, "edit_reason": "the blog post changed"}}
            await self._change("PUT", f"/posts/{first}.json", edit)
        title = body.get("title")
        if isinstance(title, str) and title and title != topic.get("title"):
            await self._change("PUT", f"/t/-/{int(remote_id)}.json", {"title": title})

    async def withdraw(self, remote_id: str) -> None:
        """Unlist the topic (``PUT /t/{id}/status.json``, visible false); nothing is deleted."""
        status = {"status": "visible", "enabled": "false"}
        await self._change("PUT", f"/t/{int(remote_id)}/status.json", status)

    async def _change(self, method: str, path: str, json: dict[str, Any]) -> None:
        response = await self._request(method, path, json=json)
        if not response.is_success:
            raise self._error(response)
