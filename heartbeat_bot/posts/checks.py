"""Pure: checks of single frontmatter values: slugs as URL segments, the comments URL,
true/false flags and the ``announce`` channel list."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from heartbeat_bot.errors import PostError
from heartbeat_bot.posts.frontmatter import clip, kind, show

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0 and C1 control characters, DEL
_PLAIN_SEGMENT = re.compile(r"[^\x00-\x20\x7f-\x9f\s/\\?#%]+")  # no decoding, nothing to refuse
# A topic URL with a plain host and nothing after the path: what urlsplit would accept.
_PLAIN_TOPIC = re.compile(
    r"(?P<scheme>[Hh][Tt][Tt][Pp][Ss]?)://(?P<host>[A-Za-z0-9.-]+(?::\d+)?)"
    r"/t/(?:(?P<slug>[^/?#\s\x00-\x1f\x7f]+)/)?(?P<id>\d+)(?:/\d+)?/?"
)
_TOPIC_PATH = re.compile(r"/t/(?:(?P<slug>[^/]+)/)?(?P<id>\d+)(?:/\d+)?/?")


def codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def unsafe_segment(slug: str) -> str | None:
    """Why ``slug`` cannot be one segment of a URL path (also once %-decoded), or None."""
    if _PLAIN_SEGMENT.fullmatch(slug) and slug not in (".", ".."):
        return None  # the usual slug, told apart in one pass
    if re.search(r"[?#]", slug):
        return 'contains "?" or "#"'
    if re.search(r"\s", slug):
        return "contains whitespace"
    for text, decoded in ((slug, ""), (unquote(slug, errors="replace"), " once %-decoded")):
        control = _CONTROL.search(text)
        if control is not None:
            return f"contains the control character {codepoint(control[0])}{decoded}"
        if "/" in text or "\\" in text:
            return f'contains "/" or "\\"{decoded}'
        if text in (".", ".."):
            return f'is "{text}"{decoded}, a relative path'
    return None


def comments_url(value: object, key: str) -> tuple[str | None, str | None]:
    """The normalized Discourse topic URL, or None and a problem to report."""
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, f"{key} is {kind(value)}, not a URL; ignored"
    url = value.strip().rstrip("?#")
    if not url:
        return None, None
    plain = _PLAIN_TOPIC.fullmatch(url)
    if plain is not None:  # the usual form, told apart without splitting the URL
        slug = f"{plain['slug']}/" if plain["slug"] else ""
        return f"{plain['scheme'].lower()}://{plain['host'].lower()}/t/{slug}{plain['id']}", None
    found, reason = split_topic(url)
    if found is not None:
        return found, None
    shown = clip(value.strip())
    return None, f'{key} "{shown}" is not a Discourse topic URL ({reason}); ignored'


def flag(path: Path, meta: Mapping[str, Any], key: str, *, default: bool) -> bool:
    value = meta.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise PostError(path, f"{key} must be true or false; got {show(value)}", field=key)
    return value


def channels(path: Path, meta: Mapping[str, Any], known: Mapping[str, str]) -> frozenset[str]:
    """The channels the ``announce`` key allows; ``known`` maps names and aliases to channels."""
    value = meta.get("announce")
    if value is None or value is True:
        return frozenset(known.values())
    if value is False:
        return frozenset()
    names = list(dict.fromkeys(known.values()))
    aliases = [f"{alias}" for alias, name in known.items() if alias != name]
    listed = ", ".join(names) + (f" (alias {', '.join(aliases)})" if aliases else "")
    valid = f"true, false or a list of {listed}"
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise PostError(path, f"announce must be {valid}; got {show(value)}", field="announce")
    found: set[str] = set()
    for item in items:
        name = item.strip().lower() if isinstance(item, str) else None
        if name is None or name not in known:
            raise PostError(path, f"announce must be {valid}; got {show(item)}", field="announce")
        found.add(known[name])
    return frozenset(found)


def split_topic(url: str) -> tuple[str | None, str]:
    """``url`` normalized as a Discourse topic URL by splitting it, or None and why not."""
    reason = "not an http(s) URL"
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is not None and parts.scheme.lower() in ("http", "https"):
        match = _TOPIC_PATH.fullmatch(parts.path)
        if not parts.hostname:
            reason = "no host"
        elif match is None:
            reason = "no topic id" if parts.path.startswith("/t/") else "path is not /t/<slug>/<id>"
        else:
            slug = f"{match['slug']}/" if match["slug"] else ""
            return f"{parts.scheme.lower()}://{parts.netloc.lower()}/t/{slug}{match['id']}", ""
    return None, reason
