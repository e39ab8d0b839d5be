"""The fake X with tweepy's real Client (OAuth 1.0a signed for api.twitter.com) and requests."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import tweepy
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth1

from heartbeat_bot.sandbox import Sandbox

REAL_HOSTS = ("https://api.twitter.com", "https://api.x.com")


class RewriteAdapter(HTTPAdapter):
    """Send requests for the real X hosts to the sandbox, after tweepy has signed them."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        for host in REAL_HOSTS:
            if request.url and request.url.startswith(host):
                request.url = self.base_url + request.url[len(host) :]
        return super().send(request, **kwargs)


def _client(sb: Sandbox, consumer_secret: str | None = None) -> tweepy.Client:
    creds = sb.credentials
    client = tweepy.Client(
        consumer_key=creds.twitter_consumer_key,
        consumer_secret=consumer_secret or creds.twitter_consumer_secret,
        access_token=creds.twitter_access_token,
        access_token_secret=creds.twitter_access_token_secret,
    )
    for host in REAL_HOSTS:
        client.session.mount(host, RewriteAdapter(sb.x_api_url))
    return client


@pytest.fixture
def client(sb: Sandbox) -> Iterator[tweepy.Client]:
    """tweepy's Client with the sandbox's keys, its session rerouted to the sandbox."""
    tweepy_client = _client(sb)
    yield tweepy_client
    tweepy_client.session.close()


@pytest.fixture
def signed(sb: Sandbox) -> Iterator[requests.Session]:
    """A plain requests session signing like tweepy, to read raw statuses and headers."""
    creds = sb.credentials
    session = requests.Session()
    session.auth = OAuth1(
        creds.twitter_consumer_key,
        creds.twitter_consumer_secret,
        creds.twitter_access_token,
        creds.twitter_access_token_secret,
    )
    session.mount("https://api.twitter.com", RewriteAdapter(sb.x_api_url))
    yield session
    session.close()


TWEETS = "https://api.twitter.com/2/tweets"


def test_tweepy_client_is_accepted(sb: Sandbox, client: tweepy.Client) -> None:
    """tweepy's create_tweet and get_me pass the fake's OAuth 1.0a check."""
    first = client.create_tweet(text="Hello from the sandbox", user_auth=True)
    reply = client.create_tweet(text="and a reply", in_reply_to_tweet_id=first.data["id"])
    me = client.get_me(user_auth=True)
    assert first.data["id"].isdigit() and first.data["edit_history_tweet_ids"] == [first.data["id"]]
    assert [t["in_reply_to_tweet_id"] for t in sb.x.tweets] == [None, first.data["id"]]
    assert sb.x.tweets[1]["id"] == reply.data["id"]
    assert me.data.id == int(sb.x.user_id)


def test_wrong_consumer_secret_is_refused(sb: Sandbox) -> None:
    """A signature made with the wrong consumer secret is 401 and creates nothing."""
    wrong = _client(sb, consumer_secret="not-the-secret")
    with pytest.raises(tweepy.Unauthorized) as caught:
        wrong.create_tweet(text="should not post")
    wrong.session.close()
    assert caught.value.response.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }
    assert sb.x.tweets == []


def test_replayed_signature_is_refused(sb: Sandbox, signed: requests.Session) -> None:
    """Resending the very same signed request (same nonce) is refused, as X does."""
    prepared = signed.prepare_request(requests.Request("POST", TWEETS, json={"text": "once"}))
    assert signed.send(prepared).status_code == 201
    assert signed.send(prepared).status_code == 401
    assert len(sb.x.tweets) == 1


def test_response_headers_carry_rate_limits(signed: requests.Session) -> None:
    """Every answer has x-rate-limit-* and x-user-limit-24hour-* headers."""
    response = signed.post(TWEETS, json={"text": "counting"})
    headers = response.headers
    assert headers["x-rate-limit-limit"] == "100" and headers["x-rate-limit-remaining"] == "99"
    assert int(headers["x-rate-limit-reset"]) > time.time()
    assert headers["x-user-limit-24hour-remaining"] == "99"
    assert int(headers["x-user-limit-24hour-reset"]) > time.time()


def test_too_long_tweet_is_400_invalid_request(sb: Sandbox, signed: requests.Session) -> None:
    """Text over 280 weighted characters (141 CJK = 282) is an invalid request."""
    assert signed.post(TWEETS, json={"text": "字" * 140}).status_code == 201
    response = signed.post(TWEETS, json={"text": "字" * 141})
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == "Invalid Request"
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert body["errors"][0]["message"].startswith("Your Tweet text is too long.")
    assert len(sb.x.tweets) == 1


