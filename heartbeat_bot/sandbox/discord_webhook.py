"""The channel webhook of the fake Discord: execute (``?wait=true``), read it, read its messages.

A webhook takes no nonce (it is dropped, as Discord ignores it) and answers 204 without
``wait``; its messages are kept with the bot's, marked ``via = "webhook"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from heartbeat_bot.sandbox.discord_rules import (
    error_body,
    message_error,
    message_object,
    with_files,
)
from heartbeat_bot.sandbox.server import JSON

if TYPE_CHECKING:
    from heartbeat_bot.sandbox.discord import DiscordService


class ChannelWebhook:
    """The one webhook of the sandbox's channel, served by ``service``."""

    def __init__(self, service: DiscordService) -> None:
        self._service = service

    def routes(self, api: str) -> list[web.RouteDef]:
        hook = api + "/webhooks/{webhook_id}/{token}"
        return [
            web.post(hook, self._execute),
            web.get(hook, self._get),
            web.get(hook + "/messages/{message_id}", self._fetch),
        ]

    def problem(self, request: web.Request) -> web.Response | None:
        if request.match_info["webhook_id"] != str(self._service.webhook_id):
            return self._service.json(error_body("Unknown Webhook", 10015), 404)
        if request.match_info["token"] != self._service.webhook_token:
            return self._service.json(error_body("Invalid Webhook Token", 50027), 401)
        return None

    def _json(self) -> JSON:
        return {
            "id": str(self._service.webhook_id),
            "type": 1,
            "guild_id": str(self._service.guild_id),
            "channel_id": str(self._service.channel_id),
            "name": "Heartbeat Sandbox",
            "avatar": None,
            "token": self._service.webhook_token,
            "application_id": None,
        }

    async def _get(self, request: web.Request) -> web.Response:
        return self.problem(request) or self._service.json(self._json())

    async def _fetch(self, request: web.Request) -> web.Response:
        problem = self.problem(request)
        if problem is not None:
            return problem
        return self._service._one_message(request.match_info["message_id"], webhook=True)

    async def _execute(self, request: web.Request) -> web.Response:
        problem = self.problem(request)
        if problem is not None:
            return problem
        payload, files = await self._service._payload(request)
        if payload is None:
            return self._service.json(
                error_body("The request body contains invalid JSON.", 50109), 400
            )
        if isinstance(payload, dict):  # webhooks take no nonce: it is ignored
            payload = {k: v for k, v in payload.items() if k not in ("nonce", "enforce_nonce")}
        error = message_error(with_files(payload, files))
        if error is not None:
            return self._service.json(error, 400)
        author = {
            "id": str(self._service.webhook_id),
            "username": str(payload.get("username") or "Heartbeat Sandbox"),
            "discriminator": "0000",
            "avatar": None,
            "bot": True,
        }
        with self._service._lock:
            record = self._service._record_message(payload, "webhook", author)
            body = message_object(record, with_nonce=False)
        if request.query.get("wait", "").lower() in ("1", "true"):
            return self._service.json(body)
        return web.Response(status=204)
