"""Pure: a post's authors, tags and picture, by its engine's keys.

Authors: ``authors`` else ``author``, text or a list; an item may be an id of the author
map (``blog.authors_dir`` files, Docusaurus ``authors.yml``), an inline mapping with a
``name``, or Markdown: shown as text (links and HTML tags dropped), or, with
``blog.author_links``, as the names its links carry (``[Ada](url) (Org), [Bo](url)``).
Tags: every one of ``blog.tag_keys`` (dotted for nested keys, ``taxonomies.tags``), each
shown by its label in the tags map (Docusaurus ``tags.yml``). Picture: the first of
``blog.picture_keys`` (a list gives its first item, a mapping its ``path``/``url``/``src``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from heartbeat_bot.errors import PostError
from heartbeat_bot.posts.frontmatter import kind

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")


def nested(meta: Mapping[str, Any], key: str) -> Any:
    """``meta[key]``, where a dotted key walks into mappings (``taxonomies.tags``)."""
    if "." not in key:
        return meta.get(key)
    value: Any = meta
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def texts(path: Path, value: object, key: str, names: tuple[str, ...] = ()) -> list[str]:
    """A text or a list of texts (numbers allowed; mappings by their first key of
    ``names``), stripped, empties dropped; PostError for other values."""
    if value is None:
        return []
    if type(value) is str:  # the usual case, at no cost
        text = value.strip()
        return [text] if text else []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if type(item) is str:
            if text := item.strip():
                out.append(text)
            continue
        if isinstance(item, dict) and names:
            item = next((item[n] for n in names if isinstance(item.get(n), str)), item)
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            shown = kind(value) if item is value else f"an item that is {kind(item)}"
            raise PostError(path, f"{key} must be text or a list of text, got {shown}", field=key)
        text = str(item).strip()
        if text:
            out.append(text)
    return out


def author_names(raw: list[str], links: bool) -> list[str]:
    """Author strings as shown: Markdown and HTML dropped, or the link texts."""
    out: list[str] = []
    for text in raw:
        if "[" not in text and "<" not in text:
            out.append(text)
            continue
        if links:
            found = [name.strip() for name in _LINK.findall(text) if name.strip()]
            if found:
                out += found
                continue
        out.append(" ".join(_TAG.sub("", _LINK.sub(r"\1", text)).split()))
    return out


def tags(
    path: Path, meta: Mapping[str, Any], keys: tuple[str, ...], labels: Mapping[str, str], *,
    split: bool,
) -> tuple[str, ...]:  # fmt: skip
    """Every tag of ``keys``, in order, each once; ``split``: text splits on spaces (Jekyll)."""
    if len(keys) == 1 and not labels and not split:  # the common case, at less cost
        return tuple(dict.fromkeys(texts(path, nested(meta, keys[0]), keys[0], ("label",))))
    found: dict[str, None] = {}
    for key in keys:
        value = nested(meta, key)
        if split and isinstance(value, str):
            value = value.split()
        for item in texts(path, value, key, ("label", "name")):
            found.setdefault(labels.get(item, item))
    return tuple(found)


def picture_value(path: Path, meta: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first picture the keys give, as written."""
    for key in keys:
        value = meta.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = next((value[k] for k in ("path", "url", "src") if k in value), value)
        if value is None:
            continue
        if not isinstance(value, str):
            raise PostError(path, f"{key} must be text, got {kind(value)}", field=key)
        if value.strip():
            return value.strip()
    return None
