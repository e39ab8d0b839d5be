"""Pure: the bytes of one post file, parsed and validated into a ``Post``.

No file, clock or environment is read: the caller hands in the bytes, the blog settings
and the author-id to display-name map. A file that cannot be a Post raises PostError
naming the file and, when one is to blame, the frontmatter key; notes that do not stop
the post (a malformed ``commentsUrl``, an unknown author id...) go to ``Post.problems``.
The frontmatter itself is read by :mod:`heartbeat_bot.posts.frontmatter`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts.frontmatter import clip, kind, read_frontmatter, show

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
_POST_SUFFIX = re.compile(r"\.(md|mdx|markdown)$", re.IGNORECASE)
_DIGITS_PREFIX = re.compile(r"^[\d-]+")
_DATE_PREFIX = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}-")
_FILE_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?=[-.]|$)")
_FOLD = re.compile(r"[ \t\n\r\f\v\x85\u2028\u2029]+")  # line breaks and ASCII blanks, not NBSP
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0 and C1 control characters, DEL
_PLAIN_SEGMENT = re.compile(r"[^\x00-\x20\x7f-\x9f\s/\\?#%]+")  # no decoding, nothing to refuse
_TOPIC_PATH = re.compile(r"/t/(?:(?P<slug>[^/]+)/)?(?P<id>\d+)(?:/\d+)?/?")


def parse_post(
    path: Path,
    raw: bytes,
    blog: BlogConfig,
    authors: Mapping[str, str],
    channels: Mapping[str, str] | None = None,
) -> Post:
    """Parse one post file's bytes into a Post, or raise PostError naming the file and field.

    ``authors`` maps author ids to display names (empty when the blog has no author files);
    ``channels`` maps every name (and alias) of a channel the ``announce`` key may list to
    the channel, in announcement order (default :data:`DEFAULT_CHANNEL_NAMES`).
    """
    meta, _ = read_frontmatter(path, raw, body=False)
    problems: list[str] = []

    title = _title(path, meta)
    published_at = _published_at(path, meta, blog)
    slug = _slug(path, meta, blog)
    picture_url = _picture_url(path, meta, blog)

    author_ids = _author_ids(path, meta)
    names = []
    for author_id in author_ids:
        if author_id not in authors and authors:
            problems.append(f"unknown author id '{clip(author_id)}'")
        names.append(authors.get(author_id, author_id))

    description = _text(path, meta, "description")
    description_long = _text(path, meta, "descriptionLong")
    comments_url, comments_problem = _comments_url(meta.get("commentsUrl"))
    if comments_problem:
        problems.append(comments_problem)
    if description_long is None and description is not None:
        problems.append("no descriptionLong; using description")
    elif description_long is None:
        problems.append("no description or descriptionLong")

    post_date = published_at.date()
    file_date = _file_name_date(path)
    if file_date is not None and file_date != post_date:
        problems.append(f"file name says {file_date} but date is {post_date}")

    draft = _flag(path, meta, "draft", default=False)
    draft = not _flag(path, meta, "published", default=True) or draft
    return Post(
        path=path,
        slug=slug,
        url=blog.post_url.replace("{slug}", slug),
        title=title,
        date=post_date,
        published_at=published_at,
        picture_url=picture_url,
        authors=tuple(names),
        author_ids=author_ids,
        tags=_strings(path, meta.get("tags"), "tags"),
        description=description,
        description_long=description_long or description,
        comments_url=comments_url,
        draft=draft,
        channels=_channels(path, meta, DEFAULT_CHANNEL_NAMES if channels is None else channels),
        content_hash=hashlib.sha256(raw).hexdigest(),
        problems=tuple(problems),
    )


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
        where = f"{_codepoint(control[0])} at character {control.start() + 1}"
        message = f"title contains the control character {where}; remove it"
        raise PostError(path, message, field="title")
    return title


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def _published_at(path: Path, meta: Mapping[str, Any], blog: BlogConfig) -> datetime:
    value = meta.get("date")
    hint = "use YYYY-MM-DD or an ISO 8601 date-time"
    if value is None:
        raise PostError(path, f"date is missing; {hint}", field="date")
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
        raise PostError(path, f"date is not a valid date; {hint}; got {show(value)}", field="date")
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
        message = f"date is out of range (years 1 to 9999, in UTC too); got {show(value)}"
        raise PostError(path, message, field="date") from None
    return published


def _slug(path: Path, meta: Mapping[str, Any], blog: BlogConfig) -> str:
    value = meta.get("slug")
    if value is None:
        prefix = _DATE_PREFIX if blog.slug_from_file == "strip-date" else _DIGITS_PREFIX
        slug = prefix.sub("", _POST_SUFFIX.sub("", path.name))
        origin = "the file name has no text after its date; add `slug:` to the frontmatter"
    elif isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        slug = str(value).strip().strip("/")
        origin = "set a non-empty `slug:`"
    else:
        raise PostError(path, f"slug must be text, got {kind(value)}", field="slug")
    if not slug:
        raise PostError(path, f"slug is empty ({origin})", field="slug")
    unsafe = _unsafe_segment(slug)
    if unsafe is not None:
        where = " (taken from the file name)" if value is None else ""
        message = f'slug "{clip(slug)}"{where} is not a safe URL path segment: it {unsafe}'
        raise PostError(path, message, field="slug")
    return slug


def _unsafe_segment(slug: str) -> str | None:
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
            return f"contains the control character {_codepoint(control[0])}{decoded}"
        if "/" in text or "\\" in text:
            return f'contains "/" or "\\"{decoded}'
        if text in (".", ".."):
            return f'is "{text}"{decoded}, a relative path'
    return None


def _picture_url(path: Path, meta: Mapping[str, Any], blog: BlogConfig) -> str | None:
    value = meta.get("picture")
    if value is None:
        return None
    if not isinstance(value, str):
        raise PostError(path, f"picture must be text, got {kind(value)}", field="picture")
    picture = value.strip()
    if not picture:
        return None
    if picture.lower().startswith(("http://", "https://")):
        return picture
    if blog.picture_url is None:
        return None
    return blog.picture_url.replace("{picture}", picture.lstrip("/"))


def _author_ids(path: Path, meta: Mapping[str, Any]) -> tuple[str, ...]:
    if meta.get("authors") is not None:
        return _strings(path, meta["authors"], "authors")
    return _strings(path, meta.get("author"), "author")


def _strings(path: Path, value: object, key: str) -> tuple[str, ...]:
    """A string or a list of strings (numbers allowed), stripped, empties and repeats dropped."""
    items = value if isinstance(value, list) else [value]
    out: dict[str, None] = {}
    for item in items:
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            shown = kind(value) if item is value else f"an item that is {kind(item)}"
            raise PostError(path, f"{key} must be text or a list of text, got {shown}", field=key)
        text = str(item).strip()
        if text:
            out.setdefault(text)
    return tuple(out)


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


def _comments_url(value: object) -> tuple[str | None, str | None]:
    """The normalized Discourse topic URL, or None and a problem to report."""
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, f"commentsUrl is {kind(value)}, not a URL; ignored"
    url = value.strip().rstrip("?#")
    if not url:
        return None, None
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
            return f"{parts.scheme.lower()}://{parts.netloc.lower()}/t/{slug}{match['id']}", None
    shown = clip(value.strip())
    return None, f'commentsUrl "{shown}" is not a Discourse topic URL ({reason}); ignored'


def _flag(path: Path, meta: Mapping[str, Any], key: str, *, default: bool) -> bool:
    value = meta.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise PostError(path, f"{key} must be true or false; got {show(value)}", field=key)
    return value


def _channels(path: Path, meta: Mapping[str, Any], known: Mapping[str, str]) -> frozenset[str]:
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
    channels: set[str] = set()
    for item in items:
        name = item.strip().lower() if isinstance(item, str) else None
        if name is None or name not in known:
            raise PostError(path, f"announce must be {valid}; got {show(item)}", field="announce")
        channels.add(known[name])
    return frozenset(channels)


def _file_name_date(path: Path) -> date | None:
    match = _FILE_DATE.match(path.name)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
