"""``[blog]``: where posts live and how the site turns them into public URLs."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from heartbeat_bot.config.fields import (
    FeedSeconds,
    LongWaitSeconds,
    PollSeconds,
    Section,
    check_branch,
    check_email,
    check_folder_in_repository,
    check_one_line,
    check_person_name,
    show,
)
from heartbeat_bot.config.urls import (
    PICTURE_PLACEHOLDERS,
    check_git_remote,
    check_http_url,
    check_post_url_pattern,
    check_url_pattern,
)

Engine = Literal["gatsby", "hugo", "jekyll", "docusaurus", "zola", "eleventy", "astro", "custom"]
SlugRule = Literal["strip-digits", "strip-date", "keep", "title"]
Excerpt = Literal["none", "first-paragraph", "first-line", "blocks"]
FrontmatterFormat = Literal["yaml", "toml", "json"]
_KEY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


class BlogConfig(Section):
    """Where posts live and how the site turns them into public URLs."""

    # The site generator whose rules apply (heartbeat_bot.posts.engines); every key below
    # left unset (None) takes the engine's value.
    engine: Engine = "gatsby"
    posts_dir: Path = Path("posts")
    site_url: str | None = None
    post_url: str | None = None
    # How a file name becomes a slug: drop its leading digits and dashes (dvc.org,
    # Gatsby-style: 2023-12-31-2024-plans.md -> plans), only a leading date
    # (Jekyll-style: 2023-12-31-2024-plans.md -> 2024-plans), nothing, or the title urlized.
    slug_from_file: SlugRule | None = None
    recursive: bool | None = None
    frontmatter_formats: tuple[FrontmatterFormat, ...] | None = None
    url_keys: tuple[str, ...] | None = None
    lowercase_urls: bool | None = None
    date_keys: tuple[str, ...] | None = None
    date_from_file: bool | None = None
    date_from_url: bool = False
    expiry_keys: tuple[str, ...] | None = None
    summary_fields: tuple[str, ...] | None = None
    excerpt_separators: tuple[str, ...] | None = None
    excerpt: Excerpt | None = None
    summary_words: Annotated[int, Field(ge=1, le=10_000)] = 70
    tag_keys: tuple[str, ...] | None = None
    tags_file: Path | None = None
    authors_file: Path | None = None
    author_links: bool = False
    picture_keys: tuple[str, ...] | None = None
    bundle_pictures: tuple[str, ...] | None = None
    default_picture: str | None = None
    picture_url: str | None = None
    authors_dir: Path | None = None
    comments_key: str = "commentsUrl"
    timezone: str = "UTC"
    publish_time: str = "00:00"
    site_name: str = "the blog"
    write_back: Literal["off", "file", "commit", "pull_request"] = "off"
    # A blog kept in git: its URL (or a local path), branch, and the posts folder in it.
    git_url: str | None = None
    git_branch: str = "main"
    git_path: str = ""
    git_ssh_key: Path | None = None
    git_author_name: str = "heartbeat-bot"
    git_author_email: str = "heartbeat-bot@users.noreply.github.com"
    poll_interval: PollSeconds = 60.0
    require_live: bool = False
    live_timeout: LongWaitSeconds = 1800.0
    # A blog that publishes a feed (RSS, Atom or JSON Feed) instead of files.
    feed_url: str | None = None
    feed_timeout: FeedSeconds = 30.0
    fetch_og_image: bool = False

    @field_validator("post_url")
    @classmethod
    def _post_url_pattern(cls, value: str | None) -> str | None:
        return None if value is None else check_post_url_pattern(value)

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, value: str | None) -> str | None:
        return None if value is None else check_http_url(value, base=True).rstrip("/")

    @field_validator("default_picture")
    @classmethod
    def _default_picture(cls, value: str | None) -> str | None:
        if value is None or value.startswith("/"):
            return value
        if value.startswith("{url}"):  # beside the post: "{url}/og-image.png"
            check_post_url_pattern("https://x.example" + value, PICTURE_PLACEHOLDERS)
            return value
        return check_post_url_pattern(value, PICTURE_PLACEHOLDERS)

    @field_validator(
        "url_keys",
        "date_keys",
        "expiry_keys",
        "summary_fields",
        "tag_keys",
        "picture_keys",
    )
    @classmethod
    def _key_names(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for name in value or ():
            if not _KEY_NAME.fullmatch(name):
                raise ValueError(f"must list frontmatter key names, got {show(name)}")
        return value

    @field_validator("comments_key")
    @classmethod
    def _comments_key(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", value):
            raise ValueError(f"must be a plain frontmatter key name, got {show(value)}")
        return value

    @field_validator("picture_url")
    @classmethod
    def _picture_url_pattern(cls, value: str | None) -> str | None:
        return None if value is None else check_url_pattern(value, "picture")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f'must be an IANA time zone name such as "Europe/Paris", got {show(value)}'
            ) from None
        return value

    @field_validator("publish_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError(f'must be "HH:MM" (24-hour), got {show(value)}')
        return value

    @field_validator("site_name")
    @classmethod
    def _site_name(cls, value: str) -> str:
        check_one_line(value)
        return value

    @field_validator("feed_url")
    @classmethod
    def _feed_url(cls, value: str | None) -> str | None:
        return None if value is None else check_http_url(value, credentials=None)

    @field_validator("git_url")
    @classmethod
    def _git_remote(cls, value: str | None) -> str | None:
        return None if value is None else check_git_remote(value)

    @field_validator("git_branch")
    @classmethod
    def _git_branch(cls, value: str) -> str:
        return check_branch(value)

    @field_validator("git_path")
    @classmethod
    def _git_path(cls, value: str) -> str:
        return check_folder_in_repository(value)

    @field_validator("git_author_name")
    @classmethod
    def _author_name(cls, value: str) -> str:
        return check_person_name(value)

    @field_validator("git_author_email")
    @classmethod
    def _author_email(cls, value: str) -> str:
        return check_email(value)

    @model_validator(mode="after")
    def _custom_needs_post_url(self) -> BlogConfig:
        if self.engine == "custom" and self.post_url is None:
            raise ValueError('post_url must be set when engine = "custom" (no preset gives one)')
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def publish_clock(self) -> time:
        hours, minutes = self.publish_time.split(":")
        return time(int(hours), int(minutes))
