"""Every command's --json output is one versioned document valid against its shipped schema."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from heartbeat_bot.cli.documents import KINDS, VERSION, schema_path
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import NEW_POST, make_blog
from tests.conftest import DVC_POSTS
from tests.test_cli_delivery import cli


def validated(kind: str, stdout: str) -> dict[str, Any]:
    """The JSON document printed, checked against ``kind``'s schema; it is returned."""
    document: dict[str, Any] = json.loads(stdout)
    schema = json.loads(schema_path(kind).read_text(encoding="utf-8"))
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert document["version"] == VERSION
    return document


@pytest.mark.parametrize("kind", KINDS)
def test_schemas_are_valid_json_schemas(kind: str) -> None:
    """Each shipped schema is itself a valid draft 2020-12 JSON Schema, versioned."""
    schema = json.loads(schema_path(kind).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["version"] == {
        "const": VERSION,
        "description": schema["properties"]["version"]["description"],
    }


def test_every_command_prints_a_valid_document(tmp_path: Path) -> None:
    """list, preview, announce, status (all and one post) and check --json each validate,
    with a broken post, a refused reference and a waiting pair among them."""
    with Sandbox(rate_limit_wait=30) as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST, "2022-04-15-april-22-heartbeat.md"))
        (blog.posts / "2024-01-01-broken.md").write_text("---\ntitle: [unclosed\n---\n")
        config = str(blog.config)
        listing = validated("list", cli("--config", config, "list", "--json").stdout)
        assert {row["state"] for row in listing["items"]} == {"published", "error"}

        preview = validated(
            "preview", cli("--config", config, "preview", "dvc-git-lfs", "--json").stdout
        )
        assert preview["post"]["slug"] == "dvc-git-lfs"

        sandbox.faults.queue("x", "429")
        announced = cli(
            "--config",
            config,
            "announce",
            "dvc-git-lfs",
            "no-such-post",
            "--json",
            "--max-wait",
            # Longer than a loaded machine needs for Discourse and Discord, shorter than
            # X's 30 s rate-limit wait, so X is left waiting.
            "10",
        )
        document = validated("announce", announced.stdout)
        assert announced.returncode == 2  # a reference named no post
        (report,) = document["items"]
        assert report["outcomes"]["discourse"]["state"] == "done"
        assert report["outcomes"]["twitter"]["state"] == "waiting"
        assert report["outcomes"]["twitter"]["next_attempt_at"] > 0
        assert len(document["refused"]) == 1 and "no-such-post" in document["refused"][0]

        status = validated("status", cli("--config", config, "status", "--json").stdout)
        assert {row["channel"] for row in status["items"]} == {"discourse", "discord", "twitter"}
        assert all(row["history"] is None for row in status["items"])
        one = validated("status", cli("--config", config, "status", "dvc-git-lfs", "--json").stdout)
        assert all(row["history"] for row in one["items"])

        checked = cli("--config", config, "check", "--json")
        check = validated("check", checked.stdout)
        assert checked.returncode == 2 and check["ok"] is False
        (broken,) = check["posts"]["broken"]
        assert broken["path"].endswith("2024-01-01-broken.md")
        assert check["ledger"]["ok"] is True and check["online"] is None


def test_check_json_without_problems_is_ok(tmp_path: Path) -> None:
    """check --json on a healthy blog says ok with exit code 0."""
    with Sandbox() as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,))
        done = cli("--config", str(blog.config), "check", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    check = validated("check", done.stdout)
    assert check["ok"] is True and check["posts"]["readable"] == 1


def test_list_json_on_the_corpus_validates(tmp_path: Path) -> None:
    """list --json over every dvc.org corpus post validates against the list schema."""
    with Sandbox() as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=())
    for path in DVC_POSTS.glob("*.md"):
        shutil.copy(path, blog.posts)
    listing = validated("list", cli("--config", str(blog.config), "list", "--json").stdout)
    assert len(listing["items"]) == len(list(DVC_POSTS.glob("*.md")))
