"""I/O: what a site's own files say about its blog, for ``heartbeat-bot init``.

The engine is told by content, not by file name alone: ``config.toml`` is Hugo's when it
holds ``baseURL`` (or Hugo-only keys) and Zola's when it holds ``base_url``; Hugo also
keeps ``config/_default/``. From the engine's config this reads the base URL and the URL
rules it can (Hugo ``baseURL``, ``permalinks``, ``params.images``, ``timeZone``,
``summaryLength``; Jekyll ``url``/``baseurl``, ``permalink``, ``timezone``,
``excerpt_separator`` and a site-wide ``image`` default; Docusaurus ``url``, ``baseUrl``,
the blog's ``path``/``routeBasePath`` and ``trailingSlash``; Zola ``base_url``; Astro
``site``; Eleventy's input folder and ``_data/metadata.json`` URL; Gatsby
``siteMetadata.siteUrl``), and the site's title for ``site_name``. JavaScript and
TypeScript configs are read as text, for simple literal values only; what cannot be read
is left for ``--site-url`` or a hand edit.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from heartbeat_bot.errors import HeartbeatError

SECTIONS = ("blog", "posts", "post", "news", "articles")
_JS_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".mts")
# Hugo permalink tokens and what they become in blog.post_url.
_HUGO_TOKENS = {
    ":year": "{year}",
    ":month": "{month}",
    ":day": "{day}",
    ":section": "{section}",
    ":sections": "{section}",
    ":slug": "{slug}",
    ":title": "{slug}",
    ":slugorfilename": "{slug}",
    ":slugorcontentbasename": "{slug}",
    ":filename": "{filename}",
    ":contentbasename": "{filename}",
}
_JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_JEKYLL_TOKENS = {
    ":categories": "{categories}",
    ":year": "{year}",
    ":month": "{month}",
    ":day": "{day}",
    ":title": "{slug}",
    ":slug": "{slug}",
    ":output_ext": ".html",
}


class SiteError(HeartbeatError):
    """The folder is not a site heartbeat-bot recognises, or a value it needs is missing."""


@dataclass
class Site:
    """What ``init`` learnt: the engine, the posts folder and the ``[blog]`` settings."""

    engine: str
    root: Path
    posts_dir: Path
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # where each value came from
    site_url: str | None = None


def detect(root: Path, site_url: str | None = None) -> Site:
    """The site in ``root``; ``site_url`` wins over (or stands in for) the config's base URL."""
    if not root.is_dir():
        raise SiteError(f"{root} is not a folder")
    probes = (_hugo, _zola, _jekyll, _docusaurus, _astro, _eleventy, _gatsby, _by_content)
    for probe in probes:
        site = probe(root)
        if site is not None:
            break
    else:
        raise SiteError(
            f"{root}: no site config found (hugo.toml, config.toml, _config.yml, "
            "docusaurus.config.*, astro.config.*, eleventy.config.*, gatsby-config.*) "
            "and no blog folder an engine is known by; write the config by hand "
            "(config/heartbeat.example.toml)"
        )
    if site_url:
        site.site_url = site_url.rstrip("/")
        site.notes.append("site URL from --site-url")
    if site.site_url is None:
        raise SiteError(
            f"{root}: the {site.engine} config gives no absolute base URL; pass --site-url"
        )
    pattern = site.settings.pop("post_path", None)
    if pattern is not None:
        site.settings["post_url"] = site.site_url + pattern
    else:
        site.settings["site_url"] = site.site_url
    return site


def _first(root: Path, *names: str) -> Path | None:
    return next((root / name for name in names if (root / name).is_file()), None)


