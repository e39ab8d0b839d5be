"""Slash commands and interaction replies for the fake Discord: what a bot does after READY.

Discord's rules, restated from discord-api-docs (``interactions/receiving-and-responding``,
``application-commands``) and discord.py 2.7.1: the callback must come within 3 s of the
INTERACTION_CREATE and only once (a second one is 400 code 40060, a late one 404 code 10062);
the token then lives 15 minutes for followups and for the original response under
``/webhooks/{application_id}/{token}``; after a deferral (type 5) the first followup replaces
the "thinking" message and keeps the deferral's ephemeral flag. discord.py 2.7.1 always sends
``?with_response=1`` and reads the answer's ``interaction`` object, so a bare 204 breaks it.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from heartbeat_bot.sandbox.discord_rules import FormErrors, message_error, message_object, pinged
from heartbeat_bot.sandbox.server import JSON

if TYPE_CHECKING:
    from heartbeat_bot.sandbox.discord import DiscordService

API = "/api/v10"  # the same prefix as discord.py's; not imported, discord.py imports us
TOKEN_LIFETIME_SECONDS = 15 * 60
EPHEMERAL, LOADING = 64, 128
ACKNOWLEDGED = "Interaction has already been acknowledged."
_NAME = re.compile(r"^[-_\w]{1,32}$")
_COMMAND_KEYS = (
    "name default_member_permissions name_localizations description_localizations contexts"
)
# Which callback types each interaction type accepts (2 command, 3 component, 4
# autocomplete, 5 modal submit); 12 launches an activity.
_ALLOWED = {2: {4, 5, 9, 12}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


def _error(message: str, code: int) -> JSON:
    return {"message": message, "code": code}


@dataclass
class Pending:
    """One dispatched interaction: its token, its answer so far and its messages."""

    id: str
    token: str
    type: int
    channel_id: str
    user: JSON = field(default_factory=dict)
    created: float = field(default_factory=time.monotonic)
    acked: int | None = None  # the callback type, once answered
    original: JSON | None = None  # the @original message object
    deferred_flags: int | None = None  # set while a type-5 "thinking" message waits
    followups: dict[str, JSON] = field(default_factory=dict)
    replies: list[JSON] = field(default_factory=list)
    message: JSON | None = None  # the message a component sat on


class Interactions:
    """Synced application commands and the interactions dispatched to the bot."""

    def __init__(self, service: DiscordService, deadline: float = 3.0) -> None:
        self._service, self._app_id = service, service.application_id
        self.deadline = deadline  # seconds the bot has for its callback
        self._lock = threading.RLock()
        self._global: list[JSON] = []
        self._guild: dict[int, list[JSON]] = {}  # by guild id
        self._pending: dict[str, Pending] = {}

    # --- what tests read -------------------------------------------------------------

    def commands(self, guild_id: int | None = None) -> list[JSON]:
        """The synced commands of ``guild_id``, or the global ones for None."""
        with self._lock:
            chosen = self._global if guild_id is None else self._guild.get(guild_id, [])
            return [dict(c) for c in chosen]

    def replies(self, interaction_id: str) -> list[JSON]:
        """Every callback, followup and edit for that interaction, in arrival order."""
        with self._lock:
            pending = self._pending.get(str(interaction_id))
            return [dict(r) for r in pending.replies] if pending else []

    def register(self, pending: Pending) -> None:
        with self._lock:
            self._pending[pending.id] = pending

    def start_clock(self, interaction_id: str) -> None:
        """The callback deadline runs from when the bot is sent the interaction."""
        with self._lock:
            pending = self._pending.get(interaction_id)
            if pending is not None and pending.acked is None:
                pending.created = time.monotonic()

    def find_message(self, message_id: str | None, custom_id: str | None) -> JSON | None:
        """An interaction message by id, or the newest one carrying component ``custom_id``."""
        with self._lock:
            messages = [m for p in self._pending.values() for m in _messages_of(p)]
        for message in reversed(messages):
            if message_id is not None and message["id"] == message_id:
                return dict(message)
            if message_id is None and custom_id in _custom_ids(message.get("components")):
                return dict(message)
        return None

    # --- routes ----------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        apps = API + "/applications/{application_id}"
        paths = (apps + "/commands", apps + "/guilds/{guild_id}/commands")
        hook = API + f"/webhooks/{{webhook_id:{self._app_id}}}/{{token}}"
        methods = ("GET", "PATCH", "DELETE")
        return [
            *(web.route(m, path, self._commands) for m in ("GET", "PUT") for path in paths),
            web.post(API + "/interactions/{interaction_id}/{token}/callback", self._callback),
            # Interaction tokens share the webhook routes, under the application's id.
            web.post(hook, self.execute),
            *(web.route(m, hook + "/messages/{message_id}", self.message) for m in methods),
        ]

    async def _commands(self, request: web.Request) -> web.Response:
        """GET lists, PUT overwrites (bulk) the global or one guild's commands."""
        service, info = self._service, request.match_info
        if not service._bot_ok(request):
            return service.json(_error("401: Unauthorized", 0), 401)
        raw = info.get("guild_id")
        if info["application_id"] != str(self._app_id) or raw not in (None, str(service.guild_id)):
            return service.json(_error("Missing Access", 50001), 403)
        scope = None if raw is None else int(raw)
        if request.method == "GET":
            return service.json(self.commands(scope))
        payload, _ = await service._payload(request)
        error = _commands_error(payload)
        if error is not None:
            return service.json(error, 400)
        with self._lock:
            old = {(c["name"], c["type"]): c["id"] for c in self.commands(scope)}
            stored = [self._command_object(c, scope, old) for c in payload]
            if scope is None:
                self._global = stored
            else:
                self._guild[scope] = stored
        return service.json([dict(c) for c in stored])

    def _command_object(self, given: JSON, guild_id: int | None, old: dict[Any, str]) -> JSON:
        """The command as Discord stores it; a command keeps its id across overwrites."""
        kind, ids = int(given.get("type") or 1), self._service._ids
        command: JSON = {key: given.get(key) for key in _COMMAND_KEYS.split()}
        command.update(
            id=old.get((given["name"], kind)) or str(ids.next()),
            application_id=str(self._service.application_id),
            version=str(ids.next()),
            type=kind,
            description=given.get("description") or "",
            integration_types=given.get("integration_types") or [0],
            nsfw=bool(given.get("nsfw")),
        )
        if given.get("options"):
            command["options"] = given["options"]
        if guild_id is None:
            command["dm_permission"] = given.get("dm_permission", True)
        else:
            command["guild_id"] = str(guild_id)
        return command

    # --- the callback -----------------------------------------------------------------

    async def _callback(self, request: web.Request) -> web.Response:
        service = self._service
        body, _ = await service._payload(request)
        info = request.match_info
        with self._lock:
            pending = self._pending.get(info["interaction_id"])
            if pending is None or pending.token != info["token"]:
                return service.json(_error("Unknown interaction", 10062), 404)
            if pending.acked is not None:
                return service.json(_error(ACKNOWLEDGED, 40060), 400)
            if time.monotonic() - pending.created > self.deadline:
                return service.json(_error("Unknown interaction", 10062), 404)
            error = _callback_error(pending.type, body)
            if error is not None:
                return service.json(error, 400)
            kind = int(body["type"])
            data: JSON = body.get("data") or {}
            pending.acked = kind
            if kind == 4:
                pending.original = self._message(pending, data, int(data.get("flags") or 0))
            elif kind == 5:
                flags = int(data.get("flags") or 0) & EPHEMERAL
                pending.deferred_flags = flags
                pending.original = self._message(pending, {}, flags | LOADING)
            elif kind in (6, 7) and pending.message is not None:
                pending.original = pending.message
                if kind == 7:
                    pending.original = _edited(pending.message, data)
            _record(pending, "callback", data, kind, pending.original if kind != 6 else None)
            answer = self._callback_answer(pending, kind)
        if request.query.get("with_response", "").lower() in ("1", "true"):
            return service.json(answer)
        return web.Response(status=204)

    def _callback_answer(self, pending: Pending, kind: int) -> JSON:
        """The ``with_response`` body: the interaction's state and the created resource."""
        message = pending.original if kind in (4, 5, 7) else None
        interaction: JSON = {"id": pending.id, "type": pending.type}
        interaction["response_message_loading"] = kind == 5
        interaction["response_message_ephemeral"] = bool(message and message["flags"] & EPHEMERAL)
        if message is None:
            return {"interaction": interaction, "resource": {"type": kind}}
        interaction["response_message_id"] = message["id"]
        return {"interaction": interaction, "resource": {"type": kind, "message": message}}

    def _message(self, pending: Pending, data: JSON, flags: int) -> JSON:
        """A message the bot made through the interaction, as Discord returns it."""
        service, content = self._service, data.get("content")
        record: JSON = {"id": str(service._ids.next()), "channel_id": pending.channel_id}
        record.update(content=content or "", author=service.bot_user, tts=bool(data.get("tts")))
        record.update(embeds=[{"type": "rich", **e} for e in data.get("embeds") or []])
        record.update(pinged=pinged(content, data.get("allowed_mentions")), nonce=None)
        record.update(timestamp=datetime.now(UTC).isoformat(), webhook_id=str(self._app_id))
        message = message_object(record, with_nonce=False)
        message.update(type=20 if pending.type == 2 else 0, flags=flags)
        message.update(components=data.get("components") or [], application_id=str(self._app_id))
        message["interaction_metadata"] = {"id": pending.id, "type": pending.type}
        message["interaction_metadata"]["user"] = pending.user
        return message

    # --- followups and the original response (``/webhooks/{application_id}/{token}``) ---

    def _live(self, request: web.Request) -> Pending | web.Response:
        """The acknowledged interaction whose token is in the path, or the refusal."""
        token = request.match_info["token"]
        pending = next((p for p in self._pending.values() if p.token == token), None)
        if pending is None or pending.acked is None:
            return self._service.json(_error("Unknown Webhook", 10015), 404)
        if time.monotonic() - pending.created > TOKEN_LIFETIME_SECONDS:
            return self._service.json(_error("Invalid Webhook Token", 50027), 401)
        return pending

    async def execute(self, request: web.Request) -> web.Response:
        """POST: a followup message (the first after a deferral replaces its loader)."""
        service = self._service
        payload, files = await service._payload(request)
        if not isinstance(payload, dict):
            return service.json(_error("The request body contains invalid JSON.", 50109), 400)
        error = message_error({**payload, "attachments": [{"id": 0}]} if files else payload)
        if error is not None:
            return service.json(error, 400)
        with self._lock:
            pending = self._live(request)
            if isinstance(pending, web.Response):
                return pending
            flags = int(payload.get("flags") or 0)
            if pending.deferred_flags is not None and pending.original is not None:
                flags, pending.deferred_flags = pending.deferred_flags, None
                message = {**self._message(pending, payload, flags), "id": pending.original["id"]}
                pending.original = message
            else:
                message = self._message(pending, payload, flags)
                pending.followups[message["id"]] = message
            _record(pending, "followup", payload, None, message)
        if request.query.get("wait", "").lower() in ("1", "true"):
            return service.json(message)
        return web.Response(status=204)

    async def message(self, request: web.Request) -> web.Response:
        """GET, PATCH or DELETE ``/messages/@original`` or ``/messages/{followup id}``."""
        service = self._service
        payload: Any = {}
        if request.method == "PATCH":
            payload, _ = await service._payload(request)
            error = message_error(payload) if isinstance(payload, dict) else None
            if not isinstance(payload, dict) or (error and error["code"] != 50006):
                return service.json(error or _error("Invalid JSON.", 50109), 400)
        with self._lock:
            pending = self._live(request)
            if isinstance(pending, web.Response):
                return pending
            wanted = request.match_info["message_id"]
            original = wanted == "@original"
            found = pending.original if original else pending.followups.get(wanted)
            if found is None:
                return service.json(_error("Unknown Message", 10008), 404)
            if request.method == "GET":
                return service.json(found)
            if request.method == "DELETE":
                pending.followups.pop(wanted, None)
                pending.original = None if original else pending.original
                return web.Response(status=204)
            edited = _edited(found, payload)
            if original:
                pending.original, pending.deferred_flags = edited, None
            else:
                pending.followups[wanted] = edited
            _record(pending, "edit", payload, None, edited)
            return service.json(edited)


