"""Bluesky: post a thread of records on the account's PDS, exactly once, over XRPC.

A thin client over an injected ``httpx.AsyncClient`` rather than the ``atproto`` SDK: the
SDK (0.0.73) pins ``httpx<0.29``, builds its own HTTP client (so our answer-size and
redirect limits and timeouts would not apply) and signs in with ``createSession`` where we
must refresh a stored session. What it would give us here, typed request models, is a
handful of JSON bodies.

Exactly once: every post of the thread is created at a record key derived from the pair's
nonce and its index (``keys.record_keys``), so the repository can hold it at most once. A
create whose answer is lost, or answered with the 500 today's PDS gives for a key already
used, is settled by ``getRecord`` at that key: found (with our text) it is adopted, not
found it is created again. Sending a thread again therefore creates only what is missing;
that is also how an interrupted send is reconciled, and why no failure here is reported
as ``Uncertain``: what could not be confirmed is ``Retryable``, safely.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from heartbeat_bot.channels.bluesky.answers import (
    CHANNEL,
    REFUSED,
    SERVICE,
    SESSION_ERRORS,
    classify_bluesky,
    rate_limit_wait,
    xrpc_error,
)
from heartbeat_bot.channels.bluesky.keys import record_keys
from heartbeat_bot.channels.bluesky.session import Session, SessionFile, expires_at
from heartbeat_bot.channels.bluesky.settings import BlueskyConfig
from heartbeat_bot.channels.bluesky.thumbs import Thumbs
from heartbeat_bot.channels.common import describe, json_object, unreadable_success
from heartbeat_bot.channels.limits import Window
from heartbeat_bot.errors import ChannelError, ConfigError, Permanent, Retryable, Uncertain
from heartbeat_bot.models import Sent
from heartbeat_bot.transport import (
    Answer,
    AnswerTooLarge,
    RedirectRefused,
    fetch,
    tls_context,
)

log = logging.getLogger(__name__)

POST = "app.bsky.feed.post"
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
REFRESH_AHEAD_SECONDS = 60.0
"""An access token this close to its expiry is refreshed before use."""
_CREATE_TRIES = 3


class BlueskyClient:
    """Posts threads as ``bluesky.handle``, keeping its session in ``session_path``.

    ``timeout`` bounds every request, its answer included, in seconds. After a 429 nothing
    more is sent before ``RateLimit-Reset``: calls raise ``WindowClosed`` instead.
    """

    can_confirm = True

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: BlueskyConfig,
        session_path: Path,
        *,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not (config.handle and config.app_password):
            raise ConfigError(
                "bluesky.handle and bluesky.app_password are needed", key="bluesky.handle"
            )
        self._http = http
        self._base = config.url.rstrip("/")
        self._handle = config.handle
        self._password = config.app_password.get_secret_value()
        self._file = SessionFile(session_path, service=self._base, identifier=config.handle)
        self._session: Session | None = None
        self._lock = asyncio.Lock()
        self._timeout = timeout
        self._clock = clock
        self._window = Window(CHANNEL, SERVICE, clock=clock)
        self._thumbs = Thumbs(http, self._upload, timeout=timeout)

    @property
    def exhausted_until(self) -> float | None:
        """The epoch second the PDS takes requests again, after a 429."""
        return self._window.until

    # --- delivery ----------------------------------------------------------------------

    async def send(self, body: dict[str, Any], nonce: str | None) -> Sent:
        """Post the thread ``body`` describes (``{"posts": [...], "picture_url": ...}``).

        Each record after the first replies to the one before (root: the first). The link
        card gets the picture as its thumb when it can be fetched and is at most 1 MB.
        """
        records = body.get("posts")
        if not nonce or not isinstance(records, list) or not records:
            raise Permanent(CHANNEL, "nothing to post: the thread or its nonce is missing")
        keys = record_keys(nonce, len(records))
        session = await self._ensure_session()
        refs: list[dict[str, str]] = []
        for index, (record, key) in enumerate(zip(records, keys, strict=True)):
            record = {**record, "createdAt": _now(self._clock())}
            if index == 0 and isinstance(record.get("embed"), dict):
                record["embed"] = await self._thumbs.add(record["embed"], body.get("picture_url"))
            if refs:
                record["reply"] = {"root": refs[0], "parent": refs[-1]}
            refs.append(await self._create_or_find(record, key))
        return Sent(remote_id=refs[0]["uri"], url=self.post_url(session.handle, keys[0]))

    async def find_sent(
        self, post_url: str, *, since: datetime | None = None, after: str | None = None
    ) -> Sent | None:
        """None, always: an interrupted thread is settled by sending it again.

        Finding the first post would not tell whether the replies all went out; sending
        the stored thread again at its keys adopts every post that exists (``getRecord``)
        and creates only the missing ones, so it is the look-up.
        """
        return None

    async def publish(self, message_id: str) -> None:
        """Nothing to do: a Bluesky post is public once created."""

    async def find_post(self, key: str) -> dict[str, Any] | None:
        """The post at record key ``key`` (``uri``, ``cid``, ``value``), or None."""
        session = await self._ensure_session()
        params = {"repo": session.did, "collection": POST, "rkey": key}
        answer = await self._call("GET", "com.atproto.repo.getRecord", params=params)
        if answer.status_code == 400 and xrpc_error(answer.text)[0] == "RecordNotFound":
            return None
        if not answer.is_success:
            raise self._error(answer)
        data = json_object(answer.text)
        if (
            data is None
            or not isinstance(data.get("uri"), str)
            or not isinstance(data.get("cid"), str)
        ):
            raise Retryable(CHANNEL, f"unreadable getRecord answer from {SERVICE}")
        return data

    async def check(self) -> str:
        """Who the session acts as, e.g. "signed in as blog.bsky.social (did:plc:...)"."""
        await self._ensure_session()
        answer = await self._call("GET", "com.atproto.server.getSession")
        if not answer.is_success:
            raise self._error(answer)
        data = json_object(answer.text) or {}
        return f"signed in as {data.get('handle', self._handle)} ({data.get('did', '?')})"

    @staticmethod
    def post_url(handle: str, key: str) -> str:
        return f"https://bsky.app/profile/{handle}/post/{key}"

    async def _create_or_find(self, record: dict[str, Any], key: str) -> dict[str, str]:
        session = await self._ensure_session()
        request = {"repo": session.did, "collection": POST, "rkey": key, "record": record}
        lost: ChannelError | None = None
        for _ in range(_CREATE_TRIES):
            try:
                answer = await self._call(
                    "POST", "com.atproto.repo.createRecord", json=request, changes=True
                )
            except Uncertain as exc:
                lost = exc
            else:
                data = json_object(answer.text) if answer.is_success else None
                if data and isinstance(data.get("uri"), str) and isinstance(data.get("cid"), str):
                    return {"uri": data["uri"], "cid": data["cid"]}
                if answer.is_success:
                    lost = unreadable_success(CHANNEL, SERVICE, answer.text, answer.status_code)
                elif answer.status_code in (409, 500) or _taken(answer):
                    lost = self._error(answer)  # maybe the key is taken: look it up
                else:
                    raise self._error(answer)
            found = await self._settle(key, lost)
            if found is not None:
                return _adopted(found, record, key)
        # Each failed create was followed by a look-up that found nothing: none went through.
        raise Retryable(CHANNEL, f"{SERVICE} did not create the post at key {key}: {lost}")

    async def _settle(self, key: str, lost: ChannelError) -> dict[str, Any] | None:
        """The record at ``key`` after an uncertain create.

        When it cannot be read, the send is Retryable, not Uncertain: sending the thread
        again goes to the same keys, where it can only adopt what was created.
        """
        try:
            return await self.find_post(key)
        except ChannelError as exc:
            wait = exc.wait if isinstance(exc, Retryable) else None
            raise Retryable(
                CHANNEL,
                f"the post at key {key} may exist ({lost}) and could not be read back "
                f"({exc}); it is sent again at the same key",
                wait=wait,
                status=exc.status,
            ) from None

    async def _upload(self, data: bytes, mime: str) -> dict[str, Any] | None:
        headers = {"Content-Type": mime}
        answer = await self._call("POST", "com.atproto.repo.uploadBlob", content=data,
                                  headers=headers)  # fmt: skip
        blob = (json_object(answer.text) or {}).get("blob") if answer.is_success else None
        if not isinstance(blob, dict):
            log.warning("bluesky: the picture was not uploaded (%s)", self._error(answer))
            return None
        return blob

    # --- session -----------------------------------------------------------------------

    async def _ensure_session(self) -> Session:
        async with self._lock:
            if self._session is None:
                self._session = self._file.load()
            if self._session is None:
                return await self._login()
            expiry = expires_at(self._session.access_jwt)
            if expiry is None or expiry - REFRESH_AHEAD_SECONDS <= self._clock():
                return await self._refresh(self._session)
            return self._session

    async def _renew(self, used: str) -> None:
        """After ExpiredToken/InvalidToken on ``used``: refresh, unless another call did."""
        async with self._lock:
            if self._session is not None and self._session.access_jwt == used:
                await self._refresh(self._session)

    async def _login(self) -> Session:
        body = {"identifier": self._handle, "password": self._password}
        answer = await self._xrpc("POST", "com.atproto.server.createSession", json=body)
        if not answer.is_success:
            raise self._error(answer)
        return self._keep(answer)

    async def _refresh(self, session: Session) -> Session:
        answer = await self._xrpc(
            "POST", "com.atproto.server.refreshSession", token=session.refresh_jwt
        )
        if answer.is_success:
            return self._keep(answer)
        if answer.status_code in (400, 401) and (
            xrpc_error(answer.text)[0] in SESSION_ERRORS or answer.status_code == 401
        ):
            log.info("bluesky: the stored session has ended; signing in again")
            self._file.clear()
            return await self._login()
        raise self._error(answer)

    def _keep(self, answer: Answer) -> Session:
        data = json_object(answer.text) or {}
        values = [data.get(k) for k in ("did", "handle", "accessJwt", "refreshJwt")]
        if not all(isinstance(v, str) and v for v in values):
            raise Permanent(CHANNEL, f"unexpected session answer from {SERVICE}")
        self._session = Session(*[str(v) for v in values])
        self._file.save(self._session)
        return self._session

    # --- requests ----------------------------------------------------------------------

    async def _call(self, method: str, name: str, **request: Any) -> Answer:
        """An authenticated call; refreshes the session once if the PDS says it ended."""
        session = await self._ensure_session()
        answer = await self._xrpc(method, name, token=session.access_jwt, **request)
        if answer.status_code == 400 and xrpc_error(answer.text)[0] in SESSION_ERRORS:
            await self._renew(session.access_jwt)
            session = await self._ensure_session()
            answer = await self._xrpc(method, name, token=session.access_jwt, **request)
        return answer

    async def _xrpc(
        self, method: str, name: str, *, token: str | None = None, changes: bool = False,
        **request: Any,
    ) -> Answer:  # fmt: skip
        """One request, its answer read whole within ``timeout``. A transport failure is
        Retryable, or Uncertain when ``changes`` (a create that may have gone through)."""
        self._window.check()
        headers = {"Accept": "application/json", **request.pop("headers", {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = f"{self._base}/xrpc/{name}"
        try:
            answer = await fetch(
                self._http, method, url, total=self._timeout, headers=headers,
                timeout=self._timeout, **request,
            )  # fmt: skip
        except AnswerTooLarge as exc:
            if 200 <= exc.status < 300 and changes:
                raise unreadable_success(CHANNEL, SERVICE, exc.description, exc.status) from None
            raise classify_bluesky(
                exc.status, exc.headers, exc.description, now=self._clock()
            ) from None
        except RedirectRefused as exc:
            raise Permanent(
                CHANNEL, f"{SERVICE} redirected to {exc.host} ({exc.reason}); check bluesky.url"
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise Retryable(
                CHANNEL, f"could not connect to {self._base} ({describe(exc)}); nothing was sent"
            ) from None
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            if changes:
                raise Uncertain(
                    CHANNEL, f"no answer from {self._base} after the request was sent "
                    f"({describe(exc)}); the post may have been created",
                ) from None  # fmt: skip
            raise Retryable(CHANNEL, f"no answer from {self._base} ({describe(exc)})") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise Permanent(CHANNEL, f"bluesky.url cannot be used: {describe(exc)}") from None
        except httpx.HTTPError as exc:
            raise Permanent(CHANNEL, f"request to {self._base} failed: {describe(exc)}") from None
        if answer.status_code == 429:
            refusal = self._error(answer)
            if isinstance(refusal, Retryable) and refusal.wait is not None:
                self._window.used_up(self._clock() + refusal.wait)
        elif answer.headers.get("ratelimit-remaining") == "0":
            # The call went through but used up its window: the next would be refused.
            wait = rate_limit_wait(answer.headers, self._clock())
            if wait:
                self._window.used_up(self._clock() + wait)
        return answer

    def _error(self, answer: Answer) -> ChannelError:
        return classify_bluesky(answer.status_code, answer.headers, answer.text, now=self._clock())


async def open_client(config: BlueskyConfig, stack: AsyncExitStack, agent: str) -> BlueskyClient:
    """A client with its own connection pool (closed with ``stack``), as ``agent``, keeping
    its session in ``config.session_file``."""
    if config.session_file is None:
        raise ConfigError("bluesky.session_file is not known", key="bluesky.session_file")
    http = await stack.enter_async_context(
        httpx.AsyncClient(timeout=HTTP_TIMEOUT, headers={"User-Agent": agent}, verify=tls_context())
    )
    return BlueskyClient(http, config, config.session_file)


def _adopted(found: dict[str, Any], record: dict[str, Any], key: str) -> dict[str, str]:
    """The ref of the record found at our key, if it is ours (the same text)."""
    value = found.get("value")
    if not isinstance(value, dict) or value.get("text") != record.get("text"):
        raise Permanent(
            CHANNEL,
            f"record key {key} already holds another post ({found.get('uri')}); "
            "nothing was sent over it",
        )
    return {"uri": str(found["uri"]), "cid": str(found["cid"])}


def _taken(answer: Answer) -> bool:
    """A refusal saying the key is in use (should the PDS answer a clean conflict)."""
    name, message = xrpc_error(answer.text)
    return answer.status_code == 400 and (
        "exists" in name.lower() or "already exists" in message.lower()
    )


def _now(moment: float) -> str:
    """``createdAt`` for a record created now: UTC, milliseconds, ``Z``."""
    stamp = datetime.fromtimestamp(moment, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


__all__ = ["REFUSED", "BlueskyClient", "open_client"]
