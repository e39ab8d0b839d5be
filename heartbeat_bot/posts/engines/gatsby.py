"""Gatsby blogs shaped like dvc.org: heartbeat-bot's behaviour before engines existed.

Gatsby itself has no blog rules: its starters build pages from whatever Markdown fields a
site's ``gatsby-node.js`` reads. This preset is the dvc.org one: posts are the files
directly in the posts folder, ``YYYY-MM-DD-name.md`` gives the slug ``name`` (leading
digits and dashes dropped), the URL is ``/blog/{slug}``, the summary is
``descriptionLong`` (else ``description``), the picture is ``picture`` relative to
``blog.picture_url`` and authors are ids of ``blog.authors_dir/<id>.md`` files.
"""

from __future__ import annotations

from heartbeat_bot.posts.engines.rules import Preset

PRESET = Preset(
    name="gatsby",
    post_path="/blog/{slug}",
    slug_from_file="strip-digits",
    recursive=False,
    picture_keys=("picture",),
)
