"""`heartbeat-bot init` on each site folder of the engines corpus: the config it writes,
plus the site's few hand-set settings, reads every post as its manifest says."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from heartbeat_bot.channels.settings import load_config
from heartbeat_bot.config import BlogConfig
from heartbeat_bot.models import Post
from tests.engines.sites import SITES, Site, copy_site, mismatches, scan


def run_init(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    return subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", "init", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize("site", SITES, ids=[s.name for s in SITES])
def test_init_writes_a_config_that_reads_the_site_right(tmp_path: Path, site: Site) -> None:
    """init detects the engine by content, reads the base URL and URL rules from the site's
    own config, prints the three newest posts, and its config matches the manifest."""
    folder = copy_site(site, tmp_path)
    root = folder / site.init_at
    extra = ["--site-url", site.site_url] if site.site_url else []
    done = run_init(str(root), *extra)
    assert done.returncode == 0, done.stderr
    written = root / "config" / "heartbeat.toml"
    assert f"wrote {written}" in done.stdout
    assert done.stdout.count("\n  https://") == min(3, len(site.manifest_posts()))
    settings = tomllib.loads(written.read_text(encoding="utf-8"))["blog"]
    assert settings["engine"] == site.engine
    config = load_config(written)  # the whole file, checked as every command checks it
    values = config.blog.model_dump(exclude_unset=True) | site.by_hand
    blog = BlogConfig(**(values | {"posts_dir": config.posts_dir.resolve()}))
    items = scan(blog)
    for entry in site.manifest_posts():
        item = items[(folder / entry["corpus_path"].split("/", 1)[1]).as_posix()]
        assert isinstance(item, Post), item
        assert mismatches(item, entry) == [], entry["corpus_path"]


def test_init_never_overwrites(tmp_path: Path) -> None:
    """A second init leaves the first file as it was and says so (exit 2)."""
    site = next(s for s in SITES if s.name == "rust")
    folder = copy_site(site, tmp_path)
    assert run_init(str(folder)).returncode == 0
    written = folder / "config" / "heartbeat.toml"
    written.write_text("# edited by hand\n", encoding="utf-8")
    again = run_init(str(folder))
    assert again.returncode == 2 and "never overwritten" in again.stderr
    assert written.read_text(encoding="utf-8") == "# edited by hand\n"


def test_init_asks_for_a_site_url_when_the_config_has_none(tmp_path: Path) -> None:
    """Flux's hugo.yaml says `baseURL: /`: init names --site-url instead of guessing."""
    site = next(s for s in SITES if s.name == "flux")
    folder = copy_site(site, tmp_path)
    done = run_init(str(folder))
    assert done.returncode == 2 and "--site-url" in done.stderr
    assert not (folder / "config" / "heartbeat.toml").exists()


def test_init_on_a_folder_that_is_no_site(tmp_path: Path) -> None:
    """A folder without a site config or a known blog layout is one clear error line."""
    done = run_init(str(tmp_path))
    assert done.returncode == 2 and "no site config found" in done.stderr
