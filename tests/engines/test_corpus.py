"""Every post of the engines corpus matches its manifest, field by field, with the engine
preset and the few hand-set settings each site needs (see tests/engines/sites.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from heartbeat_bot.models import Post
from tests.engines.sites import SITES, Site, blog_for, copy_site, mismatches, scan

CASES = [
    pytest.param(site, entry, id=f"{site.name}:{entry['corpus_path'].rsplit('/', 2)[-2]}/"
                 f"{entry['corpus_path'].rsplit('/', 1)[-1]}")
    for site in SITES
    for entry in site.manifest_posts()
]  # fmt: skip


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each site copied once and scanned with its settings: posts by corpus path."""
    found: dict[str, dict[str, Any]] = {}
    for site in SITES:
        folder = copy_site(site, tmp_path_factory.mktemp(site.name))
        items = scan(blog_for(site, folder))
        found[site.name] = {
            f"{site.root}/{Path(path).relative_to(folder).as_posix()}": item
            for path, item in items.items()
        }
    return found


@pytest.mark.parametrize(("site", "entry"), CASES)
def test_post_matches_its_manifest(
    site: Site, entry: dict[str, Any], scanned: dict[str, dict[str, Any]]
) -> None:
    """URL, publish moment, state, title, summary, tags, authors and picture are the manifest's."""
    item = scanned[site.name].get(entry["corpus_path"])
    assert isinstance(item, Post), f"{entry['corpus_path']}: {item}"
    assert mismatches(item, entry) == []


@pytest.mark.parametrize("site", SITES, ids=[s.name for s in SITES])
def test_no_other_file_is_taken_for_a_post(site: Site, scanned: dict[str, dict[str, Any]]) -> None:
    """Section pages (_index.md), data files and configs are not posts: exactly the manifest's."""
    wanted = {entry["corpus_path"] for entry in site.manifest_posts()}
    assert set(scanned[site.name]) == wanted


def test_every_engine_of_the_corpus_is_covered() -> None:
    """The corpus's five engines each have at least one site under test, and every post is used."""
    assert {site.engine for site in SITES} == {"hugo", "jekyll", "zola", "docusaurus", "eleventy"}
    assert len(CASES) == 14 + 11 + 13 + 16 + 12
