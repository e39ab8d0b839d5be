"""The posts list of a blog longer than one page, and the change marker the pages poll."""

from __future__ import annotations

import html
import re
import sqlite3
import time
from collections.abc import Iterator

import httpx
import pytest

from heartbeat_bot.sandbox import Sandbox
from tests.service.test_service import wait_for
from tests.web.console_env import ConsoleService, extra_slug, login, start

EXTRA = 220  # 224 posts in all: three pages of 100; 111 drafts


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleService]:
    """One running service with 220 more posts than the usual four."""
    with Sandbox(rate_limit_wait=0.2) as sandbox:
        service = start(tmp_path_factory.mktemp("console-pages"), sandbox, extra=EXTRA)
        try:
            yield service
        finally:
            assert service.running.stop() == 0, service.log()


@pytest.fixture
def client(console: ConsoleService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.base) as client:
        assert login(client).status_code == 303
        yield client


def slugs(page: str) -> list[str]:
    return re.findall(r'<tr data-slug="([^"]*)">', page)


def count(page: str, label: str) -> int:
    found = re.search(rf'>{label} <span class="count">(\d+)</span>', page)
    assert found, label
    return int(found.group(1))


def next_link(page: str) -> str:
    found = re.search(r'<a href="([^"]+)" rel="next">', page)
    assert found, "no link to the next page"
    return html.unescape(found.group(1))


def test_the_list_is_split_in_pages_newest_first(client: httpx.Client) -> None:
    """Page 1 holds the 100 newest posts, page 2 the next 100 and page 3 the rest; a page
    number past the end shows the last page, and one that is not a number the first."""
    first = client.get("/").text
    newest = ["later", "april-20-dvc-heartbeat", "march-20-dvc-heartbeat", "draft"]
    assert slugs(first)[:4] == newest
    assert len(slugs(first)) == 100
    assert slugs(first)[4:] == [extra_slug(n) for n in range(219, 123, -1)]
    assert "224 of 224 posts, newest first; 1–100 on this page" in first
    second = client.get(next_link(first)).text
    assert slugs(second) == [extra_slug(n) for n in range(123, 23, -1)]
    assert "; 101–200 on this page" in second
    third = client.get("/?page=3").text
    assert slugs(third) == [extra_slug(n) for n in range(23, -1, -1)]
    assert 'rel="next"' not in third and 'rel="prev"' in third
    assert slugs(client.get("/?page=99").text) == slugs(third)
    assert slugs(client.get("/?page=two").text) == slugs(first)


def test_filter_counts_are_for_the_whole_blog_on_every_page(client: httpx.Client) -> None:
    """The drafts count is 111 on every page (most are past page 1); the failed pair's
    post counts once; All is 224."""
    for path in ("/", "/?page=3", "/?filter=failed"):
        page = client.get(path).text
        assert count(page, "Drafts") == 111, path
        assert count(page, "Failed") == 1, path
        assert "All posts (224)" in page, path


def test_the_filter_and_the_search_are_kept_across_pages(client: httpx.Client) -> None:
    """Drafts matching "extra" fill a page and a tenth: the next page's link keeps both,
    and shows the ten oldest drafts; a word found only in a title finds its post."""
    first = client.get("/", params={"filter": "draft", "q": "extra"}).text
    assert slugs(first) == [extra_slug(n) for n in range(218, 18, -2)]
    assert "110 of 224 posts, newest first; 1–100 on this page" in first
    target = next_link(first)
    assert "filter=draft" in target and "q=extra" in target and "page=2" in target
    second = client.get(target).text
    assert slugs(second) == [extra_slug(n) for n in range(18, -1, -2)]
    assert not re.search(r'<a href="[^"]+" rel="next">', second)
    # A word of a title only, among all 224 posts (the parse cache's index), and with
    # its slug; then among the few scheduled ones (their titles read back).
    assert slugs(client.get("/", params={"q": "Coming"}).text) == ["later"]
    assert slugs(client.get("/", params={"q": "later COMING"}).text) == ["later"]
    assert slugs(client.get("/", params={"q": "coming", "filter": "scheduled"}).text) == ["later"]
    none = client.get("/", params={"filter": "failed", "q": "extra"}).text
    assert slugs(none) == [] and "No post matches." in none


def test_a_post_beyond_the_first_page_has_its_page(client: httpx.Client) -> None:
    """The oldest posts (page 3) open: a baseline one and a draft, with their state."""
    page = client.get(f"/posts/{extra_slug(1)}")
    assert page.status_code == 200
    assert "Extra post 001" in page.text and "post-published" in page.text
    draft = client.get(f"/posts/{extra_slug(0)}")
    assert draft.status_code == 200 and "post-draft" in draft.text
    assert client.get("/posts/extra-post-999").status_code == 404


def test_the_change_marker_moves_with_a_post_file_and_a_ledger_pair(
    console: ConsoleService, client: httpx.Client
) -> None:
    """The marker stays put across rescans that change nothing, and moves when a post's
    file is edited and when a pair changes in the ledger file; the filter counts follow a
    pair's new state and a post held in the ledger."""

    def marker() -> str:
        return str(client.get("/changes").json()["version"])

    before = marker()
    time.sleep(2.5)  # more than a rescan (poll_interval 2 s)
    assert marker() == before
    path = console.root / "posts" / f"2015-01-02-{extra_slug(1)}.md"
    path.write_text(path.read_text().replace("Extra post 001", "Extra post one"))
    edited = wait_for(lambda: (m := marker()) != before and m, what="the marker to move")
    assert "Extra post one" in client.get(f"/posts/{extra_slug(1)}").text
    db = sqlite3.connect(console.root / "state" / "heartbeat.sqlite3")
    try:
        with db:
            db.execute(
                "UPDATE deliveries SET updated_at = (SELECT MAX(updated_at) FROM deliveries) + 1 "
                "WHERE id = (SELECT MAX(id) FROM deliveries)"
            )
        assert marker() != edited
        page = client.get("/").text
        failed, held = count(page, "Failed"), count(page, "Held")
        with db:  # a done pair failed, then a post held: the counts follow at once
            db.execute(
                "UPDATE deliveries SET state = 'failed', "
                "updated_at = (SELECT MAX(updated_at) FROM deliveries) + 1 "
                "WHERE id = (SELECT MIN(id) FROM deliveries WHERE state = 'done' AND post_id "
                "NOT IN (SELECT post_id FROM deliveries WHERE state = 'failed'))"
            )
        assert count(client.get("/").text, "Failed") == failed + 1
        with db:
            db.execute("UPDATE posts SET status = 'held' WHERE slug = ?", (extra_slug(3),))
        assert count(client.get("/").text, "Held") == held + 1
    finally:
        db.close()
