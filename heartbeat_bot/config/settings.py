"""The settings every part of heartbeat-bot shares, and the checks that span sections.

The channels' sections live with their channels (``heartbeat_bot/channels/<name>/settings.py``);
the whole model, :class:`~heartbeat_bot.channels.registry.Config`, adds them to this base.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from heartbeat_bot.config.approval import ApprovalConfig
from heartbeat_bot.config.blog import BlogConfig
from heartbeat_bot.config.service import AlertsConfig, GitHubConfig, ServiceConfig, StateConfig
from heartbeat_bot.config.sync import SyncConfig
from heartbeat_bot.config.web import WebConfig


class BaseConfig(BaseModel):
    """The sections shared by every part; the channel registry's ``Config`` adds one
    section per channel. Build it with ``load_config``, which also records the file it was
    read from (relative paths resolve against its folder)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    blog: BlogConfig = Field(default_factory=BlogConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    github: GitHubConfig = Field(default_factory=GitHubConfig)
    sync: SyncConfig = Field(default_factory=SyncConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    approval: ApprovalConfig = Field(default_factory=ApprovalConfig)

    # Where the file was read from: not a setting, so neither the file nor the environment
    # can set it.
    _source: Path | None = PrivateAttr(default=None)

    def read_from(self, source: Path | None) -> Self:
        """This config, told which file it came from (done once, by load_config)."""
        self._source = source
        return self

    @property
    def source(self) -> Path | None:
        """The settings file this was read from, if any."""
        return self._source

    def resolve(self, path: Path) -> Path:
        """``path`` made absolute against the config file's folder (or the working one)."""
        base = self.source.parent if self.source is not None else Path.cwd()
        return path if path.is_absolute() else (base / path)

    @property
    def posts_dir(self) -> Path:
        clone = self.git_clone_dir
        if clone is not None:
            return clone / self.blog.git_path
        return self.resolve(self.blog.posts_dir)

    def blog_file(self, path: Path | None) -> Path | None:
        """A file named by a ``[blog]`` key (``authors_file``, ``tags_file``): in the clone
        for a blog kept in git (relative to the repository root), else beside the config."""
        if path is None:
            return None
        clone = self.git_clone_dir
        return clone / path if clone is not None else self.resolve(path)

    @property
    def authors_dir(self) -> Path | None:
        if not self.blog.authors_dir:
            return None
        clone = self.git_clone_dir
        return (
            clone / self.blog.authors_dir
            if clone is not None
            else self.resolve(self.blog.authors_dir)
        )

    @property
    def git_remote(self) -> str | None:
        """blog.git_url: a URL as given, or a local path made absolute."""
        url = self.blog.git_url
        if not url or "://" in url or re.match(r"^[\w.-]+@[\w.-]+:", url):
            return url
        return str(self.resolve(Path(url)))

    @property
    def git_clone_dir(self) -> Path | None:
        """heartbeat-bot's own clone of the blog, beside the ledger."""
        remote = self.git_remote
        if remote is None:
            return None
        digest = hashlib.sha256(remote.encode("utf-8")).hexdigest()[:12]
        return self.state_path.parent / "git" / digest

    @model_validator(mode="after")
    def _one_kind_of_blog(self) -> BaseConfig:
        blog = self.blog
        if blog.feed_url is None:
            return self
        if blog.git_url:
            raise ValueError(
                "blog.feed_url and blog.git_url name two blogs: keep the one heartbeat-bot "
                "should read"
            )
        if "posts_dir" in blog.model_fields_set:
            raise ValueError(
                "blog.feed_url and blog.posts_dir name two blogs: keep the one heartbeat-bot "
                "should read"
            )
        if blog.write_back != "off":
            raise ValueError(
                f'blog.write_back must be "off" with blog.feed_url (there is no file to write '
                f'the link into; the ledger keeps it), got "{blog.write_back}"'
            )
        return self

    @model_validator(mode="after")
    def _write_back_needs_git(self) -> BaseConfig:
        mode = self.blog.write_back
        if mode in {"commit", "pull_request"} and not self.blog.git_url:
            raise ValueError(f'blog.write_back = "{mode}" needs blog.git_url')
        if mode == "file" and self.blog.git_url:
            # The clone is reset to the branch at every fetch: an edit there would vanish.
            raise ValueError(
                'blog.write_back = "file" is for a plain folder; with blog.git_url use '
                '"commit" or "pull_request"'
            )
        if mode == "pull_request" and (self.github.repository is None or self.github.token is None):
            raise ValueError(
                'blog.write_back = "pull_request" needs github.repository and github.token'
            )
        if mode == "pull_request" and self.github.pull_branch == self.blog.git_branch:
            raise ValueError(
                "github.pull_branch must differ from blog.git_branch (the pull request "
                "proposes the links to that branch)"
            )
        return self

    @property
    def state_path(self) -> Path:
        return self.resolve(self.state.path)
