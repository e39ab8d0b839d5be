"""Zola (getzola.org), as its documentation and source state the rules:

- Pages are ``content/**/*.md``, a folder page being ``name/index.md``; ``_index.md``
  files are sections, not posts. Front matter is TOML between ``+++`` lines (YAML
  between ``---`` is accepted too).
- URL: a page's ``path`` front matter is its whole path below ``base_url`` (with a
  trailing slash); else the section path and the ``slug`` (else the file or folder name,
  a leading date dropped), with a trailing slash.
- Date: ``date`` front matter, else a ``YYYY-MM-DD`` at the start of the file or folder
  name; a date without time is midnight UTC. Future pages are built at once (announced at
  their date); ``draft = true`` pages are not built.
- Summary: ``description``, else the text before ``<!-- more -->``; with neither, the
  first paragraph (heartbeat-bot's choice: Zola shows no summary, an announcement needs one).
- Taxonomies live under ``[taxonomies]`` (``taxonomies.tags``); authors ``authors``.
"""

from __future__ import annotations

from heartbeat_bot.posts.engines.rules import Preset

PRESET = Preset(
    name="zola",
    post_path="/{route}/",
    slug_from_file="strip-date",
    frontmatter_formats=("toml", "yaml"),
    url_keys=("path",),
    url_key_slash=True,
    date_from_file=True,
    excerpt_separators=("<!-- more -->",),
    excerpt="first-paragraph",
    tag_keys=("taxonomies.tags", "taxonomies.categories", "tags"),
)
