"""Mastodon: post a thread of statuses, find one posted before, edit one, read the limits.

A thin client over an injected ``httpx.AsyncClient`` (as the Discourse one), not
Mastodon.py: that library folds every transport failure (a refused connection, an answer
lost after the request went out, our own answer-size limit) into one
``MastodonNetworkError`` whose cause is only the implicit ``__context__``, so "nothing was
sent" cannot be told from "it may have been posted" without leaning on that detail; it is
blocking (a thread per call), keeps rate-limit state on the shared client object, and
would need a second HTTP stack set up with our timeouts, size limit and redirect rule.
Mastodon's REST API is small; here every answer is read within ``transport.MAX_ANSWER_BYTES``
and classified by the pure :func:`~.answers.classify_mastodon`.

Exactly once: each status is sent with an ``Idempotency-Key`` (derived by the caller from
the pair, its generation and the status's position); Mastodon answers a repeat within an
hour with the status the first request created. After that hour, :meth:`find_status`
reads the account's own statuses.
"""

from __future__ import annotations

import json as jsonlib
import logging
import time
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import httpx

from heartbeat_bot.channels.common import (
    describe,
    json_object,
    safe_cause,
    unexpected,
    unreadable_success,
)
from heartbeat_bot.channels.limits import Window
from heartbeat_bot.channels.mastodon.answers import (
    CHANNEL,
    SERVICE,
    classify_mastodon,
    comparable,
    plain_text,
    used_up_until,
)
from heartbeat_bot.channels.mastodon.settings import MastodonConfig
from heartbeat_bot.errors import ChannelError, ConfigError, Permanent, Retryable, Uncertain
from heartbeat_bot.models import Sent
from heartbeat_bot.transport import (
    Answer,
    AnswerTooLarge,
    RedirectRefused,
    fetch,
    shown_url,
    tls_context,
)

log = logging.getLogger("heartbeat_bot.channels.mastodon")

IDEMPOTENCY_SECONDS = 3600.0
"""How long Mastodon remembers an ``Idempotency-Key`` (``PostStatusService``: one hour)."""
PAGE = 40
"""Statuses per page of the account's statuses (Mastodon's maximum)."""


@dataclass(frozen=True)
class InstanceLimits:
    """``configuration.statuses`` of ``/api/v2/instance`` (Mastodon's defaults otherwise)."""

    max_characters: int = 500
    url_chars: int = 23


