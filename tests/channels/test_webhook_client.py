"""The signed webhook against the sandbox receiver: signatures, keys, retries, schema."""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from heartbeat_bot.channels.webhook.client import WebhookClient, sign
from heartbeat_bot.channels.webhook.render import encode
from heartbeat_bot.channels.webhook.settings import WebhookConfig
from heartbeat_bot.errors import Permanent, Retryable
from heartbeat_bot.models import Sent
from heartbeat_bot.sandbox import Sandbox
from tests.webhook_bodies import SCHEMA, sample_body

KEY = "heartbeat-0123456789abcdef"


def config(sb: Sandbox, **changes: Any) -> WebhookConfig:
    values: dict[str, Any] = {
        "enabled": True,
        "url": sb.webhook_url,
        "secret": sb.credentials.webhook_secret,
    }
    return WebhookConfig(**{**values, **changes})


def deliver(sb: Sandbox, body: str, key: str = KEY, **changes: Any) -> Sent:
    async def go() -> Sent:
        async with httpx.AsyncClient() as http:
            return await WebhookClient(http, config(sb, **changes), timeout=5.0).deliver(body, key)

    return asyncio.run(go())


def openssl_signature(secret: str, body: bytes) -> str:
    """The HMAC-SHA256 as OpenSSL computes it, apart from Python's hmac."""
    done = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", secret],
        input=body,
        capture_output=True,
        check=True,
    )
    return "sha256=" + done.stdout.decode().strip().rsplit(" ", 1)[-1]


def test_a_delivery_is_signed_keyed_and_valid(sb: Sandbox) -> None:
    """The receiver gets the exact body, a signature OpenSSL agrees with, the key, and a
    body the published JSON Schema accepts."""
    body = encode(sample_body())
    sent = deliver(sb, body)
    assert sent.remote_id == KEY
    (delivery,) = sb.webhook.deliveries
    raw = delivery["raw"].encode("utf-8")
    assert raw == body.encode("utf-8")
    assert delivery["signature"] == openssl_signature(sb.credentials.webhook_secret, raw)
    assert delivery["key"] == KEY and delivery["user_agent"].startswith("heartbeat-bot/")
    errors = list(Draft202012Validator(SCHEMA).iter_errors(json.loads(raw)))
    assert errors == []


def test_our_signature_matches_openssl_on_unicode() -> None:
    """sign() equals OpenSSL's HMAC on a body with emoji and accents."""
    body = encode({"title": "Café 🚀 — ünïcode", "n": 1}).encode("utf-8")
    assert sign("s3cret-key", body) == openssl_signature("s3cret-key", body)


def test_a_lost_answer_is_resent_with_the_same_key(sb: Sandbox) -> None:
    """A dropped answer is Retryable; the resend carries the same key and body, so the
    receiver records one delivery and one duplicate."""
    body = encode(sample_body())
    sb.faults.queue("webhook", "drop")
    with pytest.raises(Retryable, match="same Idempotency-Key"):
        deliver(sb, body)
    deliver(sb, body)
    assert len(sb.webhook.deliveries) == 1
    (duplicate,) = sb.webhook.duplicates
    assert duplicate["key"] == KEY and duplicate["raw"] == body


def test_a_wrong_secret_is_refused_for_good(sb: Sandbox) -> None:
    """The receiver's 401 for a bad signature is Permanent and names webhook.secret."""
    with pytest.raises(Permanent, match=r"webhook\.secret"):
        deliver(sb, encode(sample_body()), secret="not-the-secret")
    assert sb.webhook.deliveries == []


@pytest.mark.parametrize("kind", ["500", "503", "429", "html", "drop_before"])
def test_failures_before_delivery_are_retryable(sb: Sandbox, kind: str) -> None:
    """5xx, 429 (with its wait) and a connection closed unanswered are retried."""
    sb.faults.queue("webhook", kind)
    with pytest.raises(Retryable) as caught:
        deliver(sb, encode(sample_body()))
    if kind == "429":
        assert caught.value.wait is not None
    assert sb.webhook.deliveries == []


def test_the_url_never_shows_in_errors(sb: Sandbox) -> None:
    """The receiver's path (a credential for Slack and n8n) stays out of error messages."""
    sb.faults.queue("webhook", "drop")
    with pytest.raises(Retryable) as caught:
        deliver(sb, encode(sample_body()))
    assert "/hooks/" not in str(caught.value)
