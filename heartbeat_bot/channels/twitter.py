"""X (Twitter): post the summary thread one tweet at a time, and find a tweet posted before.

tweepy 4.17 does the OAuth 1.0a signing and the status mapping; it is blocking, so every
call runs in a thread of its own (``twitter_transport.in_daemon_thread``). Its host is
hard-coded, so a transport adapter on ``client.session`` sends requests to
``twitter.api_url`` (a sandbox, say), adds the timeout tweepy never sets, reads answers up
to a size limit and follows no redirect. The client asks tweepy for raw
``requests.Response`` objects so the bodies are read by our own code, which never crashes
on an odd answer. X has no idempotency key: see ``../shared/DESIGN.md`` ("Exactly once")
for how a lost answer is reconciled with :meth:`TwitterClient.find_tweet`.
"""

from __future__ import annotations

import asyncio
import html
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import requests
import tweepy
import urllib3

from heartbeat_bot.channels.common import (
    classify_status,
    join_messages,
    json_object,
    lower_keys,
    safe_cause,
    unexpected,
    unreadable_success,
)
from heartbeat_bot.channels.twitter_transport import RedirectAdapter, in_daemon_thread
from heartbeat_bot.config import TwitterConfig
from heartbeat_bot.errors import (
    ChannelError,
    ConfigError,
    Duplicate,
    Permanent,
    Retryable,
    Uncertain,
)
from heartbeat_bot.models import Sent
from heartbeat_bot.transport import AnswerTooLarge, RedirectRefused, shown_url

CHANNEL = "twitter"
SERVICE = "X"
_CREDENTIALS = (
    "twitter.consumer_key / twitter.consumer_secret / twitter.access_token / "
    "twitter.access_token_secret were refused"
)
_FORBIDDEN = (
    "X refused the request: check the app has Read and Write permission, then regenerate "
    "twitter.access_token / twitter.access_token_secret"
)
# tweepy's hard-coded host and X's new name for it; requests to both go to api_url.
_X_HOSTS = ("https://api.twitter.com", "https://api.x.com")
_TWEET_FIELDS = ["referenced_tweets", "created_at", "conversation_id"]


def classify_twitter(
    status: int, headers: Mapping[str, str], body: str, *, now: float
) -> ChannelError:
    """The error an unusable X answer stands for (pure; ``now`` is the epoch in seconds).

    429 waits until ``x-rate-limit-reset`` (never negative), or the daily cap's reset when
    that cap is what ran out; a 403 saying "duplicate content" is a Duplicate (the tweet
    went out before); 401/403 name the credentials and the app permission to check.
    """
    data = json_object(body) or {}
    detail = _messages(data)
    if status == 403 and "duplicate content" in body.lower():
        return Duplicate(CHANNEL, f"X refused a duplicate tweet ({detail})", status=403)
    wait = None
    if status == 429:
        lowered = lower_keys(headers)
        resets = [lowered.get("x-rate-limit-reset")]
        for scope in ("user", "app"):
            if lowered.get(f"x-{scope}-limit-24hour-remaining") == "0":
                resets.append(lowered.get(f"x-{scope}-limit-24hour-reset"))
        waits = [w for w in (_until(reset, now) for reset in resets) if w is not None]
        wait = max(waits) if waits else None
    return classify_status(
        channel=CHANNEL,
        service=SERVICE,
        status=status,
        body=body,
        detail=detail,
        wait=wait,
        refused=_CREDENTIALS if status == 401 else _FORBIDDEN,
    )


def _until(reset: str | None, now: float) -> float | None:
    try:
        return max(0.0, int(reset or "") - now)
    except ValueError:
        return None


def _messages(data: Mapping[str, Any]) -> str:
    """X's v2 error bodies: ``errors[].message``/``detail``, a top-level ``detail``."""
    found: list[object] = []
    errors = data.get("errors")
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict):
            found.append(error.get("message") or error.get("detail") or "")
        elif isinstance(error, str):
            found.append(error)
    for key in ("detail", "error"):
        if isinstance(data.get(key), str):
            found.append(data[key])
    if not any(found) and isinstance(data.get("title"), str):
        found.append(data["title"])
    if isinstance(data.get("reason"), str):
        found.append(f"reason: {data['reason']}")
    return join_messages(found)


def normalise(text: str, *, from_x: bool = False) -> str:
    """Tweet text comparable with what X returns.

    X rewrites every link (even a bare ``example.com``) to a ``https://t.co/...`` link
    and HTML-escapes ``&``, ``<`` and ``>`` in the text it returns. Each word that looks
    like a link becomes a placeholder on both sides, and whitespace is collapsed.
    """
    if from_x:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    return " ".join("<url>" if _URLISH.search(word) else word for word in text.split())


