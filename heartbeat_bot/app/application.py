"""Wiring shared by the entry points: config, templates and the post source, built once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from heartbeat_bot.app.redaction import register as register_secrets
from heartbeat_bot.channels import registry
from heartbeat_bot.channels.rendering import Renderers, default_templates
from heartbeat_bot.channels.settings import load_config
from heartbeat_bot.config import BaseConfig, config_path
from heartbeat_bot.errors import (
    ConfigError,
    DuplicatePost,
    HeartbeatError,
    PostError,
    RenderError,
)
from heartbeat_bot.ledger.records import PostRow
from heartbeat_bot.models import Post
from heartbeat_bot.posts import find_post, read_frontmatter
from heartbeat_bot.posts.engines import rules_for
from heartbeat_bot.render.templates import check_template
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.parse_cache import ParseCache, cache_path
from heartbeat_bot.sources.stored_post import whole

if TYPE_CHECKING:  # loaded when used: a command on a folder blog needs neither feed nor git
    from heartbeat_bot.announcer.protocols import WriteBack
    from heartbeat_bot.posts.links import LinkMismatch
    from heartbeat_bot.sources.feed import FeedSource
    from heartbeat_bot.sources.git import GitRepo


def examples_dir() -> Path:
    """The bundled example blog (real DVC posts), shipped as package data."""
    return Path(str(resources.files("heartbeat_bot").joinpath("examples")))


def folder_source(config: BaseConfig) -> FolderSource:
    """A fresh source of the blog's posts, with its author and tag files."""
    return FolderSource(
        config.posts_dir,
        config.authors_dir,
        registry.vocabulary(),
        authors_file=config.blog_file(config.blog.authors_file),
        tags_file=config.blog_file(config.blog.tags_file),
        cache=ParseCache(cache_path(config.state_path)),
    )


def load_templates(config: BaseConfig) -> dict[str, str]:
    """Each channel's template: its ``template`` file when set, else the packaged default."""
    texts = default_templates()
    for unit in registry.units():
        channel = unit.name
        override = unit.template_override(config)
        if override is None:
            continue
        path = config.resolve(override)
        try:
            texts[channel] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{channel}.template: cannot read {path} ({exc})") from exc
        try:
            check_template(texts[channel], f"{channel}.template {path}")
        except RenderError as exc:
            raise ConfigError(str(exc)) from exc
    return texts


