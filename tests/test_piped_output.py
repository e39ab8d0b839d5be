"""Output read through a pipe keeps every character: no 80-column tables, no cut cells."""

from __future__ import annotations

import json
from pathlib import Path

from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import NEW_POST, make_blog
from tests.test_cli import corpus_config, run  # noqa: F401 (fixture)
from tests.test_cli_delivery import cli


def test_list_piped_keeps_whole_moments_and_slugs(corpus_config: Path) -> None:  # noqa: F811
    """`list | cat` prints one tab-separated row per post with the full moment and slug."""
    plain = run("--config", str(corpus_config), "list")
    rows = json.loads(run("--config", str(corpus_config), "list", "--json").stdout)["items"]
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert lines[0].split("\t") == ["published", "state", "slug", "problems"]
    assert len(lines) == len(rows) + 1
    for line, row in zip(lines[1:], rows, strict=True):
        cells = line.split("\t")
        assert cells[0] == (row["published_at"] or "-")
        assert cells[2] == (row["slug"] or row["path"])
    assert "…" not in plain.stdout and "│" not in plain.stdout


def test_status_and_announce_piped_keep_whole_links(tmp_path: Path) -> None:
    """Piped `announce` and `status` show every link in full, however long."""
    with Sandbox() as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,))
        announced = cli("--config", str(blog.config), "announce", "dvc-git-lfs")
        assert announced.returncode == 0, announced.stdout + announced.stderr
        status = cli("--config", str(blog.config), "status")
        rows = json.loads(cli("--config", str(blog.config), "status", "--json").stdout)["items"]
    assert len(rows) == 3
    for row in rows:
        assert len(row["remote_url"]) > 40
        assert row["remote_url"] in status.stdout
        assert row["remote_url"] in announced.stdout
    assert status.stdout.splitlines()[0].startswith("post\tchannel\tstate")


def test_preview_piped_is_plain_text_in_full(corpus_config: Path) -> None:  # noqa: F811
    """Piped `preview` prints every tweet whole, without boxes or wrapping."""
    plain = run("--config", str(corpus_config), "preview", "april-22-heartbeat")
    document = json.loads(
        run("--config", str(corpus_config), "preview", "april-22-heartbeat", "--json").stdout
    )
    assert plain.returncode == 0, plain.stderr
    for tweet in document["twitter"]["tweets"]:
        assert tweet in plain.stdout
    assert document["discourse"]["title"] in plain.stdout
    assert "╭" not in plain.stdout and "│" not in plain.stdout
