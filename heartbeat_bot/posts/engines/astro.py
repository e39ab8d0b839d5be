"""Astro content collections as the official blog template sets them up
(``src/content/blog``, its ``content.config.ts`` schema and ``[...slug].astro``):

- Posts are ``src/content/blog/**/*.md(x)``, a folder post being ``name/index.md``;
  YAML front matter; the entry id is the path without extension.
- URL: ``/blog/<id>/``; a ``slug`` front matter replaces the id's last part.
- Date: ``pubDate`` (``publishDate``, ``date`` also read), a date alone at 00:00 UTC;
  ``draft: true`` is the usual filter.
- Summary: ``description``; picture ``heroImage`` (then the other usual keys).
"""

from __future__ import annotations

from heartbeat_bot.posts.engines.rules import Preset

PRESET = Preset(
    name="astro",
    post_path="/blog/{route}/",
    slug_from_file="keep",
    date_keys=("pubDate", "publishDate", "date"),
    picture_keys=("heroImage", "image", "picture", "images", "cover"),
)
