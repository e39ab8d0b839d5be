"""Hugo (gohugo.io), as its documentation and source state the rules:

- Front matter: YAML ``---``, TOML ``+++`` or JSON ``{ }`` (content-management/front-matter).
- URL: a page's ``url`` is its whole path below ``baseURL``, used as written; else the
  section's ``permalinks`` pattern; else the content path (section folders, then the
  ``slug`` or the file name, a page bundle ``x/index.md`` by its folder ``x``),
  lower-cased (``disablePathToLower`` is false by default) with a trailing slash. In a
  permalink, ``:slug`` is the ``slug`` or, without one, the title urlized: ``init``
  sets ``slug_from_file = "title"`` for such patterns.
- Dates (config/front matter defaults): the publish moment is ``publishDate`` (aliases
  ``pubdate``), else ``date``; ``expiryDate`` (``unpublishdate``) removes the page;
  ``buildFuture`` and ``buildExpired`` are false, so a future page appears only at its
  date. A date without a zone is read in the site's ``timeZone`` (UTC by default).
- Drafts: ``draft: true`` (``buildDrafts`` is false).
- Summary (content-management/summaries): ``summary`` front matter, else the text
  before ``<!--more-->``, else whole blocks until ``summaryLength`` (70) words.
- Taxonomies ``tags`` and ``categories``, then the ``keywords`` meta list; the Open
  Graph template's picture is ``images[0]``, else a bundle image matching ``*feature*``,
  then ``*cover*`` or ``*thumbnail*``, else the site's ``params.images``
  (``blog.default_picture``).
"""

from __future__ import annotations

from heartbeat_bot.posts.engines.rules import SUMMARY_FIELDS, Preset

PRESET = Preset(
    name="hugo",
    post_path="/blog/{route}/",
    slug_from_file="keep",
    frontmatter_formats=("yaml", "toml", "json"),
    url_keys=("url",),
    lowercase_urls=True,
    date_keys=("publishDate", "publishdate", "pubdate", "date"),
    expiry_keys=("expiryDate", "expirydate", "unpublishdate"),
    summary_fields=SUMMARY_FIELDS,
    excerpt_separators=("<!--more-->",),
    excerpt="blocks",
    tag_keys=("tags", "categories", "keywords"),
    picture_keys=("images", "image", "picture", "cover", "heroImage"),
    bundle_pictures=("*feature*", "*cover*", "*thumbnail*"),
)
