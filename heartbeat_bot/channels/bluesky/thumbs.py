"""The link card's picture: fetched from the blog and uploaded as a blob, when it fits.

A card's ``thumb`` must be an uploaded blob of an ``image/*`` type of at most 1,000,000
bytes (lexicon ``app.bsky.embed.external``). A picture that is larger, not an image, or
cannot be fetched leaves the card without one: a picture never blocks the announcement.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from heartbeat_bot.channels.common import describe
from heartbeat_bot.errors import ChannelError, Retryable
from heartbeat_bot.transport import AnswerTooLarge, RedirectRefused, fetch

log = logging.getLogger(__name__)

MAX_THUMB_BYTES = 1_000_000
_TRIES = 3
_MAX_WAIT = 2.0
"""Seconds an upload may wait for the PDS before the card goes without its picture."""
Upload = Callable[[bytes, str], Awaitable["dict[str, Any] | None"]]


class Thumbs:
    """Uploads each picture once per process and adds it to cards as their thumb."""

    def __init__(self, http: httpx.AsyncClient, upload: Upload, *, timeout: float) -> None:
        self._http = http
        self._upload = upload
        self._timeout = timeout
        self._blobs: dict[str, dict[str, Any] | None] = {}

    async def add(self, embed: dict[str, Any], picture_url: object) -> dict[str, Any]:
        """``embed`` with the picture as its card's thumb, when there is one that fits."""
        external = embed.get("external")
        if not isinstance(picture_url, str) or not picture_url or not isinstance(external, dict):
            return embed
        if "thumb" in external:
            return embed
        if picture_url not in self._blobs:
            self._blobs[picture_url] = await self._blob(picture_url)
        blob = self._blobs[picture_url]
        if blob is None:
            return embed
        return {**embed, "external": {**external, "thumb": blob}}

    async def _blob(self, url: str) -> dict[str, Any] | None:
        try:
            answer = await fetch(
                self._http, "GET", url, redirects="any", limit=MAX_THUMB_BYTES,
                total=self._timeout, timeout=self._timeout,
            )  # fmt: skip
        except AnswerTooLarge:
            log.warning("bluesky: the picture %s is over %d bytes: no thumb", url, MAX_THUMB_BYTES)
            return None
        except (httpx.HTTPError, RedirectRefused) as exc:
            log.warning("bluesky: the picture %s could not be fetched: %s", url, describe(exc))
            return None
        mime = answer.headers.get("content-type", "").split(";")[0].strip().lower()
        if not answer.is_success or not mime.startswith("image/") or not answer.content:
            log.warning("bluesky: %s is not a picture (HTTP %s, %s)", url, answer.status_code, mime)
            return None
        for attempt in range(1, _TRIES + 1):
            try:
                return await self._upload(answer.content, mime)
            except Retryable as exc:
                if attempt == _TRIES or (exc.wait or 0) > _MAX_WAIT:
                    log.warning("bluesky: the picture was not uploaded: %s", exc)
                    return None
                await asyncio.sleep(exc.wait or 0.2 * attempt)
            except ChannelError as exc:
                log.warning("bluesky: the picture was not uploaded: %s", exc)
                return None
        return None
