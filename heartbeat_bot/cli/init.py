"""``heartbeat-bot init [PATH]``: a first config/heartbeat.toml for the site in PATH.

The engine, posts folder, base URL and URL rules come from the site's own files
(:mod:`heartbeat_bot.sources.site`); the file is written with a comment on every key,
never over an existing one, and the three newest posts are printed with their URL,
publish moment and summary for the user to check before enabling any channel.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import ConfigError, HeartbeatError, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.site import Site, detect

_COMMENTS = {
    "engine": "Site generator whose rules apply (see config/heartbeat.example.toml).",
    "posts_dir": "Folder of the post files, relative to this file.",
    "site_url": "The site's base URL; posts' url/permalink/path keys are below it.",
    "post_url": "Public URL of a post: placeholders {slug} {filename} {route} {year} "
    "{month} {day} {categories} {section}.",
    "slug_from_file": "A post without `slug` is named by its title (the pattern's :slug).",
    "timezone": "Time zone of dates written without one (the site's own setting).",
    "summary_words": "Words in an automatic summary (Hugo's summaryLength).",
    "excerpt_separators": "The text before this marker is a post's summary.",
    "site_name": "Shown in announcements (the site's own title).",
    "date_from_url": "Posts have no date key: the date is the /YYYY/MM/DD/ of their URL.",
    "default_picture": "Picture of posts that name none (a site path, or a URL; {url} is "
    "the post's URL).",
}

_TAIL = """
[state]
# SQLite file holding what was sent where.
path = "state/heartbeat.sqlite3"

# Channels stay off until you enable them; every key is documented in the example config
# shipped with heartbeat-bot (the first error message names its path).
[discourse]
enabled = false

[discord]
enabled = false

[twitter]
enabled = false
"""


def cmd_init(args: argparse.Namespace) -> int:
    if re.match(r"(?i)https?://", args.path):  # a blog that publishes a feed
        from heartbeat_bot.cli.init_feed import init_feed

        target = Path(args.config) if args.config else Path("config") / "heartbeat.toml"
        return init_feed(args.path, target)
    root = Path(args.path)
    target = Path(args.config) if args.config else root / "config" / "heartbeat.toml"
    if target.exists():
        raise HeartbeatError(f"{target} exists; it is never overwritten (remove it or edit it)")
    site = detect(root, args.site_url)
    text = config_text(site, target.parent)
    blog = _blog(site, text, target)
    items = FolderSource(site.posts_dir).scan(blog)
    undated = [i for i in items if isinstance(i, PostError) and i.field == "date"]
    if undated and len(undated) * 2 >= len(items):
        # No date keys, but the posts' own paths may hold one (the Rust blog's `path`).
        site.settings["date_from_url"] = True
        retry = FolderSource(site.posts_dir).scan(
            _blog(site, config_text(site, target.parent), target)
        )
        if sum(isinstance(i, Post) for i in retry) > sum(isinstance(i, Post) for i in items):
            items, text = retry, config_text(site, target.parent)
        else:
            del site.settings["date_from_url"]
    posts = [p for p in items if isinstance(p, Post)]
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as handle:  # never over a file made meanwhile
        handle.write(text)
    print(f"wrote {target} ({site.engine}: {'; '.join(site.notes)})")
    print(f"{len(posts)} posts in {site.posts_dir}; the newest three, as they would go out:")
    for post in sorted(posts, key=lambda p: p.published_at, reverse=True)[:3]:
        summary = " ".join((post.description_long or "(no summary)").split())
        print(f"\n  {post.title}\n  {post.url}\n  {post.published_at.isoformat()}", end="")
        print(f"  [{post.state(_now())}]\n  {summary[:160]}")
    print("\nCheck them; then set the channels in the file and run `heartbeat-bot check`.")
    return 0


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def config_text(site: Site, folder: Path) -> str:
    """The commented TOML settings for ``site``, paths relative to ``folder``."""
    lines = [
        f"# heartbeat-bot settings written by `heartbeat-bot init` for this {site.engine} site.",
        "# Read from: " + "; ".join(site.notes) + ".",
        "",
        "[blog]",
    ]
    values: dict[str, Any] = {
        "engine": site.engine,
        "posts_dir": Path(os.path.relpath(site.posts_dir.resolve(), folder.resolve())).as_posix(),
        **site.settings,
    }
    for key, value in values.items():
        comment = _COMMENTS.get(key)
        if comment:
            lines.append(f"# {comment}")
        lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n" + _TAIL


def _blog(site: Site, text: str, target: Path) -> BlogConfig:
    """The [blog] settings the text holds, checked as `load_config` would."""
    import tomllib

    data = tomllib.loads(text)["blog"]
    data["posts_dir"] = site.posts_dir
    try:
        return BlogConfig(**data)
    except ValueError as exc:
        raise ConfigError(
            f"{target}: the settings read from the site are not valid ({exc})"
        ) from exc
