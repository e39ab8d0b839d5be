"""Pure: the bytes of one post file, parsed and validated into a ``Post``.

No file, clock or environment is read: the caller hands in the bytes, the blog settings
and the author-id to display-name map. A file that cannot be a Post raises PostError
naming the file and, when one is to blame, the frontmatter key; notes that do not stop
the post (a malformed ``commentsUrl``, an unknown author id...) go to ``Post.problems``.
The frontmatter itself is read by :mod:`heartbeat_bot.posts.frontmatter`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import checks, people
from heartbeat_bot.posts.addresses import build_url, file_slug, path_key, route, url_from_key
from heartbeat_bot.posts.engines import Rules, rules_for
from heartbeat_bot.posts.frontmatter import (
    clip,
    kind,
    read_frontmatter_as,
    show,
)
from heartbeat_bot.posts.place import Place, name_date
from heartbeat_bot.posts.summary import excerpt

MAX_TITLE = 1000  # characters, after folding whitespace
MAX_DESCRIPTION = 64 * 1024  # characters, for description and descriptionLong

# The names the frontmatter's ``announce`` key accepts (name or alias -> channel) when the
# caller gives none; the application passes the channel registry's own.
DEFAULT_CHANNEL_NAMES: Mapping[str, str] = {
    "discourse": "discourse",
    "discord": "discord",
    "twitter": "twitter",
    "x": "twitter",
}
_URL_DATE = re.compile(r"/(\d{4})/(\d{2})/(\d{2})(?:/|$)")
_IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg")
_FOLD = re.compile(r"[ \t\n\r\f\v\x85\u2028\u2029]+")  # line breaks and ASCII blanks, not NBSP
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0 and C1 control characters, DEL


def parse_post(
    path: Path,
    raw: bytes,
    blog: BlogConfig,
    authors: Mapping[str, str],
    channels: Mapping[str, str] | None = None,
    *,
    place: Place | None = None,
    tag_labels: Mapping[str, str] | None = None,
) -> Post:
    """Parse one post file's bytes into a Post, or raise PostError naming the file and field.

    ``authors`` maps author ids to display names (empty when the blog has no author files);
    ``channels`` maps every name (and alias) of a channel the ``announce`` key may list to
    the channel, in announcement order (default :data:`DEFAULT_CHANNEL_NAMES`);
    ``tag_labels`` maps tag keys to labels; ``place`` says where the file sits in the blog
    (by default: directly in its folder).
    """
    rules = rules_for(blog)
    place = place or Place.of(path)
    meta, body, form = read_frontmatter_as(path, raw, body=rules.wants_body)
    if form not in rules.frontmatter_formats:
        allowed = ", ".join(rules.frontmatter_formats)
        message = (
            f"has {form.upper()} frontmatter, which blog.engine {blog.engine!r} does not "
            f"read (it reads {allowed}; set blog.frontmatter_formats to allow it)"
        )
        raise PostError(path, message)
    problems: list[str] = []

    title = _title(path, meta)
    slug, route_slug = _slug(path, meta, rules, place, title)
    route_text = route(place, rules, slug, route_slug) if rules.routed else ""
    key = path_key(meta, rules)
    published_at, written = _published_at(path, meta, blog, rules, place)
    if published_at is None:  # blog.date_from_url: the date is in the post's own path
        url = _url(rules, key, slug, place, route_text, None, meta, path)
        published_at = _date_from_url(path, url, blog)
        written = published_at.date()
    else:
        url = _url(rules, key, slug, place, route_text, published_at, meta, path)
    expires_at = _expiry(path, meta, blog, rules)

    names = []
    author_ids = _author_ids(path, meta, blog.author_links)
    for author_id in author_ids:
        if author_id not in authors and authors:
            problems.append(f"unknown author id '{clip(author_id)}'")
        names.append(authors.get(author_id, author_id))

    description = _text(path, meta, "description")
    summary, source = _summary(path, meta, rules, body)
    if summary is None and description is None:
        problems.append("no summary (no description, summary field or excerpt)")
    comments_url, comments_problem = checks.comments_url(
        meta.get(blog.comments_key), blog.comments_key
    )
    if comments_problem:
        problems.append(comments_problem)

    file_date = name_date(place.name)
    if file_date is not None and file_date != written:
        problems.append(f"file name says {file_date} but date is {written}")

    draft = checks.flag(path, meta, "draft", default=False)
    draft = not checks.flag(path, meta, "published", default=True) or draft
    # Eleventy's `permalink: false`: the page is never written, so there is nothing to link.
    draft = draft or any(meta.get(k) is False for k in rules.url_keys)
    split = rules.preset.name == "jekyll"
    tags = people.tags(path, meta, rules.tag_keys, tag_labels or {}, split=split)
    return Post(
        path=path,
        slug=slug,
        url=url,
        title=title,
        date=published_at.date(),
        published_at=published_at,
        picture_url=_picture_url(path, meta, blog, rules, place, url),
        authors=tuple(names),
        author_ids=author_ids,
        tags=tags,
        description=description,
        description_long=summary or description,
        comments_url=comments_url,
        draft=draft,
        channels=checks.channels(
            path, meta, DEFAULT_CHANNEL_NAMES if channels is None else channels
        ),
        content_hash=hashlib.sha256(raw).hexdigest(),
        problems=tuple(problems),
        expires_at=expires_at,
        unlisted=checks.flag(path, meta, "unlisted", default=False),
        summary_source=source,
    )


def _url(
    rules: Rules,
    key: tuple[str, str] | None,
    slug: str,
    place: Place,
    route_text: str,
    moment: datetime | None,
    meta: Mapping[str, Any],
    path: Path,
) -> str:
    if key is not None:
        return url_from_key(rules, key[1])
    if rules.plain:  # post_url with {slug} alone: no other work
        return rules.post_url.replace("{slug}", slug)
    if route_text.startswith("/"):  # a Docusaurus slug from the site root
        return rules.site_url + route_text
    if moment is None and rules.placeholders & {"year", "month", "day"}:
        message = "date is missing and blog.post_url needs one ({year}, {month}, {day})"
        raise PostError(path, message, field="date")
    return build_url(rules, slug=slug, place=place, route_text=route_text, moment=moment, meta=meta)


def _summary(
    path: Path, meta: Mapping[str, Any], rules: Rules, body: str
) -> tuple[str | None, str | None]:
    for field in rules.summary_fields:
        text = _text(path, meta, field)
        if text is not None:
            return text, f"frontmatter:{field}"
    text, source = excerpt(body, rules.excerpt_separators, rules.excerpt, rules.summary_words)
    if not text:
        return None, None
    return text[:MAX_DESCRIPTION], source


def _title(path: Path, meta: Mapping[str, Any]) -> str:
    value = meta.get("title")
    if value is None:
        raise PostError(path, "title is missing; add a `title:` line", field="title")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PostError(path, f"title must be text, got {kind(value)}", field="title")
    title = _FOLD.sub(" ", str(value)).strip()
    if not title:
        raise PostError(path, "title is empty", field="title")
    if len(title) > MAX_TITLE:
        message = f"title is {len(title)} characters; at most {MAX_TITLE}"
        raise PostError(path, message, field="title")
    control = _CONTROL.search(title)
    if control is not None:
        where = f"{checks.codepoint(control[0])} at character {control.start() + 1}"
        message = f"title contains the control character {where}; remove it"
        raise PostError(path, message, field="title")
    return title


def _published_at(
    path: Path, meta: Mapping[str, Any], blog: BlogConfig, rules: Rules, place: Place
) -> tuple[datetime | None, date | None]:
    """The publish moment and the date as written (in its own zone), by ``blog.date_keys``,
    else the file or folder name's date; (None, None) when ``blog.date_from_url`` is to
    find it; PostError when nothing gives one."""
    for key in rules.date_keys:
        value = meta.get(key)
        if value is not None and value != "":
            return _moment(path, key, value, blog)
    if rules.date_from_file:
        day = name_date(place.name)
        if day is not None:
            return datetime.combine(day, blog.publish_clock, tzinfo=blog.tz), day
    if blog.date_from_url:
        return None, None
    hint = "use YYYY-MM-DD or an ISO 8601 date-time"
    key = rules.date_keys[0] if rules.date_keys else "date"
    raise PostError(path, f"date is missing; add `{key}:` ({hint})", field="date")


def _moment(path: Path, key: str, value: object, blog: BlogConfig) -> tuple[datetime, date]:
    hint = "use YYYY-MM-DD or an ISO 8601 date-time"
    moment: date | None = None
    if isinstance(value, str):
        for parse in (date.fromisoformat, datetime.fromisoformat):
            try:
                moment = parse(value.strip())
                break
            except ValueError:
                continue
    elif isinstance(value, date):
        moment = value
    if moment is None:
        raise PostError(path, f"{key} is not a valid date; {hint}; got {show(value)}", field=key)
    tz = blog.tz
    try:
        if not isinstance(moment, datetime):
            published = datetime.combine(moment, blog.publish_clock, tzinfo=tz)
        elif moment.tzinfo is None or moment.utcoffset() is None:
            published = moment.replace(tzinfo=tz)
        else:
            published = moment.astimezone(tz)
        published.astimezone(UTC)  # as the channels and the scheduler see it
    except (ValueError, OverflowError):
        message = f"{key} is out of range (years 1 to 9999, in UTC too); got {show(value)}"
        raise PostError(path, message, field=key) from None
    written = moment.date() if isinstance(moment, datetime) else moment
    return published, written


def _expiry(path: Path, meta: Mapping[str, Any], blog: BlogConfig, rules: Rules) -> datetime | None:
    for key in rules.expiry_keys:
        value = meta.get(key)
        if value is not None and value != "":
            return _moment(path, key, value, blog)[0]
    return None


def _date_from_url(path: Path, url: str, blog: BlogConfig) -> datetime:
    match = _URL_DATE.search(urlsplit(url).path)
    day = None
    if match is not None:
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            day = None
    if day is None:
        message = "date is missing, and the post's URL holds no /YYYY/MM/DD/ (blog.date_from_url)"
        raise PostError(path, message, field="date")
    return datetime.combine(day, blog.publish_clock, tzinfo=blog.tz)


def _slug(
    path: Path, meta: Mapping[str, Any], rules: Rules, place: Place, title: str
) -> tuple[str, str | None]:
    """The slug, and the route a Docusaurus ``slug`` with slashes gives (else None)."""
    value = meta.get("slug")
    route_slug = None
    if value is None:
        slug = file_slug(place, rules, title)
        origin = "the file name has no text after its date; add `slug:` to the frontmatter"
    elif isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        slug = str(value).strip()
        if rules.preset.slug_is_route:  # Docusaurus: the slug is the whole route
            route_slug = slug if slug.startswith("/") else slug.strip("/")
            slug = slug.rstrip("/").rsplit("/", 1)[-1]
        slug = slug.strip("/")
        origin = "set a non-empty `slug:`"
    else:
        raise PostError(path, f"slug must be text, got {kind(value)}", field="slug")
    if not slug:
        raise PostError(path, f"slug is empty ({origin})", field="slug")
    unsafe = checks.unsafe_segment(slug)
    if unsafe is not None:
        where = " (taken from the file name)" if value is None else ""
        message = f'slug "{clip(slug)}"{where} is not a safe URL path segment: it {unsafe}'
        raise PostError(path, message, field="slug")
    return slug, route_slug


def _picture_url(
    path: Path, meta: Mapping[str, Any], blog: BlogConfig, rules: Rules, place: Place, url: str
) -> str | None:
    """The picture's public URL: absolute as written; ``blog.picture_url``'s pattern for a
    relative one when set; else below the site (``/x``) or beside the post (a bundle's
    own file); else a bundle file matching ``blog.bundle_pictures``; else
    ``blog.default_picture``."""
    picture = people.picture_value(path, meta, rules.picture_keys)
    page = url if url.endswith("/") else url + "/"
    if picture is not None:
        if picture.lower().startswith(("http://", "https://")):
            return picture
        if blog.picture_url is not None:
            return blog.picture_url.replace("{picture}", picture.lstrip("/"))
        if rules.preset.name == "gatsby":
            return None  # dvc.org's rule: a relative picture needs blog.picture_url
        if picture.startswith("/"):
            return rules.site_url + picture
        return (page if place.is_bundle else rules.site_url + "/") + picture.removeprefix("./")
    if place.is_bundle:
        for pattern in rules.bundle_pictures:
            for name in place.bundle_files:
                if fnmatch.fnmatch(name.lower(), pattern) and name.lower().endswith(_IMAGES):
                    return page + name
    default = blog.default_picture
    if default is None:
        return None
    if default.startswith("/"):
        return rules.site_url + default
    return default.replace("{url}", url.rstrip("/"))


def _author_ids(path: Path, meta: Mapping[str, Any], links: bool) -> tuple[str, ...]:
    key = "authors" if meta.get("authors") is not None else "author"
    raw = people.texts(path, meta.get(key), key, ("name",))
    return tuple(dict.fromkeys(people.author_names(raw, links)))


def _text(path: Path, meta: Mapping[str, Any], key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PostError(path, f"{key} must be text, got {kind(value)}", field=key)
    text = value.strip()
    if len(text) > MAX_DESCRIPTION:
        message = f"{key} is {len(text)} characters; at most {MAX_DESCRIPTION}"
        raise PostError(path, message, field=key)
    return text or None
