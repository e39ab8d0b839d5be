"""A fake Discord REST API (v10) that discord.py 2.7 talks to unchanged; gateway.py and
interactions.py add the websocket, slash commands and interaction replies on the same port.

Point ``discord.http.Route.BASE`` at ``Sandbox.discord_api_url``. What discord.py needs,
and gets: ``Content-Type: application/json`` with no charset (else it reads the body as
text), a ``Via`` header on a 429 (else it takes the 429 for a Cloudflare ban), the bot
user and application on login, and message objects ``discord.Message`` can be built from."""

from __future__ import annotations

import hashlib
import json
import math
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from heartbeat_bot.sandbox.discord_edits import MessageEdits
from heartbeat_bot.sandbox.discord_rules import (
    error_body,
    message_error,
    message_object,
    pinged,
    with_files,
)
from heartbeat_bot.sandbox.discord_webhook import ChannelWebhook
from heartbeat_bot.sandbox.faults import Faults
from heartbeat_bot.sandbox.gateway import GATEWAY_PATH, Gateway
from heartbeat_bot.sandbox.interactions import Interactions
from heartbeat_bot.sandbox.server import JSON, Handler, RequestLog, Service, Settings, Snowflakes

API = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000
NONCE_WINDOW_SECONDS = 300.0
_UNAUTHORIZED = {"message": "401: Unauthorized", "code": 0}


def _bucket(path: str) -> str:
    """A stable bucket hash per route shape (ids replaced), like Discord's opaque ones."""
    shape = "/".join("{id}" if part.isdigit() else part for part in path.split("/"))
    return hashlib.md5(shape.encode(), usedforsecurity=False).hexdigest()[:16]


