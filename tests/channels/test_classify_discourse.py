"""Table tests of classify_discourse: every answer shape maps to the right error."""

from __future__ import annotations

import json

import pytest

from heartbeat_bot.channels.discourse.client import classify_discourse, encode_tags
from heartbeat_bot.errors import ChannelError, Duplicate, Permanent, Retryable

HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"


def _json(data: object) -> str:
    return json.dumps(data)


@pytest.mark.parametrize(
    ("status", "headers", "body", "kind", "wait", "needle"),
    [
        # 429: the header wins over the JSON body; either alone is used; neither: no wait.
        (
            429,
            {"Retry-After": "7"},
            _json({"errors": ["slow down"], "extras": {"wait_seconds": 40}}),
            Retryable,
            7.0,
            "slow down",
        ),
        (
            429,
            {},
            _json(
                {
                    "errors": ["slow down"],
                    "error_type": "rate_limit",
                    "extras": {"wait_seconds": 40},
                }
            ),
            Retryable,
            40.0,
            "rate limiting",
        ),
        (
            429,
            {"retry-after": "3"},
            "Slow down, too many requests from this IP address",
            Retryable,
            3.0,
            "too many requests",
        ),
        (429, {}, "Slow down", Retryable, None, "Slow down"),
        (429, {"Retry-After": "soon"}, "Slow down", Retryable, None, "Slow down"),
        (500, {}, _json({"errors": ["boom"]}), Retryable, None, "boom"),
        (502, {}, HTML_502, Retryable, None, '"502 Bad Gateway"'),
        (503, {}, "{not json", Retryable, None, "{not json"),
        (408, {}, "", Retryable, None, "empty answer"),
        (
            403,
            {},
            _json(
                {"errors": ["The API username or key is invalid."], "error_type": "invalid_access"}
            ),
            Permanent,
            None,
            "discourse.api_key / discourse.api_username were refused (invalid_access:",
        ),
        (401, {}, "", Permanent, None, "discourse.api_key / discourse.api_username"),
        (
            422,
            {},
            _json({"action": "create_post", "errors": ["Title is too short", "Body is too short"]}),
            Permanent,
            None,
            "Title is too short; Body is too short",
        ),
        (
            400,
            {},
            _json({"errors": ["param is missing: raw"]}),
            Permanent,
            None,
            "param is missing",
        ),
        (
            404,
            {},
            HTML_502.replace("502 Bad Gateway", "Not found"),
            Permanent,
            None,
            "check discourse.url",
        ),
        (
            200,
            {},
            "<html><body>login</body></html>",
            Permanent,
            None,
            "unexpected answer from Discourse: <html>",
        ),
        (200, {}, _json({"id": 1}), Permanent, None, 'unexpected answer from Discourse: {"id": 1}'),
    ],
)
def test_discourse_table(
    status: int,
    headers: dict[str, str],
    body: str,
    kind: type[ChannelError],
    wait: float | None,
    needle: str,
) -> None:
    """Each status and body shape gives the documented error class, wait and message."""
    error = classify_discourse(status, headers, body)
    assert type(error) is kind
    assert error.channel == "discourse"
    assert error.status == status
    assert needle in str(error)
    assert "\n" not in str(error)
    if isinstance(error, Retryable):
        assert error.wait == wait
    assert not isinstance(error, Duplicate)


def test_discourse_unexpected_answer_quotes_at_most_200_characters() -> None:
    """A long unusable 2xx body is quoted, but only its first 200 characters."""
    error = classify_discourse(200, {}, "x" * 5000)
    assert str(error).count("x") <= 200


def test_tags_are_sent_as_names() -> None:
    """Tags go out as the list of names every Discourse version accepts."""
    assert encode_tags(("a", "b")) == ["a", "b"]