def _load(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise SiteError(f"{path}: cannot be read ({exc})") from exc
    return data if isinstance(data, dict) else {}


def _absolute(url: object) -> str | None:
    if isinstance(url, str) and re.match(r"https?://[^/]", url):
        return url.rstrip("/")
    return None


def _hugo(root: Path) -> Site | None:
    names = [f"hugo.{s}" for s in ("toml", "yaml", "yml", "json")]
    path = _first(root, *names, *(f"config/_default/{n}" for n in names))
    if path is None:
        path = _first(root, "config/_default/config.toml", "config/_default/config.yaml")
    if path is None:
        path = _first(root, "config.toml", "config.yaml", "config.yml")
        if path is None or "baseURL" not in _load(path):
            return None  # a config.toml without baseURL is Zola's (or another tool's)
    config = _load(path)
    content = root / str(config.get("contentDir", "content"))
    language = str(config.get("defaultContentLanguage", "en"))
    candidates = [content / language / s for s in SECTIONS] + [content / s for s in SECTIONS]
    posts = next((c for c in candidates if c.is_dir()), content / "blog")
    site = Site("hugo", root, posts, notes=[f"Hugo config {path.relative_to(root)}"])
    site.site_url = _absolute(config.get("baseURL"))
    _name(site, config.get("title"))
    section = posts.name
    base = f"/{posts.relative_to(content).as_posix()}"
    if base.startswith(f"/{language}/"):
        base = base[len(language) + 1 :]
    permalinks = config.get("permalinks") or {}
    rule = permalinks.get(section) if isinstance(permalinks, dict) else None
    if isinstance(rule, dict):
        rule = rule.get("page")
    if isinstance(rule, str):
        site.settings["post_path"] = _tokens(rule, _HUGO_TOKENS)
        if ":slug" in rule.replace(":slugor", "") or ":title" in rule:
            site.settings["slug_from_file"] = "title"
        site.notes.append(f"permalinks.{section}: {rule}")
    else:
        site.settings["post_path"] = f"{base}/{{route}}/"
    params = config.get("params") or {}
    images = params.get("images") if isinstance(params, dict) else None
    if isinstance(images, list) and images and isinstance(images[0], str):
        site.settings["default_picture"] = "/" + images[0].lstrip("/")
    if isinstance(config.get("timeZone"), str):
        site.settings["timezone"] = config["timeZone"]
    if isinstance(config.get("summaryLength"), int):
        site.settings["summary_words"] = config["summaryLength"]
    return site


def _name(site: Site, title: object) -> None:
    """The site's title as ``site_name`` (shown in announcements), when it is one line."""
    if isinstance(title, str) and title.strip() and "\n" not in title.strip():
        site.settings["site_name"] = " ".join(title.split())


def _tokens(rule: str, tokens: dict[str, str]) -> str:
    for token in sorted(tokens, key=len, reverse=True):
        rule = rule.replace(token, tokens[token])
    return rule if rule.startswith("/") else "/" + rule


def _zola(root: Path) -> Site | None:
    path = _first(root, "config.toml", "zola.toml")
    if path is None or "base_url" not in (config := _load(path)):
        return None
    site = Site("zola", root, root / "content", notes=[f"Zola config {path.name}"])
    site.site_url = _absolute(config.get("base_url"))
    _name(site, config.get("title"))
    return site


def _jekyll(root: Path) -> Site | None:
    path = _first(root, "_config.yml", "_config.yaml", "_config.toml")
    if path is None:
        return None
    config = _load(path)
    site = Site("jekyll", root, root / "_posts", notes=["Jekyll config " + path.name])
    _name(site, config.get("title"))
    url = _absolute(config.get("url"))
    if url is not None:
        site.site_url = url + str(config.get("baseurl") or "").rstrip("/")
    collections = config.get("collections") or {}
    posts = collections.get("posts") if isinstance(collections, dict) else None
    rule = posts.get("permalink") if isinstance(posts, dict) else None
    rule = rule or config.get("permalink") or "date"
    rule = _JEKYLL_STYLES.get(str(rule), str(rule))
    site.settings["post_path"] = _tokens(rule, _JEKYLL_TOKENS)
    site.notes.append(f"permalink: {rule}")
    if isinstance(config.get("timezone"), str):
        site.settings["timezone"] = config["timezone"]
    if isinstance(config.get("excerpt_separator"), str) and config["excerpt_separator"].strip():
        site.settings["excerpt_separators"] = [config["excerpt_separator"].strip()]
    for default in config.get("defaults") or []:
        scope = default.get("scope") if isinstance(default, dict) else None
        values = default.get("values") if isinstance(default, dict) else None
        if isinstance(scope, dict) and scope.get("path") in ("", None) and isinstance(values, dict):
            image = values.get("image")
            if isinstance(image, str):
                site.settings["default_picture"] = (
                    image if _absolute(image) else "/" + image.lstrip("/")
                )
    return site


def _js(root: Path, stem: str) -> Path | None:
    return _first(root, *(stem + suffix for suffix in _JS_SUFFIXES))


def _js_value(text: str, key: str) -> str | None:
    """A literal string given to ``key`` in a JavaScript object (the first one)."""
    match = re.search(rf"""["']?\b{key}["']?\s*:\s*(["'`])([^"'`]*)\1""", text)
    return None if match is None else match[2]


def _docusaurus(root: Path) -> Site | None:
    path = _js(root, "docusaurus.config")
    if path is None:
        return None
    text = path.read_text(encoding="utf-8")
    site = Site("docusaurus", root, root / "blog", notes=["Docusaurus config " + path.name])
    site.site_url = _absolute(_js_value(text, "url"))
    _name(site, _js_value(text, "title"))
    blog = re.search(r"blog\s*:\s*\{(?P<body>[^{}]*)\}", text)
    options = blog["body"] if blog is not None else ""
    folder = _js_value(options, "path") or "blog"
    route = _js_value(options, "routeBasePath")
    route = folder if route is None else route
    base = (_js_value(text, "baseUrl") or "/").rstrip("/")
    site.posts_dir = root / folder
    slash = "/" if re.search(r"trailingSlash\s*:\s*true", text) else ""
    site.settings["post_path"] = f"{base}/{route.strip('/')}/{{route}}{slash}".replace("//", "/")
    return site


def _astro(root: Path) -> Site | None:
    path = _js(root, "astro.config")
    if path is None:
        return None
    text = path.read_text(encoding="utf-8")
    posts = next(
        (root / "src" / "content" / s for s in SECTIONS if (root / "src/content" / s).is_dir()),
        root / "src/content/blog",
    )
    site = Site("astro", root, posts, notes=["Astro config " + path.name])
    site.site_url = _absolute(_js_value(text, "site"))
    site.settings["post_path"] = f"/{posts.name}/{{route}}/"
    return site


def _eleventy(root: Path) -> Site | None:
    path = _js(root, ".eleventy") or _js(root, "eleventy.config")
    if path is None:
        return None
    text = path.read_text(encoding="utf-8")
    source = root / (_js_value(text, "input") or ".")
    posts = next((source / s for s in SECTIONS if (source / s).is_dir()), source / "blog")
    site = Site("eleventy", root, posts, notes=["Eleventy config " + path.name])
    for data in ("_data/metadata.json", "_data/site.json"):
        if (source / data).is_file():
            site.site_url = site.site_url or _absolute(_load(source / data).get("url"))
    site.settings["post_path"] = f"/{posts.relative_to(source).as_posix()}/{{route}}/"
    return site


def _gatsby(root: Path) -> Site | None:
    path = _js(root, "gatsby-config")
    if path is None:
        return None
    text = path.read_text(encoding="utf-8")
    posts = next(
        (
            root / "content" / s
            for s in ("blog", "blogs", "posts")
            if (root / "content" / s).is_dir()
        ),
        root / "content/blog",
    )
    site = Site("gatsby", root, posts, notes=["Gatsby config " + path.name])
    site.site_url = _absolute(_js_value(text, "siteUrl"))
    site.settings["post_path"] = "/blog/{slug}"
    return site


def _by_content(root: Path) -> Site | None:
    """No config file: the engine by what only it leaves in a blog folder. Docusaurus keeps
    ``blog/authors.yml`` or ``blog/tags.yml``; Eleventy a directory data file named after
    its folder (``src/blog/blog.json``) beside ``src/_data``; Jekyll a ``_posts`` folder."""
    for folder in (root / "blog", root / "website" / "blog"):
        if (folder / "authors.yml").is_file() or (folder / "tags.yml").is_file():
            site = Site("docusaurus", root, folder, notes=[f"{folder.name}/authors.yml"])
            site.settings["post_path"] = "/blog/{route}"
            return site
    for source in (root / "src", root):
        for name in SECTIONS:
            data = source / name / f"{name}.json"
            if data.is_file() and (source / "_data").is_dir():
                site = Site("eleventy", root, source / name, notes=[f"directory data {name}.json"])
                metadata = source / "_data" / "metadata.json"
                if metadata.is_file():
                    site.site_url = _absolute(_load(metadata).get("url"))
                site.settings["post_path"] = f"/{name}/{{route}}/"
                return site
    if (root / "_posts").is_dir():
        site = Site("jekyll", root, root / "_posts", notes=["_posts folder"])
        site.settings["post_path"] = _tokens(_JEKYLL_STYLES["date"], _JEKYLL_TOKENS)
        return site
    return None
