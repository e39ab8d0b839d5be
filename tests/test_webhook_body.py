"""The webhook body of every corpus post matches its published JSON Schema."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from heartbeat_bot.channels.mastodon.render import MastodonOptions, render_mastodon_thread
from heartbeat_bot.channels.webhook.render import encode, webhook_body
from heartbeat_bot.render.templates import default_template
from tests.webhook_bodies import SCHEMA


def test_schema_is_a_valid_json_schema() -> None:
    """The shipped schema is itself valid draft 2020-12, versioned like the documents."""
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["version"]["const"] == 1


def test_every_corpus_post_gives_a_valid_body(corpus_posts: list[Any]) -> None:
    """Flat text fields for Slack, the post, and the payloads validate for every post."""
    validator = Draft202012Validator(SCHEMA)
    template, options = default_template("heartbeat_bot.channels.mastodon"), MastodonOptions()
    for post in corpus_posts:
        for comments in (None, "https://discuss.dvc.org/t/topic/7"):
            thread = render_mastodon_thread(post, options, template, comments_url=comments)
            body = webhook_body(post, comments_url=comments, payloads={"mastodon": thread.body()})
            text = encode(body)
            assert list(validator.iter_errors(json.loads(text))) == [], post.path.name
            assert body["discussion_url"] == (comments or "")
            assert body["authors"] == ", ".join(post.authors)


def test_the_encoding_is_stable() -> None:
    """The same body encodes to the same bytes (what is signed is what is resent)."""
    body = {"b": [1, "é"], "a": {"z": None, "y": "🚀"}}
    assert encode(body) == encode(dict(reversed(list(body.items()))))
    assert encode(body) == '{"a":{"y":"🚀","z":null},"b":[1,"é"]}'
