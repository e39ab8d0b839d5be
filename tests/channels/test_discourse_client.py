"""DiscourseClient over loopback HTTP against the sandbox's fake Discourse."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import SecretStr

from heartbeat_bot.channels.discourse.client import DiscourseClient
from heartbeat_bot.channels.discourse.settings import DiscourseConfig
from heartbeat_bot.errors import ChannelError, Permanent, Retryable, Uncertain
from heartbeat_bot.models import Sent
from heartbeat_bot.sandbox import Sandbox
from tests.channels.helpers import (
    POST_URL,
    assert_clean,
    closed_port_url,
    discourse_config,
    topic,
)

T = TypeVar("T")


def run(
    config: DiscourseConfig, use: Callable[[DiscourseClient], Awaitable[T]], timeout: float = 5.0
) -> T:
    """Build a client on a fresh httpx.AsyncClient, run ``use`` with it, close it."""

    async def main() -> T:
        async with httpx.AsyncClient() as http:
            return await use(DiscourseClient(http, config, timeout=timeout))

    return asyncio.run(main())


def fails(
    config: DiscourseConfig, use: Callable[[DiscourseClient], Awaitable[object]], **kw: float
) -> ChannelError:
    """The ChannelError ``use`` raises (any other exception fails the test)."""
    with pytest.raises(ChannelError) as caught:
        run(config, use, **kw)
    return caught.value


def creates(body: dict[str, Any]) -> Callable[[DiscourseClient], Awaitable[Sent]]:
    return lambda client: client.create_topic(body)


def test_create_topic_opens_the_thread(sb: Sandbox) -> None:
    """A topic is created with its tags, category and ids, and its public URL is returned."""
    sent = run(discourse_config(sb), lambda c: c.create_topic(topic()))
    [created] = sb.discourse.topics
    assert sent.remote_id == str(created["id"])
    assert sent.url == f"{sb.discourse_url}/t/{created['slug']}/{created['id']}"
    assert created["tags"] == ["release", "dvc"] and created["category"] == 7
    assert created["external_id"] == "dvc-3-0-release-1a2b3c"
    assert created["embed_url"] == POST_URL


def test_topic_check_and_lookup_read_back(sb: Sandbox) -> None:
    """check() names the staff user; topic() and find_topic() read the created topic."""

    async def use(
        client: DiscourseClient,
    ) -> tuple[str, dict[str, Any], Sent | None, Sent | None]:
        sent = await client.create_topic(topic())
        return (
            await client.check(),
            await client.topic(int(sent.remote_id)),
            await client.find_topic("dvc-3-0-release-1a2b3c", "https://elsewhere.example/x"),
            await client.find_topic("", POST_URL.upper() + "/"),
        )

    who, data, by_external_id, by_embed_url = run(discourse_config(sb), use)
    assert who == "logged in as heartbeat-bot (staff)"
    assert data["posts_count"] == 1
    assert by_external_id == by_embed_url
    assert by_external_id is not None and by_external_id.url == sb.discourse.topics[0]["url"]


def test_find_topic_returns_none_when_nothing_matches(sb: Sandbox) -> None:
    """With no topic for either the external id or the embed URL, find_topic is None."""
    assert run(discourse_config(sb), lambda c: c.find_topic("nope", POST_URL)) is None
    assert [r["status"] for r in sb.requests] == [404, 404]


@pytest.mark.parametrize(
    ("existing", "refusal"),
    [
        (
            {
                "title": "An older topic about something else",
                "external_id": "dvc-3-0-release-1a2b3c",
            },
            "External has already been taken",
        ),
        (
            {"title": "An older topic about something else", "embed_url": POST_URL},
            "Embed url has already been taken",
        ),
        (
            {
                "title": "DVC 3.0: ML experiments and data versioning",
                "external_id": "dvc-3-0-release-1a2b3c",
            },
            "Title has already been used",
        ),
    ],
)
def test_existing_topic_is_adopted(sb: Sandbox, existing: dict[str, Any], refusal: str) -> None:
    """A create refused because the topic exists returns that topic and creates nothing."""
    seeded = sb.discourse.create_existing(**existing)
    sent = run(discourse_config(sb), creates(topic()))
    assert sent.remote_id == str(seeded["id"]) and sent.url == seeded["url"]
    assert len(sb.discourse.topics) == 1
    assert sb.requests[0]["status"] == 422


def test_title_clash_with_another_topic_is_permanent(sb: Sandbox) -> None:
    """A title taken by a topic that is not this post's is a clear permanent refusal."""
    sb.discourse.create_existing(title="DVC 3.0: ML experiments and data versioning")
    error = fails(discourse_config(sb), creates(topic()))
    assert type(error) is Permanent
    assert "a topic with this title already exists and is not this post's" in str(error)
    assert "set commentsUrl by hand or change the title" in str(error)


def test_queued_post_is_permanent(sb: Sandbox) -> None:
    """A create queued for approval says the user must be staff."""
    sb.discourse.enqueue = True
    error = fails(discourse_config(sb), creates(topic()))
    assert type(error) is Permanent
    assert "queued for approval: discourse.api_username must be a staff user" in str(error)


