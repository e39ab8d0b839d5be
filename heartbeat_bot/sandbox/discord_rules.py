"""Discord's message rules, restated from discord-api-docs for the fake Discord.

Limits (message.mdx, "Embed Limits"): content 2000; 10 embeds; title 256, description
4096, 25 fields, field name 256, value 1024, footer text 2048, author name 256; the
characters of all those over all embeds at most 6000. A breach is 400 code 50035 with
errors nested per field, ``{"embeds": {"0": {"description": {"_errors": [...]}}}}``.
Mentions (``allowed_mentions``): without the object everything in ``content`` pings; with
it, only the kinds in ``parse`` and the ids listed in ``roles``/``users``. Embeds never ping.
"""

from __future__ import annotations

import re
from typing import Any

JSON = dict[str, Any]

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_FIELDS = 25
MAX_EMBED_TOTAL = 6000
MAX_NONCE = 25
_TEXT_LIMITS = (("title", 256), ("description", 4096))
_URL_KEYS = (("url",), ("image", "url"), ("thumbnail", "url"), ("author", "url"))
_MENTION = re.compile(r"@(everyone|here)|<@&(\d+)>|<@!?(\d+)>")
_PARSE_KINDS = ("roles", "users", "everyone")


class FormErrors:
    """Discord's nested ``errors`` object of a 50035 "Invalid Form Body" answer."""

    def __init__(self) -> None:
        self.tree: JSON = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def too_long(self, path: tuple[str | int, ...], value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def body(self) -> JSON | None:
        if not self.tree:
            return None
        return {"message": "Invalid Form Body", "code": 50035, "errors": self.tree}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def embed_size(embeds: list[Any]) -> int:
    """The characters Discord counts toward the 6000 limit, over all embeds."""
    total = 0
    for embed in embeds:
        if not isinstance(embed, dict):
            continue
        total += len(_text(embed.get("title"))) + len(_text(embed.get("description")))
        for field in embed.get("fields") or []:
            if isinstance(field, dict):
                total += len(_text(field.get("name"))) + len(_text(field.get("value")))
        for part, key in (("footer", "text"), ("author", "name")):
            section = embed.get(part)
            if isinstance(section, dict):
                total += len(_text(section.get(key)))
    return total


def _check_embed(errors: FormErrors, index: int, embed: Any) -> None:
    where: tuple[str | int, ...] = ("embeds", index)
    if not isinstance(embed, dict):
        errors.add(where, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        return
    for key, limit in _TEXT_LIMITS:
        errors.too_long((*where, key), embed.get(key), limit)
    fields = embed.get("fields") or []
    if not isinstance(fields, list):
        errors.add((*where, "fields"), "BASE_TYPE_BAD_TYPE", "Must be an array.")
        fields = []
    if len(fields) > MAX_FIELDS:
        errors.add(
            (*where, "fields"), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FIELDS} or fewer in length."
        )
    for number, field in enumerate(fields):
        spot = (*where, "fields", number)
        for key, limit in (("name", 256), ("value", 1024)):
            value = field.get(key) if isinstance(field, dict) else None
            if not isinstance(value, str) or not value:
                errors.add((*spot, key), "BASE_TYPE_REQUIRED", "This field is required")
            else:
                errors.too_long((*spot, key), value, limit)
    for part, key, limit in (("footer", "text", 2048), ("author", "name", 256)):
        section = embed.get(part)
        if isinstance(section, dict):
            if not _text(section.get(key)):
                errors.add((*where, part, key), "BASE_TYPE_REQUIRED", "This field is required")
            errors.too_long((*where, part, key), section.get(key), limit)
    for keys in _URL_KEYS:
        url: Any = embed
        for key in keys:
            url = url.get(key) if isinstance(url, dict) else None
        if url is not None and not re.match(r"(https?|attachment)://\S", str(url)):
            errors.add((*where, *keys), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    color = embed.get("color")
    if color is not None and (not isinstance(color, int) or not 0 <= color <= 0xFFFFFF):
        errors.add((*where, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215.")


def _check_allowed_mentions(errors: FormErrors, allowed: Any) -> None:
    where = ("allowed_mentions",)
    if not isinstance(allowed, dict):
        errors.add(where, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        return
    parse = allowed.get("parse") or []
    for index, kind in enumerate(parse if isinstance(parse, list) else [parse]):
        if kind not in _PARSE_KINDS:
            errors.add(
                (*where, "parse", index),
                "ENUM_TYPE_COERCE",
                f'Value "{kind}" is not a valid enum value.',
            )
    for kind in ("roles", "users"):
        listed = allowed.get(kind) or []
        if listed and kind in parse:
            errors.add(
                where,
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
            )
        if isinstance(listed, list) and len(listed) > 100:
            errors.add((*where, kind), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")


def message_error(payload: Any) -> JSON | None:
    """Discord's 400 body for an invalid create-message payload, or None when it is valid."""
    errors = FormErrors()
    if not isinstance(payload, dict):
        errors.add((), "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        return errors.body()
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        errors.add(("content",), "BASE_TYPE_BAD_TYPE", "Must be a string.")
    errors.too_long(("content",), content, MAX_CONTENT)
    embeds = payload.get("embeds") or []
    if not isinstance(embeds, list):
        errors.add(("embeds",), "BASE_TYPE_BAD_TYPE", "Must be an array.")
        embeds = []
    if len(embeds) > MAX_EMBEDS:
        errors.add(("embeds",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length.")
    for index, embed in enumerate(embeds):
        _check_embed(errors, index, embed)
    if embed_size(embeds) > MAX_EMBED_TOTAL:
        errors.add(
            ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
        )
    nonce = payload.get("nonce")
    if nonce is not None and not isinstance(nonce, (str, int)):
        errors.add(("nonce",), "BASE_TYPE_BAD_TYPE", "Must be a string or an integer.")
    errors.too_long(("nonce",), nonce, MAX_NONCE)
    if payload.get("allowed_mentions") is not None:
        _check_allowed_mentions(errors, payload["allowed_mentions"])
    body = errors.body()
    if body is None and not content and not embeds and not _has_other_parts(payload):
        return {"message": "Cannot send an empty message", "code": 50006}
    return body


def _has_other_parts(payload: JSON) -> bool:
    return any(payload.get(key) for key in ("attachments", "sticker_ids", "components", "poll"))


def pinged(content: Any, allowed: Any) -> list[str]:
    """Which mentions in ``content`` would notify: "everyone", "here", "role:ID", "user:ID"."""
    if allowed is None:
        parse = set(_PARSE_KINDS)
        roles: set[str] = set()
        users: set[str] = set()
    else:
        parse = set(allowed.get("parse") or [])
        roles = {str(r) for r in allowed.get("roles") or []}
        users = {str(u) for u in allowed.get("users") or []}
    found: list[str] = []
    for match in _MENTION.finditer(content if isinstance(content, str) else ""):
        everyone, role, user = match.groups()
        if everyone:
            name, fires = everyone, "everyone" in parse
        elif role:
            name, fires = f"role:{role}", "roles" in parse or role in roles
        else:
            name, fires = f"user:{user}", "users" in parse or user in users
        if fires and name not in found:
            found.append(name)
    return found


def message_object(record: JSON, *, with_nonce: bool) -> JSON:
    """A stored message as the API returns it; only a create answer carries ``nonce``."""
    pings = record["pinged"]
    users = [p.split(":", 1)[1] for p in pings if p.startswith("user:")]
    data: JSON = {
        "id": record["id"],
        "channel_id": record["channel_id"],
        "type": 0,
        "content": record["content"],
        "author": record["author"],
        "timestamp": record["timestamp"],
        "edited_timestamp": record.get("edited_timestamp"),
        "tts": record["tts"],
        "mention_everyone": any(p in ("everyone", "here") for p in pings),
        "mentions": [
            {"id": u, "username": f"user{u}", "discriminator": "0", "avatar": None} for u in users
        ],
        "mention_roles": [p.split(":", 1)[1] for p in pings if p.startswith("role:")],
        "attachments": [],
        "embeds": record["embeds"],
        "pinned": False,
        "flags": 1 if record.get("crossposted") else 0,  # CROSSPOSTED
        "components": record.get("components") or [],
    }
    if record["webhook_id"] is not None:
        data["webhook_id"] = record["webhook_id"]
    if with_nonce and record["nonce"] is not None:
        data["nonce"] = record["nonce"]
    return data


def error_body(message: str, code: int) -> JSON:
    """Discord's error object: ``{"message": ..., "code": ...}``."""
    return {"message": message, "code": code}


def with_files(payload: Any, files: bool) -> Any:
    """Uploaded files count as attachments, so a files-only message is not empty."""
    return (
        {**payload, "attachments": [{"id": 0}]} if files and isinstance(payload, dict) else payload
    )
