"""Discourse: open a post's comment thread, find one that already exists, read it back.

A thin client over an injected ``httpx.AsyncClient``: it sends the rendered body as is and
maps every answer to a :class:`~heartbeat_bot.models.Sent` or a ``ChannelError``. The
status mapping is the pure :func:`classify_discourse`. Facts it relies on are in
``../shared/research/API-NOTES.md`` (Discourse section).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import quote

import httpx

from heartbeat_bot.channels.common import (
    classify_status,
    describe,
    describe_body,
    join_messages,
    json_object,
    lower_keys,
    safe_cause,
    seconds,
    unexpected,
    unreadable_success,
)
from heartbeat_bot.channels.discourse.edits import TopicEdits
from heartbeat_bot.channels.discourse.settings import DiscourseConfig
from heartbeat_bot.channels.limits import Window
from heartbeat_bot.errors import ChannelError, ConfigError, Permanent, Retryable, Uncertain
from heartbeat_bot.models import Sent
from heartbeat_bot.transport import (
    Answer,
    AnswerTooLarge,
    RedirectRefused,
    Redirects,
    fetch,
    shown_url,
    tls_context,
)

CHANNEL = "discourse"
SERVICE = "Discourse"
REFUSED = "discourse.api_key / discourse.api_username were refused"

# 422 messages meaning "this topic probably exists already": adopt it instead of failing.
_TITLE_TAKEN = "title has already been used"
_ADOPTABLE = (_TITLE_TAKEN, "embed url has already been taken", "external has already been taken")


def classify_discourse(status: int, headers: Mapping[str, str], body: str) -> ChannelError:
    """The error an unusable Discourse answer stands for (pure; one table test per rule).

    429 waits for ``Retry-After`` (the header wins: the per-IP limiter only sends that and
    plain text), else the app limiter's JSON ``extras.wait_seconds``; 5xx and 408 are
    retryable without a wait; 401/403 name the credentials; a 2xx reaching here had a
    body we could not use.
    """
    data = json_object(body) or {}
    detail = _messages(data)
    wait = None
    if status == 429:
        wait = seconds(lower_keys(headers).get("retry-after"))
        if wait is None:
            extras = data.get("extras")
            wait = seconds(extras.get("wait_seconds")) if isinstance(extras, dict) else None
    if status in (401, 403) and isinstance(data.get("error_type"), str):
        detail = f"{data['error_type']}: {detail}" if detail else data["error_type"]
    if status == 404 and not detail:
        detail = f"not found: {describe_body(body)} (check discourse.url)"
    return classify_status(
        channel=CHANNEL,
        service=SERVICE,
        status=status,
        body=body,
        detail=detail,
        wait=wait,
        refused=REFUSED,
    )


def _messages(data: Mapping[str, Any]) -> str:
    errors = data.get("errors")
    found: list[object] = list(errors) if isinstance(errors, list) else []
    for key in ("error", "message"):
        if isinstance(data.get(key), str):
            found.append(data[key])
    return join_messages(found)


def encode_tags(names: Sequence[str]) -> list[Any]:
    """Tags as ``POST /posts.json`` takes them.

    Every Discourse version takes a list of names; the newest also takes objects and
    calls names deprecated. Switching to objects is this one function.
    """
    return list(names)


class DiscourseClient(TopicEdits):
    """Creates and finds topics on one Discourse site, as ``discourse.api_username``.

    ``http`` is built (with its timeouts and limits) by the caller; ``timeout`` bounds
    every request, its answer included, in seconds, so no call can hang on a client built
    without. Answers are read up to ``transport.MAX_ANSWER_BYTES``. After a 429, nothing
    more is sent before its ``Retry-After`` has passed: calls raise ``WindowClosed`` instead.
    """

    def __init__(
        self, http: httpx.AsyncClient, config: DiscourseConfig, *, timeout: float = 30.0
    ) -> None:
        if not (config.url and config.api_key and config.api_username):
            raise ConfigError(
                "discourse.url, discourse.api_key and discourse.api_username are needed",
                key="discourse.url",
            )
        self._http = http
        url = httpx.URL(config.url.rstrip("/"))
        # A site behind HTTP Basic auth (https://user:pass@host): the pair goes in the
        # Authorization header only; URLs shown, stored or posted never carry it.
        self._auth = httpx.BasicAuth(url.username, url.password) if url.username else None
        self._secrets = (url.password,) if url.password else ()
        self._base = shown_url(str(url))
        self._headers = {
            "Api-Key": config.api_key.get_secret_value(),
            "Api-Username": config.api_username,
            "Accept": "application/json",
        }
        self._timeout = timeout
        self._window = Window(CHANNEL, SERVICE)

    @property
    def exhausted_until(self) -> float | None:
        """The epoch second Discourse takes requests again, after a 429."""
        return self._window.until

    @property
    def base_url(self) -> str:
        return self._base

    async def create_topic(self, body: dict[str, Any]) -> Sent:
        """Open the topic ``body`` describes (a rendered ``DiscourseTopic.body()``).

        If Discourse says the title, ``embed_url`` or ``external_id`` is taken, the topic
        is looked up and adopted, so a resend after a lost answer creates nothing new.
        """
        payload = {key: value for key, value in body.items() if value is not None}
        payload["tags"] = encode_tags(body.get("tags") or [])
        response = await self._request("POST", "/posts.json", json=payload, changes=True)
        if response.status_code == 422:
            return await self._adopt(response, body)
        if not response.is_success:
            raise self._error(response)
        data = json_object(response.text)
        if data is not None and data.get("action") == "enqueued":
            raise Permanent(
                CHANNEL,
                "the post was queued for approval: discourse.api_username must be a staff user",
                status=response.status_code,
            )
        topic_id = _topic_id(data.get("topic_id")) if data else None
        slug = data.get("topic_slug") if data else None
        if topic_id is None or not isinstance(slug, str):
            raise unreadable_success(CHANNEL, SERVICE, response.text, response.status_code)
        return self._sent(topic_id, slug)

    async def _adopt(self, response: Answer, body: Mapping[str, Any]) -> Sent:
        error = self._error(response)
        text = error.message.lower()
        if not any(phrase in text for phrase in _ADOPTABLE):
            raise error
        found = await self.find_topic(
            str(body.get("external_id") or ""), str(body.get("embed_url") or "")
        )
        if found is not None:
            return found
        if _TITLE_TAKEN in text and "has already been taken" not in text:
            message = (
                "a topic with this title already exists and is not this post's; "
                "set commentsUrl by hand or change the title"
            )
        else:
            message = (
                "a topic for this post seems to exist (Discourse says: "
                f"{error.message}) but could not be found by external_id or embed_url; "
                "it may be deleted or hidden from discourse.api_username"
            )
        raise Permanent(CHANNEL, message, status=422)

    async def find_created(self, body: dict[str, Any]) -> Sent | None:
        """The topic ``body`` (a rendered ``DiscourseTopic.body()``) created, if it exists."""
        return await self.find_topic(body["external_id"], body["embed_url"])

    @staticmethod
    def adopted(url: str) -> Sent:
        """The topic at ``url`` (a post's ``commentsUrl``), taken as this post's thread."""
        last = url.rstrip("/").rsplit("/", 1)[-1]
        return Sent(last if last.isdigit() else url, url)

    async def find_topic(self, external_id: str, embed_url: str) -> Sent | None:
        """The topic created for this post, by ``external_id`` then ``embed_url``; else None."""
        if external_id:
            path = f"/t/external_id/{quote(external_id, safe='')}.json"
            # Discourse answers 301 to /t/{slug}/{id}.json; reading the target is
            # simpler and survives sites installed under a sub-folder. Only redirects
            # on discourse.url's own origin are followed: they carry the API key.
            response = await self._request("GET", path, redirects="same-origin")
            if response.is_success:
                data = json_object(response.text) or {}
                topic_id, slug = _topic_id(data.get("id")), data.get("slug")
                if topic_id is None or not isinstance(slug, str):
                    raise unexpected(CHANNEL, SERVICE, response.text, response.status_code)
                return self._sent(topic_id, slug)
            if response.status_code != 404:
                raise self._error(response)
        if not embed_url:
            return None
        response = await self._request("GET", "/embed/info", params={"embed_url": embed_url})
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise self._error(response)
        data = json_object(response.text) or {}
        topic_id, slug = _topic_id(data.get("topic_id")), data.get("topic_slug")
        if topic_id is None or not isinstance(slug, str):
            raise unreadable_success(CHANNEL, SERVICE, response.text, response.status_code)
        return self._sent(topic_id, slug)

    async def topic(self, topic_id: int) -> dict[str, Any]:
        """The topic as ``GET /t/{id}.json`` returns it (``posts_count``, ``slug``...)."""
        response = await self._request("GET", f"/t/{int(topic_id)}.json")
        if not response.is_success:
            raise self._error(response)
        data = json_object(response.text)
        if data is None or _topic_id(data.get("id")) is None:
            raise unexpected(CHANNEL, SERVICE, response.text, response.status_code)
        return data

    async def check(self) -> str:
        """Who the API key acts as, e.g. "logged in as system (staff)"; raises if refused."""
        response = await self._request("GET", "/session/current.json")
        if response.status_code == 404:
            # Discourse answers 404 here when the request is not logged in.
            raise Permanent(CHANNEL, f"{REFUSED} (not logged in)", status=404)
        if not response.is_success:
            raise self._error(response)
        data = json_object(response.text) or {}
        user = data.get("current_user")
        if not isinstance(user, dict) or not isinstance(user.get("username"), str):
            raise unexpected(CHANNEL, SERVICE, response.text, response.status_code)
        staff = any(user.get(flag) is True for flag in ("staff", "admin", "moderator"))
        role = "staff" if staff else "not staff: new topics may be queued for approval"
        return f"logged in as {user['username']} ({role})"

    def _sent(self, topic_id: int, slug: str) -> Sent:
        return Sent(remote_id=str(topic_id), url=f"{self._base}/t/{slug}/{topic_id}")

    def _error(self, response: Answer) -> ChannelError:
        return classify_discourse(response.status_code, response.headers, response.text)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        changes: bool = False,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        redirects: Redirects = "none",
    ) -> Answer:
        """One request, its answer read whole within ``timeout`` and MAX_ANSWER_BYTES.

        Transport failures become Retryable, or Uncertain when ``changes``: only a
        request that may change something (a create) can leave us unsure; a read that
        timed out is simply read again.
        """
        self._window.check()
        try:
            answer = await fetch(
                self._http,
                method,
                self._base + path,
                redirects=redirects,
                total=self._timeout,
                auth=self._auth,
                json=json,
                params=params,
                headers=self._headers,
                timeout=self._timeout,
            )
        except AnswerTooLarge as exc:
            raise self._too_large(exc, changes) from None
        except RedirectRefused as exc:
            raise Permanent(
                CHANNEL,
                f"{SERVICE} answered with a redirect to {exc.host}, which was not followed "
                f"({exc.reason}); check discourse.url",
                status=exc.status,
            ) from None
        except (
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            httpx.ProxyError,
        ) as exc:
            raise Retryable(
                CHANNEL,
                f"could not connect to {self._base} ({self._describe(exc)}); nothing was sent",
            ) from safe_cause(exc, *self._secrets)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            if not changes:
                raise Retryable(
                    CHANNEL, f"no answer from {self._base} ({self._describe(exc)})"
                ) from safe_cause(exc, *self._secrets)
            raise Uncertain(
                CHANNEL,
                f"no answer from {self._base} after the request was sent "
                f"({self._describe(exc)}); the topic may have been created",
            ) from safe_cause(exc, *self._secrets)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise Permanent(
                CHANNEL, f"discourse.url cannot be used: {self._describe(exc)}"
            ) from safe_cause(exc, *self._secrets)
        except httpx.HTTPError as exc:
            raise Permanent(
                CHANNEL, f"request to {self._base} failed: {self._describe(exc)}"
            ) from safe_cause(exc, *self._secrets)
        if answer.status_code == 429:
            refusal = self._error(answer)
            if isinstance(refusal, Retryable) and refusal.wait:
                self._window.used_up(time.time() + refusal.wait)
        return answer

    def _too_large(self, exc: AnswerTooLarge, changes: bool) -> ChannelError:
        """An answer past the size limit, judged by its status (a create's 2xx: Uncertain)."""
        if 200 <= exc.status < 300:
            if changes:
                return unreadable_success(CHANNEL, SERVICE, exc.description, exc.status)
            return unexpected(CHANNEL, SERVICE, exc.description, exc.status)
        return classify_discourse(exc.status, exc.headers, exc.description)

    def _describe(self, exc: Exception) -> str:
        text = describe(exc)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _topic_id(value: object) -> int | None:
    """A topic id from JSON (an integer, or digits), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


# Generous for a create call, short enough that a hung service is noticed.
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


async def open_client(
    config: DiscourseConfig, stack: AsyncExitStack, agent: str
) -> DiscourseClient:
    """A client with its own HTTP connection pool (closed with ``stack``), as ``agent``."""
    http = await stack.enter_async_context(
        httpx.AsyncClient(timeout=HTTP_TIMEOUT, headers={"User-Agent": agent}, verify=tls_context())
    )
    return DiscourseClient(http, config)
