"""The rule set of one site generator, and the settings that override it.

A :class:`Preset` is what an engine does when nobody configured anything; :func:`rules_for`
merges it with the ``[blog]`` settings, each key left unset taking the engine's value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.config.blog import Excerpt, FrontmatterFormat, SlugRule

T = TypeVar("T")
_PLACEHOLDER = re.compile(r"\{([a-z]+)\}")

# Common to every engine unless a preset says otherwise.
SUMMARY_FIELDS = ("descriptionLong", "description", "summary", "excerpt")
PICTURE_KEYS = ("picture", "image", "images", "cover", "heroImage")


@dataclass(frozen=True, slots=True)
class Preset:
    """What one engine does by itself; each field is the default of the ``[blog]`` key of
    the same name (see config/heartbeat.example.toml)."""

    name: str
    # Public URL below the site URL, with the post_url placeholders.
    post_path: str = "/blog/{slug}"
    slug_from_file: SlugRule = "keep"
    recursive: bool = True
    frontmatter_formats: tuple[FrontmatterFormat, ...] = ("yaml",)
    # Frontmatter keys holding the post's whole path below the site URL (Hugo `url`).
    url_keys: tuple[str, ...] = ()
    # A path key's value gets a trailing slash (Zola's `path`).
    url_key_slash: bool = False
    lowercase_urls: bool = False
    # The frontmatter `slug` is a route below the blog (Docusaurus), not one segment.
    slug_is_route: bool = False
    date_keys: tuple[str, ...] = ("date",)
    date_from_file: bool = False
    expiry_keys: tuple[str, ...] = ()
    summary_fields: tuple[str, ...] = SUMMARY_FIELDS
    excerpt_separators: tuple[str, ...] = ()
    excerpt: Excerpt = "none"
    tag_keys: tuple[str, ...] = ("tags",)
    # Files beside the posts (relative to posts_dir) mapping ids to names / tag labels.
    authors_file: str | None = None
    tags_file: str | None = None
    picture_keys: tuple[str, ...] = PICTURE_KEYS
    # Globs of a page bundle's own files that make its picture (Hugo's opengraph template).
    bundle_pictures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rules:
    """A preset with the settings applied: what the parser and the source follow."""

    preset: Preset
    site_url: str
    post_url: str
    slug_from_file: SlugRule
    recursive: bool
    frontmatter_formats: tuple[FrontmatterFormat, ...]
    url_keys: tuple[str, ...]
    lowercase_urls: bool
    date_keys: tuple[str, ...]
    date_from_file: bool
    expiry_keys: tuple[str, ...]
    summary_fields: tuple[str, ...]
    excerpt_separators: tuple[str, ...]
    excerpt: Excerpt
    tag_keys: tuple[str, ...]
    picture_keys: tuple[str, ...]
    bundle_pictures: tuple[str, ...]
    summary_words: int
    placeholders: frozenset[str]
    plain: bool  # post_url holds {slug} alone and nothing is lower-cased
    routed: bool  # a post's {route} is needed (in post_url, or as a Docusaurus slug)
    wants_body: bool  # an excerpt rule needs the body

    def data_file(self, blog: BlogConfig, which: str) -> Path | None:
        """``blog.authors_file`` / ``blog.tags_file``, else the preset's, under posts_dir."""
        explicit: Path | None = getattr(blog, which)
        if explicit is not None:
            return explicit
        name: str | None = getattr(self.preset, which)
        return None if name is None else blog.posts_dir / name


def _site_of(post_url: str) -> str:
    scheme, _, rest = post_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def rules_for(blog: BlogConfig) -> Rules:
    """The rules ``blog`` asks for: its engine's preset, overridden key by key."""
    known = _BY_ID.get(id(blog))
    if known is not None and known[0] is blog:  # settings are read once, parsed with often
        return known[1]
    rules = _rules(blog)
    if len(_BY_ID) > 64:
        _BY_ID.clear()
    _BY_ID[id(blog)] = (blog, rules)
    return rules


_BY_ID: dict[int, tuple[BlogConfig, Rules]] = {}


@lru_cache(maxsize=32)
def _rules(blog: BlogConfig) -> Rules:
    from heartbeat_bot.posts.engines import PRESETS

    preset = PRESETS[blog.engine]
    site = blog.site_url or (_site_of(blog.post_url) if blog.post_url else "https://example.com")
    post_url = blog.post_url or site + preset.post_path

    b = blog
    preset_lower = _or(b.lowercase_urls, preset.lowercase_urls)
    return Rules(
        preset=preset,
        site_url=site.rstrip("/"),
        post_url=post_url,
        slug_from_file=_or(b.slug_from_file, preset.slug_from_file),
        recursive=_or(b.recursive, preset.recursive),
        frontmatter_formats=_or(b.frontmatter_formats, preset.frontmatter_formats),
        url_keys=_or(b.url_keys, preset.url_keys),
        lowercase_urls=_or(b.lowercase_urls, preset.lowercase_urls),
        date_keys=_or(b.date_keys, preset.date_keys),
        date_from_file=_or(b.date_from_file, preset.date_from_file),
        expiry_keys=_or(b.expiry_keys, preset.expiry_keys),
        summary_fields=_or(b.summary_fields, preset.summary_fields),
        excerpt_separators=_or(b.excerpt_separators, preset.excerpt_separators),
        excerpt=_or(b.excerpt, preset.excerpt),
        tag_keys=_or(b.tag_keys, preset.tag_keys),
        picture_keys=_or(b.picture_keys, preset.picture_keys),
        bundle_pictures=_or(b.bundle_pictures, preset.bundle_pictures),
        summary_words=b.summary_words,
        placeholders=frozenset(_PLACEHOLDER.findall(post_url)),
        plain=set(_PLACEHOLDER.findall(post_url)) == {"slug"} and not preset_lower,
        routed="{route}" in post_url or preset.slug_is_route,
        wants_body=_or(b.excerpt, preset.excerpt) != "none"
        or bool(_or(b.excerpt_separators, preset.excerpt_separators)),
    )


def _or(value: T | None, default: T) -> T:
    return default if value is None else value


__all__ = ["PICTURE_KEYS", "SUMMARY_FIELDS", "Preset", "Rules", "rules_for"]
