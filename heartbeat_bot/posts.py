"""Pure: the bytes of one post file, parsed and validated into a ``Post``.

No file, clock or environment is read: the caller hands in the bytes, the blog settings
and the author-id to display-name map. A file that cannot be a Post raises PostError
naming the file and, when one is to blame, the frontmatter key; notes that do not stop
the post (a malformed ``commentsUrl``, an unknown author id...) go to ``Post.problems``.
Pitfalls handled: a byte-order mark before ``---``, CRLF, later ``---`` lines in the body,
impossible YAML dates (PyYAML raises ValueError on ``2022-13-45``), alias bombs and huge
values (echoed values are cut to 60 characters; containers are named, not printed).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import CHANNELS, Channel, Post

try:  # libyaml: markedly faster than the pure-Python loader
    from yaml import CSafeLoader as _SafeBase
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeBase  # type: ignore[assignment]

MAX_TITLE = 1000  # characters, after folding whitespace
MAX_DESCRIPTION = 64 * 1024  # characters, for description and descriptionLong
SHOWN = 60  # at most this many characters of a value are echoed in a message

_CHANNEL_NAMES: dict[str, Channel] = {**{name: name for name in CHANNELS}, "x": "twitter"}
_POST_SUFFIX = re.compile(r"\.(md|mdx|markdown)$", re.IGNORECASE)
_DIGITS_PREFIX = re.compile(r"^[\d-]+")
_DATE_PREFIX = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}-")
_FILE_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?=[-.]|$)")
_FOLD = re.compile(r"[ \t\n\r\f\v\x85\u2028\u2029]+")  # line breaks and ASCII blanks, not NBSP
_TOPIC_PATH = re.compile(r"/t/(?:(?P<slug>[^/]+)/)?(?P<id>\d+)(?:/\d+)?/?")
# PyYAML's constructors leak these (not YAMLError) on bad explicit tags such as
# `!!int abc` (ValueError), `!!int` alone (IndexError), `!!bool maybe` (KeyError).
_YAML_LEAKS = (LookupError, ValueError, TypeError, AttributeError, ArithmeticError, RecursionError)


class _Loader(_SafeBase):
    """Safe YAML loader (libyaml when available) on which an impossible date stays a string."""


def _lenient_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, AttributeError, OverflowError):
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _lenient_timestamp)


# A `---` line, exactly as python-frontmatter's YAMLHandler.FM_BOUNDARY finds it.
_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)


def clip(value: object, limit: int = SHOWN) -> str:
    """``value`` as one line of at most ``limit`` characters, for messages.

    Containers are named, never printed: YAML aliases can make a tiny file expand to
    millions of items when printed.
    """
    if isinstance(value, list | dict | set | tuple):
        return _kind(value)
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text[: limit * 4].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show(value: object) -> str:
    """A value for a message: a string quoted and clipped, a container by its kind."""
    if isinstance(value, str):
        return f'"{clip(value)}"'
    return clip(value)


def _kind(value: object) -> str:
    names = {dict: "a mapping", list: "a list", bool: "true/false", type(None): "nothing"}
    name = type(value).__name__
    return names.get(type(value), f"{'an' if name[0] in 'aeiou' else 'a'} {name}")


def read_frontmatter(path: Path, raw: bytes, *, body: bool = True) -> tuple[dict[str, Any], str]:
    """The frontmatter mapping and the body, or a PostError; ``body=False`` skips copying
    the body (giving ""), a good part of the cost of scanning a large blog."""
    if b"\x00" in raw:
        raise PostError(path, "contains NUL bytes; not a text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        raise PostError(path, f"is not UTF-8 text ({where})") from exc
    text = text.removeprefix("\ufeff")
    if "\r" in text:  # rare; replace() would scan every file twice even when there is none
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    rest = text.lstrip()
    skipped_lines = text[: len(text) - len(rest)].count("\n")
    opening = _BOUNDARY.match(rest)
    if opening is None:
        raise PostError(path, "does not start with a '---' frontmatter block")
    closing = _BOUNDARY.search(rest, opening.end())  # as python-frontmatter's split()
    if closing is None:
        raise PostError(path, "frontmatter has no closing '---' line")
    fm = rest[opening.end() : closing.start()]
    first_line = skipped_lines + rest[: opening.end()].count("\n")  # 0-based line of fm[0]
    try:
        data = yaml.load(fm, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {first_line + mark.line + 1}: " if mark is not None else ""
        what = clip(exc.problem or exc.context or "syntax error", 120)
        raise PostError(path, f"frontmatter is not valid YAML ({where}{what})") from exc
    except (yaml.YAMLError, *_YAML_LEAKS) as exc:
        what = "cannot build a value: " + clip(str(exc) or type(exc).__name__, 120)
        raise PostError(path, f"frontmatter is not valid YAML ({what})") from exc
    if data is None:
        raise PostError(path, "frontmatter is empty")
    if not isinstance(data, dict):
        raise PostError(path, f"frontmatter must be a mapping of keys to values, got {_kind(data)}")
    return data, rest[closing.end() :].strip() if body else ""


def parse_post(path: Path, raw: bytes, blog: BlogConfig, authors: Mapping[str, str]) -> Post:
    """Parse one post file's bytes into a Post, or raise PostError naming the file and field.

    ``authors`` maps author ids to display names (empty when the blog has no author files).
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
        channels=_channels(path, meta),
        content_hash=hashlib.sha256(raw).hexdigest(),
        problems=tuple(problems),
    )


