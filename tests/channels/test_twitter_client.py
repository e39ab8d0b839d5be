"""TwitterClient (tweepy underneath, in a thread) against the sandbox's fake X."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from heartbeat_bot.channels.twitter.client import TwitterClient
from heartbeat_bot.channels.twitter.settings import TwitterConfig
from heartbeat_bot.errors import (
    ChannelError,
    Duplicate,
    Permanent,
    Retryable,
    Uncertain,
    WindowClosed,
)
from heartbeat_bot.models import Sent
from heartbeat_bot.sandbox import Sandbox
from tests.channels.helpers import assert_clean, closed_port_url, twitter_config

T = TypeVar("T")
FIRST = "DVC 3.0 is out: ML experiments and data versioning https://dvc.org/blog/dvc-3-0 🎉"
SECOND = "Experiments now live in your Git history & a new cache layout (see dvc.org/doc)."


def run(config: TwitterConfig, use: Callable[[TwitterClient], Awaitable[T]], **kw: Any) -> T:
    """Run ``use`` with a fresh client, closing it afterwards."""
    client = TwitterClient(config, **kw)

    async def main() -> T:
        return await use(client)

    try:
        return asyncio.run(main())
    finally:
        client.close()


def fails(
    config: TwitterConfig, use: Callable[[TwitterClient], Awaitable[object]], **kw: Any
) -> ChannelError:
    """The ChannelError ``use`` raises (any other exception fails the test)."""
    with pytest.raises(ChannelError) as caught:
        run(config, use, **kw)
    return caught.value


def posts(text: str, reply_to: str | None = None) -> Callable[[TwitterClient], Awaitable[Sent]]:
    return lambda client: client.post_tweet(text, reply_to)


def test_thread_is_posted_and_found_again(sb: Sandbox) -> None:
    """A tweet and its reply are posted, then found in the timeline despite t.co links."""

    async def use(client: TwitterClient) -> list[object]:
        first = await client.post_tweet(FIRST, None)
        second = await client.post_tweet(SECOND, first.remote_id)
        return [
            first,
            second,
            await client.find_tweet(FIRST, None),
            await client.find_tweet(SECOND, first.remote_id),
            await client.find_tweet("never posted", None),
            await client.check(),
        ]

    first, second, found_first, found_second, missing, who = run(twitter_config(sb), use)
    tweets = sb.x.tweets
    assert isinstance(first, Sent) and isinstance(second, Sent)
    assert [t["id"] for t in tweets] == [first.remote_id, second.remote_id]
    assert tweets[1]["in_reply_to_tweet_id"] == first.remote_id
    assert first.url == f"https://x.com/i/web/status/{first.remote_id}"
    assert (found_first, found_second, missing) == (first, second, None)
    assert who == "posting as @heartbeat_sandbox"


def test_duplicate_is_refused_then_found(sb: Sandbox) -> None:
    """Resending a posted text is a Duplicate, and find_tweet then recovers its id."""
    sent = run(twitter_config(sb), posts(FIRST))
    error = fails(twitter_config(sb), posts(FIRST))
    assert type(error) is Duplicate and error.status == 403
    assert run(twitter_config(sb), lambda c: c.find_tweet(FIRST, None)) == sent


def test_without_timeline_access_find_tweet_is_permanent() -> None:
    """On the free tier the timeline cannot be read: Permanent, saying a paid tier is needed."""
    with Sandbox(timeline_access=False) as sb:
        run(twitter_config(sb), posts(FIRST))
        assert type(fails(twitter_config(sb), posts(FIRST))) is Duplicate
        error = fails(twitter_config(sb), lambda c: c.find_tweet(FIRST, None))
        assert type(error) is Permanent and error.status == 403
        assert "needs a paid X API tier" in str(error)
        assert_clean(error, sb)


def test_rate_limit_is_retryable_until_the_reset(sb: Sandbox) -> None:
    """A 429 waits until x-rate-limit-reset (a second at most here), and posts nothing."""
    sb.faults.queue("x", "429")
    error = fails(twitter_config(sb), posts(FIRST))
    assert type(error) is Retryable and error.status == 429
    assert error.wait is not None and 0.0 <= error.wait <= 1.5
    assert sb.x.tweets == []


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("503", 503), ("html", 500)])
def test_server_errors_are_retryable(sb: Sandbox, kind: str, status: int) -> None:
    """5xx answers are Retryable with no wait, sent once (tweepy never resends)."""
    sb.faults.queue("x", kind)
    error = fails(twitter_config(sb), posts(FIRST))
    assert type(error) is Retryable and (error.status, error.wait) == (status, None)
    assert len(sb.requests) == 1 and "<" not in str(error)
    assert_clean(error, sb)


def test_refused_credentials_are_permanent_and_sent_once(sb: Sandbox) -> None:
    """Wrong keys are Permanent, name the settings, and were sent exactly once."""
    secret = "wrong-secret-wrong-secret-wrong-secret-0123456789"
    error = fails(twitter_config(sb, consumer_secret=secret), posts(FIRST))
    assert type(error) is Permanent and error.status == 401
    assert "twitter.consumer_key / twitter.consumer_secret" in str(error)
    assert secret not in str(error) and len(sb.requests) == 1
    assert_clean(error, sb)


def test_dropped_answer_is_uncertain_then_found(sb: Sandbox) -> None:
    """A tweet whose answer is lost is Uncertain; find_tweet finds it, a resend is a Duplicate."""
    sb.faults.queue("x", "drop")
    error = fails(twitter_config(sb), posts(FIRST))
    assert type(error) is Uncertain
    assert_clean(error, sb)
    [tweet] = sb.x.tweets
    found = run(twitter_config(sb), lambda c: c.find_tweet(FIRST, None))
    assert found is not None and found.remote_id == tweet["id"]
    assert type(fails(twitter_config(sb), posts(FIRST))) is Duplicate


def test_dropped_reply_is_found_by_its_parent(sb: Sandbox) -> None:
    """A reply whose answer is lost is found as our tweet replying to its parent."""
    first = run(twitter_config(sb), posts(FIRST))
    sb.faults.queue("x", "drop")
    assert type(fails(twitter_config(sb), posts(SECOND, first.remote_id))) is Uncertain
    found = run(twitter_config(sb), lambda c: c.find_tweet(SECOND, first.remote_id))
    assert found is not None and found.remote_id == sb.x.tweets[1]["id"]


def test_slow_answer_past_the_read_timeout_is_uncertain(sb: Sandbox) -> None:
    """A tweet whose answer outlasts the read timeout is Uncertain."""
    sb.faults.queue("x", "slow")
    error = fails(twitter_config(sb), posts(FIRST), timeout=(1.0, 0.1))
    assert type(error) is Uncertain and "ReadTimeout" in str(error)


def test_connection_refused_is_retryable(sb: Sandbox) -> None:
    """Nothing listening on the API URL: Retryable, since nothing was sent."""
    error = fails(twitter_config(sb, api_url=closed_port_url()), posts(FIRST))
    assert type(error) is Retryable and "could not connect" in str(error)
    assert_clean(error, sb)


@pytest.mark.parametrize("kind", ["badjson", "missing"])
def test_unreadable_success_of_a_create_is_uncertain(sb: Sandbox, kind: str) -> None:
    """A create answered with success but an unreadable body may have gone through: Uncertain."""
    sb.faults.queue("x", kind)
    error = fails(twitter_config(sb), posts(FIRST))
    assert type(error) is Uncertain and error.status == 201
    assert "it may have been created" in str(error)
    assert_clean(error, sb)


@pytest.mark.parametrize("kind", ["badjson", "missing", "html"])
def test_malformed_reads_are_channel_errors(sb: Sandbox, kind: str) -> None:
    """Unusable answers to get_me and the timeline are ChannelErrors, never a crash."""
    run(twitter_config(sb), posts(FIRST))
    for use, path in (
        (lambda c: c.check(), "/2/users/me"),
        (lambda c: c.find_tweet(FIRST, None), "/2/users/me"),
        (lambda c: c.find_tweet(FIRST, None), "/2/users/" + sb.x.user_id),
    ):
        sb.faults.queue("x", kind, path=path)
        assert_clean(fails(twitter_config(sb), use), sb)


def test_daily_cap_waits_for_the_daily_reset(sb: Sandbox) -> None:
    """A 429 from the 24-hour cap waits for that cap's reset, not the 15-minute window's."""
    sb.x.daily_limit = 0
    error = fails(twitter_config(sb), posts(FIRST))
    assert type(error) is Retryable and error.status == 429
    assert error.wait is not None and 86_000 < error.wait <= 86_401


def test_nothing_is_sent_once_x_says_the_daily_cap_is_used_up(sb: Sandbox) -> None:
    """After an answer saying no tweet is left today, the next call is refused before any
    request, with the wait until the cap's reset."""
    sb.x.daily_limit = 1

    async def use(client: TwitterClient) -> ChannelError:
        await client.post_tweet(FIRST, None)
        assert client.exhausted_until is not None and client.exhausted_until > time.time()
        with pytest.raises(WindowClosed) as caught:
            await client.post_tweet(SECOND, None)
        return caught.value

    error = run(twitter_config(sb), use)
    assert error.wait is not None and 86_000 < error.wait <= 86_401
    assert [r["status"] for r in sb.x.requests] == [201]
