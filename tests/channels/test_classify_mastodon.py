"""Mastodon's answers mapped to our errors, and its text read back, as pure functions."""

from __future__ import annotations

import pytest

from heartbeat_bot.channels.mastodon.answers import (
    classify_mastodon,
    comparable,
    plain_text,
    reset_at,
    used_up_until,
)
from heartbeat_bot.errors import Permanent, Retryable

NOW = 1_800_000_000.0


def test_429_waits_until_the_iso_reset() -> None:
    """An ISO 8601 X-RateLimit-Reset 90 s ahead asks for a 90 s wait."""
    headers = {"X-RateLimit-Reset": "2027-01-15T08:01:30.000000Z"}
    now = reset_at("2027-01-15T08:00:00.000000Z")
    assert now is not None
    error = classify_mastodon(429, headers, '{"error":"Too many requests"}', now=now)
    assert isinstance(error, Retryable) and error.wait == pytest.approx(90.0)
    assert "Too many requests" in error.message


def test_429_accepts_epoch_seconds_and_retry_after() -> None:
    """A numeric reset (other servers) and, without any, Retry-After give the wait."""
    error = classify_mastodon(429, {"x-ratelimit-reset": str(int(NOW) + 30)}, "{}", now=NOW)
    assert isinstance(error, Retryable) and error.wait == pytest.approx(30.0)
    error = classify_mastodon(429, {"Retry-After": "12"}, "", now=NOW)
    assert isinstance(error, Retryable) and error.wait == 12.0


def test_a_past_reset_never_gives_a_negative_wait() -> None:
    """A reset already passed (a skewed clock) waits 0 s."""
    error = classify_mastodon(429, {"X-RateLimit-Reset": str(int(NOW) - 50)}, "{}", now=NOW)
    assert isinstance(error, Retryable) and error.wait == 0.0


@pytest.mark.parametrize(
    ("status", "body", "kind", "words"),
    [
        (
            422,
            '{"error":"Validation failed: Text character limit of 500 exceeded"}',
            Permanent,
            "character limit",
        ),
        (401, '{"error":"The access token is invalid"}', Permanent, "access_token was refused"),
        (
            403,
            '{"error":"This action is outside the authorized scopes"}',
            Permanent,
            "write:statuses",
        ),
        (
            404,
            '{"error":"The post you are trying to reply to does not appear to exist."}',
            Permanent,
            "reply to is gone",
        ),
        (500, '{"error":"Internal Server Error"}', Retryable, "server problem"),
        (503, "<html><title>Down</title></html>", Retryable, "server problem"),
        (408, "", Retryable, "server problem"),
    ],
)
def test_statuses_map_to_errors(status: int, body: str, kind: type, words: str) -> None:
    """Each answer becomes the error the table says, with words a person can act on."""
    error = classify_mastodon(status, {}, body, now=NOW)
    assert type(error) is kind and words in error.message and error.status == status


def test_a_used_up_budget_is_seen_on_a_success() -> None:
    """Remaining 0 on any answer closes the window until the reset; otherwise it stays open."""
    reset = "2027-01-15T08:05:00.000000Z"
    assert used_up_until({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}) == reset_at(
        reset
    )
    assert used_up_until({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": reset}) is None
    assert reset_at("not a time") is None and reset_at("2027-01-15T08:05:00") is None


def test_text_is_read_back_from_the_html() -> None:
    """Paragraphs, line breaks, hidden URL parts and escapes come back as the text sent."""
    content = (
        '<p>Hi &amp; welcome<br />line two</p><p>See <a href="https://dvc.org/blog/x">'
        '<span class="invisible">https://</span><span class="ellipsis">dvc.org/bl</span>'
        '<span class="invisible">og/x</span></a> #<span>DVC</span></p>'
    )
    assert plain_text(content) == "Hi & welcome\nline two\n\nSee https://dvc.org/blog/x #DVC"
    sent = "Hi & welcome\nline two\n\nSee https://dvc.org/blog/x #DVC"
    assert comparable(plain_text(content)) == comparable(sent)
    assert comparable("@\u2060bob  said") == comparable("@bob said")
