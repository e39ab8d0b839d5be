"""A new post announced on all five channels through the real wiring, exactly once each."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import NEW_POST, make_blog
from tests.webhook_bodies import SCHEMA

ALL = ("discourse", "discord", "twitter", "mastodon", "webhook")
POST_URL = "https://dvc.org/blog/dvc-git-lfs"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A sandbox whose 429s ask for 0.2 s."""
    with Sandbox(rate_limit_wait=0.2) as sb:
        yield sb


def openssl_hmac(secret: str, body: bytes) -> str:
    """HMAC-SHA256 as OpenSSL computes it, apart from our code."""
    done = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", secret], input=body, capture_output=True, check=True
    )
    return "sha256=" + done.stdout.decode().strip().rsplit(" ", 1)[-1]


def test_every_channel_once_then_nothing(tmp_path: Path, sandbox: Sandbox) -> None:
    """Topic, message, tweets, a Mastodon thread and one signed, schema-valid delivery
    carrying every payload; a second run sends nothing anywhere."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=ALL)
    (report,) = blog.announce("dvc-git-lfs")
    assert report.ok, report.outcomes
    assert {c: report.outcomes[c].state for c in ALL} == dict.fromkeys(ALL, "done")
    topic_url = report.outcomes["discourse"].url
    assert topic_url

    statuses = sandbox.mastodon.statuses
    assert statuses and POST_URL in statuses[0]["text"] and topic_url in statuses[-1]["text"]
    assert (
        report.outcomes["mastodon"].url == f"{sandbox.mastodon_url}/@heartbeat/{statuses[0]['id']}"
    )
    parents = [s["in_reply_to_id"] for s in statuses]
    assert parents == [None, *(s["id"] for s in statuses[:-1])]

    (delivery,) = sandbox.webhook.deliveries
    raw = delivery["raw"].encode("utf-8")
    assert delivery["signature"] == openssl_hmac(sandbox.credentials.webhook_secret, raw)
    body = json.loads(raw)
    assert list(Draft202012Validator(SCHEMA).iter_errors(body)) == []
    assert body["url"] == POST_URL and body["discussion_url"] == topic_url
    assert set(body["payloads"]) == {"discourse", "discord", "twitter", "mastodon"}
    assert body["payloads"]["mastodon"]["statuses"][0].startswith(statuses[0]["text"][:20])

    counts = (len(statuses), len(sandbox.webhook.deliveries), len(sandbox.x.tweets))
    (again,) = blog.announce("dvc-git-lfs")
    assert {again.outcomes[c].action for c in ALL} == {"already"}
    after = (len(sandbox.mastodon.statuses), len(sandbox.webhook.deliveries), len(sandbox.x.tweets))
    assert after == counts and sandbox.webhook.duplicates == []


def test_lost_answers_are_resent_with_their_keys(tmp_path: Path, sandbox: Sandbox) -> None:
    """A Mastodon status and the webhook delivery whose answers are lost go out again with
    the same Idempotency-Key: one status each, one delivery (and one duplicate) kept."""
    sandbox.faults.queue("mastodon", "drop", path="/api/v1/statuses")
    sandbox.faults.queue("webhook", "drop")
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("mastodon", "webhook"))
    (report,) = blog.announce("dvc-git-lfs")
    assert report.outcomes["mastodon"].state == "done"
    assert report.outcomes["webhook"].state == "done"
    texts = [s["text"] for s in sandbox.mastodon.statuses]
    assert len(texts) == len(set(texts))
    (delivery,) = sandbox.webhook.deliveries
    (duplicate,) = sandbox.webhook.duplicates
    assert duplicate["key"] == delivery["key"] and duplicate["raw"] == delivery["raw"]


def test_force_sends_a_new_generation(tmp_path: Path, sandbox: Sandbox) -> None:
    """--force posts a new Mastodon thread and a delivery with a new key, though the
    instance still remembers the first keys."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("mastodon", "webhook"))
    blog.announce("dvc-git-lfs")
    first = len(sandbox.mastodon.statuses)
    (report,) = blog.announce("dvc-git-lfs", force=True)
    assert report.outcomes["mastodon"].action == "sent"
    assert len(sandbox.mastodon.statuses) == 2 * first
    keys = [d["key"] for d in sandbox.webhook.deliveries]
    assert len(keys) == 2 and keys[0] != keys[1]


def test_statuses_fit_the_instance_own_limit(tmp_path: Path, sandbox: Sandbox) -> None:
    """An instance of 200 characters and 30 per URL gets statuses within that, as it counts."""
    sandbox.mastodon.max_characters = 200
    sandbox.mastodon.url_chars = 30
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("mastodon",))
    (report,) = blog.announce("dvc-git-lfs")
    assert report.outcomes["mastodon"].state == "done", report.outcomes
    assert len(sandbox.mastodon.statuses) >= 2


def test_a_wrong_webhook_secret_fails_and_is_shown(tmp_path: Path, sandbox: Sandbox) -> None:
    """The receiver's 401 fails the webhook pair with a note naming webhook.secret; the
    URL's path never shows."""
    blog = make_blog(
        tmp_path,
        sandbox,
        posts=(NEW_POST,),
        channels=("webhook",),
        overrides={"webhook": {"secret": "not-the-receivers"}},
    )
    (report,) = blog.announce("dvc-git-lfs")
    outcome = report.outcomes["webhook"]
    assert outcome.state == "failed" and "webhook.secret" in (outcome.note or "")
    assert "/hooks/" not in (outcome.note or "")
