"""Exact output for the posts that break naive code (the corpus README's list).

The expected payloads live in tests/snapshots/, reviewed by hand. After an intended change
of wording, regenerate them with HEARTBEAT_UPDATE_SNAPSHOTS=1 and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.posts import parse_post
from heartbeat_bot.sources.folder import FolderSource
from tests.conftest import CORPUS, DVC_AUTHORS, DVC_POSTS
from tests.test_render_corpus import SETTINGS

SNAPSHOTS = Path(__file__).parent / "snapshots"
HARD_POSTS = [
    DVC_POSTS / "2022-05-05-end-to-end-computer-vision-api-part-2-local-experiments.md",
    DVC_POSTS / "2022-03-17-march-22-heartbeat.md",
    DVC_POSTS / "2020-07-24-first-mlops-tutorial.md",
    DVC_POSTS / "2021-05-21-may-21-dvc-heartbeat.md",
    DVC_POSTS / "2023-12-11-dvc-git-lfs.md",
    DVC_POSTS / "2025-10-07-how-to-label-and-rotate-training-and-feedback-datasets-cleanly.md",
    DVC_POSTS / "2020-07-16-devops-for-data-scientists.md",
    DVC_POSTS / "2023-06-14-dvc-3.0-ml-experiments-data-versioning.md",
    DVC_POSTS / "2022-04-15-april-22-heartbeat.md",
    CORPUS / "seed" / "2022-04-15-april-22-heartbeat.md",
    CORPUS / "malformed" / "bom-2022-08-snapshot" / "2021-06-02-introducing-dvc-studio.md",
    CORPUS / "malformed" / "2022-07-18-july-heartbeat.2022-08-snapshot.md",
]


def snapshot_name(path: Path) -> str:
    return f"{path.parent.name}--{path.stem}.json"


@pytest.mark.parametrize("path", HARD_POSTS, ids=lambda p: p.stem)
def test_hard_post_renders_exactly(path: Path, dvc_blog: BlogConfig) -> None:
    """The post's parsed fields and three payloads match the reviewed snapshot exactly."""
    authors = FolderSource(DVC_POSTS, DVC_AUTHORS).authors()
    post = parse_post(path, path.read_bytes(), dvc_blog, authors)
    rendered = SETTINGS.render_all(post, post.comments_url)
    document = {
        "post": post.summary(),
        "problems": list(post.problems),
        "discourse": rendered.discourse.body(),
        "discord": rendered.discord.body(),
        "twitter": rendered.twitter.body(),
    }
    snapshot = SNAPSHOTS / snapshot_name(path)
    if os.environ.get("HEARTBEAT_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", "utf-8")
    assert document == json.loads(snapshot.read_text(encoding="utf-8"))
