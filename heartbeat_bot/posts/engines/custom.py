"""No engine: nothing assumed beyond reading the common keys. ``blog.post_url`` must be
set; every other rule is a ``[blog]`` key (see config/heartbeat.example.toml)."""

from __future__ import annotations

from heartbeat_bot.posts.engines.rules import Preset

PRESET = Preset(
    name="custom",
    post_path="/{slug}",
    slug_from_file="keep",
    recursive=False,
    frontmatter_formats=("yaml", "toml", "json"),
)
