"""The WebSub subscriber against the loopback hub: requests, intent checks, signatures, leases."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket

import httpx
import pytest

from heartbeat_bot.sandbox.feeds import FeedServer
from heartbeat_bot.sources.websub import RETRY_SECONDS, Subscriber


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def subscribed(server: FeedServer, clock: Clock) -> tuple[Subscriber, dict[str, str]]:
    """A subscriber that asked the hub and answered its check by hand; the hub's form."""

    async def ask() -> Subscriber:
        async with httpx.AsyncClient() as http:
            subscriber = Subscriber(http, "http://127.0.0.1:9/", clock=clock)
            assert subscriber.due(server.hub_url, server.url("f"))
            assert await subscriber.subscribe(server.hub_url, server.url("f"))
            return subscriber

    subscriber = asyncio.run(ask())
    form = server.hub_requests[-1]
    check = {
        "hub.mode": "subscribe",
        "hub.topic": server.url("f"),
        "hub.challenge": "c-123",
        "hub.lease_seconds": "100",
    }
    assert subscriber.verify(check) == (200, "c-123")
    return subscriber, form


def test_subscription_request_and_intent_check() -> None:
    """The request names our callback, topic and a secret; only our own request's check
    is answered, once, with its challenge."""
    clock = Clock()
    with FeedServer() as server:
        subscriber, form = subscribed(server, clock)
    assert form["hub.mode"] == "subscribe" and form["hub.callback"] == "http://127.0.0.1:9/websub"
    assert form["hub.topic"].endswith("/feeds/f") and len(form["hub.secret"]) == 64
    assert subscriber.lease is not None and subscriber.lease.until == clock.now + 100
    other = {"hub.mode": "subscribe", "hub.topic": "https://x.example/", "hub.challenge": "z"}
    assert subscriber.verify(other) == (404, "")
    again = {"hub.mode": "subscribe", "hub.topic": form["hub.topic"], "hub.challenge": "z"}
    assert subscriber.verify(again) == (404, "")  # answered already: a replay


def test_signatures_are_checked() -> None:
    """A push signed with our secret (any of sha1/sha256/sha512) is authentic; a wrong or
    missing signature, or an unknown method, is not."""
    with FeedServer() as server:
        subscriber, form = subscribed(server, Clock())
    body = b"<rss/>"
    for method in ("sha1", "sha256", "sha512"):
        digest = hmac.new(form["hub.secret"].encode(), body, getattr(hashlib, method))
        assert subscriber.authentic(body, {"X-Hub-Signature": f"{method}={digest.hexdigest()}"})
    forged = hmac.new(b"guess", body, hashlib.sha256).hexdigest()
    assert not subscriber.authentic(body, {"X-Hub-Signature": f"sha256={forged}"})
    assert not subscriber.authentic(body, {})
    assert not subscriber.authentic(body, {"X-Hub-Signature": "md5=abc"})


def test_one_request_at_a_time_until_the_hub_checks() -> None:
    """Asked once, a subscription is not asked again while the hub's check is due, and is
    once that wait is over."""
    from heartbeat_bot.sources.websub import CHECK_WAIT

    clock = Clock()
    with FeedServer() as server:

        async def ask() -> Subscriber:
            async with httpx.AsyncClient() as http:
                subscriber = Subscriber(http, "http://127.0.0.1:9", clock=clock)
                assert await subscriber.subscribe(server.hub_url, server.url("f"))
                return subscriber

        subscriber = asyncio.run(ask())
        assert not subscriber.due(server.hub_url, server.url("f"))
        clock.now += CHECK_WAIT
        assert subscriber.due(server.hub_url, server.url("f"))


def test_lease_is_renewed_before_it_ends() -> None:
    """Due again once 80 % of the lease has passed, not before."""
    clock = Clock()
    with FeedServer() as server:
        subscriber, _ = subscribed(server, clock)
        topic = server.url("f")
        assert not subscriber.due(server.hub_url, topic)
        clock.now += 79
        assert not subscriber.due(server.hub_url, topic)
        clock.now += 2
        assert subscriber.due(server.hub_url, topic)


def test_a_hub_that_cannot_be_reached_leaves_polling_alone() -> None:
    """A hub that is down: the request fails, nothing is due for an hour, then it is."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/hub"
    clock = Clock()

    async def ask() -> tuple[bool, bool]:
        async with httpx.AsyncClient() as http:
            subscriber = Subscriber(http, "https://h.example", clock=clock)
            done = await subscriber.subscribe(closed, "https://b.example/feed")
            due = subscriber.due(closed, "https://b.example/feed")
            clock.now += RETRY_SECONDS
            return done, due or not subscriber.due(closed, "https://b.example/feed")

    assert asyncio.run(ask()) == (False, False)


@pytest.mark.parametrize("answer", ["denied", "wrong challenge"])
def test_denied_or_unanswered_subscription_is_not_a_lease(answer: str) -> None:
    """A hub's denial ends the request; a check we do not answer leaves no lease."""
    with FeedServer() as server:

        async def ask() -> Subscriber:
            async with httpx.AsyncClient() as http:
                subscriber = Subscriber(http, "http://127.0.0.1:9", clock=Clock())
                await subscriber.subscribe(server.hub_url, server.url("f"))
                return subscriber

        subscriber = asyncio.run(ask())
        topic = server.url("f")
    if answer == "denied":
        assert subscriber.verify({"hub.mode": "denied", "hub.topic": topic}) == (200, "")
        assert not subscriber.due(server.hub_url, topic)
    else:
        assert subscriber.verify({"hub.mode": "unsubscribe", "hub.topic": topic,
                                  "hub.challenge": "x"}) == (404, "")  # fmt: skip
    assert subscriber.lease is None
