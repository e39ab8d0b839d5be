"""The fake Discord over real HTTP: limits, errors, nonces, history, webhooks and pings."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from heartbeat_bot.sandbox import Sandbox
from tests.sandbox.helpers import discord_headers


def _messages_url(sb: Sandbox, channel_id: int | None = None) -> str:
    return (
        f"{sb.discord_api_url}/channels/{channel_id or sb.credentials.discord_channel_id}/messages"
    )


def _send(http: httpx.Client, sb: Sandbox, payload: dict[str, Any]) -> httpx.Response:
    return http.post(_messages_url(sb), json=payload, headers=discord_headers(sb))


def _embed(**overrides: Any) -> dict[str, Any]:
    embed: dict[str, Any] = {
        "title": "New post",
        "description": "Read it",
        "url": "https://dvc.org/blog/x",
    }
    embed.update(overrides)
    return embed


def test_bot_message_is_accepted_and_recorded(http: httpx.Client, sb: Sandbox) -> None:
    """A valid bot message answers a full message object with the nonce, and is recorded."""
    payload = {"content": "Hello", "embeds": [_embed()], "nonce": "42", "enforce_nonce": True}
    response = _send(http, sb, {**payload, "allowed_mentions": {"parse": []}})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    message = response.json()
    assert message["nonce"] == "42" and message["type"] == 0 and message["author"]["bot"]
    assert message["embeds"] == [{"type": "rich", **_embed()}]
    [recorded] = sb.discord.messages
    assert recorded["id"] == message["id"] and recorded["via"] == "bot"
    assert recorded["allowed_mentions"] == {"parse": []} and recorded["pinged"] == []


def test_bad_bot_token_is_401(http: httpx.Client, sb: Sandbox) -> None:
    """A wrong bot token is 401 "401: Unauthorized" code 0, for login and for sends."""
    headers = {"Authorization": "Bot nope"}
    me = http.get(f"{sb.discord_api_url}/users/@me", headers=headers)
    sent = http.post(_messages_url(sb), json={"content": "x"}, headers=headers)
    for response in (me, sent):
        assert response.status_code == 401
        assert response.json() == {"message": "401: Unauthorized", "code": 0}
    assert sb.discord.messages == []


def test_login_calls_answer_the_bot_and_application(http: httpx.Client, sb: Sandbox) -> None:
    """GET /users/@me is the bot user; /oauth2/applications/@me its application."""
    me = http.get(f"{sb.discord_api_url}/users/@me", headers=discord_headers(sb)).json()
    assert me["bot"] is True and me["discriminator"] == "0"
    app = http.get(
        f"{sb.discord_api_url}/oauth2/applications/@me", headers=discord_headers(sb)
    ).json()
    assert app["id"] == me["id"] and "bot_public" in app and "verify_key" in app


def test_channel_lookup_and_unknown_channels(http: httpx.Client, sb: Sandbox) -> None:
    """The channel is a guild text channel; others are 404 Unknown Channel or 403."""
    channel_id = sb.credentials.discord_channel_id
    url = f"{sb.discord_api_url}/channels/{channel_id}"
    channel = http.get(url, headers=discord_headers(sb)).json()
    assert channel["type"] == 0 and channel["guild_id"] == str(sb.credentials.discord_guild_id)
    unknown = http.post(_messages_url(sb, 123), json={"content": "x"}, headers=discord_headers(sb))
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "Unknown Channel", "code": 10003}
    hidden = _messages_url(sb, sb.discord.no_access_channel_id)
    forbidden = http.post(hidden, json={"content": "x"}, headers=discord_headers(sb))
    assert forbidden.status_code == 403
    assert forbidden.json() == {"message": "Missing Access", "code": 50001}


@pytest.mark.parametrize(
    ("embed", "path", "limit"),
    [
        (_embed(title="t" * 257), ["embeds", "0", "title"], 256),
        (_embed(description="d" * 4097), ["embeds", "0", "description"], 4096),
        (
            _embed(fields=[{"name": "n", "value": "v"}] * 26),
            ["embeds", "0", "fields"],
            25,
        ),
        (
            _embed(fields=[{"name": "n" * 257, "value": "v"}]),
            ["embeds", "0", "fields", "0", "name"],
            256,
        ),
        (
            _embed(fields=[{"name": "n", "value": "v" * 1025}]),
            ["embeds", "0", "fields", "0", "value"],
            1024,
        ),
        (_embed(footer={"text": "f" * 2049}), ["embeds", "0", "footer", "text"], 2048),
        (_embed(author={"name": "a" * 257}), ["embeds", "0", "author", "name"], 256),
    ],
    ids=["title", "description", "fields", "field-name", "field-value", "footer", "author"],
)
def test_each_embed_limit_is_a_nested_50035(
    http: httpx.Client, sb: Sandbox, embed: dict[str, Any], path: list[str], limit: int
) -> None:
    """Every embed limit gives 400 code 50035 with the error nested at the field."""
    response = _send(http, sb, {"embeds": [embed]})
    assert response.status_code == 400
    body = response.json()
    assert (body["message"], body["code"]) == ("Invalid Form Body", 50035)
    node = body["errors"]
    for key in path:
        node = node[key]
    assert node["_errors"] == [
        {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}
    ]
    assert sb.discord.messages == []


def test_all_embeds_together_at_most_6000(http: httpx.Client, sb: Sandbox) -> None:
    """Two embeds each within limits but 6001 characters together are refused."""
    embeds = [_embed(title="", description="d" * 4000), _embed(title="", description="e" * 2001)]
    response = _send(http, sb, {"embeds": embeds})
    assert response.status_code == 400
    assert response.json()["errors"]["embeds"]["_errors"][0]["code"] == "MAX_EMBED_SIZE_EXCEEDED"
    exactly = [_embed(title="", description="d" * 4000), _embed(title="", description="e" * 2000)]
    assert _send(http, sb, {"embeds": exactly}).status_code == 200


def test_content_and_embed_count_limits(http: httpx.Client, sb: Sandbox) -> None:
    """Content over 2000 characters and more than 10 embeds are 50035 errors."""
    long_content = _send(http, sb, {"content": "x" * 2001}).json()
    assert long_content["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    too_many = _send(http, sb, {"embeds": [_embed()] * 11}).json()
    assert too_many["errors"]["embeds"]["_errors"][0]["message"] == "Must be 10 or fewer in length."
    assert _send(http, sb, {"content": "x" * 2000}).status_code == 200


def test_empty_message_is_50006(http: httpx.Client, sb: Sandbox) -> None:
    """A message with neither content nor embeds is "Cannot send an empty message"."""
    response = _send(http, sb, {"content": "", "embeds": []})
    assert response.status_code == 400
    assert response.json() == {"message": "Cannot send an empty message", "code": 50006}


def test_enforced_nonce_returns_the_first_message(http: httpx.Client, sb: Sandbox) -> None:
    """A resend with the same enforced nonce returns the first message and creates nothing."""
    payload = {"content": "once", "nonce": "abc", "enforce_nonce": True}
    first = _send(http, sb, payload).json()
    second = _send(http, sb, {**payload, "content": "changed"})
    assert second.status_code == 200 and second.json()["id"] == first["id"]
    assert second.json()["content"] == "once"
    assert len(sb.discord.messages) == 1
    unenforced = _send(http, sb, {"content": "twice", "nonce": "abc"})
    assert unenforced.json()["id"] != first["id"] and len(sb.discord.messages) == 2


def test_history_is_newest_first_without_nonce(http: httpx.Client, sb: Sandbox) -> None:
    """Reading the channel lists messages newest first, and never with their nonce."""
    ids = [
        _send(http, sb, {"content": f"m{i}", "nonce": str(i), "enforce_nonce": True}).json()["id"]
        for i in range(3)
    ]
    listed = http.get(_messages_url(sb), params={"limit": 2}, headers=discord_headers(sb)).json()
    assert [m["id"] for m in listed] == [ids[2], ids[1]]
    assert all("nonce" not in m for m in listed)
    before = http.get(_messages_url(sb), params={"before": ids[2]}, headers=discord_headers(sb))
    assert [m["id"] for m in before.json()] == [ids[1], ids[0]]
    bad = http.get(_messages_url(sb), params={"limit": 101}, headers=discord_headers(sb))
    assert bad.status_code == 400 and bad.json()["errors"]["limit"]["_errors"]


def test_webhook_execute_with_and_without_wait(http: httpx.Client, sb: Sandbox) -> None:
    """?wait=true answers the message; without it the answer is 204; nonces are ignored."""
    waited = http.post(
        sb.discord_webhook_url, params={"wait": "true"}, json={"content": "hi", "nonce": "1"}
    )
    assert waited.status_code == 200
    assert waited.json()["webhook_id"] == str(sb.discord.webhook_id)
    quiet = http.post(sb.discord_webhook_url, json={"content": "hi again"})
    assert quiet.status_code == 204 and quiet.content == b""
    assert [m["via"] for m in sb.discord.messages] == ["webhook", "webhook"]
    assert sb.discord.messages[0]["nonce"] is None
    info = http.get(sb.discord_webhook_url).json()
    assert info["type"] == 1 and info["channel_id"] == str(sb.credentials.discord_channel_id)


def test_bad_webhook_token_and_unknown_webhook(http: httpx.Client, sb: Sandbox) -> None:
    """A wrong token is 401 code 50027; an unknown webhook id is 404 code 10015."""
    base, _, _token = sb.discord_webhook_url.rpartition("/")
    bad = http.post(f"{base}/wrong-token", json={"content": "x"})
    assert bad.status_code == 401
    assert bad.json() == {"message": "Invalid Webhook Token", "code": 50027}
    unknown = http.post(f"{sb.discord_api_url}/webhooks/1/{_token}", json={"content": "x"})
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "Unknown Webhook", "code": 10015}
    assert sb.discord.messages == []


def test_webhook_applies_the_same_limits(http: httpx.Client, sb: Sandbox) -> None:
    """Webhook messages are validated exactly like bot messages."""
    response = http.post(sb.discord_webhook_url, json={"embeds": [_embed(title="t" * 257)]})
    assert response.status_code == 400 and response.json()["code"] == 50035


def test_multipart_payload_json_is_read(http: httpx.Client, sb: Sandbox) -> None:
    """A multipart body with payload_json (as sent with files) is accepted."""
    payload = {"content": "with a file", "attachments": [{"id": 0, "filename": "a.txt"}]}
    response = http.post(
        _messages_url(sb),
        data={"payload_json": json.dumps(payload)},
        files={"files[0]": ("a.txt", b"hello", "text/plain")},
        headers=discord_headers(sb),
    )
    assert response.status_code == 200
    assert sb.discord.messages[0]["content"] == "with a file"


def test_429_has_discords_body_and_headers(http: httpx.Client, sb: Sandbox) -> None:
    """A 429 carries JSON retry_after, Via, scope, remaining 0 and reset-after headers."""
    sb.faults.queue("discord", "429")
    response = _send(http, sb, {"content": "x"})
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "message": "You are being rate limited.",
        "retry_after": 0.1,
        "global": False,
    }
    headers = response.headers
    assert headers["via"] == "1.1 google" and headers["x-ratelimit-scope"] == "user"
    assert headers["x-ratelimit-remaining"] == "0" and headers["retry-after"] == "1"
    assert float(headers["x-ratelimit-reset-after"]) == pytest.approx(0.1)
    assert "x-ratelimit-bucket" in headers and "x-ratelimit-limit" in headers
    assert sb.discord.messages == []


@pytest.mark.parametrize(
    ("content", "allowed", "expected"),
    [
        ("@everyone <@&5> <@7>", None, ["everyone", "role:5", "user:7"]),
        ("@everyone and @here", {"parse": []}, []),
        ("@everyone <@&5>", {"parse": [], "roles": ["5"]}, ["role:5"]),
        ("<@!7> <@8>", {"parse": ["users"]}, ["user:7", "user:8"]),
        ("<@7> <@8>", {"users": ["8"]}, ["user:8"]),
        ("@here <@&5>", {"parse": ["everyone"]}, ["here"]),
    ],
    ids=["default", "parse-none", "listed-role", "parse-users", "listed-user", "parse-everyone"],
)
def test_pinged_follows_allowed_mentions(
    http: httpx.Client, sb: Sandbox, content: str, allowed: Any, expected: list[str]
) -> None:
    """Only the mentions Discord's allowed_mentions rules let through are recorded as pings."""
    payload: dict[str, Any] = {"content": content}
    if allowed is not None:
        payload["allowed_mentions"] = allowed
    message = _send(http, sb, payload).json()
    assert sb.discord.messages[0]["pinged"] == expected
    assert message["mention_everyone"] == ("everyone" in expected or "here" in expected)


def test_embeds_never_ping(http: httpx.Client, sb: Sandbox) -> None:
    """A mention inside an embed notifies nobody, even with the default allowed_mentions."""
    _send(http, sb, {"embeds": [_embed(description="@everyone <@&5>")]})
    assert sb.discord.messages[0]["pinged"] == []


def test_parse_and_list_are_exclusive(http: httpx.Client, sb: Sandbox) -> None:
    """parse ["users"] together with a users list is a 50035 error, as in Discord."""
    payload = {"content": "<@1>", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}
    response = _send(http, sb, payload)
    assert response.status_code == 400
    error = response.json()["errors"]["allowed_mentions"]["_errors"][0]
    assert error["code"] == "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"


def test_unknown_route_is_json_404(http: httpx.Client, sb: Sandbox) -> None:
    """An unknown route answers Discord's JSON 404, with the exact content type."""
    response = http.get(f"{sb.discord_api_url}/nope", headers=discord_headers(sb))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"message": "404: Not Found", "code": 0}