def _title(path: Path, meta: Mapping[str, Any]) -> str:
    value = meta.get("title")
    if value is None:
        raise PostError(path, "title is missing; add a `title:` line", field="title")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PostError(path, f"title must be text, got {_kind(value)}", field="title")
    title = _FOLD.sub(" ", str(value)).strip()
    if not title:
        raise PostError(path, "title is empty", field="title")
    if len(title) > MAX_TITLE:
        message = f"title is {len(title)} characters; at most {MAX_TITLE}"
        raise PostError(path, message, field="title")
    return title


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
        raise PostError(path, f"date is not a valid date; {hint}; got {_show(value)}", field="date")
    tz = blog.tz
    try:
        if not isinstance(moment, datetime):
            return datetime.combine(moment, blog.publish_clock, tzinfo=tz)
        if moment.tzinfo is None or moment.utcoffset() is None:
            return moment.replace(tzinfo=tz)
        return moment.astimezone(tz)
    except (ValueError, OverflowError):
        raise PostError(path, f"date is out of range; got {_show(value)}", field="date") from None


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
        raise PostError(path, f"slug must be text, got {_kind(value)}", field="slug")
    if not slug:
        raise PostError(path, f"slug is empty ({origin})", field="slug")
    if re.search(r"[\s?#]", slug):
        raise PostError(path, f'slug "{clip(slug)}" contains whitespace, "?" or "#"', field="slug")
    return slug


def _picture_url(path: Path, meta: Mapping[str, Any], blog: BlogConfig) -> str | None:
    value = meta.get("picture")
    if value is None:
        return None
    if not isinstance(value, str):
        raise PostError(path, f"picture must be text, got {_kind(value)}", field="picture")
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
            shown = _kind(value) if item is value else f"an item that is {_kind(item)}"
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
        raise PostError(path, f"{key} must be text, got {_kind(value)}", field=key)
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
        return None, f"commentsUrl is {_kind(value)}, not a URL; ignored"
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
        raise PostError(path, f"{key} must be true or false; got {_show(value)}", field=key)
    return value


def _channels(path: Path, meta: Mapping[str, Any]) -> frozenset[Channel]:
    value = meta.get("announce")
    if value is None or value is True:
        return frozenset(CHANNELS)
    if value is False:
        return frozenset()
    valid = "true, false or a list of discourse, discord, twitter (alias x)"
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise PostError(path, f"announce must be {valid}; got {_show(value)}", field="announce")
    channels: set[Channel] = set()
    for item in items:
        name = item.strip().lower() if isinstance(item, str) else None
        if name not in _CHANNEL_NAMES:
            raise PostError(path, f"announce must be {valid}; got {_show(item)}", field="announce")
        channels.add(_CHANNEL_NAMES[name])
    return frozenset(channels)


def _file_name_date(path: Path) -> date | None:
    match = _FILE_DATE.match(path.name)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def find_post(posts: Iterable[Post], ref: str) -> Post | None:
    """The post ``ref`` names: by slug (exact, then any case), public URL, or file name/stem.

    URLs match ignoring http/https, the case of the host and a trailing slash; a URL
    without a scheme (``dvc.org/blog/x``) is read as https.
    """
    candidates = list(posts)
    ref = ref.strip()
    if not ref:
        return None
    lowered = ref.lower()
    url_key = _url_key(ref if "://" in ref else f"https://{ref}")
    name = Path(ref).name
    tests = (
        lambda post: post.slug == ref,
        lambda post: post.slug.lower() == lowered,
        lambda post: url_key is not None and _url_key(post.url) == url_key,
        lambda post: name in (post.path.name, post.path.stem),
    )
    for test in tests:
        for post in candidates:
            if test(post):
                return post
    return None


def _url_key(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return parts.netloc.lower(), parts.path.rstrip("/")
