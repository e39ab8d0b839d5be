"""X (Twitter): post the summary thread one tweet at a time, and find a tweet posted before.

tweepy 4.17 does the OAuth 1.0a signing and the status mapping; it is blocking, so every
call runs in a thread of its own (``transport.in_daemon_thread``). Its host is
hard-coded, so a transport adapter on ``client.session`` sends requests to
``twitter.api_url`` (a sandbox, say), adds the timeout tweepy never sets, reads answers up
to a size limit and follows no redirect. The client asks tweepy for raw
``requests.Response`` objects so the bodies are read by our own code, which never crashes
on an odd answer. X has no idempotency key: see ``../shared/DESIGN.md`` ("Exactly once")
for how a lost answer is reconciled with :meth:`TwitterClient.find_tweet`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
import tweepy
import urllib3

from heartbeat_bot.channels.common import (
    json_object,
    safe_cause,
    unexpected,
    unreadable_success,
)
from heartbeat_bot.channels.limits import Window
from heartbeat_bot.channels.twitter.answers import (
    CHANNEL,
    SERVICE,
    classify_twitter,
    normalise,
    used_up_until,
)
from heartbeat_bot.channels.twitter.settings import TwitterConfig
from heartbeat_bot.channels.twitter.transport import RedirectAdapter, in_daemon_thread
from heartbeat_bot.errors import (
    ChannelError,
    ConfigError,
    Permanent,
    Retryable,
    Uncertain,
)
from heartbeat_bot.models import Sent
from heartbeat_bot.transport import AnswerTooLarge, RedirectRefused, shown_url

# tweepy's hard-coded host and X's new name for it; requests to both go to api_url.
_X_HOSTS = ("https://api.twitter.com", "https://api.x.com")
_TWEET_FIELDS = ["referenced_tweets", "created_at", "conversation_id"]


class TwitterClient:
    """Posts tweets as the account the access token belongs to.

    Once X says a rate-limit window is used up (a 429, or a remaining count of 0 on any
    answer, the 24-hour caps included), the client sends nothing more before its reset:
    calls then raise ``WindowClosed`` without a request.
    """

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
        self._window = Window(CHANNEL, SERVICE)

    @property
    def exhausted_until(self) -> float | None:
        """The epoch second X takes requests again, when it said a window is used up."""
        return self._window.until

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
            self._window.check()  # the calls queued behind the one that used it up stop here
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
        self._window.used_up(used_up_until(response.headers))
        return response

    def _too_large(self, exc: AnswerTooLarge, changes: bool) -> ChannelError:
        """An answer past the size limit, judged by its status (a create's 2xx: Uncertain)."""
        if 200 <= exc.status < 300:
            if changes:
                return unreadable_success(CHANNEL, SERVICE, exc.description, exc.status)
            return unexpected(CHANNEL, SERVICE, exc.description, exc.status)
        return classify_twitter(exc.status, exc.headers, exc.description, now=time.time())

    def _classify(self, response: requests.Response) -> ChannelError:
        now = time.time()
        error = classify_twitter(response.status_code, response.headers, response.text, now=now)
        self._window.used_up(used_up_until(response.headers))
        if isinstance(error, Retryable) and error.status == 429 and error.wait:
            self._window.used_up(now + error.wait)
        return error

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