class DiscordService(Service):
    """One guild with one text channel the bot may post in, plus one webhook on it."""

    name = "discord"
    items_key = "messages"
    content_type = "application/json"  # exactly: discord.py compares the whole header

    def __init__(
        self,
        faults: Faults,
        log: RequestLog,
        settings: Settings,
        *,
        bot_token: str,
        channel_id: int,
        guild_id: int,
        webhook_id: int,
        webhook_token: str,
        application_id: int,
        no_access_channel_id: int,
    ) -> None:
        super().__init__(faults, log, settings)
        self.bot_token = bot_token
        self.channel_id = channel_id
        self.guild_id = guild_id
        self.webhook_id = webhook_id
        self.webhook_token = webhook_token
        self.application_id = application_id
        self.no_access_channel_id = no_access_channel_id
        self.bot_user: JSON = {
            "id": str(application_id),
            "username": "Heartbeat Sandbox",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
            "public_flags": 0,
        }
        self._ids = Snowflakes(DISCORD_EPOCH_MS)
        self._messages: list[JSON] = []
        self.announcement_channel = False  # True: type 5, whose messages can be published
        self.crosspost_limit = 10  # publishes a channel may make an hour, as on Discord
        self._crossposts: list[float] = []
        self.roles: dict[str, int] = {name: self._ids.next() for name in ("Announcer", "Reader")}
        self.interactions = Interactions(self)
        self.webhook = ChannelWebhook(self)
        self.deleted: list[JSON] = []  # messages deleted through the API
        self.gateway = Gateway(self)
        self.commands = self.interactions.commands  # (guild_id | None) -> the synced commands

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # The gateway's websocket lives for the whole session: no faults, no request log.
        if request.path in (GATEWAY_PATH, "/"):
            return await handler(request)
        return await super()._middleware(request, handler)

    @property
    def messages(self) -> list[JSON]:
        """Copies of every accepted message: id, channel_id, content, embeds,
        allowed_mentions (as received), nonce, via ("bot"/"webhook"/"member"), pinged, timestamp."""
        return self.snapshot()

    def chatter(self, count: int, *, embed_url: str | None = None) -> None:
        """``count`` messages by a member of the guild, as a busy channel has; with
        ``embed_url`` each carries an embed linking there (as a person sharing the post)."""
        member: JSON = {"id": str(self.guild_id + 7), "username": "member", "discriminator": "0"}
        member.update(global_name="A Member", avatar=None, public_flags=0)
        embeds = [{"title": "Shared link", "url": embed_url}] if embed_url else []
        with self._lock:
            for n in range(count):
                payload = {"content": f"message {n}", "embeds": embeds}
                self._record_message(payload, "member", member)

    def _items(self) -> list[JSON]:
        return [{k: v for k, v in m.items() if not k.startswith("_")} for m in self._messages]

    # --- shapes ------------------------------------------------------------------

    def error_response(self, status: int) -> web.Response:
        reasons = {404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}
        reasons.update({502: "Bad Gateway", 503: "Service Unavailable"})
        return self.json(error_body(f"{status}: {reasons.get(status, 'Error')}", 0), status)

    def rate_limited_response(self) -> web.Response:
        wait = self.settings.rate_limit_wait
        headers = {
            "Retry-After": str(max(1, math.ceil(wait))),
            "Via": "1.1 google",
            "X-RateLimit-Scope": "user",
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + wait:.3f}",
            "X-RateLimit-Reset-After": f"{wait:.3f}",
        }
        body = {"message": "You are being rate limited.", "retry_after": wait, "global": False}
        return self.json(body, 429, headers)

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-RateLimit-Bucket"] = _bucket(request.path)
        if response.status != 429:
            response.headers["X-RateLimit-Limit"] = "5"
            response.headers["X-RateLimit-Remaining"] = "4"
            response.headers["X-RateLimit-Reset"] = f"{time.time() + 1:.3f}"
            response.headers["X-RateLimit-Reset-After"] = "1.000"

    # --- routes ------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        channel = API + "/channels/{channel_id}"
        return [
            *self.interactions.routes(),  # first: they claim the application's webhook id
            *self.gateway.routes(),
            web.get(API + "/users/@me", self._me),
            web.get(API + "/oauth2/applications/@me", self._application),
            web.get(channel, self._channel),
            web.post(channel + "/messages", self._create),
            web.get(channel + "/messages", self._history),
            web.get(channel + "/messages/{message_id}", self._fetch),
            web.post(channel + "/messages/{message_id}/crosspost", self._crosspost),
            *self.webhook.routes(API),
            *MessageEdits(self, self.webhook.problem).routes(API),
        ]

    def _bot_ok(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bot {self.bot_token}"

    async def _me(self, request: web.Request) -> web.Response:
        if not self._bot_ok(request):
            return self.json(_UNAUTHORIZED, 401)
        return self.json(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        if not self._bot_ok(request):
            return self.json(_UNAUTHORIZED, 401)
        owner = {k: self.bot_user[k] for k in ("discriminator", "global_name", "avatar")}
        owner.update(id=str(self.guild_id + 1), username="sandbox-owner")
        return self.json(
            {
                "id": str(self.application_id),
                "name": "Heartbeat Sandbox",
                "icon": None,
                "description": "",
                "summary": "",
                "rpc_origins": [],
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": owner,
                "team": None,
                "bot": self.bot_user,
                "redirect_uris": [],
                "interactions_endpoint_url": None,
            }
        )

    def _channel_problem(self, request: web.Request) -> web.Response | None:
        """401/403/404/400 for a bad token or a channel the bot cannot use, else None."""
        if not self._bot_ok(request):
            return self.json(_UNAUTHORIZED, 401)
        raw = request.match_info["channel_id"]
        if not raw.isdigit():
            errors = {
                "channel_id": {
                    "_errors": [
                        {
                            "code": "NUMBER_TYPE_COERCE",
                            "message": f'Value "{raw}" is not snowflake.',
                        }
                    ]
                }
            }
            return self.json({"message": "Invalid Form Body", "code": 50035, "errors": errors}, 400)
        if int(raw) == self.no_access_channel_id:
            return self.json(error_body("Missing Access", 50001), 403)
        if int(raw) != self.channel_id:
            return self.json(error_body("Unknown Channel", 10003), 404)
        return None

    async def _channel(self, request: web.Request) -> web.Response:
        problem = self._channel_problem(request)
        if problem is not None:
            return problem
        return self.json(self.channel_json())

    def channel_json(self) -> JSON:
        """The text channel as the API (and GUILD_CREATE) describes it."""
        with self._lock:
            last = self._messages[-1]["id"] if self._messages else None
        return {
            "id": str(self.channel_id),
            "type": 5 if self.announcement_channel else 0,
            "guild_id": str(self.guild_id),
            "name": "announcements",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "last_message_id": last,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "flags": 0,
        }

    async def _payload(self, request: web.Request) -> tuple[Any, bool]:
        """The JSON payload (from a JSON body or multipart ``payload_json``) and whether
        files came with it; (None, False) when the body is not JSON."""
        try:
            if request.content_type.startswith("multipart/"):
                form = await request.post()
                files = any(not isinstance(v, str) for k, v in form.items() if k != "payload_json")
                text = form.get("payload_json")
                return (json.loads(text) if isinstance(text, str) else {}), files
            return await request.json(), False
        except ValueError:
            return None, False

    async def _create(self, request: web.Request) -> web.Response:
        problem = self._channel_problem(request)
        if problem is not None:
            return problem
        payload, files = await self._payload(request)
        if payload is None:
            return self.json(error_body("The request body contains invalid JSON.", 50109), 400)
        error = message_error(with_files(payload, files))
        if error is not None:
            return self.json(error, 400)
        nonce = payload.get("nonce")
        with self._lock:
            if nonce is not None and payload.get("enforce_nonce"):
                earlier = self._by_nonce(str(nonce))
                if earlier is not None:
                    return self.json(message_object(earlier, with_nonce=True))
            record = self._record_message(payload, "bot", self.bot_user)
            return self.json(message_object(record, with_nonce=True))

    def _by_nonce(self, nonce: str) -> JSON | None:
        horizon = time.monotonic() - NONCE_WINDOW_SECONDS
        for message in reversed(self._messages):
            if message["_created"] < horizon:
                break
            same = message["nonce"] is not None and str(message["nonce"]) == nonce
            if same and message["via"] == "bot" and message["channel_id"] == str(self.channel_id):
                return message
        return None

    def find_message(self, message_id: str | None, custom_id: str | None) -> JSON | None:
        """A channel message by id, or the newest one carrying component ``custom_id``."""
        with self._lock:
            messages = list(self._messages)
        for message in reversed(messages):
            if message_id is not None and message["id"] == message_id:
                return message_object(message, with_nonce=False)
            if message_id is None and any(
                custom_id == c.get("custom_id")
                for row in message.get("components") or []
                for c in row.get("components") or []
                if isinstance(c, dict)
            ):
                return message_object(message, with_nonce=False)
        return None

    def _record_message(self, payload: JSON, via: str, author: JSON) -> JSON:
        embeds = [{"type": "rich", **e} for e in payload.get("embeds") or [] if isinstance(e, dict)]
        allowed = payload.get("allowed_mentions")
        record: JSON = {
            "id": str(self._ids.next()),
            "channel_id": str(self.channel_id),
            "content": payload.get("content") or "",
            "embeds": embeds,
            "allowed_mentions": allowed,
            "nonce": payload.get("nonce") if via == "bot" else None,
            "via": via,
            "pinged": pinged(payload.get("content"), allowed),
            "timestamp": datetime.now(UTC).isoformat(),
            "author": author,
            "tts": bool(payload.get("tts")),
            "webhook_id": str(self.webhook_id) if via == "webhook" else None,
            # Buttons: only an application's own messages (the bot's) may carry them.
            "components": (payload.get("components") or []) if via == "bot" else [],
            "_created": time.monotonic(),
        }
        self._messages.append(record)
        return record

    async def _history(self, request: web.Request) -> web.Response:
        problem = self._channel_problem(request)
        if problem is not None:
            return problem
        raw = request.query.get("limit", "50")
        code, note = "", ""
        if not raw.lstrip("-").isdigit():
            code, note = "NUMBER_TYPE_COERCE", f'Value "{raw}" is not int.'
        elif int(raw) > 100:
            code, note = "NUMBER_TYPE_MAX", "int value should be less than or equal to 100."
        elif int(raw) < 1:
            code, note = "NUMBER_TYPE_MIN", "int value should be greater than or equal to 1."
        if code:
            errors = {"limit": {"_errors": [{"code": code, "message": note}]}}
            return self.json({"message": "Invalid Form Body", "code": 50035, "errors": errors}, 400)
        limit = int(raw)
        before = request.query.get("before")
        after = request.query.get("after")
        with self._lock:
            chosen = list(self._messages)
            if before and before.isdigit():
                chosen = [m for m in chosen if int(m["id"]) < int(before)][-limit:]
            elif after and after.isdigit():
                chosen = [m for m in chosen if int(m["id"]) > int(after)][:limit]
            else:
                chosen = chosen[-limit:]
            # Newest first, and without "nonce": only the create answer carries it.
            return self.json([message_object(m, with_nonce=False) for m in reversed(chosen)])

    async def _fetch(self, request: web.Request) -> web.Response:
        problem = self._channel_problem(request)
        if problem is not None:
            return problem
        return self._one_message(request.match_info["message_id"], webhook=False)

    async def _crosspost(self, request: web.Request) -> web.Response:
        """Publish to followers: announcement channels only, once, the bot's own messages
        (others' need Manage Messages, which the sandbox bot lacks)."""
        problem = self._channel_problem(request)
        if problem is not None:
            return problem
        if not self.announcement_channel:
            return self.json(error_body("Cannot execute action on this channel type", 50024), 400)
        with self._lock:
            found = [m for m in self._messages if m["id"] == request.match_info["message_id"]]
            if not found:
                return self.json(error_body("Unknown Message", 10008), 404)
            if found[0]["via"] != "bot":
                return self.json(error_body("Missing Permissions", 50013), 403)
            if found[0].get("crossposted"):
                return self.json(
                    error_body("This message has already been crossposted.", 40033), 400
                )
            now = time.monotonic()
            self._crossposts = [t for t in self._crossposts if now - t < 3600.0]
            if len(self._crossposts) >= self.crosspost_limit:
                # The hour's budget: the wait is in the body; the headers say little.
                wait = round(3600.0 - (now - self._crossposts[0]), 3)
                body = {"message": "You are being rate limited.", "retry_after": wait}
                headers = {"Retry-After": "1", "Via": "1.1 google", "X-RateLimit-Scope": "shared"}
                return self.json({**body, "global": False}, 429, headers)
            self._crossposts.append(now)
            found[0]["crossposted"] = True
            return self.json(message_object(found[0], with_nonce=False))

    def _one_message(self, message_id: str, *, webhook: bool) -> web.Response:
        with self._lock:
            for message in self._messages:
                if message["id"] == message_id and (not webhook or message["via"] == "webhook"):
                    return self.json(message_object(message, with_nonce=False))
        return self.json(error_body("Unknown Message", 10008), 404)
