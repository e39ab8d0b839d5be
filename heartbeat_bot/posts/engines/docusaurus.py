"""Docusaurus blog plugin (docusaurus.io/docs/blog, plugin-content-blog), as its
documentation and source state the rules:

- Posts are ``blog/**/*.md(x)``, a folder post being ``name/index.md``; YAML front matter.
- URL: ``/<routeBasePath>/`` then the ``slug`` front matter (a route: one starting with
  ``/`` is from the site root), else the file path without extension, where a
  ``YYYY-MM-DD-name`` file or folder becomes ``YYYY/MM/DD/name``; no trailing slash
  unless ``trailingSlash`` is set.
- Date: ``date`` front matter, else the date in the file or folder name, 00:00 UTC when
  no time is given. Future dates are built at once (announced at their date).
- ``draft: true`` is left out of production builds; ``unlisted: true`` is built but
  hidden from lists and feeds: neither is announced.
- Summary: ``description``, else the text before ``<!-- truncate -->`` (``{/* truncate
  */}`` in MDX), else the first text line (``createExcerpt``).
- ``authors``: keys of ``blog/authors.yml`` (shown by ``name``) or inline objects;
  ``tags``: keys of ``blog/tags.yml`` (shown by ``label``) or free text, then the
  ``keywords`` meta list; picture ``image``.
"""

from __future__ import annotations

from heartbeat_bot.posts.engines.rules import Preset

TRUNCATE = ("<!-- truncate -->", "{/* truncate */}")

PRESET = Preset(
    name="docusaurus",
    post_path="/blog/{route}",
    slug_from_file="strip-date",
    slug_is_route=True,
    date_from_file=True,
    excerpt_separators=TRUNCATE,
    excerpt="first-line",
    tag_keys=("tags", "keywords"),
    authors_file="authors.yml",
    tags_file="tags.yml",
    picture_keys=("image", "picture", "images", "cover", "heroImage"),
)
