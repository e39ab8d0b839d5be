"""``[blog]``: where posts live and how the site turns them into public URLs."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator

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
from heartbeat_bot.config.urls import check_git_remote, check_http_url, check_url_pattern


class BlogConfig(Section):
    """Where posts live and how the site turns them into public URLs."""

    posts_dir: Path = Path("posts")
    post_url: str = "https://example.com/blog/{slug}"
    # How a file name becomes a slug: drop its leading digits and dashes (dvc.org,
    # Gatsby-style: 2023-12-31-2024-plans.md -> plans), or only a leading date
    # (Jekyll/Hugo-style: 2023-12-31-2024-plans.md -> 2024-plans).
    slug_from_file: Literal["strip-digits", "strip-date"] = "strip-digits"
    picture_url: str | None = None
    authors_dir: Path | None = None
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
    def _post_url_pattern(cls, value: str) -> str:
        return check_url_pattern(value, "slug")

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

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def publish_clock(self) -> time:
        hours, minutes = self.publish_time.split(":")
        return time(int(hours), int(minutes))
