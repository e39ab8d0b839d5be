"""A loopback Discord gateway (v10) that an unmodified discord.py 2.7.1 ``Client`` runs on.

Set ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sb.discord_gateway_url)``:
a plain ``Client`` connects there directly (only ``AutoShardedClient`` asks
``GET /gateway/bot``, which is served too). What discord.py needs, and gets: HELLO first;
READY (``session_id``, ``resume_gateway_url``, ``application``) then a full GUILD_CREATE for
the guild READY listed as unavailable; heartbeats acknowledged; frames compressed as its URL
asks (``compress=zlib-stream``: one zlib stream per connection, every frame ending in a
Z_SYNC_FLUSH ``00 00 ff ff``; ``zstd-stream``, asked when zstandard is installed, is
answered in text frames, which discord.py reads too);
a RESUME of a known session replays what it missed, an unknown one gets INVALID_SESSION
(``d: false``) so it identifies again. Interactions reach the bot as INTERACTION_CREATE with
every field discord.py reads unguarded (``attachment_size_limit`` among them).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import zlib
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from heartbeat_bot.sandbox.interactions import API, Pending
from heartbeat_bot.sandbox.server import JSON

if TYPE_CHECKING:
    from heartbeat_bot.sandbox.discord import DiscordService

GATEWAY_PATH = "/gateway"
HEARTBEAT_INTERVAL_MS = 41250
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
SEND_TIMEOUT_SECONDS = 5.0
_REPLAY_LIMIT = 1000
# GUILD_CREATE fields this guild leaves empty, as a new guild without boosts has them.
_GUILD_NULLS = (
    "icon splash discovery_splash banner description afk_channel_id system_channel_id"
    " rules_channel_id public_updates_channel_id safety_alerts_channel_id vanity_url_code"
    " application_id incidents_data"
)
_GUILD_ZEROS = (
    "verification_level explicit_content_filter mfa_level nsfw_level premium_tier"
    " premium_subscription_count system_channel_flags"
)
_GUILD_LISTS = (
    "emojis stickers features threads presences voice_states stage_instances"
    " guild_scheduled_events soundboard_sounds embedded_activities"
)


@dataclass
class _Session:
    """What survives a dropped connection: the sequence and the events for a RESUME."""

    id: str
    seq: int = 0
    events: list[JSON] = field(default_factory=list)
    connection: _Connection | None = None


class _Connection:
    """One websocket: its compressor (shared by all its frames, in order) and session."""

    def __init__(self, ws: web.WebSocketResponse, compress: str) -> None:
        self.ws = ws
        self.session: _Session | None = None
        # Only zlib-stream is compressed; discord.py reads text frames whatever it asked for.
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._lock = asyncio.Lock()

    async def send(self, frame: JSON) -> None:
        text = json.dumps(frame, separators=(",", ":"))
        async with self._lock:  # compress and send in one order, or the stream breaks
            if self.ws.closed:
                return
            if self._zlib is None:
                await self.ws.send_str(text)
                return
            data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
            await self.ws.send_bytes(data)

    async def close(self, code: int, reason: str) -> None:
        if not self.ws.closed:
            await self.ws.close(code=code, message=reason.encode())


class Gateway:
    """The gateway of the sandbox's one guild; tests drive it from their own thread."""

    def __init__(self, service: DiscordService) -> None:
        self._service = service
        self.heartbeat_interval_ms = HEARTBEAT_INTERVAL_MS
        self.allowed_intents = ~PRIVILEGED_INTENTS  # enable privileged ones here, as in the portal
        self.identify_count = 0
        self.resume_count = 0
        self.refusing = False  # True: new connections get 503, as in a gateway outage
        self._sessions: dict[str, _Session] = {}
        self._connections: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._dm_channels: dict[int, str] = {}
        self._closing: set[asyncio.Future[None]] = set()
        self._joined_at = datetime.now(UTC).isoformat()

    @property
    def url(self) -> str:
        """``ws://127.0.0.1:PORT/gateway`` (what READY gives as ``resume_gateway_url``)."""
        return "ws" + self._service.base_url.removeprefix("http") + GATEWAY_PATH

    @property
    def connected(self) -> bool:
        """Whether a bot is connected and identified (or resumed) right now."""
        return any(c.session is not None and not c.ws.closed for c in list(self._connections))

    def replies(self, interaction_id: str) -> list[JSON]:
        """Every callback, followup and original-response edit of that interaction, in order:
        kind ("callback"/"followup"/"edit"), type, content, embeds, flags, components, choices."""
        return self._service.interactions.replies(interaction_id)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(GATEWAY_PATH, self._handle),
            web.get("/", self._handle),
            web.get(API + "/gateway", self._gateway_url),
            web.get(API + "/gateway/bot", self._gateway_url),
        ]

    async def _gateway_url(self, request: web.Request) -> web.Response:
        service = self._service
        if request.path.endswith("/bot") and not service._bot_ok(request):
            return service.json({"message": "401: Unauthorized", "code": 0}, 401)
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return service.json({"url": self.url, "shards": 1, "session_start_limit": limit})

    # --- what tests call (from any thread) ------------------------------------------------

    def send_interaction(
        self,
        name: str,
        options: list[JSON] | None = None,
        *,
        user_id: int,
        roles: Sequence[int] = (),
        permissions: int = 0,
        guild: bool = True,
        kind: int = 2,
        custom_id: str | None = None,
        message_id: str | None = None,
    ) -> str:
        """Dispatch an INTERACTION_CREATE to the connected bot; returns the interaction id.

        ``kind`` 2 is a slash command, 4 its autocomplete (mark the option being typed with
        ``"focused": True``), 3 a button press (``custom_id``; ``message_id`` names the message
        it sat on, else the newest interaction or channel message carrying that
        ``custom_id``)."""
        service = self._service
        user: JSON = {"id": str(user_id), "username": f"user{user_id}", "discriminator": "0"}
        user.update(global_name=f"User {user_id}", avatar=None, public_flags=0)
        payload: JSON = {
            "id": str(service._ids.next()),
            "application_id": str(service.application_id),
            "type": kind,
            "token": "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(120),
            "version": 1,
            "locale": "en-US",
            "app_permissions": "0",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(service.guild_id)},
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,  # read unguarded by discord.py
        }
        if kind in (2, 4):
            command = self._command(name, guild)
            data: JSON = {"id": command["id"], "name": name, "type": 1, "options": options or []}
            if "guild_id" in command:
                data["guild_id"] = command["guild_id"]  # discord.py picks guild commands by it
            payload["data"] = data
        if guild:
            member = _member(user, [str(r) for r in roles], self._joined_at)
            member["permissions"] = str(permissions)
            payload.update(
                guild_id=str(service.guild_id),
                guild={"id": str(service.guild_id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                channel={**service.channel_json(), "permissions": str(permissions)},
                channel_id=str(service.channel_id),
                member=member,
                context=0,
            )
        else:
            dm_id = self._dm_channels.setdefault(user_id, str(service._ids.next()))
            channel = {"id": dm_id, "type": 1, "last_message_id": None, "flags": 0}
            channel["recipients"] = [user]
            payload.update(channel_id=dm_id, channel=channel, user=user, context=1)
        if kind == 3:
            message = self._service.interactions.find_message(
                message_id, custom_id
            ) or self._service.find_message(message_id, custom_id)
            if message is None:
                raise ValueError(f"no sandbox message {message_id or ''} has {custom_id!r}")
            payload["message"] = message
            payload["data"] = {"custom_id": custom_id, "component_type": 2}
        self._run(self._dispatch_interaction(payload))
        return str(payload["id"])

    def disconnect_all(self, code: int = 4000, *, invalidate: bool = False) -> None:
        """Close every bot connection with ``code`` (4000: "unknown error", which discord.py
        answers with a RESUME); ``invalidate`` forgets the sessions, so it must IDENTIFY."""
        if self._loop is None:
            return

        async def close_all() -> None:
            if invalidate:
                self._sessions.clear()
            for connection in list(self._connections):
                # Not awaited: the close handshake needs the client, whose loop may be
                # the very thread that is blocked in this call.
                task = asyncio.ensure_future(connection.close(code, "sandbox disconnect"))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

        self._run(close_all())

    async def shutdown(self) -> None:
        """Close every websocket (1001, going away) so the sandbox stops without a wait."""
        for connection in list(self._connections):
            await connection.close(1001, "sandbox stopping")

    def _run(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` on the sandbox's loop and wait for it (it only sends frames, so a
        caller blocking the bot's own loop cannot deadlock it)."""
        loop, wrong_thread = self._loop, threading.current_thread() is self._thread
        if loop is None or wrong_thread:
            coro.close()
            why = "call it from the test's thread" if wrong_thread else "no bot has connected yet"
            raise RuntimeError(f"sandbox gateway: {why}")
        asyncio.run_coroutine_threadsafe(coro, loop).result(SEND_TIMEOUT_SECONDS)

    # --- the websocket ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self._loop, self._thread = asyncio.get_running_loop(), threading.current_thread()
        if self.refusing:
            return web.Response(status=503, text="upstream connect error")
        ws = web.WebSocketResponse(timeout=1.0, compress=False, max_msg_size=0)  # 1 s to close
        await ws.prepare(request)
        connection = _Connection(ws, request.query.get("compress", ""))
        self._connections.add(connection)
        try:
            if request.query.get("v", "10") != "10":
                await connection.close(4012, "Invalid API version")
                return ws
            hello = {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["sandbox"]}
            await connection.send({"op": 10, "d": hello, "s": None, "t": None})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    await connection.close(4002, "Error while decoding payload.")
                    break
                try:
                    frame = json.loads(msg.data)
                    op = frame["op"]
                except (ValueError, KeyError, TypeError):
                    await connection.close(4002, "Error while decoding payload.")
                    break
                await self._on_frame(connection, op, frame.get("d"))
        finally:
            self._connections.discard(connection)
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
        return ws

    async def _on_frame(self, connection: _Connection, op: Any, data: Any) -> None:
        if op == 1:
            await connection.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(connection, data if isinstance(data, dict) else {})
        elif op == 6:
            await self._resume(connection, data if isinstance(data, dict) else {})
        elif op in (3, 4, 8):  # presence, voice state, member requests: nothing to do here
            if connection.session is None:
                await connection.close(4003, "Not authenticated.")
        else:
            await connection.close(4001, "Unknown opcode.")

    async def _identify(self, connection: _Connection, data: JSON) -> None:
        if connection.session is not None:
            await connection.close(4005, "Already authenticated.")
            return
        if data.get("token") != self._service.bot_token:
            await connection.close(4004, "Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0:
            await connection.close(4013, "Invalid intent(s).")
            return
        if intents & PRIVILEGED_INTENTS & ~self.allowed_intents:
            await connection.close(4014, "Disallowed intent(s).")
            return
        self.identify_count += 1
        session = _Session(secrets.token_hex(16))
        self._sessions[session.id] = session
        connection.session, session.connection = session, connection
        await self._dispatch(session, "READY", self._ready(session, data.get("shard")))
        await self._dispatch(session, "GUILD_CREATE", self._guild())

    async def _resume(self, connection: _Connection, data: JSON) -> None:
        if data.get("token") != self._service.bot_token:
            await connection.close(4004, "Authentication failed.")
            return
        session = self._sessions.get(str(data.get("session_id")))
        if session is None:
            await connection.send({"op": 9, "d": False, "s": None, "t": None})
            return
        self.resume_count += 1
        connection.session, session.connection = session, connection
        seen = int(data.get("seq") or 0)
        for event in [e for e in session.events if e["s"] > seen]:
            await connection.send(event)
            self._started(event)
        await self._dispatch(session, "RESUMED", {"_trace": ["sandbox"]})

    async def _dispatch(self, session: _Session, name: str, data: JSON) -> None:
        session.seq += 1
        event = {"op": 0, "t": name, "s": session.seq, "d": data}
        session.events = [*session.events[-_REPLAY_LIMIT:], event]
        if session.connection is not None:
            await session.connection.send(event)
            self._started(event)

    def _started(self, event: JSON) -> None:
        """An interaction's 3 s start when the bot can first see it."""
        if event["t"] == "INTERACTION_CREATE":
            self._service.interactions.start_clock(str(event["d"]["id"]))

    async def _dispatch_interaction(self, payload: JSON) -> None:
        live = [c.session for c in self._connections if c.session and not c.ws.closed]
        sessions = live or list(self._sessions.values())[-1:]  # else replayed on RESUME
        if not sessions:
            raise RuntimeError("no bot session on the sandbox gateway")
        user = payload["member"]["user"] if "member" in payload else payload["user"]
        pending = Pending(payload["id"], payload["token"], payload["type"], payload["channel_id"])
        pending.user, pending.message = user, payload.get("message")
        self._service.interactions.register(pending)
        for session in sessions:
            await self._dispatch(session, "INTERACTION_CREATE", payload)

    # --- payloads --------------------------------------------------------------------------

    def _ready(self, session: _Session, shard: Any) -> JSON:
        service = self._service
        ready: JSON = {"v": 10, "user": service.bot_user, "session_id": session.id, "auth": {}}
        ready.update(guilds=[{"id": str(service.guild_id), "unavailable": True}])
        ready.update(resume_gateway_url=self.url, session_type="normal", user_settings={})
        ready["application"] = {"id": str(service.application_id), "flags": 0}
        ready.update({key: [] for key in ("private_channels", "relationships", "presences")})
        if shard is not None:
            ready["shard"] = shard
        return {**ready, "_trace": ["sandbox"]}

    def _guild(self) -> JSON:
        service = self._service
        names = {"@everyone": service.guild_id, **service.roles}  # @everyone's id is the guild's
        guild: JSON = {"id": str(service.guild_id), "name": "Heartbeat Sandbox", "lazy": True}
        guild.update(owner_id=str(service.guild_id + 1), channels=[service.channel_json()])
        guild["roles"] = [
            _role(role_id, name, n) for n, (name, role_id) in enumerate(names.items())
        ]
        guild["members"] = [_member(service.bot_user, [], self._joined_at)]
        guild.update(member_count=1, large=False, unavailable=False, joined_at=self._joined_at)
        guild.update(afk_timeout=300, default_message_notifications=1, preferred_locale="en-US")
        guild.update(premium_progress_bar_enabled=False, max_members=500000)
        guild.update(dict.fromkeys(_GUILD_NULLS.split()), **dict.fromkeys(_GUILD_ZEROS.split(), 0))
        guild.update({key: [] for key in _GUILD_LISTS.split()})
        return guild

    def _command(self, name: str, guild: bool) -> JSON:
        """The synced command ``name``: guild commands first; a DM sees only global ones."""
        commands = self._service.interactions.commands
        chosen = [*(commands(self._service.guild_id) if guild else []), *commands(None)]
        found = next((c for c in chosen if c["name"] == name and c["type"] == 1), None)
        if found is None:
            where = "in the guild or globally" if guild else "globally (DMs see only global ones)"
            raise LookupError(f"no command /{name} is synced {where}: call tree.sync() first")
        return found


def _role(role_id: int, name: str, position: int) -> JSON:
    colors = {"primary_color": 0, "secondary_color": None, "tertiary_color": None}
    role: JSON = {"id": str(role_id), "name": name, "permissions": "0", "position": position}
    role.update(color=0, colors=colors, hoist=False, managed=False, mentionable=False, flags=0)
    return {**role, "icon": None, "unicode_emoji": None}


def _member(user: JSON, roles: list[str], joined_at: str) -> JSON:
    member: JSON = {"user": user, "roles": roles, "joined_at": joined_at, "flags": 0}
    nulls = ("nick", "avatar", "premium_since", "communication_disabled_until")
    member.update(dict.fromkeys(nulls), deaf=False, mute=False, pending=False)
    return member