class MastodonClient:
    """Posts as the account ``mastodon.access_token`` belongs to, on ``mastodon.url``.

    ``timeout`` bounds every request, its answer included. After a 429, or an answer
    saying the budget is used up (``X-RateLimit-Remaining: 0``), nothing more is sent before
    ``X-RateLimit-Reset``: calls raise ``WindowClosed`` instead.
    """

    def __init__(
        self, http: httpx.AsyncClient, config: MastodonConfig, *, timeout: float = 30.0
    ) -> None:
        if not (config.url and config.access_token):
            raise ConfigError(
                "mastodon.url and mastodon.access_token are needed", key="mastodon.url"
            )
        self._http = http
        self._base = shown_url(config.url.rstrip("/"))
        self._token = config.access_token.get_secret_value()
        self._headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        self._visibility = config.visibility
        self._language = config.language
        self._timeout = timeout
        self._window = Window(CHANNEL, SERVICE)
        self._account: dict[str, Any] | None = None
        self._limits: InstanceLimits | None = None

    @property
    def exhausted_until(self) -> float | None:
        """The epoch second the instance takes requests again, when it said it is used up."""
        return self._window.until

    @property
    def base_url(self) -> str:
        return self._base

    async def limits(self) -> InstanceLimits:
        """The instance's status length and URL width (read once; defaults if not said)."""
        if self._limits is None:
            answer = await self._request("GET", "/api/v2/instance", auth=False)
            if answer.status_code == 404:  # before Mastodon 4.0
                answer = await self._request("GET", "/api/v1/instance", auth=False)
            if not answer.is_success:
                raise self._error(answer)
            data = json_object(answer.text) or {}
            statuses = (data.get("configuration") or {}).get("statuses") or {}
            self._limits = InstanceLimits(
                _positive(statuses.get("max_characters"), 500),
                _positive(statuses.get("characters_reserved_per_url"), 23),
            )
        return self._limits

    async def post_status(self, text: str, reply_to: str | None, *, key: str) -> Sent:
        """Post ``text`` (replying to status ``reply_to``), with ``key`` as its
        ``Idempotency-Key``: a repeat of the same key within the hour returns the first."""
        body: dict[str, Any] = {"status": text, "visibility": self._visibility}
        if reply_to is not None:
            body["in_reply_to_id"] = reply_to
        if self._language:
            body["language"] = self._language
        answer = await self._request(
            "POST", "/api/v1/statuses", json=body, changes=True, headers={"Idempotency-Key": key}
        )
        if not answer.is_success:
            raise self._error(answer)
        sent = _sent(json_object(answer.text))
        if sent is None:
            raise unreadable_success(CHANNEL, SERVICE, answer.text, answer.status_code)
        return sent

    async def edit_status(self, status_id: str, text: str) -> Sent:
        """Replace the text of our status ``status_id`` (``PUT /api/v1/statuses/:id``)."""
        body: dict[str, Any] = {"status": text}
        if self._language:
            body["language"] = self._language
        path = f"/api/v1/statuses/{quote(status_id, safe='')}"
        answer = await self._request("PUT", path, json=body, changes=True)
        if not answer.is_success:
            raise self._error(answer)
        sent = _sent(json_object(answer.text))
        if sent is None:
            raise unreadable_success(CHANNEL, SERVICE, answer.text, answer.status_code)
        return sent

    async def find_status(self, text: str, reply_to: str | None, *, pages: int = 5) -> Sent | None:
        """Our status with this text (and replying to ``reply_to``) among our latest
        ``pages`` × 40; a reply to ``reply_to`` whose text differs (edited since) if none has
        it. None when there is none. An unreadable page raises Retryable: it is never taken
        for "not posted"."""
        account_id = str((await self._me())["id"])
        wanted = comparable(text)
        path = f"/api/v1/accounts/{quote(account_id, safe='')}/statuses"
        params = {"limit": str(PAGE)}
        replies: list[dict[str, Any]] = []
        for _ in range(pages):
            answer = await self._request("GET", path, params=params)
            if not answer.is_success:
                raise self._error(answer)
            page = _status_list(answer)
            for status in page:
                parent = status.get("in_reply_to_id")
                if (str(parent) if parent is not None else None) != reply_to:
                    continue
                if comparable(plain_text(str(status.get("content") or ""))) == wanted:
                    return _sent(status)
                replies.append(status)
            if len(page) < PAGE:
                break
            params = {"limit": str(PAGE), "max_id": str(page[-1]["id"])}
        return _sent(replies[0]) if replies and reply_to is not None else None

    # The announcer's seam for threads sent with an idempotency key
    # (``channels.unit.KeyedThreadDelivery``).

    async def tuned(self, options: Any) -> Any:
        """The renderer's options with this instance's ``max_characters`` and
        ``characters_reserved_per_url``; as given when the instance cannot be asked now
        (its defaults are Mastodon's)."""
        try:
            limits = await self.limits()
        except ChannelError as exc:
            log.warning("mastodon: instance limits not read (%s); using 500 and 23", exc)
            return options
        return replace(options, max_characters=limits.max_characters, url_chars=limits.url_chars)

    async def post_part(self, text: str, reply_to: str | None, *, key: str) -> Sent:
        return await self.post_status(text, reply_to, key=key)

    async def find_part(self, text: str, reply_to: str | None) -> Sent | None:
        return await self.find_status(text, reply_to)

    async def url_of(self, status_id: str) -> str | None:
        """The public URL of our status ``status_id`` (None if the account cannot be read)."""
        try:
            account = await self._me()
        except ChannelError:
            return None
        name = account.get("username") or account.get("acct")
        return f"{self._base}/@{name}/{status_id}" if isinstance(name, str) else None

    async def thread_of(self, first_id: str) -> list[str]:
        """Our thread that starts at ``first_id``: its id, then each reply of ours to the
        one before (``GET /api/v1/statuses/:id/context``)."""
        me = str((await self._me())["id"])
        path = f"/api/v1/statuses/{quote(first_id, safe='')}/context"
        answer = await self._request("GET", path)
        if not answer.is_success:
            raise self._error(answer)
        data = json_object(answer.text)
        below = data.get("descendants") if data is not None else None
        if not isinstance(below, list):
            raise Retryable(CHANNEL, f"unusable answer from {SERVICE} for the thread; asking again")
        ids = [first_id]
        for status in below:
            if not isinstance(status, dict):
                continue
            author = status.get("account")
            ours = isinstance(author, dict) and str(author.get("id")) == me
            if ours and str(status.get("in_reply_to_id")) == ids[-1] and _sent(status):
                ids.append(str(status["id"]))
        return ids

    async def edit_thread(self, first_id: str, statuses: list[str]) -> list[Sent]:
        """Give our thread starting at ``first_id`` the texts ``statuses``, status by
        status (the same edit made twice changes nothing). A thread whose length differs
        cannot be edited in place: Permanent."""
        ids = await self.thread_of(first_id)
        if len(ids) != len(statuses):
            raise Permanent(
                CHANNEL,
                f"the thread has {len(ids)} statuses and the new text {len(statuses)}: "
                "it cannot be edited in place",
            )
        return [await self.edit_status(i, text) for i, text in zip(ids, statuses, strict=True)]

    # The edit seam (``channels.unit.Editable``): the payload is ``{"statuses": [...]}``.

    async def edit(self, remote_id: str, body: dict[str, Any]) -> None:
        """Make our thread starting at ``remote_id`` read as ``body["statuses"]``, status
        by status in place (ids, and so links, stay); Permanent if its length differs."""
        await self.edit_thread(remote_id, [str(text) for text in body.get("statuses") or []])

    async def withdraw(self, remote_id: str) -> None:
        """Statuses are left in place when a post is unpublished: Permanent."""
        raise Permanent(CHANNEL, "statuses are not withdrawn when a post is unpublished")

    async def check(self) -> str:
        """Whether the token works and may read the account's statuses (which finding an
        interrupted status needs): "posting as @name on host (500 characters a status)"."""
        account = await self._me()
        path = f"/api/v1/accounts/{quote(str(account['id']), safe='')}/statuses"
        answer = await self._request("GET", path, params={"limit": "1"})
        if not answer.is_success:
            raise self._error(answer)
        limits = await self.limits()
        host = httpx.URL(self._base).host
        return (
            f"posting as @{account.get('acct') or account.get('username')} on {host} "
            f"({limits.max_characters} characters a status)"
        )

    async def _me(self) -> dict[str, Any]:
        if self._account is None:
            answer = await self._request("GET", "/api/v1/accounts/verify_credentials")
            if not answer.is_success:
                raise self._error(answer)
            data = json_object(answer.text)
            if data is None or not isinstance(data.get("id"), str | int):
                raise unexpected(CHANNEL, SERVICE, answer.text, answer.status_code)
            self._account = data
        return self._account

    def _error(self, answer: Answer) -> ChannelError:
        return classify_mastodon(answer.status_code, answer.headers, answer.text, now=time.time())

    async def _request(
        self,
        method: str,
        path: str,
        *,
        changes: bool = False,
        auth: bool = True,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One request, its answer read whole within ``timeout`` and MAX_ANSWER_BYTES.

        Transport failures become Retryable, or Uncertain when ``changes`` and the
        request may have reached the instance.
        """
        self._window.check()
        sent_headers = dict(self._headers) if auth else {"Accept": "application/json"}
        sent_headers.update(headers or {})
        try:
            answer = await fetch(
                self._http,
                method,
                self._base + path,
                redirects="none",
                total=self._timeout,
                json=json,
                params=params,
                headers=sent_headers,
                timeout=self._timeout,
            )
        except AnswerTooLarge as exc:
            raise self._too_large(exc, changes) from None
        except RedirectRefused as exc:
            message = (
                f"{SERVICE} answered with a redirect to {exc.host}, which was not followed "
                f"({exc.reason}); check mastodon.url"
            )
            raise Permanent(CHANNEL, message, status=exc.status) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            message = f"could not connect to {self._base} ({self._describe(exc)}); nothing was sent"
            raise Retryable(CHANNEL, message) from safe_cause(exc, self._token)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            if not changes:
                message = f"no answer from {self._base} ({self._describe(exc)})"
                raise Retryable(CHANNEL, message) from safe_cause(exc, self._token)
            raise Uncertain(
                CHANNEL,
                f"no answer from {self._base} after the status was sent "
                f"({self._describe(exc)}); it may have been posted",
            ) from safe_cause(exc, self._token)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            message = f"mastodon.url cannot be used: {self._describe(exc)}"
            raise Permanent(CHANNEL, message) from safe_cause(exc, self._token)
        except httpx.HTTPError as exc:
            message = f"request to {self._base} failed: {self._describe(exc)}"
            raise Permanent(CHANNEL, message) from safe_cause(exc, self._token)
        now = time.time()
        self._window.used_up(used_up_until(answer.headers))
        if answer.status_code == 429:
            refusal = self._error(answer)
            if isinstance(refusal, Retryable) and refusal.wait:
                self._window.used_up(now + refusal.wait)
        return answer

    def _too_large(self, exc: AnswerTooLarge, changes: bool) -> ChannelError:
        if 200 <= exc.status < 300:
            if changes:
                return unreadable_success(CHANNEL, SERVICE, exc.description, exc.status)
            return Retryable(CHANNEL, f"unusable answer from {SERVICE}: {exc.description}")
        return classify_mastodon(exc.status, exc.headers, exc.description, now=time.time())

    def _describe(self, exc: Exception) -> str:
        return describe(exc).replace(self._token, "***")


def _positive(value: object, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return default


def _sent(status: Mapping[str, Any] | None) -> Sent | None:
    """The id and public URL of a status object, or None when it has no usable id."""
    if status is None:
        return None
    status_id = status.get("id")
    if isinstance(status_id, int) and not isinstance(status_id, bool):
        status_id = str(status_id)
    if not isinstance(status_id, str) or not status_id:
        return None
    url = status.get("url") or status.get("uri")
    return Sent(remote_id=status_id, url=url if isinstance(url, str) else None)


def _status_list(answer: Answer) -> list[dict[str, Any]]:
    """A page of statuses; Retryable when it is not one (never read as "none")."""
    try:
        data = jsonlib.loads(answer.text)
    except ValueError:
        data = None
    if not isinstance(data, list):
        raise Retryable(
            CHANNEL,
            f"unusable answer from {SERVICE} while reading the account's statuses; asking again",
            status=answer.status_code,
        )
    return [s for s in data if isinstance(s, dict) and _sent(s) is not None]


HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


async def open_client(config: MastodonConfig, stack: AsyncExitStack, agent: str) -> MastodonClient:
    """A client with its own HTTP connection pool (closed with ``stack``), as ``agent``."""
    http = await stack.enter_async_context(
        httpx.AsyncClient(timeout=HTTP_TIMEOUT, headers={"User-Agent": agent}, verify=tls_context())
    )
    return MastodonClient(http, config)