def test_validation_errors_are_permanent_with_discourse_messages(sb: Sandbox) -> None:
    """A 422 that is not about an existing topic carries Discourse's own messages."""
    error = fails(discourse_config(sb), creates(topic(title="Too short", raw="tiny")))
    assert type(error) is Permanent and error.status == 422
    assert "Title is too short (minimum is 15 characters)" in str(error)
    assert "Body is too short (minimum is 20 characters)" in str(error)


@pytest.mark.parametrize("plain_text", [False, True])
def test_rate_limit_is_retryable_with_the_header_wait(sb: Sandbox, plain_text: bool) -> None:
    """A 429 (JSON or the per-IP limiter's plain text) waits for its Retry-After header."""
    sb.discourse.plain_text_429 = plain_text
    sb.faults.queue("discourse", "429")
    error = fails(discourse_config(sb), creates(topic()))
    assert type(error) is Retryable and error.status == 429
    assert error.wait == 1.0  # Retry-After is whole seconds; extras.wait_seconds says 0.2
    assert sb.discourse.topics == []


@pytest.mark.parametrize(
    ("fault", "status"), [("500", 500), ("502", 502), ("503", 503), ("html", 500)]
)
def test_server_errors_are_retryable(sb: Sandbox, fault: str, status: int) -> None:
    """5xx answers, JSON or HTML, are retryable with no wait of their own."""
    sb.faults.queue("discourse", fault)
    error = fails(discourse_config(sb), creates(topic()))
    assert type(error) is Retryable
    assert (error.status, error.wait) == (status, None)
    assert "<" not in str(error)  # an HTML page is described, not dumped
    assert_clean(error, sb)


def test_refused_key_is_permanent_and_sent_once(sb: Sandbox) -> None:
    """A wrong API key is a permanent error naming the settings, after exactly one request."""
    error = fails(discourse_config(sb, api_key="wrong-key-0123456789"), creates(topic()))
    assert type(error) is Permanent and error.status == 403
    assert "discourse.api_key / discourse.api_username were refused (invalid_access" in str(error)
    assert "wrong-key-0123456789" not in str(error)
    assert len(sb.requests) == 1


def test_dropped_answer_is_uncertain_then_found(sb: Sandbox) -> None:
    """A create whose answer is lost is Uncertain, and find_topic then finds the topic."""
    sb.faults.queue("discourse", "drop")
    error = fails(discourse_config(sb), creates(topic()))
    assert type(error) is Uncertain
    assert_clean(error, sb)
    [created] = sb.discourse.topics
    found = run(discourse_config(sb), lambda c: c.find_topic("dvc-3-0-release-1a2b3c", POST_URL))
    assert found is not None and found.remote_id == str(created["id"])


def test_connection_dropped_before_processing_is_uncertain_and_not_found(sb: Sandbox) -> None:
    """A connection closed without an answer is Uncertain even when nothing was created."""
    sb.faults.queue("discourse", "drop_before")
    assert type(fails(discourse_config(sb), creates(topic()))) is Uncertain
    assert (
        run(discourse_config(sb), lambda c: c.find_topic("dvc-3-0-release-1a2b3c", POST_URL))
        is None
    )


def test_slow_answer_past_the_timeout_is_uncertain(sb: Sandbox) -> None:
    """A create that times out while waiting for the answer is Uncertain."""
    sb.faults.queue("discourse", "slow")
    error = fails(discourse_config(sb), creates(topic()), timeout=0.1)
    assert type(error) is Uncertain and "ReadTimeout" in str(error)


def test_slow_read_past_the_timeout_is_retryable(sb: Sandbox) -> None:
    """A lookup that times out changed nothing, so it is simply Retryable."""
    sb.faults.queue("discourse", "slow")
    error = fails(discourse_config(sb), lambda c: c.find_topic("x", POST_URL), timeout=0.1)
    assert type(error) is Retryable


def test_connection_refused_is_retryable() -> None:
    """Nothing listening: Retryable, since nothing was sent."""
    config = DiscourseConfig(
        url=closed_port_url(), api_key=SecretStr("k" * 64), api_username="someone"
    )
    error = fails(config, creates(topic()))
    assert type(error) is Retryable and "nothing was sent" in str(error)
    assert "k" * 64 not in str(error)


@pytest.mark.parametrize("fault", ["badjson", "missing"])
def test_unreadable_success_of_a_create_is_uncertain(sb: Sandbox, fault: str) -> None:
    """A create answered with success but an unreadable body may have gone through: Uncertain."""
    sb.faults.queue("discourse", fault)
    error = fails(discourse_config(sb), creates(topic()))
    assert type(error) is Uncertain and error.status == 200
    assert str(error).startswith("discourse (HTTP 200): Discourse accepted the request")
    assert len(error.message) < 300


@pytest.mark.parametrize("fault", ["badjson", "missing", "html"])
def test_malformed_lookup_answers_are_channel_errors(sb: Sandbox, fault: str) -> None:
    """Unusable answers to every read are ChannelErrors, never another exception."""
    sb.discourse.create_existing(title="Some topic title here", external_id="abc")
    for use in (
        lambda c: c.find_topic("abc", POST_URL),
        lambda c: c.topic(11),
        lambda c: c.check(),
    ):
        sb.faults.queue("discourse", fault)
        error = fails(discourse_config(sb), use)
        assert_clean(error, sb)
