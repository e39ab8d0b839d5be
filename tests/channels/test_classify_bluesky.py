"""The pure mapping from a PDS answer to Retryable or Permanent, rule by rule."""

from __future__ import annotations

import json

import pytest

from heartbeat_bot.channels.bluesky.answers import classify_bluesky, rate_limit_wait
from heartbeat_bot.channels.bluesky.keys import is_tid, record_keys, tid
from heartbeat_bot.errors import Permanent, Retryable

NOW = 1_700_000_000.0


def _body(error: str, message: str) -> str:
    return json.dumps({"error": error, "message": message})


@pytest.mark.parametrize(
    ("status", "error", "kind", "words"),
    [
        (429, "RateLimitExceeded", Retryable, "rate limiting"),
        (500, "InternalServerError", Retryable, "server problem"),
        (502, "UpstreamFailure", Retryable, "server problem"),
        (503, "NotEnoughResources", Retryable, "server problem"),
        (401, "AuthenticationRequired", Permanent, "bluesky.app_password were refused"),
        (400, "ExpiredToken", Permanent, "the session ended"),
        (400, "AccountTakedown", Permanent, "cannot post"),
        (401, "AuthFactorTokenRequired", Permanent, "cannot post"),
        (413, "PayloadTooLarge", Permanent, "too large"),
        (400, "InvalidRequest", Permanent, "InvalidRequest: the message"),
    ],
)
def test_each_xrpc_error_has_its_rule(status: int, error: str, kind: type, words: str) -> None:
    """Each status and XRPC error name maps to its kind, quoting the PDS's message."""
    found = classify_bluesky(status, {}, _body(error, "the message"), now=NOW)
    assert type(found) is kind and found.status == status
    assert words in str(found)


def test_a_429_waits_until_ratelimit_reset() -> None:
    """The wait is RateLimit-Reset minus now; Retry-After only when no reset is given."""
    headers = {"RateLimit-Reset": str(int(NOW) + 40), "Retry-After": "5"}
    found = classify_bluesky(429, headers, _body("RateLimitExceeded", "x"), now=NOW)
    assert isinstance(found, Retryable) and found.wait == 40
    assert rate_limit_wait({"retry-after": "5"}, NOW) == 5
    assert rate_limit_wait({"ratelimit-reset": str(int(NOW) - 3)}, NOW) == 0


def test_an_html_error_page_is_described() -> None:
    """A proxy's HTML 502 is Retryable and named by its title."""
    page = "<html><head><title>502 Bad Gateway</title></head></html>"
    assert "502 Bad Gateway" in str(classify_bluesky(502, {}, page, now=NOW))


def test_record_keys_are_valid_distinct_tids_in_thread_order() -> None:
    """A thread's keys are TIDs, in order, the same for one nonce and others for another."""
    keys = record_keys("nonce-a", 25)
    assert all(is_tid(k) for k in keys) and keys == sorted(keys) and len(set(keys)) == 25
    assert record_keys("nonce-a", 3) == keys[:3]
    assert not set(record_keys("nonce-b", 25)) & set(keys)
    assert tid(0, 0) == "2222222222222" and not is_tid("k222222222222")
    with pytest.raises(ValueError):
        record_keys("", 1)
