"""A real blog folder, settings pointing at a running sandbox, and the real wiring."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heartbeat_bot.announcer import PostReport
from heartbeat_bot.app.application import App
from heartbeat_bot.app.wiring import announcer_for, open_ledger
from heartbeat_bot.ledger import Ledger
from tests.conftest import DVC_AUTHORS, DVC_POSTS

# A post without commentsUrl (so a topic is created) and one that names its topic.
NEW_POST = "2023-12-11-dvc-git-lfs.md"
LINKED_POST = "2022-04-15-april-22-heartbeat.md"


@dataclass
class Blog:
    root: Path
    config: Path

    @property
    def posts(self) -> Path:
        return self.root / "posts"

    def app(self) -> App:
        return App.build(str(self.config))

    def ledger(self) -> Ledger:
        return Ledger(self.app().config.state_path)

    def announce(self, *refs: str, **options: Any) -> list[PostReport]:
        """Announce posts in-process through the same wiring the CLI uses."""
        return asyncio.run(_announce(self.app(), refs, options))


async def _announce(app: App, refs: tuple[str, ...], options: dict[str, Any]) -> list[PostReport]:
    options.setdefault("max_wait", 10.0)
    reports = []
    with open_ledger(app.config) as ledger:
        async with announcer_for(app, ledger) as announcer:
            for ref in refs:
                reports.append(await announcer.announce(app.find(ref), **options))
    return reports


def active(report: PostReport) -> dict[str, Any]:
    """The report's outcomes of the channels the settings enable (a channel named by
    ``only`` but not enabled is reported "skipped: not enabled")."""
    return {c: o for c, o in report.outcomes.items() if o.note != "not enabled"}


def make_blog(
    root: Path,
    sandbox: Any,
    *,
    posts: tuple[str, ...] = (NEW_POST, LINKED_POST),
    mode: str = "bot",
    channels: tuple[str, ...] = ("discourse", "discord", "twitter"),
    overrides: dict[str, dict[str, Any]] | None = None,
) -> Blog:
    """A blog folder with copies of corpus posts and settings for ``sandbox``."""
    (root / "posts").mkdir(parents=True)
    for name in posts:
        shutil.copy(DVC_POSTS / name, root / "posts" / name)
    creds = sandbox.credentials
    sections: dict[str, dict[str, Any]] = {
        "blog": {
            "posts_dir": "posts",
            "authors_dir": str(DVC_AUTHORS),
            "post_url": "https://dvc.org/blog/{slug}",
            "picture_url": "https://dvc.org/blog/images/{picture}",
            "site_name": "DVC",
        },
        "state": {"path": "state/heartbeat.sqlite3"},
        "discourse": {
            "enabled": "discourse" in channels,
            "url": sandbox.discourse_url,
            "api_username": creds.discourse_api_username,
            "api_key": creds.discourse_api_key,
            "category": 7,
        },
        "discord": {
            "enabled": "discord" in channels,
            "mode": mode,
            "api_url": sandbox.discord_api_url,
            "gateway_url": sandbox.discord_gateway_url,
            "bot_token": creds.discord_bot_token,
            "channel_id": creds.discord_channel_id,
            "guild_id": creds.discord_guild_id,
            "webhook_url": sandbox.discord_webhook_url,
        },
        "twitter": {
            "enabled": "twitter" in channels,
            "api_url": sandbox.x_api_url,
            "consumer_key": creds.twitter_consumer_key,
            "consumer_secret": creds.twitter_consumer_secret,
            "access_token": creds.twitter_access_token,
            "access_token_secret": creds.twitter_access_token_secret,
        },
        "mastodon": {
            "enabled": "mastodon" in channels,
            "url": sandbox.mastodon_url,
            "access_token": creds.mastodon_access_token,
        },
        "webhook": {
            "enabled": "webhook" in channels,
            "url": sandbox.webhook_url,
            "secret": creds.webhook_secret,
        },
        "bluesky": {
            "enabled": "bluesky" in channels,
            "url": sandbox.bluesky_url,
            "handle": creds.bluesky_handle,
            "app_password": creds.bluesky_app_password,
            "card_picture": False,  # the corpus pictures are not on loopback
        },
    }
    for section, values in (overrides or {}).items():
        sections.setdefault(section, {}).update(values)
    config = root / "heartbeat.toml"
    config.write_text(_toml(sections), encoding="utf-8")
    return Blog(root, config)


def _toml(sections: dict[str, dict[str, Any]]) -> str:
    import json

    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        for key, value in values.items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, int | float | list):
                lines.append(f"{key} = {json.dumps(value)}")
            else:
                lines.append(f"{key} = {json.dumps(str(value))}")
        lines.append("")
    return "\n".join(lines)