@dataclass
class App:
    """What a command needs: settings, the post source and the renderers."""

    config: BaseConfig
    source: FolderSource | FeedSource
    render: Renderers

    repo: GitRepo | None = None

    @classmethod
    def build(cls, config_arg: str | None, *, example: bool = False) -> App:
        if example:
            config = load_config(examples_dir() / "heartbeat.toml")
        else:
            config = load_config(config_path(config_arg))
        register_secrets(config)  # masked in every log line from now on
        repo = git_repo(config)
        if repo is not None:
            repo.sync()  # posts are read from the branch tip
        source: FolderSource | FeedSource
        if config.blog.feed_url is not None:
            source = feed_source(config)
        else:
            source = folder_source(config)
            if example:  # the bundled blog's state folder is inside the package: leave it
                source.cache = None
        render = Renderers.from_config(config, load_templates(config))
        return cls(config, source, render, repo)

    def refresh(self) -> None:
        """Bring the blog up to date before a scan (a fetch, for a blog kept in git)."""
        if self.repo is not None:
            self.repo.sync()

    def scan(self) -> list[Post | PostError]:
        """Every post file's Post or PostError, each post whole (to be listed or checked);
        files the parse cache knows are not parsed, their posts read back in one pass.
        A feed's every entry, from a whole answer (FeedError when it cannot be read)."""
        if not isinstance(self.source, FolderSource):
            return self.source.scan(self.config.blog)
        items = self.source.rescan(self.config.blog).items
        read = {post.path: post for post in whole(i for i in items if isinstance(i, Post))}
        return [read[item.path] if isinstance(item, Post) else item for item in items]

    @property
    def feed(self) -> FeedSource | None:
        """The blog's feed, for a blog that publishes one (``blog.feed_url``)."""
        return None if isinstance(self.source, FolderSource) else self.source

    def link_mismatches(self, items: list[Post | PostError]) -> list[LinkMismatch]:
        """Links between the blog's posts that are not the URLs computed for their targets."""
        from heartbeat_bot.posts.links import cross_check

        if not isinstance(self.source, FolderSource):
            return []  # a feed's entries are other sites' pages: nothing to prove
        posts = [item for item in items if isinstance(item, Post)]
        bodies: dict[Path, str] = {}
        for post in posts:
            try:
                _, bodies[post.path] = read_frontmatter(post.path, self.source.read(post.path))
            except (OSError, PostError):
                continue  # changed since it was read: the next check sees it
        return cross_check(posts, bodies, rules_for(self.config.blog).site_url)

    def find(self, ref: str, *, showing: bool = False) -> Post:
        """A post named by file path, slug or public URL; PostError/HeartbeatError otherwise.

        A file of the posts folder is read with all the others: a post that shares its
        slug with another is its DuplicatePost, not a Post. A file elsewhere is read alone.
        ``showing`` (the post is only shown, never sent): the parse cache's index is
        trusted when the folder lists the same files and the one found is unchanged
        (:func:`~heartbeat_bot.sources.index_lookup.find_trusted`).
        A feed's entry is named by its link, its id (guid) or its slug.
        """
        if not isinstance(self.source, FolderSource):
            return self._find_entry(self.source, ref)
        candidate = Path(ref)
        named = candidate.suffix in {".md", ".mdx", ".markdown"} and candidate.is_file()
        if named and not _in_folder(candidate, self.config.posts_dir):
            return self.source.load(candidate, self.config.blog)
        if not named:
            indexed = self.source.lookup(ref, self.config.blog, trusting=showing)
            if indexed is not None:
                return indexed
        items = self.source.rescan(self.config.blog).items  # found by slug, URL or path
        if named:
            wanted = candidate.resolve()
            for item in items:
                if item.path.name == candidate.name and item.path.resolve() == wanted:
                    if isinstance(item, PostError):
                        raise item
                    return item
            return self.source.load(candidate, self.config.blog)  # a hidden file, say
        posts = [p for p in items if isinstance(p, Post)]
        found = find_post(posts, ref)
        held = [e for e in items if isinstance(e, DuplicatePost) and ref.strip() in (e.slug, e.url)]
        if found is None and held:
            raise held[0]
        if found is None:
            raise HeartbeatError(
                f"no post matches {ref!r} in {self.config.posts_dir} (give a file path, "
                "a slug or the post's public URL; `heartbeat-bot list` shows them)"
            )
        return found

    @property
    def origin(self) -> str:
        """Where the posts are read from: the posts folder, or the feed's URL."""
        return (
            str(self.config.posts_dir)
            if isinstance(self.source, FolderSource)
            else self.source.posts_dir
        )

    def _find_entry(self, feed: FeedSource, ref: str) -> Post:
        found = feed.find(self.scan(), ref)
        if isinstance(found, PostError):
            raise found
        if found is None:
            raise HeartbeatError(
                f"no entry of the feed {feed.posts_dir} matches {ref!r} (give its link, its id "
                "or its slug; `heartbeat-bot list` shows them)"
            )
        return feed.with_og_image(found)

    def write_back(self) -> WriteBack | None:
        """Where a new topic's URL is recorded, by ``blog.write_back``."""
        mode = self.config.blog.write_back
        if mode == "file":
            from heartbeat_bot.sources.writeback import FileWriteBack

            return FileWriteBack(self.config.blog.comments_key)
        if mode == "commit" and self.repo is not None:
            from heartbeat_bot.sources.git_writeback import CommitWriteBack

            return CommitWriteBack(self.repo, self.config.blog.comments_key)
        if mode == "pull_request" and self.repo is not None:
            return _pull_request_write_back(self.config, self.repo)
        return None

    def comments_url(self, post: Post) -> str | None:
        """The post's thread: from its frontmatter, else as recorded when it was created."""
        if post.comments_url or not self.config.state_path.exists():
            return post.comments_url
        from heartbeat_bot.ledger import Ledger

        with Ledger(self.config.state_path) as ledger:
            row = ledger.find_post(post.url)
            return row.comments_url if row else None

    def recorded(self) -> dict[str, PostRow]:
        """The ledger's posts by current URL (empty before the first command that records)."""
        if not self.config.state_path.exists():
            return {}
        from heartbeat_bot.ledger import Ledger

        with Ledger(self.config.state_path) as ledger:
            return {row.url: row for row in ledger.posts()}

    def awaiting_approval(self) -> frozenset[str]:
        """The URLs of the posts waiting for a person's decision (``[approval]``)."""
        if not self.config.state_path.exists():
            return frozenset()
        from heartbeat_bot.app.approval import awaiting
        from heartbeat_bot.ledger import Ledger

        with Ledger(self.config.state_path) as ledger:
            return awaiting(ledger)

    def baseline_urls(self) -> set[str]:
        """Posts the first ``run`` found already published (it never announces them)."""
        if not self.config.state_path.exists():
            return set()
        from heartbeat_bot.ledger import Ledger

        with Ledger(self.config.state_path) as ledger:
            return {row.url for row in ledger.posts() if row.baseline}


def _in_folder(path: Path, folder: Path) -> bool:
    """Whether ``path`` is directly in ``folder`` (both as they are, links not followed)."""
    return path.absolute().parent.resolve() == folder.resolve()


def feed_source(config: BaseConfig) -> FeedSource:
    """The source reading ``blog.feed_url``."""
    from heartbeat_bot import __version__
    from heartbeat_bot.sources.feed import FeedSource

    assert config.blog.feed_url is not None
    return FeedSource(
        config.blog.feed_url,
        timeout=config.blog.feed_timeout,
        fetch_og_image=config.blog.fetch_og_image,
        agent=f"heartbeat-bot/{__version__}",
        channels=registry.vocabulary(),
    )


def git_repo(config: BaseConfig) -> GitRepo | None:
    """heartbeat-bot's clone of ``blog.git_url`` (None for a plain folder)."""
    remote, clone = config.git_remote, config.git_clone_dir
    if remote is None or clone is None:
        return None
    from heartbeat_bot.sources.git import GitAuth, GitRepo

    token = config.github.token.get_secret_value() if config.github.token else None
    key = config.resolve(config.blog.git_ssh_key) if config.blog.git_ssh_key else None
    return GitRepo(
        remote,
        config.blog.git_branch,
        clone,
        auth=GitAuth(token=token, ssh_key=key),
        author_name=config.blog.git_author_name,
        author_email=config.blog.git_author_email,
    )


def _pull_request_write_back(config: BaseConfig, repo: GitRepo) -> WriteBack:
    from heartbeat_bot.sources.git_writeback import PullRequestWriteBack

    assert config.github.token is not None and config.github.repository is not None
    return PullRequestWriteBack(
        repo,
        config.github.pull_branch,
        api_url=config.github.api_url,
        token=config.github.token,
        repository=config.github.repository,
        key=config.blog.comments_key,
    )


def now() -> datetime:
    return datetime.now().astimezone()