def _custom_ids(components: Any) -> set[str]:
    """Every ``custom_id`` in a (nested) component list."""
    found: set[str] = set()
    for component in components if isinstance(components, list) else []:
        if isinstance(component, dict):
            if isinstance(component.get("custom_id"), str):
                found.add(component["custom_id"])
            found |= _custom_ids(component.get("components"))
    return found


def _messages_of(pending: Pending) -> list[JSON]:
    return [m for m in (pending.original, *pending.followups.values()) if m is not None]


def _edited(message: JSON, data: JSON) -> JSON:
    """The message after an edit: given fields replaced; the loading flag gone."""
    edited = dict(message)
    for key in ("content", "components", "embeds"):
        if key in data:
            edited[key] = data[key] if data[key] is not None else ([] if key != "content" else "")
    edited["flags"] = int(message.get("flags") or 0) & ~LOADING
    edited["edited_timestamp"] = datetime.now(UTC).isoformat()
    return edited


def _record(pending: Pending, kind: str, data: JSON, type_: int | None, message: Any) -> None:
    """One entry of ``replies``: what the bot sent and the message it made or changed."""
    reply: JSON = {key: data.get(key) for key in ("content", "choices", "allowed_mentions")}
    flags = data.get("flags") if message is None else message.get("flags")
    reply.update(kind=kind, type=type_, flags=int(flags or 0), data=data, time=time.time())
    reply.update(embeds=data.get("embeds") or [], components=data.get("components") or [])
    pending.replies.append({**reply, "message_id": message["id"] if message else None})


