"""Jekyll (jekyllrb.com), as its documentation and source state the rules:

- Posts are ``_posts/YYYY-MM-DD-title.ext``; the file name gives the date and the
  ``:title`` (the ``slug`` front matter replaces it); a ``date`` in the front matter
  wins and is turned into the site's ``timezone`` (``Utils.parse_date`` then
  ``Time#localtime``), and ``:year/:month/:day`` come from that local date.
- URL: a post's ``permalink`` is its whole path; else the site's (or the ``posts``
  collection's) ``permalink``, by default ``date``:
  ``/:categories/:year/:month/:day/:title:output_ext``. ``:categories`` are the post's
  categories, lower-cased and joined with ``/`` (nothing when it has none).
- ``published: false`` hides a post; drafts live in ``_drafts`` (not read); a
  future-dated post is built only with ``future: true``, and announced at its date.
- Summary: ``description`` (jekyll-seo-tag), ``excerpt``, else the text before the
  ``excerpt_separator`` (default a blank line: the first paragraph).
- ``categories``/``category`` and ``tags``; picture ``image`` (a path or ``{path: }``),
  which ``defaults`` often sets for every page (``blog.default_picture``).
"""

from __future__ import annotations

from heartbeat_bot.posts.engines.rules import Preset

PRESET = Preset(
    name="jekyll",
    post_path="/{categories}/{year}/{month}/{day}/{slug}.html",
    slug_from_file="strip-date",
    recursive=False,
    url_keys=("permalink",),
    date_from_file=True,
    excerpt="first-paragraph",
    tag_keys=("categories", "category", "tags"),
    picture_keys=("image", "picture", "images", "cover", "heroImage"),
)
