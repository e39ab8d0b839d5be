"""The signed outgoing webhook: POST the body, signed, with a stable Idempotency-Key.

At least once: a receiver cannot be asked whether a delivery arrived, so an answer that
never came (a timeout, a dropped connection, a crash mid-request) is followed by the same
body, byte for byte, with the same ``Idempotency-Key``; a receiver that remembers the keys
it has seen gets each announcement once. Any 2xx is done. 429 waits ``Retry-After``; 5xx,
408 and lost answers are tried again; any other answer (a 401 for a wrong secret, a 404 for
a wrong URL) is refused for good. The URL is a credential (Slack's and n8n's are): errors
show only its scheme and host.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from heartbeat_bot import __version__
from heartbeat_bot.channels.common import classify_status, describe, json_object, lower_keys
from heartbeat_bot.channels.common import seconds as as_seconds
from heartbeat_bot.channels.webhook.body import encode
from heartbeat_bot.channels.webhook.settings import WebhookConfig
from heartbeat_bot.errors import ChannelError, ConfigError, Permanent, Retryable
from heartbeat_bot.models import Sent
from heartbeat_bot.transport import AnswerTooLarge, RedirectRefused, fetch, tls_context

CHANNEL = "webhook"
SERVICE = "the webhook receiver"
SIGNATURE_HEADER = "X-Heartbeat-Signature"


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of ``body`` under ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def classify_webhook(status: int, headers: Mapping[str, str], body: str) -> ChannelError:
    """The error a non-2xx answer stands for (pure): 429 waits ``Retry-After``; 5xx and
    408 are retried; 401/403 name ``webhook.secret``; the rest is refused for good."""
    data = json_object(body) or {}
    detail = next(
        (str(data[k]) for k in ("error", "message", "detail") if isinstance(data.get(k), str)),
        "",
    )
    wait = as_seconds(lower_keys(headers).get("retry-after")) if status == 429 else None
    return classify_status(
        channel=CHANNEL,
        service=SERVICE,
        status=status,
        body=body,
        detail=detail,
        wait=wait,
        refused="the receiver refused the delivery: check webhook.secret on both sides",
    )


class WebhookClient:
    """Delivers signed bodies to ``webhook.url``."""

    def __init__(
        self, http: httpx.AsyncClient, config: WebhookConfig, *, timeout: float = 30.0
    ) -> None:
        if config.url is None or config.secret is None:
            raise ConfigError("webhook.url and webhook.secret are needed", key="webhook.url")
        self._http = http
        self._url = config.url.get_secret_value()
        self._secret = config.secret.get_secret_value()
        parts = urlsplit(self._url)
        self._shown = f"{parts.scheme}://{parts.hostname or ''}"
        self._timeout = timeout

    @property
    def exhausted_until(self) -> float | None:
        """Receivers give no budget to keep: always None."""
        return None

    @property
    def shown_url(self) -> str:
        """The receiver's scheme and host, fit for logs (its path may be a credential)."""
        return self._shown

    async def deliver(self, body: str, key: str) -> Sent:
        """POST ``body`` (the stored JSON text) signed, with ``key`` as ``Idempotency-Key``."""
        raw = body.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"heartbeat-bot/{__version__}",
            "Idempotency-Key": key,
            SIGNATURE_HEADER: sign(self._secret, raw),
        }
        try:
            answer = await fetch(
                self._http,
                "POST",
                self._url,
                redirects="none",
                total=self._timeout,
                content=raw,
                headers=headers,
                timeout=self._timeout,
            )
        except AnswerTooLarge as exc:
            if 200 <= exc.status < 300:
                return Sent(remote_id=key)
            raise classify_webhook(exc.status, exc.headers, exc.description) from None
        except RedirectRefused as exc:
            message = (
                f"{self._shown} answered with a redirect to {exc.host}, which was not "
                "followed; check webhook.url"
            )
            raise Permanent(CHANNEL, message, status=exc.status) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            message = (
                f"could not connect to {self._shown} ({self._describe(exc)}); nothing was sent"
            )
            raise Retryable(CHANNEL, message) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise Permanent(CHANNEL, f"webhook.url cannot be used: {self._describe(exc)}") from None
        except httpx.HTTPError as exc:
            message = (
                f"no answer from {self._shown} ({self._describe(exc)}); it is sent again "
                "with the same Idempotency-Key"
            )
            raise Retryable(CHANNEL, message) from None
        if answer.is_success:
            return Sent(remote_id=key)
        raise classify_webhook(answer.status_code, answer.headers, answer.text)

    # The announcer's seam for one message per post (``channels.unit.MessageDelivery``).

    @property
    def can_confirm(self) -> bool:
        """A receiver cannot be asked what it got: an interrupted delivery is sent again
        (the unit is ``at_least_once``), never looked up."""
        return False

    async def send(self, body: dict[str, Any], nonce: str | None) -> Sent:
        """Deliver the rendered ``body``; ``nonce`` (the pair and its generation) makes the
        ``Idempotency-Key``."""
        return await self.deliver(encode(body), f"heartbeat-{nonce or 'none'}")

    async def find_sent(
        self, post_url: str, *, since: datetime | None = None, after: str | None = None
    ) -> Sent | None:
        return None

    async def publish(self, message_id: str) -> None:
        return None

    async def check(self) -> str:
        """What can be checked without delivering anything: where deliveries go."""
        return f"delivers signed JSON to {self._shown} (nothing is sent to check it)"

    def _describe(self, exc: Exception) -> str:
        text = describe(exc)
        for secret in (self._url, self._secret):
            text = text.replace(secret, "***")
        return text


HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


async def open_client(config: WebhookConfig, stack: AsyncExitStack, agent: str) -> WebhookClient:
    """A client with its own HTTP connection pool (closed with ``stack``)."""
    http = await stack.enter_async_context(
        httpx.AsyncClient(timeout=HTTP_TIMEOUT, headers={"User-Agent": agent}, verify=tls_context())
    )
    return WebhookClient(http, config)
