"""Webhook bodies for tests: the published schema and a body built from a corpus post."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from heartbeat_bot.channels.webhook.render import webhook_body
from heartbeat_bot.config import BlogConfig
from heartbeat_bot.posts import parse_post
from tests.conftest import CORPUS, ROOT

SCHEMA = json.loads((ROOT / "heartbeat_bot" / "schemas" / "webhook.schema.json").read_text())


@cache
def seed_post() -> Any:
    """The seed post (April '22 Heartbeat), parsed as dvc.org does."""
    path = CORPUS / "seed" / "2022-04-15-april-22-heartbeat.md"
    blog = BlogConfig(posts_dir=path.parent, post_url="https://dvc.org/blog/{slug}")
    return parse_post(path, path.read_bytes(), blog, {})


def sample_body() -> dict[str, Any]:
    """The body for the seed post, with a Mastodon thread among its payloads."""
    payloads = {"mastodon": {"statuses": ["April '22 Heartbeat https://dvc.org/blog/x"]}}
    return webhook_body(
        seed_post(), comments_url="https://discuss.dvc.org/t/x/1", payloads=payloads
    )
