"""Table tests of classify_discord and of the JSON-to-discord.py mention mapping."""

from __future__ import annotations

import json
from typing import Any

import pytest

from heartbeat_bot.channels.common import redact
from heartbeat_bot.channels.discord.answers import (
    Mode,
    allowed_mentions,
    classify_discord,
    used_up_until,
)
from heartbeat_bot.channels.discord.transport import Answer
from heartbeat_bot.errors import ChannelError, Permanent, Retryable


def _json(data: object) -> str:
    return json.dumps(data)


INVALID_FORM = {
    "code": 50035,
    "message": "Invalid Form Body",
    "errors": {
        "embeds": {
            "0": {
                "title": {
                    "_errors": [
                        {
                            "code": "BASE_TYPE_MAX_LENGTH",
                            "message": "Must be 256 or fewer in length.",
                        }
                    ]
                }
            }
        }
    },
}


@pytest.mark.parametrize(
    ("status", "headers", "body", "mode", "kind", "wait", "needle"),
    [
        (
            429,
            {},
            _json(
                {"message": "You are being rate limited.", "retry_after": 64.57, "global": False}
            ),
            "bot",
            Retryable,
            64.57,
            "rate limited",
        ),
        (
            429,
            {"Retry-After": "65"},
            _json({"message": "slow", "retry_after": 1.5}),
            "bot",
            Retryable,
            1.5,
            "slow",
        ),
        (429, {"Retry-After": "65"}, "error code: 1015", "bot", Retryable, 65.0, "1015"),
        (
            429,
            {},
            "<html><title>Access denied</title></html>",
            "webhook",
            Retryable,
            None,
            "Access denied",
        ),
        (
            500,
            {},
            _json({"message": "500: Internal Server Error", "code": 0}),
            "bot",
            Retryable,
            None,
            "Internal Server Error",
        ),
        (
            502,
            {},
            "<html><head><title>502 Bad Gateway</title></head></html>",
            "bot",
            Retryable,
            None,
            "502 Bad Gateway",
        ),
        (503, {}, "{oops", "webhook", Retryable, None, "{oops"),
        (
            401,
            {},
            _json({"message": "401: Unauthorized", "code": 0}),
            "bot",
            Permanent,
            None,
            "discord.bot_token was refused",
        ),
        (
            401,
            {},
            _json({"message": "Invalid Webhook Token", "code": 50027}),
            "webhook",
            Permanent,
            None,
            "discord.webhook_url was refused",
        ),
        (
            403,
            {},
            _json({"message": "Missing Permissions", "code": 50013}),
            "bot",
            Permanent,
            None,
            "Send Messages",
        ),
        (
            403,
            {},
            _json({"message": "Missing Access", "code": 50001}),
            "bot",
            Permanent,
            None,
            "discord.channel_id",
        ),
        (
            404,
            {},
            _json({"message": "Unknown Channel", "code": 10003}),
            "bot",
            Permanent,
            None,
            "discord.channel_id names an unknown channel",
        ),
        (
            404,
            {},
            _json({"message": "Unknown Webhook", "code": 10015}),
            "webhook",
            Permanent,
            None,
            "unknown webhook",
        ),
        (
            400,
            {},
            _json(INVALID_FORM),
            "bot",
            Permanent,
            None,
            "Invalid Form Body (code 50035); embeds.0.title: Must be 256",
        ),
        (
            200,
            {},
            "<html>hello</html>",
            "bot",
            Permanent,
            None,
            "unexpected answer from Discord: <html>hello</html>",
        ),
        (
            200,
            {},
            _json({"channel_id": "1"}),
            "webhook",
            Permanent,
            None,
            "unexpected answer from Discord",
        ),
    ],
)
def test_discord_table(
    status: int,
    headers: dict[str, str],
    body: str,
    mode: Mode,
    kind: type[ChannelError],
    wait: float | None,
    needle: str,
) -> None:
    """Each status and body shape gives the documented error class, wait and message."""
    error = classify_discord(status, headers, body, mode=mode)
    assert type(error) is kind
    assert (error.channel, error.status) == ("discord", status)
    assert needle in str(error)
    assert "\n" not in str(error)
    if isinstance(error, Retryable):
        assert error.wait == wait


def test_webhook_tokens_are_redacted_from_quoted_bodies() -> None:
    """A body echoing a webhook URL is quoted with the token masked."""
    body = "bad gateway for https://discord.com/api/webhooks/123/s3cr3t-T0ken?wait=true"
    error = classify_discord(502, {}, body, mode="webhook")
    assert "s3cr3t-T0ken" not in str(error)
    assert "/webhooks/123/***" in str(error)
    assert redact("http://x/api/webhooks/1/abc") == "http://x/api/webhooks/1/***"


@pytest.mark.parametrize(
    "spec",
    [
        {"parse": []},
        {"parse": [], "roles": ["123456789012345678"]},
        {"parse": ["users"], "roles": ["1", "2"]},
        {"parse": ["everyone", "roles", "users"]},
    ],
)
def test_allowed_mentions_reproduce_the_json(spec: dict[str, Any]) -> None:
    """discord.py's AllowedMentions serialises back to exactly the rendered JSON."""
    sent: dict[str, Any] = dict(allowed_mentions(spec).to_dict())
    assert sorted(sent["parse"]) == sorted(spec["parse"])
    for kind in ("users", "roles"):
        assert [str(i) for i in sent.get(kind, [])] == spec.get(kind, [])
    assert not sent.get("replied_user")


def test_no_mentions_means_nobody_is_pinged() -> None:
    """``{"parse": []}`` turns off everyone, users, roles and the replied user."""
    mentions = allowed_mentions({"parse": []})
    assert (mentions.everyone, mentions.users, mentions.roles, mentions.replied_user) == (
        False,
        False,
        False,
        False,
    )


@pytest.mark.parametrize(
    ("status", "headers", "body", "wait"),
    [
        (200, {"X-RateLimit-Remaining": "4", "X-RateLimit-Reset-After": "1.000"}, b"{}", None),
        (200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "2.500"}, b"{}", 2.5),
        (429, {"Retry-After": "3"}, _json({"retry_after": 7.25}).encode(), 7.25),
        (429, {"Retry-After": "3"}, b"<html>", 3.0),
        (None, {}, b"", None),
    ],
)
def test_used_up_until_reads_a_429_or_an_empty_bucket(
    status: int | None, headers: dict[str, str], body: bytes, wait: float | None
) -> None:
    """Discord is used up for a 429's wait, or until a bucket with 0 left refills."""
    found = used_up_until(Answer(status, headers, body), 1000.0)
    assert found == (None if wait is None else 1000.0 + wait)
