"""Discourse's own rules for a new topic, restated from its source for the fake Discourse.

From discourse/discourse: ``DiscourseTagging.clean_tag``, ``Slug.for``, the Topic and
Post validations (default site settings) and ``TopicEmbed``'s URL matching. Messages are
the ones Discourse answers, so client code that matches them is tested for real.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MIN_TITLE = 15
MAX_TITLE = 255
MIN_FIRST_POST = 20
MAX_POST = 32000
MAX_TAGS = 5
MAX_TAG_LENGTH = 20
MAX_EXTERNAL_ID = 50
CATEGORIES = {
    1: "Uncategorized",
    2: "Site Feedback",
    3: "Staff",
    4: "Lounge",
    5: "General",
    6: "Announcements",
    7: "Blog",
    8: "Support",
    9: "Development",
    10: "Community",
}

# DiscourseTagging::TAGS_FILTER_REGEXP: characters a tag name may not hold.
_TAG_FILTER = re.compile(r"[/?#\[\]@!$&'()*+,;=.%\\`^\s|{}\"<>]+")
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9_-]+")
# Ruby's [[:punct:]] (Onigmo) also takes these ASCII symbols.
_RUBY_PUNCT_SYMBOLS = set("$+<=>^`|~")


def _is_word_or_punct(char: str) -> bool:
    """Ruby's ``[[:word:][:punct:]]``: letters, marks, digits, connectors, punctuation."""
    category = unicodedata.category(char)
    return category[0] in "LMP" or category == "Nd" or char == "_" or char in _RUBY_PUNCT_SYMBOLS


def clean_tag(name: str) -> str:
    """The tag name Discourse stores for ``name`` (``DiscourseTagging.clean_tag``)."""
    tag = name.lower().strip()
    tag = re.sub(r"\s+", "-", tag)
    tag = "".join(char for char in tag if _is_word_or_punct(char))
    tag = re.sub(r"-{2,}", "-", tag)
    tag = _TAG_FILTER.sub("", tag)
    return tag[:MAX_TAG_LENGTH]


def clean_tags(names: Iterable[Any]) -> list[str]:
    """Cleaned, de-duplicated, non-empty tag names in the order given."""
    cleaned: list[str] = []
    for name in names:
        if isinstance(name, dict):  # the newest controller also takes {"name": ...}
            name = name.get("name", "")
        tag = clean_tag(str(name))
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def slugify(title: str) -> str:
    """``Slug.for`` with the default ASCII generator: "topic" when nothing is left."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9\s-]", "", text.lower())
    text = re.sub(r"[\s-]+", "-", text).strip("-")
    return text[:100].strip("-") or "topic"


def squish_title(title: str) -> str:
    """Discourse strips a title and squeezes its inner whitespace before validating it."""
    return re.sub(r"\s+", " ", title).strip()


def embed_key(url: str) -> str:
    """How the embed widget matches URLs: lower-case, no trailing slash, http == https."""
    return re.sub(r"^https?://", "", url.strip().lower()).rstrip("/")


@dataclass(frozen=True)
class NewTopic:
    """A create request, read from JSON or form fields."""

    title: str
    raw: str
    category: Any = None
    tags: tuple[str, ...] = ()
    tag_count: int = 0
    external_id: str | None = None
    embed_url: str | None = None


def category_id(value: Any) -> int | None:
    """The category id Discourse would use, or None when it names no known category."""
    if value is None or value == "":
        return 1  # no category: Uncategorized
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        number = int(value)
        return number if number in CATEGORIES else None
    return None


def topic_errors(topic: NewTopic, existing: list[dict[str, Any]]) -> list[str]:
    """Every validation message Discourse would answer for ``topic`` (empty: valid)."""
    errors: list[str] = []
    title = topic.title
    if not title:
        errors.append("Title can't be blank")
    elif len(title) < MIN_TITLE:
        errors.append(f"Title is too short (minimum is {MIN_TITLE} characters)")
    elif len(title) > MAX_TITLE:
        errors.append(f"Title is too long (maximum is {MAX_TITLE} characters)")
    elif any(t["title"].lower() == title.lower() for t in existing):
        errors.append("Title has already been used")
    errors.extend(body_errors(topic.raw))
    if category_id(topic.category) is None:
        errors.append("Category can't be blank")
    if topic.tag_count > MAX_TAGS:
        errors.append(f"You can only apply up to {MAX_TAGS} tags to a topic.")
    if topic.external_id is not None:
        external = topic.external_id
        if len(external) > MAX_EXTERNAL_ID:
            errors.append(f"External is too long (maximum is {MAX_EXTERNAL_ID} characters)")
        elif not _EXTERNAL_ID.fullmatch(external):
            errors.append("External is invalid")
        elif any((t["external_id"] or "").lower() == external.lower() for t in existing):
            errors.append("External has already been taken")
    if topic.embed_url:
        key = embed_key(topic.embed_url)
        if any(t["embed_url"] and embed_key(t["embed_url"]) == key for t in existing):
            errors.append("Embed url has already been taken")
    return errors


def body_errors(raw: str) -> list[str]:
    """Length checks of a post body (``min_first_post_length``/``min_post_length``: 20)."""
    length = len(raw.strip())
    if length < MIN_FIRST_POST:
        return [f"Body is too short (minimum is {MIN_FIRST_POST} characters)"]
    if length > MAX_POST:
        return [f"Body is too long (maximum is {MAX_POST} characters)"]
    return []


def now_iso() -> str:
    """A timestamp the way Discourse's JSON writes it: UTC, milliseconds, "Z"."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def post_object(
    post_id: int, topic: dict[str, Any], number: int, raw: str, username: str
) -> dict[str, Any]:
    """A post as Discourse returns it (the create answer is the first post)."""
    now = now_iso()
    return {
        "id": post_id,
        "name": "Heartbeat Bot",
        "username": username,
        "avatar_template": "/letter_avatar_proxy/v4/letter/h/8c91f0/{size}.png",
        "created_at": now,
        "updated_at": now,
        "cooked": f"<p>{html.escape(raw)}</p>",
        "post_number": number,
        "post_type": 1,
        "reply_count": 0,
        "reply_to_post_number": None,
        "topic_id": topic["id"],
        "topic_slug": topic["slug"],
        "display_username": "Heartbeat Bot",
        "version": 1,
        "user_id": 2,
        "staff": True,
        "admin": True,
        "moderator": False,
    }


def topic_object(topic: dict[str, Any], username: str) -> dict[str, Any]:
    """A topic as ``GET /t/{id}.json`` returns it (the fields clients read)."""
    first = post_object(topic["post_id"], topic, 1, topic["raw"], username)
    return {
        "id": topic["id"],
        "title": topic["title"],
        "fancy_title": html.escape(topic["title"]),
        "slug": topic["slug"],
        "posts_count": topic["posts_count"],
        "reply_count": topic["posts_count"] - 1,
        "category_id": topic["category"],
        "tags": list(topic["tags"]),
        "external_id": topic["external_id"],
        "created_at": topic["created_at"],
        "archetype": "regular",
        "visible": True,
        "closed": False,
        "archived": False,
        "post_stream": {"posts": [first], "stream": [topic["post_id"]]},
        "details": {"created_by": {"username": username}},
    }