def test_duplicate_is_403_without_code(sb: Sandbox, signed: requests.Session) -> None:
    """The same text twice is X's 403 duplicate-content body, with no numeric code."""
    assert signed.post(TWEETS, json={"text": "Say it once"}).status_code == 201
    response = signed.post(TWEETS, json={"text": "Say it once"})
    assert response.status_code == 403
    assert response.json() == {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }
    assert len(sb.x.tweets) == 1


def test_reply_to_unknown_tweet_is_refused(sb: Sandbox, signed: requests.Session) -> None:
    """A reply to a tweet that does not exist is 403; a malformed id is 400."""
    gone = signed.post(TWEETS, json={"text": "reply", "reply": {"in_reply_to_tweet_id": "1"}})
    assert gone.status_code == 403
    assert gone.json()["detail"].startswith("You attempted to reply to a Tweet that is deleted")
    malformed = {"text": "reply", "reply": {"in_reply_to_tweet_id": "abc"}}
    assert signed.post(TWEETS, json=malformed).status_code == 400
    assert sb.x.tweets == []


def test_429_tells_when_to_come_back(sb: Sandbox, signed: requests.Session) -> None:
    """A 429 has remaining 0 and a reset epoch second no earlier than now + the wait."""
    sb.faults.queue("x", "429", path="/2/tweets")
    before = time.time()
    response = signed.post(TWEETS, json={"text": "rate limited"})
    assert response.status_code == 429
    assert response.json() == {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }
    assert response.headers["x-rate-limit-remaining"] == "0"
    assert int(response.headers["x-rate-limit-reset"]) >= math.ceil(before + 0.1)
    assert sb.x.tweets == []


def test_tweepy_maps_429_to_too_many_requests(sb: Sandbox, client: tweepy.Client) -> None:
    """tweepy raises TooManyRequests with the reset time read from the header."""
    sb.faults.queue("x", "429")
    with pytest.raises(tweepy.TooManyRequests) as caught:
        client.create_tweet(text="later")
    assert caught.value.reset_time is not None and caught.value.reset_time >= int(time.time())


def test_timeline_newest_first_with_fields_and_tco(sb: Sandbox, client: tweepy.Client) -> None:
    """The timeline lists newest first, with referenced_tweets and t.co-wrapped URLs."""
    root = client.create_tweet(text="Read https://dvc.org/blog/post now").data
    reply = client.create_tweet(text="Part two", in_reply_to_tweet_id=root["id"]).data
    assert root["text"].startswith("Read https://t.co/") and "dvc.org" not in root["text"]
    timeline = client.get_users_tweets(
        sb.x.user_id,
        max_results=5,
        tweet_fields=["referenced_tweets", "created_at", "conversation_id"],
        user_auth=True,
    )
    assert [t.id for t in timeline.data] == [int(reply["id"]), int(root["id"])]
    newest, oldest = timeline.data
    assert newest.referenced_tweets[0].type == "replied_to"
    assert newest.referenced_tweets[0].id == int(root["id"])
    assert newest.conversation_id == int(root["id"]) and newest.created_at is not None
    assert oldest.text.startswith("Read https://t.co/") and len(oldest.text.split()[1]) == 23
    assert sb.x.tweets[0]["text"] == "Read https://dvc.org/blog/post now"  # stored as sent
    assert timeline.meta["result_count"] == 2


def test_timeline_without_access_is_client_forbidden(sb: Sandbox, signed: requests.Session) -> None:
    """Without a paid tier, reading the timeline is 403 client-not-enrolled."""
    sb.x.timeline_access = False
    response = signed.get(f"https://api.twitter.com/2/users/{sb.x.user_id}/tweets")
    assert response.status_code == 403
    body = response.json()
    assert body["title"] == "Client Forbidden" and body["reason"] == "client-not-enrolled"
    assert body["type"] == "https://api.twitter.com/2/problems/client-forbidden"
    assert signed.get("https://api.twitter.com/2/users/me").status_code == 200


def test_no_timeline_option_starts_without_access() -> None:
    """Sandbox(timeline_access=False) refuses timeline reads from the start."""
    with Sandbox(timeline_access=False) as sandbox:
        assert sandbox.x.timeline_access is False
