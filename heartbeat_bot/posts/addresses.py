"""Pure: a post's slug and public URL, by its engine's rules and ``blog.post_url``.

``post_url`` placeholders: ``{slug}`` the post's slug; ``{filename}`` the file (or bundle
folder) name without extension and leading date; ``{route}`` the folders below the posts
folder and the slug (Docusaurus: the dated ``YYYY/MM/DD/name`` route, or its ``slug``);
``{year}``, ``{month}``, ``{day}`` the publish date in the blog's time zone, zero-padded;
``{categories}`` the categories slugified and joined with ``/`` (Jekyll); ``{section}``
the first folder under the posts folder, else the posts folder's own name (Hugo).
Empty placeholders leave no ``//`` behind.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from heartbeat_bot.posts.engines import Rules
from heartbeat_bot.posts.place import Place, name_date, strip_date

_DIGITS_PREFIX = re.compile(r"^[\d-]+")
_URLIZE_DROP = re.compile(r"[^\w\s./_~-]")
_SLUGIFY = re.compile(r"[^a-z0-9]+")
_DOUBLE_SLASH = re.compile(r"/{2,}")


def urlize(title: str) -> str:
    """A title as Hugo's ``urlize`` makes it a path segment: lower-cased, punctuation
    dropped, spaces turned into dashes (``January 2021 Update`` -> ``january-2021-update``)."""
    text = unicodedata.normalize("NFC", title).lower()
    text = _URLIZE_DROP.sub("", text.replace("/", "-"))
    return "-".join(text.split())


def slugify(text: str) -> str:
    """Lower-case letters and digits joined by single dashes (Jekyll's ``:categories``)."""
    return _SLUGIFY.sub("-", text.lower()).strip("-")


def file_slug(place: Place, rules: Rules, title: str) -> str:
    """The slug a post without a ``slug`` key gets, by ``blog.slug_from_file``."""
    name = place.name
    rule = rules.slug_from_file
    if rule == "strip-digits":
        return _DIGITS_PREFIX.sub("", name)
    if rule == "strip-date":
        return strip_date(name)
    if rule == "title":
        return urlize(title)
    return name


def route(place: Place, rules: Rules, slug: str, route_slug: str | None) -> str:
    """``{route}``: the folders and the slug; Docusaurus dates a ``YYYY-MM-DD-name`` post."""
    if route_slug is not None:
        return route_slug.strip("/")
    parts = list(place.folders)
    day = name_date(place.name) if rules.preset.slug_is_route else None
    if day is not None:
        parts += [f"{day.year:04d}", f"{day.month:02d}", f"{day.day:02d}"]
    parts.append(slug)
    return "/".join(parts)


def categories(meta: Mapping[str, Any]) -> list[str]:
    """The post's categories as written (``categories`` list or space-separated text,
    ``category``)."""
    found: list[str] = []
    for key in ("categories", "category"):
        value = meta.get(key)
        items = value.split() if isinstance(value, str) else value
        if isinstance(items, list):
            found += [str(item) for item in items if isinstance(item, str | int | float)]
    return list(dict.fromkeys(found))


def build_url(
    rules: Rules,
    *,
    slug: str,
    place: Place,
    route_text: str,
    moment: datetime | None,
    meta: Mapping[str, Any],
) -> str:
    """The public URL from ``blog.post_url``; ``moment`` is None only when the pattern
    has no date placeholder."""
    pattern = rules.post_url
    if rules.placeholders == {"slug"} and not rules.lowercase_urls:
        return pattern.replace("{slug}", slug)  # the common case, at no cost
    values = {
        "slug": slug,
        "filename": strip_date(place.name),
        "route": route_text,
        "section": place.section,
    }
    if moment is not None:
        values |= {
            "year": f"{moment.year:04d}",
            "month": f"{moment.month:02d}",
            "day": f"{moment.day:02d}",
        }
    if "categories" in rules.placeholders:
        values["categories"] = "/".join(filter(None, map(slugify, categories(meta))))
    url = pattern
    for name in rules.placeholders:
        url = url.replace(f"{{{name}}}", values.get(name, ""))
    parts = urlsplit(url)
    path = _DOUBLE_SLASH.sub("/", parts.path)
    if rules.lowercase_urls:
        path = path.lower()
    return urlunsplit(parts._replace(path=path))


def url_from_key(rules: Rules, value: str) -> str:
    """A path key's value (Hugo ``url``, Jekyll/Eleventy ``permalink``, Zola ``path``) as
    a URL: an absolute URL as it is, else below the site URL."""
    text = value.strip()
    if text.lower().startswith(("http://", "https://")):
        return text
    url = f"{rules.site_url}/{text.lstrip('/')}"
    if rules.preset.url_key_slash and not url.endswith("/"):
        url += "/"
    return url


def path_key(meta: Mapping[str, Any], rules: Rules) -> tuple[str, str] | None:
    """The first of ``blog.url_keys`` set to text in ``meta``: (key, value)."""
    for key in rules.url_keys:
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return key, value
    return None