def _callback_error(interaction_type: int, body: Any) -> JSON | None:
    """Discord's 400 for a callback body the interaction cannot take, or None."""
    errors = FormErrors()
    if not isinstance(body, dict) or not isinstance(body.get("type"), int):
        errors.add(("type",), "BASE_TYPE_REQUIRED", "This field is required")
        return errors.body()
    kind, data = body["type"], body.get("data") or {}
    if kind not in _ALLOWED.get(interaction_type, set()):
        errors.add(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction type")
        return errors.body()
    if kind in (4, 7):  # an update (7) may leave out content: it keeps the old one
        error = message_error(data)
        return error if error is None or kind == 4 or error["code"] != 50006 else None
    choices = data.get("choices") if kind == 8 else []
    if not isinstance(choices, list) or len(choices) > 25:
        errors.add(("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for index, choice in enumerate(choices if isinstance(choices, list) else []):
        name = choice.get("name") if isinstance(choice, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            errors.add(("data", "choices", index, "name"), "BASE_TYPE_BAD_LENGTH", "1-100 long.")
    for key in ("custom_id", "title", "components") if kind == 9 else ():
        if not data.get(key):
            errors.add(("data", key), "BASE_TYPE_REQUIRED", "This field is required")
    return errors.body()


def _commands_error(payload: Any) -> JSON | None:
    """Discord's 400 for a bulk overwrite it would refuse, or None."""
    errors = FormErrors()
    if not isinstance(payload, list):
        errors.add((), "BASE_TYPE_BAD_TYPE", "Must be an array.")
        return errors.body()
    seen: set[tuple[str, Any]] = set()
    for index, command in enumerate(payload):
        if not isinstance(command, dict):
            errors.add((index,), "MODEL_TYPE_CONVERT", "Only dictionaries may be used")
            continue
        name, kind = str(command.get("name")), command.get("type") or 1
        if kind == 1 and (not _NAME.match(name) or name.lower() != name):
            errors.add((index, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Invalid name.")
        description = command.get("description")
        if kind == 1 and (not isinstance(description, str) or not 1 <= len(description) <= 100):
            errors.add((index, "description"), "BASE_TYPE_BAD_LENGTH", "Must be 1-100 long.")
        if len(command.get("options") or []) > 25:
            errors.add((index, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer.")
        if (name, kind) in seen:
            errors.add((index, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Must be unique.")
        seen.add((name, kind))
    if len(payload) > 110:
        errors.add((), "BASE_TYPE_MAX_LENGTH", "Must be 110 or fewer in length.")
    return errors.body()
