"""`check` proves the URLs: links between posts of the corpus are compared with the URLs
computed for their targets; a mismatch is a warning naming both files, exit 1 with --strict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from heartbeat_bot.models import Post
from heartbeat_bot.posts import read_frontmatter
from heartbeat_bot.posts.engines import rules_for
from heartbeat_bot.posts.links import cross_check, links_in
from heartbeat_bot.sources.folder import FolderSource
from tests.engines.sites import SITES, Site, blog_for, copy_site

LINKED = [  # (site, target, source): pairs the manifests name inside the corpus
    ("flux", "2020-12-01-december-update/index.md", "2021-01-06-january-update.md"),
    ("opentelemetry", "2019/opentelemetry-governance-committee-explained/index.md",
     "2022/gc-elections.md"),
    ("v8", "webassembly-experimental.md", "10-years.md"),
    ("v8", "csa.md", "dataview.md"),
    ("v8", "concurrent-marking.md", "10-years.md"),
    ("v8", "concurrent-marking.md", "high-performance-cpp-gc.md"),
]  # fmt: skip
WRONG = {  # a post_url a person could get wrong, keeping the blog's first folder
    "flux": "https://fluxcd.io/blog/{slug}/",
    "opentelemetry": "https://opentelemetry.io/blog/{slug}/",
    "v8": "https://v8.dev/blog/{year}/{slug}",
}


def site_named(name: str) -> Site:
    return next(site for site in SITES if site.name == name)


def checked(site: Site, folder: Path, **extra: str) -> tuple[list[Post], list[str]]:
    blog = blog_for(site, folder, **extra)
    posts = [p for p in FolderSource(blog.posts_dir).scan(blog) if isinstance(p, Post)]
    bodies = {p.path: read_frontmatter(p.path, p.path.read_bytes())[1] for p in posts}
    found = cross_check(posts, bodies, rules_for(blog).site_url)
    return posts, [str(m) for m in found]


@pytest.mark.parametrize(("name", "target", "source"), LINKED)
def test_corpus_links_hit_the_computed_urls(
    tmp_path: Path, name: str, target: str, source: str
) -> None:
    """Each link the manifests record between corpus posts is exactly a computed URL."""
    site = site_named(name)
    folder = copy_site(site, tmp_path)
    posts, mismatches = checked(site, folder)
    assert mismatches == []
    by_file = {p.path.relative_to(folder / site.posts).as_posix(): p for p in posts}
    wanted = by_file[target].url.rstrip("/")
    body = read_frontmatter(Path(source), (folder / site.posts / source).read_bytes())[1]
    hits = [link for link in links_in(body) if link.split("#")[0].rstrip("/").endswith(
        wanted.split("://", 1)[1].split("/", 1)[1])]  # fmt: skip
    assert hits, f"{source} has no link to {wanted}"


@pytest.mark.parametrize("site", SITES, ids=[s.name for s in SITES])
def test_the_corpus_has_no_mismatch(tmp_path: Path, site: Site) -> None:
    """With each site's settings, no link between posts misses its target."""
    assert checked(site, copy_site(site, tmp_path))[1] == []


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_pattern_is_caught_by_the_links(tmp_path: Path, name: str) -> None:
    """A post_url that gives other URLs than the site's is caught, naming both files."""
    site = site_named(name)
    folder = copy_site(site, tmp_path)
    _, mismatches = checked(site, folder, post_url=WRONG[name])
    pairs = [(t, s) for n, t, s in LINKED if n == name]
    assert len(mismatches) >= len({s for _, s in pairs})
    for target, source in pairs:
        assert any(source in m and target in m for m in mismatches), mismatches


def run_check(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    command = [sys.executable, "-m", "heartbeat_bot", "--config", str(config), "check", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def flux_config(tmp_path: Path, post_url: str) -> Path:
    site = site_named("flux")
    folder = copy_site(site, tmp_path)
    config = tmp_path / "heartbeat.toml"
    config.write_text(
        f'[blog]\nengine = "hugo"\nposts_dir = "{(folder / site.posts).as_posix()}"\n'
        f'post_url = "{post_url}"\nslug_from_file = "title"\n'
        f'[state]\npath = "{(tmp_path / "state.sqlite3").as_posix()}"\n',
        encoding="utf-8",
    )
    return config


def test_check_warns_and_strict_fails(tmp_path: Path) -> None:
    """`check` prints a WARN line naming both files and exits 0; `--strict` exits 1; the
    JSON document lists the mismatch."""
    config = flux_config(tmp_path, WRONG["flux"])
    plain = run_check(config)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "WARN  links between posts: 1" in plain.stdout
    assert "2021-01-06-january-update.md links /blog/2020/12/december-update/" in plain.stdout
    assert "2020-12-01-december-update/index.md" in plain.stdout
    assert run_check(config, "--strict").returncode == 1
    document = json.loads(run_check(config, "--json").stdout)
    assert [m["link"] for m in document["links"]] == ["/blog/2020/12/december-update/"]


def test_check_is_clean_with_the_right_pattern_and_exits_2_on_a_broken_post(
    tmp_path: Path,
) -> None:
    """The site's own pattern gives no warning even with --strict; a broken post exits 2."""
    config = flux_config(tmp_path, "https://fluxcd.io/{section}/{year}/{month}/{slug}/")
    strict = run_check(config, "--strict")
    assert strict.returncode == 0 and "ok    links between posts: none" in strict.stdout
    posts = tmp_path / "fluxcd-website" / "content" / "en" / "blog"
    (posts / "2024-01-01-broken.md").write_text("+++\ntitle = \n+++\n", encoding="utf-8")
    assert run_check(config, "--strict").returncode == 2
