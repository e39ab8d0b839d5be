"""The sandbox's webhook receiver checks signatures and keeps each key's first delivery."""

from __future__ import annotations

import hashlib
import hmac

import httpx

from heartbeat_bot.sandbox import Sandbox


def signed(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(sb: Sandbox, http: httpx.Client, body: bytes, **headers: str) -> httpx.Response:
    values = {"Content-Type": "application/json", **headers}
    return http.post(sb.webhook_url, content=body, headers=values)


def test_good_bad_and_repeated_deliveries(sb: Sandbox, http: httpx.Client) -> None:
    """A good signature is kept, a bad one is 401, a repeated key is a duplicate."""
    body = b'{"title":"x"}'
    good = signed(sb.credentials.webhook_secret, body)
    sig = {"X-Heartbeat-Signature": good, "Idempotency-Key": "k1"}
    assert send(sb, http, body, **sig).json() == {"ok": True, "duplicate": False}
    assert send(sb, http, body, **sig).json() == {"ok": True, "duplicate": True}
    bad = send(sb, http, body, **{"X-Heartbeat-Signature": "sha256=00", "Idempotency-Key": "k2"})
    assert bad.status_code == 401 and bad.json() == {"error": "bad signature"}
    assert [d["key"] for d in sb.webhook.deliveries] == ["k1"]
    assert len(sb.webhook.duplicates) == 1


def test_a_signed_body_that_is_not_json_is_refused(sb: Sandbox, http: httpx.Client) -> None:
    """415 without a JSON content type, 400 for a body that does not parse."""
    body = b"not json"
    sig = signed(sb.credentials.webhook_secret, body)
    wrong_type = http.post(
        sb.webhook_url,
        content=body,
        headers={"Content-Type": "text/plain", "X-Heartbeat-Signature": sig},
    )
    assert wrong_type.status_code == 415
    assert send(sb, http, body, **{"X-Heartbeat-Signature": sig}).status_code == 400
    assert sb.webhook.deliveries == []
