"""The requests layer under tweepy: where X's answers go, how much of them is read, and the
threads tweepy's blocking calls run in.

- :class:`RedirectAdapter` sends what tweepy addresses to api.twitter.com to
  ``twitter.api_url``, with the timeout tweepy never sets; it refuses every redirect
  (each request is signed with the X keys) and reads every answer up to
  ``transport.MAX_ANSWER_BYTES`` and within a total time.
- :func:`in_daemon_thread` runs one blocking call in a daemon thread: a call cut short
  (``announce --max-wait``) is abandoned to finish on its own, and never holds the process
  open at exit as ``asyncio.to_thread``'s executor would.

No tweepy import here: this is plain requests, kept apart to keep each module small.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies

from heartbeat_bot.transport import MAX_ANSWER_BYTES, AnswerTooLarge, RedirectRefused

T = TypeVar("T")


class RedirectAdapter(HTTPAdapter):
    """Sends what tweepy addresses to api.twitter.com to ``base`` instead, with a timeout.

    The URL is rewritten in :meth:`send`, after tweepy built and OAuth-signed the
    request, so tweepy's signing and error mapping still run. ``base=None`` keeps the URL
    (the real X: its signature covers the host it was made for). tweepy sets no timeout:
    ``timeout`` (connect, read seconds) applies when none is given, and reading a whole
    answer may take at most their sum. A redirect raises RedirectRefused; an answer
    longer than ``limit`` bytes raises AnswerTooLarge. The last response of each thread
    is kept so an answer tweepy cannot parse can still be described.
    """

    def __init__(
        self, base: str | None, timeout: tuple[float, float], *, limit: int = MAX_ANSWER_BYTES
    ) -> None:
        super().__init__()
        self._base = base
        self._timeout = timeout
        self._limit = limit
        self._local = threading.local()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        self._local.last = None
        if self._base is not None and request.url:
            parts = urlsplit(request.url)
            request.url = self._base + parts.path + (f"?{parts.query}" if parts.query else "")
            # The session chose proxies for the original host; choose again for ours.
            proxies = get_environ_proxies(request.url)
        started = time.monotonic()
        response = super().send(
            request,
            stream=True,
            timeout=timeout if timeout is not None else self._timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )
        if response.is_redirect:
            target = urljoin(request.url or "", response.headers.get("location", ""))
            response.close()
            raise RedirectRefused(response.status_code, target, "the request is signed")
        self._read(response, started + sum(self._timeout))
        self._local.last = response
        return response

    def _read(self, response: requests.Response, deadline: float) -> None:
        """Read the body now, up to the limit and the deadline (requests would read it
        whole, however long)."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._limit:
            response.close()
            raise AnswerTooLarge(response.status_code, response.headers, self._limit)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(65536):
                size += len(chunk)
                if size > self._limit:
                    raise AnswerTooLarge(response.status_code, response.headers, self._limit)
                if time.monotonic() > deadline:
                    raise requests.exceptions.ReadTimeout(
                        f"no complete answer within {sum(self._timeout):.0f} s"
                    )
                chunks.append(chunk)
        except BaseException:
            response.raw.close()
            raise
        response._content = b"".join(chunks)  # what .content and .text return from now on
        response.close()  # the body was read: the connection goes back to the pool

    def last_response(self) -> requests.Response | None:
        """The response this thread received last, or None."""
        last: requests.Response | None = getattr(self._local, "last", None)
        return last


async def in_daemon_thread(call: Callable[[], T]) -> T:
    """``call()`` in a daemon thread of its own; cancelling the await abandons the call."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def work() -> None:
        try:
            result = context.run(call)
        except BaseException as exc:  # handed to the awaiting task
            _hand_over(loop, future, None, exc)
        else:
            _hand_over(loop, future, result, None)

    threading.Thread(target=work, name="heartbeat-x", daemon=True).start()
    return await future


def _hand_over(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[T],
    result: T | None,
    error: BaseException | None,
) -> None:
    """Settle ``future`` from another thread, unless it was cancelled or its loop is gone."""

    def deliver() -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]  # T when error is None

    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
        loop.call_soon_threadsafe(deliver)
