"""Pure: post files to validated ``Post`` records, and looking posts up among many.

:mod:`.frontmatter` reads the YAML block, :mod:`.parse` validates it into a Post,
:mod:`.lookup` finds a post by slug, URL or file and holds posts that share a slug.
"""

from __future__ import annotations

from heartbeat_bot.posts.frontmatter import read_frontmatter
from heartbeat_bot.posts.lookup import find_post, mark_duplicates
from heartbeat_bot.posts.parse import parse_post

__all__ = [
    "find_post",
    "mark_duplicates",
    "parse_post",
    "read_frontmatter",
]