_URLISH = re.compile(r"://|(?:^|[^\w@])[\w-]+(?:\.[\w-]+)*\.(?:[^\W\d_]{2,}|xn--[\w-]+)\b")


class TwitterClient:
    """Posts tweets as the account the access token belongs to."""

    def __init__(
        self, config: TwitterConfig, *, timeout: tuple[float, float] = (10.0, 30.0)
    ) -> None:
        keys = (
            config.consumer_key,
            config.consumer_secret,
            config.access_token,
            config.access_token_secret,
        )
        if any(key is None for key in keys):
            raise ConfigError(
                "twitter.consumer_key, consumer_secret, access_token and "
                "access_token_secret are all needed",
                key="twitter.consumer_key",
            )
        values = tuple(key.get_secret_value() for key in keys if key is not None)
        self._secrets = values
        self._client = tweepy.Client(
            consumer_key=values[0],
            consumer_secret=values[1],
            access_token=values[2],
            access_token_secret=values[3],
            return_type=requests.Response,
            wait_on_rate_limit=False,  # it resends at once when a 429 lacks a reset time
        )
        target = config.api_url.rstrip("/")
        self._base = shown_url(target)
        real = any(target == host for host in _X_HOSTS)
        self._adapter = RedirectAdapter(None if real else target, timeout)
        self._serial = asyncio.Lock()
        self._session_lock = threading.Lock()
        for prefix in _X_HOSTS:
            self._client.session.mount(prefix, self._adapter)
        self._me: str | None = None

    def close(self) -> None:
        """Close the connections of tweepy's session."""
        self._client.session.close()

    async def post_tweet(self, text: str, reply_to: str | None) -> Sent:
        """Post ``text``, as a reply to tweet ``reply_to`` when given."""
        response = await self._run(
            self._client.create_tweet,
            changes=True,
            text=text,
            in_reply_to_tweet_id=reply_to,
            user_auth=True,
        )
        data = json_object(response.text) or {}
        tweet = data.get("data")
        tweet_id = tweet.get("id") if isinstance(tweet, dict) else None
        if isinstance(tweet_id, int) and not isinstance(tweet_id, bool):
            tweet_id = str(tweet_id)
        if not isinstance(tweet_id, str) or not tweet_id.isdigit():
            raise unreadable_success(CHANNEL, SERVICE, response.text, response.status_code)
        return _sent(tweet_id)

    async def find_tweet(self, text: str, reply_to: str | None) -> Sent | None:
        """Our tweet with this text (and replying to ``reply_to``) among our last 100.

        Raises Permanent when the account cannot read its timeline (free X tier): the
        caller then records the tweet's fate as unknown.
        """
        me = await self._my_id()
        try:
            response = await self._run(
                self._client.get_users_tweets,
                changes=False,
                id=me,
                max_results=100,
                tweet_fields=_TWEET_FIELDS,
                user_auth=True,
            )
        except Permanent as exc:
            if exc.status not in (401, 403):
                raise
            raise Permanent(
                CHANNEL,
                "reading the account's timeline needs a paid X API tier (Basic or above), "
                f"so the tweet cannot be looked up; X said: {exc.message}",
                status=exc.status,
            ) from exc
        data = json_object(response.text) or {}
        # An empty timeline still has "meta"; "{}" is no answer, and must not read as
        # "not posted".
        if not isinstance(data.get("data", []), list) or not isinstance(data.get("meta"), dict):
            raise unexpected(CHANNEL, SERVICE, response.text, response.status_code)
        tweets = [t for t in data.get("data") or [] if isinstance(t, dict) and _tweet_id(t)]
        wanted = normalise(text)
        same = [t for t in tweets if normalise(str(t.get("text", "")), from_x=True) == wanted]
        if reply_to is not None:
            replies = [t for t in tweets if _replied_to(t) == str(reply_to)]
            matches = [t for t in replies if t in same] or replies
        else:
            matches = same
        return _sent(_tweet_id(matches[0])) if matches else None

    async def check(self) -> str:
        """Whether the credentials work: "posting as @name"."""
        data = await self._get_me()
        return f"posting as @{data['username']}"

    async def _my_id(self) -> str:
        if self._me is None:
            self._me = str((await self._get_me())["id"])
        return self._me

    async def _get_me(self) -> dict[str, Any]:
        response = await self._run(self._client.get_me, changes=False, user_auth=True)
        user = (json_object(response.text) or {}).get("data")
        if not isinstance(user, dict) or not user.get("id") or not user.get("username"):
            raise unexpected(CHANNEL, SERVICE, response.text, response.status_code)
        return user

    async def _run(
        self, call: Callable[..., Any], *, changes: bool, **kwargs: Any
    ) -> requests.Response:
        """Run one tweepy call in a thread; ``changes``: whether it may post something.

        Calls are serialised: tweepy's requests session is not meant to be shared between
        threads, and one account posts one tweet at a time anyway.
        """
        async with self._serial:
            return await in_daemon_thread(lambda: self._blocking(call, changes, kwargs))

    def _blocking(
        self, call: Callable[..., Any], changes: bool, kwargs: dict[str, Any]
    ) -> requests.Response:
        try:
            with self._session_lock:  # held on by a call that was abandoned, if any
                response = call(**kwargs)
        except AnswerTooLarge as exc:
            raise self._too_large(exc, changes) from None
        except RedirectRefused as exc:
            message = (
                f"X answered with a redirect to {exc.host}, which was not followed "
                f"({exc.reason}); check twitter.api_url"
            )
            raise Permanent(CHANNEL, message, status=exc.status) from None
        except tweepy.HTTPException as exc:
            raise self._classify(exc.response) from safe_cause(exc, *self._secrets)
        except requests.exceptions.JSONDecodeError as exc:
            raise self._unreadable(exc) from safe_cause(exc, *self._secrets)
        except (requests.exceptions.ProxyError, requests.exceptions.ConnectTimeout) as exc:
            raise self._not_sent(exc) from safe_cause(exc, *self._secrets)
        except requests.exceptions.ConnectionError as exc:
            error = self._not_sent(exc) if _never_connected(exc) else self._lost(exc, changes)
            raise error from safe_cause(exc, *self._secrets)
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema) as exc:
            error = Permanent(CHANNEL, f"twitter.api_url cannot be used: {exc}")
            raise error from safe_cause(exc, *self._secrets)
        except requests.RequestException as exc:  # read timeout, broken body...
            raise self._lost(exc, changes) from safe_cause(exc, *self._secrets)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # tweepy itself choked on an answer (a non-object JSON body, an odd header).
            raise self._unreadable(exc) from safe_cause(exc, *self._secrets)
        if not isinstance(response, requests.Response):
            raise Permanent(CHANNEL, f"tweepy returned {type(response).__name__}, not a response")
        return response

    def _too_large(self, exc: AnswerTooLarge, changes: bool) -> ChannelError:
        """An answer past the size limit, judged by its status (a create's 2xx: Uncertain)."""
        if 200 <= exc.status < 300:
            if changes:
                return unreadable_success(CHANNEL, SERVICE, exc.description, exc.status)
            return unexpected(CHANNEL, SERVICE, exc.description, exc.status)
        return classify_twitter(exc.status, exc.headers, exc.description, now=time.time())

    def _classify(self, response: requests.Response) -> ChannelError:
        return classify_twitter(
            response.status_code, response.headers, response.text, now=time.time()
        )

    def _unreadable(self, exc: Exception) -> ChannelError:
        response = self._adapter.last_response()
        if response is not None:
            return self._classify(response)
        return Permanent(CHANNEL, f"unexpected answer from X ({type(exc).__name__}: {exc})")

    def _not_sent(self, exc: Exception) -> ChannelError:
        return Retryable(CHANNEL, f"could not connect to {self._base} ({_describe(exc)})")

    def _lost(self, exc: Exception, changes: bool) -> ChannelError:
        if not changes:
            return Retryable(CHANNEL, f"no answer from {self._base} ({_describe(exc)})")
        return Uncertain(
            CHANNEL,
            f"no answer from {self._base} after the tweet was sent ({_describe(exc)}); "
            "it may have been posted",
        )


_CONNECT_FAILURES = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """Whether the connection failed before anything was sent (refused, DNS, connect)."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(
        reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
    )


def _describe(exc: Exception) -> str:
    inner = exc.args[0] if exc.args else exc
    inner = getattr(inner, "reason", inner)
    if isinstance(inner, Exception) and inner.args and isinstance(inner.args[-1], Exception):
        inner = inner.args[-1]  # ProtocolError("Connection aborted.", RemoteDisconnected(...))
    text = str(inner).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _tweet_id(tweet: Mapping[str, Any]) -> str:
    value = tweet.get("id")
    return str(value) if isinstance(value, str | int) and str(value).isdigit() else ""


def _replied_to(tweet: Mapping[str, Any]) -> str | None:
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to":
            return str(ref.get("id"))
    return None


def _sent(tweet_id: str) -> Sent:
    return Sent(remote_id=tweet_id, url=f"https://x.com/i/web/status/{tweet_id}")
