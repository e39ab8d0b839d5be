"""Eleventy (11ty.dev), as its documentation and source state the rules:

- Templates are any ``*.md`` under the input folder; front matter YAML (``---``) or
  JSON (``---json``).
- URL: ``permalink`` is the whole path; else the input-relative path without extension
  (file name kept whole, dates included) with a trailing slash: ``blog/x.md`` ->
  ``/blog/x/``. Hosts with clean URLs often drop the slash: set ``post_url``.
  ``permalink: false`` writes no page (such a post is never announced).
- Date: ``date`` front matter (a YAML date without zone is UTC), else a ``YYYY-MM-DD``
  in the file name. Drafts: ``draft: true`` (the documented draft recipe).
- No summary of its own beyond the ``description`` data a layout shows (the excerpt
  option is off by default); ``tags`` as given.
"""

from __future__ import annotations

from heartbeat_bot.posts.engines.rules import Preset

PRESET = Preset(
    name="eleventy",
    post_path="/blog/{route}/",
    slug_from_file="keep",
    frontmatter_formats=("yaml", "json"),
    url_keys=("permalink",),
    date_from_file=True,
)
