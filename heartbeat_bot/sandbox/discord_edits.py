"""Editing and deleting messages, as Discord's REST API does, for the bot and the webhook.

Bot: ``PATCH``/``DELETE /channels/{channel.id}/messages/{message.id}``: a bot edits only its
own messages (50005 otherwise) and deletes its own (others need Manage Messages, which the
sandbox bot lacks: 50013). Webhook: ``PATCH``/``DELETE
/webhooks/{webhook.id}/{token}/messages/{message.id}``: only the webhook's own messages
(10008 otherwise). An edit answers the message with ``edited_timestamp`` set; a deletion
answers 204. Deleted messages leave the channel (``DiscordService.deleted`` keeps them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from heartbeat_bot.sandbox.discord_rules import error_body, message_error, message_object, pinged

if TYPE_CHECKING:
    from heartbeat_bot.sandbox.discord import DiscordService

JSON = dict[str, Any]


class MessageEdits:
    """The edit and delete routes of the sandbox's channel and webhook."""

    def __init__(
        self,
        service: DiscordService,
        webhook_problem: Callable[[web.Request], web.Response | None],
    ) -> None:
        self._service = service
        self._webhook_problem = webhook_problem

    def routes(self, api: str) -> list[web.RouteDef]:
        message = api + "/channels/{channel_id}/messages/{message_id}"
        hooked = api + "/webhooks/{webhook_id}/{token}/messages/{message_id}"
        return [
            web.patch(message, self._bot_edit),
            web.delete(message, self._bot_delete),
            web.patch(hooked, self._webhook_edit),
            web.delete(hooked, self._webhook_delete),
        ]

    def _find(self, message_id: str) -> JSON | None:
        return next((m for m in self._service._messages if m["id"] == message_id), None)

    async def _edit(self, request: web.Request, via: str, refused: JSON) -> web.Response:
        service = self._service
        payload, files = await service._payload(request)
        if not isinstance(payload, dict):
            return service.json(error_body("The request body contains invalid JSON.", 50109), 400)
        error = message_error(payload)
        if error is not None or files:
            return service.json(error or error_body("Cannot send files here", 50035), 400)
        with service._lock:
            message = self._find(request.match_info["message_id"])
            if message is None:
                return service.json(error_body("Unknown Message", 10008), 404)
            if message["via"] != via:
                return service.json(refused, 403 if via == "bot" else 404)
            if "content" in payload:
                message["content"] = payload.get("content") or ""
            if "embeds" in payload:
                embeds = payload.get("embeds") or []
                message["embeds"] = [{"type": "rich", **e} for e in embeds if isinstance(e, dict)]
            if "allowed_mentions" in payload:
                message["allowed_mentions"] = payload.get("allowed_mentions")
            message["pinged"] = pinged(message["content"], message["allowed_mentions"])
            message["edited_timestamp"] = datetime.now(UTC).isoformat()
            message["edits"] = message.get("edits", 0) + 1
            body = message_object(message, with_nonce=False)
            body["edited_timestamp"] = message["edited_timestamp"]
            return service.json(body)

    def _delete(self, request: web.Request, via: str, refused: JSON) -> web.Response:
        service = self._service
        with service._lock:
            message = self._find(request.match_info["message_id"])
            if message is None:
                return service.json(error_body("Unknown Message", 10008), 404)
            if message["via"] != via:
                return service.json(refused, 403 if via == "bot" else 404)
            service._messages.remove(message)
            service.deleted.append(message)
        return web.Response(status=204)

    async def _bot_edit(self, request: web.Request) -> web.Response:
        problem = self._service._channel_problem(request)
        if problem is not None:
            return problem
        refused = error_body("Cannot edit a message authored by another user", 50005)
        return await self._edit(request, "bot", refused)

    async def _bot_delete(self, request: web.Request) -> web.Response:
        problem = self._service._channel_problem(request)
        if problem is not None:
            return problem
        return self._delete(request, "bot", error_body("Missing Permissions", 50013))

    async def _webhook_edit(self, request: web.Request) -> web.Response:
        problem = self._webhook_problem(request)
        if problem is not None:
            return problem
        return await self._edit(request, "webhook", error_body("Unknown Message", 10008))

    async def _webhook_delete(self, request: web.Request) -> web.Response:
        problem = self._webhook_problem(request)
        if problem is not None:
            return problem
        return self._delete(request, "webhook", error_body("Unknown Message", 10008))
