"""The engines corpus (../shared/corpus/engines/): each site, its manifest, and the few
settings a person sets by hand because the rule lives outside the generator's files.

Per-site settings beyond ``init``'s output, and why:

- Flux: ``site_url = "https://fluxcd.io"`` (its hugo.yaml says ``baseURL: /``; ``init
  --site-url``), as for Electron and pnpm, whose docusaurus.config.ts (code) is not copied.
- OpenTelemetry: ``author_links = true`` (Docsy shows the names its Markdown links carry).
- Zola (Rust blog): ``date_from_url = true`` (no date key: its templates read the date
  from the ``path``; ``init`` finds this by itself) and ``default_picture`` (a fixed
  og:image in ``templates/headers.html``).
- Electron: ``default_picture = "{url}/og-image.png"`` (a site plugin renders one per post).
- pnpm: ``default_picture`` (``themeConfig.image`` in docusaurus.config.ts).
- V8 (Eleventy): ``post_url`` without the trailing slash (its host serves clean URLs).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.render.text import markdown_to_plain
from heartbeat_bot.sources.folder import FolderSource
from tests.conftest import CORPUS

ENGINES = CORPUS / "engines"


@dataclass(frozen=True)
class Site:
    """One site folder of the corpus: its engine, its posts folder and hand-set settings."""

    name: str
    engine: str
    root: str  # the site folder, relative to ENGINES / engine
    posts: str  # the posts folder, relative to the site folder
    by_hand: dict[str, Any] = field(default_factory=dict)  # beyond init's output
    config_from: str | None = None  # another folder holding the site config
    images: tuple[str, ...] = ()  # bundle images the corpus left out (text only)
    init_at: str = ""  # the site's own folder (where its config is), for `init`
    site_url: str | None = None  # `init --site-url`, where the site's config gives none

    @property
    def folder(self) -> Path:
        return ENGINES / self.engine / self.root

    def manifest_posts(self) -> list[dict[str, Any]]:
        data = json.loads((ENGINES / self.engine / "manifest.json").read_text(encoding="utf-8"))
        prefix = self.root + "/"
        return [p for p in data["posts"] if p["corpus_path"].startswith(prefix)]


AS_OF = datetime.fromisoformat("2026-12-01T00:00:00+00:00")

SITES = (
    Site(
        "flux",
        "hugo",
        "fluxcd-website",
        "content/en/blog",
        {"site_url": "https://fluxcd.io"},
        site_url="https://fluxcd.io",
        images=(
            "2020-12-01-december-update/featured-image.png",
            "2022-03-25-putting-the-git-into-gitops/featured-git.png",
            "2023-03-01-february-update/flux-logo-featured.png",
            "2024-09-30-announcing-flux-v2.4.0/featured-image.png",
        ),
    ),
    Site("opentelemetry", "hugo", "opentelemetry.io", "content/en/blog", {"author_links": True}),
    Site(
        "opentelemetry-draft",
        "hugo",
        "opentelemetry.io@307e0506",
        "content/en/blog",
        {"author_links": True},
        config_from="opentelemetry.io",
    ),
    Site("jekyll", "jekyll", "jekyll", "docs/_posts", init_at="docs"),
    Site(
        "rust",
        "zola",
        "blog.rust-lang.org",
        "content",
        {
            "date_from_url": True,
            "default_picture": "https://www.rust-lang.org/static/images/rust-social-wide.jpg",
        },
    ),
    Site(
        "electron",
        "docusaurus",
        "electron-website",
        "blog",
        {"site_url": "https://electronjs.org", "default_picture": "{url}/og-image.png"},
        site_url="https://electronjs.org",
    ),
    Site(
        "pnpm",
        "docusaurus",
        "pnpm.io",
        "blog",
        {"site_url": "https://pnpm.io", "default_picture": "https://pnpm.io/img/ogimage.png"},
        site_url="https://pnpm.io",
    ),
    Site("v8", "eleventy", "v8.dev", "src/blog", {"post_url": "https://v8.dev/blog/{route}"}),
)

# Hand-written settings for the sites when init is not used: what init writes, plus by_hand.
BY_ENGINE: dict[str, dict[str, Any]] = {
    "flux": {
        "post_url": "https://fluxcd.io/{section}/{year}/{month}/{slug}/",
        "slug_from_file": "title",
        "default_picture": "/img/flux-social.png",
    },
    "opentelemetry": {
        "post_url": "https://opentelemetry.io/blog/{route}/",
        "default_picture": "/img/social/logo-wordmark-001.png",
    },
    "opentelemetry-draft": {
        "post_url": "https://opentelemetry.io/blog/{route}/",
        "default_picture": "/img/social/logo-wordmark-001.png",
    },
    "jekyll": {
        "post_url": "https://jekyllrb.com/news/{year}/{month}/{day}/{slug}/",
        "timezone": "America/Los_Angeles",
        "default_picture": "/img/jekyll-og.png",
    },
    "rust": {"site_url": "https://blog.rust-lang.org"},
    "electron": {},
    "pnpm": {},
    "v8": {},
}


def copy_site(site: Site, into: Path) -> Path:
    """The site folder copied to ``into`` with the bundle images the corpus left out."""
    target = into / site.root
    shutil.copytree(site.folder, target)
    if site.config_from is not None:
        source = ENGINES / site.engine / site.config_from
        for config in ("config", "hugo.yaml", "hugo.toml", "config.toml"):
            if (source / config).exists() and not (target / config).exists():
                if (source / config).is_dir():
                    shutil.copytree(source / config, target / config)
                else:
                    shutil.copy(source / config, target / config)
    for image in site.images:
        (target / site.posts / image).write_bytes(b"\x89PNG\r\n\x1a\n")
    return target


def blog_for(site: Site, folder: Path, **extra: Any) -> BlogConfig:
    """The hand-written settings of ``site`` whose copy is at ``folder``."""
    values = {"engine": site.engine, "posts_dir": folder / site.posts}
    values |= BY_ENGINE[site.name] | site.by_hand | extra
    return BlogConfig(**values)


def scan(blog: BlogConfig) -> dict[str, Post | PostError]:
    """Every post of the blog by its path below the site folder's parent."""
    source = FolderSource(blog.posts_dir)
    return {item.path.as_posix(): item for item in source.scan(blog)}


