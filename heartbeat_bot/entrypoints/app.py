"""Wiring shared by the entry points: config, templates and the post source, built once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from heartbeat_bot.announcer.protocols import WriteBack
from heartbeat_bot.config import Config, config_path, load_config
from heartbeat_bot.errors import ConfigError, HeartbeatError, PostError, RenderError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import find_post
from heartbeat_bot.render import RenderSettings
from heartbeat_bot.render.templates import Templates, check_template
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.writeback import FileWriteBack


def examples_dir() -> Path:
    """The bundled example blog (real DVC posts), shipped as package data."""
    return Path(str(resources.files("heartbeat_bot").joinpath("examples")))


def load_templates(config: Config) -> Templates:
    """Each channel's template: its ``template`` file when set, else the packaged default."""
    defaults = Templates.defaults()
    texts: dict[str, str] = {}
    for channel in ("discourse", "discord", "twitter"):
        override = getattr(config, channel).template
        if override is None:
            texts[channel] = getattr(defaults, channel)
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
    return Templates(**texts)


@dataclass
class App:
    """What a command needs: settings, the post source and the renderers."""

    config: Config
    source: FolderSource
    render: RenderSettings

    @classmethod
    def build(cls, config_arg: str | None, *, example: bool = False) -> App:
        if example:
            config = load_config(examples_dir() / "heartbeat.toml")
        else:
            config = load_config(config_path(config_arg))
        source = FolderSource(config.posts_dir, config.authors_dir)
        return cls(config, source, RenderSettings.from_config(config, load_templates(config)))

    def scan(self) -> list[Post | PostError]:
        return self.source.scan(self.config.blog)

    def find(self, ref: str) -> Post:
        """A post named by file path, slug or public URL; PostError/HeartbeatError otherwise."""
        candidate = Path(ref)
        if candidate.suffix in {".md", ".mdx", ".markdown"} and candidate.is_file():
            return self.source.load(candidate, self.config.blog)
        posts = [p for p in self.scan() if isinstance(p, Post)]
        found = find_post(posts, ref)
        if found is None:
            raise HeartbeatError(
                f"no post matches {ref!r} in {self.config.posts_dir} (give a file path, "
                "a slug or the post's public URL; `heartbeat-bot list` shows them)"
            )
        return found

    def write_back(self) -> WriteBack | None:
        """Where a new topic's URL is recorded, by ``blog.write_back``."""
        if self.config.blog.write_back == "file":
            return FileWriteBack()
        return None

    def comments_url(self, post: Post) -> str | None:
        """The post's thread: from its frontmatter, else as recorded when it was created."""
        if post.comments_url or not self.config.state_path.exists():
            return post.comments_url
        from heartbeat_bot.ledger import Ledger

        with Ledger(self.config.state_path) as ledger:
            row = ledger.find_post(post.url)
            return row.comments_url if row else None

    def baseline_urls(self) -> set[str]:
        """Posts the first ``run`` found already published (it never announces them)."""
        if not self.config.state_path.exists():
            return set()
        from heartbeat_bot.ledger import Ledger

        with Ledger(self.config.state_path) as ledger:
            return {row.url for row in ledger.posts() if row.baseline}


def now() -> datetime:
    return datetime.now().astimezone()
