"""Frozen records shared by every layer: the Post and what a service created for it.

Each channel's payload record lives with its renderer, in ``channels/<name>/render.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

PostState = Literal["published", "scheduled", "draft", "unlisted", "expired"]
# States in which a post is never announced, whatever the clock says.
HIDDEN_STATES: frozenset[str] = frozenset({"draft", "unlisted", "expired"})


# Values many posts share (channel sets, tag and author tuples, summary sources), kept once:
# a blog of 50,000 posts holds one set of channels, not 50,000 equal ones.
_SHARED: dict[object, object] = {}
_SHARED_FIELDS = ("authors", "author_ids", "tags", "channels", "problems", "summary_source")


@dataclass(frozen=True, slots=True)
class Post:
    """One blog post, parsed and validated.

    ``published_at`` is timezone-aware. ``description_long`` already falls back to
    ``description``. ``comments_url`` is only set when it is a valid Discourse topic URL;
    a malformed one is kept out and described in ``problems``.
    ``channels`` is the set of channel names the frontmatter ``announce`` key allows (every
    channel the parser was told of by default, empty for ``announce: false``).
    ``expires_at`` (Hugo's ``expiryDate``) is when the post is taken down; ``unlisted``
    posts (Docusaurus) are built but kept out of lists and feeds: neither is announced.
    ``summary_source`` says where ``description_long`` came from (a frontmatter key, an
    excerpt rule), for ``list`` and ``preview``.
    """

    path: Path
    slug: str
    url: str
    title: str
    date: date
    published_at: datetime
    picture_url: str | None
    authors: tuple[str, ...]
    author_ids: tuple[str, ...]
    tags: tuple[str, ...]
    description: str | None
    description_long: str | None
    comments_url: str | None
    draft: bool
    channels: frozenset[str]
    content_hash: str
    problems: tuple[str, ...] = ()
    expires_at: datetime | None = None
    unlisted: bool = False
    summary_source: str | None = None
    updated_at: datetime | None = None
    """When the post was last changed, where its source says (a feed entry's ``updated``)."""

    def __post_init__(self) -> None:
        for name in _SHARED_FIELDS:
            object.__setattr__(self, name, shared(getattr(self, name)))

    def state(self, now: datetime) -> PostState:
        """Whether the post is a draft, unlisted, expired, due later, or live at ``now``."""
        if self.draft:
            return "draft"
        if self.unlisted:
            return "unlisted"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "published" if self.published_at <= now else "scheduled"

    def summary(self) -> dict[str, Any]:
        """The post as plain JSON values (the ``post`` object of ``preview --json``)."""
        return {
            "slug": self.slug,
            "url": self.url,
            "title": self.title,
            "published_at": self.published_at.isoformat(),
            "comments_url": self.comments_url,
            "picture_url": self.picture_url,
            "authors": list(self.authors),
            "tags": list(self.tags),
        }


@dataclass(frozen=True)
class Sent:
    """What a service created: its id and, when it has one, a public URL."""

    remote_id: str
    url: str | None = None


def shared(value: Any) -> Any:
    """The one kept copy of a value many posts hold (``value`` itself the first time)."""
    return _SHARED.setdefault(value, value)