def plain(text: str | None) -> str:
    """Markdown as plain text, for comparing summaries that are approximations."""
    if text is None:
        return ""
    flat = markdown_to_plain(text)
    flat = re.sub(r"\[([^\]]*)\]\[[^\]]*\]|\[([^\]]*)\]:\s*\S*", r"\1\2", flat)
    return " ".join(re.sub(r"[*_`]", "", flat).split())


STATES = {"published": "published", "scheduled": "future", "draft": "draft"}


def mismatches(post: Post, expected: dict[str, Any]) -> list[str]:
    """Every field of ``post`` that differs from its manifest entry, described."""
    found: list[str] = []
    state = post.state(AS_OF)
    checks = {
        "url": (post.url, expected["url"]),
        "published_at": (post.published_at.isoformat(), expected["published_at"]),
        "state": (STATES.get(state, state), expected["state"]),
        "title": (post.title, expected["title"]),
        "tags": (list(post.tags), expected["tags"]),
        "authors": (list(post.authors), expected["authors"]),
        "picture": (post.picture_url, expected["picture"]),
    }
    for name, (got, want) in checks.items():
        if got != want:
            found.append(f"{name}: got {got!r}, want {want!r}")
    want_summary = expected["summary"]
    if want_summary is None:
        if post.description_long is not None:
            found.append(f"summary: got {post.description_long[:60]!r}, want None")
    elif expected["summary_exact"]:
        if post.description_long != want_summary:
            found.append(f"summary: got {post.description_long!r}, want {want_summary!r}")
    else:
        got_text, want_text = plain(post.description_long), plain(want_summary)
        short = min(len(got_text), len(want_text), 200)
        if got_text[:short] != want_text[:short] or (short < 20 and got_text != want_text):
            found.append(f"summary: got {got_text[:100]!r}, want {want_text[:100]!r}")
    return found
