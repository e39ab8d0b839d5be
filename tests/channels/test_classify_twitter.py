"""Table tests of classify_twitter and of the tweet-text comparison used to find a tweet."""

from __future__ import annotations

import json

import pytest

from heartbeat_bot.channels.twitter.answers import classify_twitter, normalise, used_up_until
from heartbeat_bot.errors import ChannelError, Duplicate, Permanent, Retryable

NOW = 1_700_000_000.0
DUPLICATE = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
NOT_ENROLLED = {
    "title": "Client Forbidden",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
    "and tokens from a Twitter developer App that is attached to a Project.",
    "reason": "client-not-enrolled",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}


def _json(data: object) -> str:
    return json.dumps(data)


@pytest.mark.parametrize(
    ("status", "headers", "body", "kind", "wait", "needle"),
    [
        (
            429,
            {"x-rate-limit-reset": str(int(NOW) + 90)},
            _json({"title": "Too Many Requests", "detail": "Too Many Requests"}),
            Retryable,
            90.0,
            "Too Many Requests",
        ),
        (429, {"X-Rate-Limit-Reset": str(int(NOW) - 30)}, "", Retryable, 0.0, "rate limiting"),
        (429, {}, "Too Many Requests", Retryable, None, "Too Many Requests"),
        (429, {"x-rate-limit-reset": "later"}, "", Retryable, None, "rate limiting"),
        (
            429,
            {
                "x-rate-limit-reset": str(int(NOW) + 60),
                "x-user-limit-24hour-remaining": "0",
                "x-user-limit-24hour-reset": str(int(NOW) + 3600),
            },
            "",
            Retryable,
            3600.0,
            "rate limiting",
        ),
        (
            500,
            {},
            _json({"title": "Internal Server Error"}),
            Retryable,
            None,
            "Internal Server Error",
        ),
        (503, {}, "<html><title>Over capacity</title></html>", Retryable, None, "Over capacity"),
        (502, {}, "{bad json", Retryable, None, "{bad json"),
        (403, {}, _json(DUPLICATE), Duplicate, None, "duplicate content"),
        (403, {}, _json(NOT_ENROLLED), Permanent, None, "reason: client-not-enrolled"),
        (
            403,
            {},
            _json({"detail": "You are not permitted to perform this action."}),
            Permanent,
            None,
            "Read and Write permission",
        ),
        (
            401,
            {},
            _json({"title": "Unauthorized", "status": 401, "detail": "Unauthorized"}),
            Permanent,
            None,
            "twitter.consumer_key / twitter.consumer_secret",
        ),
        (
            400,
            {},
            _json(
                {
                    "errors": [{"message": "Invalid 'in_reply_to_tweet_id'"}],
                    "title": "Invalid Request",
                }
            ),
            Permanent,
            None,
            "Invalid 'in_reply_to_tweet_id'",
        ),
        (404, {}, "", Permanent, None, "empty answer"),
        (201, {}, _json({"data": {"text": "no id"}}), Permanent, None, "unexpected answer from X"),
        (200, {}, "<html>", Permanent, None, "unexpected answer from X: <html>"),
    ],
)
def test_twitter_table(
    status: int,
    headers: dict[str, str],
    body: str,
    kind: type[ChannelError],
    wait: float | None,
    needle: str,
) -> None:
    """Each status and body shape gives the documented error class, wait and message."""
    error = classify_twitter(status, headers, body, now=NOW)
    assert type(error) is kind
    assert (error.channel, error.status) == ("twitter", status)
    assert needle in str(error)
    assert "\n" not in str(error)
    if isinstance(error, Retryable):
        assert error.wait == wait


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("New post: https://dvc.org/blog/x", "New post: https://t.co/AbC123"),
        ("Read it at dvc.org/blog (free)", "Read it at https://t.co/z9 (free)"),
        ("R&D <3 dvc.org, really", "R&amp;D &lt;3 https://t.co/q1, really"),
        ("two  spaces\nand a line", "two spaces and a line"),
    ],
)
def test_normalised_texts_match_what_x_returns(ours: str, theirs: str) -> None:
    """Our text equals X's rewrite of it once links are placeholders and entities undone."""
    assert normalise(ours) == normalise(theirs, from_x=True)


def test_normalised_texts_still_tell_tweets_apart() -> None:
    """Texts that differ outside their links stay different."""
    assert normalise("Part 1 https://a.io") != normalise("Part 2 https://t.co/x", from_x=True)
    assert normalise("DVC 3.0 is out") == normalise("DVC 3.0 is out", from_x=True)


@pytest.mark.parametrize(
    ("headers", "until"),
    [
        ({"x-rate-limit-remaining": "5", "x-rate-limit-reset": "1700000900"}, None),
        ({"x-rate-limit-remaining": "0", "x-rate-limit-reset": "1700000900"}, 1_700_000_900.0),
        (
            {
                "X-Rate-Limit-Remaining": "40",
                "x-rate-limit-reset": "1700000900",
                "x-user-limit-24hour-remaining": "0",
                "x-user-limit-24hour-reset": "1700086400",
            },
            1_700_086_400.0,
        ),
        (
            {
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": "1700000900",
                "x-app-limit-24hour-remaining": "0",
                "x-app-limit-24hour-reset": "1700050000",
            },
            1_700_050_000.0,
        ),
        ({"x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": "soon"}, None),
        ({}, None),
    ],
)
def test_used_up_until_reads_the_windows_with_none_left(
    headers: dict[str, str], until: float | None
) -> None:
    """X's window reopens at the latest reset of the windows whose remaining count is 0."""
    assert used_up_until(headers) == until
