"""DiscordClient (discord.py underneath) against the sandbox's fake Discord, both modes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from pydantic import SecretStr

from heartbeat_bot.channels.discord.client import DiscordClient
from heartbeat_bot.channels.discord.settings import DiscordConfig
from heartbeat_bot.errors import CannotConfirm, ChannelError, Permanent, Retryable, Uncertain
from heartbeat_bot.models import Sent
from heartbeat_bot.sandbox import Sandbox
from tests.channels.helpers import (
    POST_URL,
    assert_clean,
    closed_port_url,
    discord_config,
    message,
)

T = TypeVar("T")
MODES = ["bot", "webhook"]


def run(config: DiscordConfig, use: Callable[[DiscordClient], Awaitable[T]], **kw: Any) -> T:
    """Run ``use`` with a fresh client, closing it afterwards."""

    async def main() -> T:
        async with DiscordClient(config, **kw) as client:
            return await use(client)

    return asyncio.run(main())


def fails(
    config: DiscordConfig, use: Callable[[DiscordClient], Awaitable[object]], **kw: Any
) -> ChannelError:
    """The ChannelError ``use`` raises (any other exception fails the test)."""
    with pytest.raises(ChannelError) as caught:
        run(config, use, **kw)
    return caught.value


def sends(
    body: dict[str, Any], nonce: str | None = "nonce-1"
) -> Callable[[DiscordClient], Awaitable[Sent]]:
    return lambda client: client.send(body, nonce)


def messages_path(sb: Sandbox) -> str:
    """The path of bot sends, so a fault skips the two login requests."""
    return f"/api/v10/channels/{sb.credentials.discord_channel_id}/messages"


def fault(sb: Sandbox, mode: str, *kinds: str) -> None:
    """Queue ``kinds`` for the next send (not for a bot's login)."""
    path = messages_path(sb) if mode == "bot" else "/api/v10/webhooks/"
    sb.faults.queue("discord", *kinds, path=path)


def test_bot_send_posts_once_per_nonce_and_reads_back(sb: Sandbox) -> None:
    """A resend with the same nonce returns the first message, which find_sent finds."""

    async def use(client: DiscordClient) -> tuple[Sent, Sent, Sent | None, str]:
        first = await client.send(message(), "nonce-1")
        again = await client.send(message(), "nonce-1")
        return first, again, await client.find_sent(POST_URL), await client.check()

    first, again, found, who = run(discord_config(sb), use)
    creds = sb.credentials
    [recorded] = sb.discord.messages
    assert first == again == found
    assert first.remote_id == recorded["id"]
    assert first.url == (
        f"https://discord.com/channels/{creds.discord_guild_id}/{creds.discord_channel_id}/{recorded['id']}"
    )
    assert recorded["via"] == "bot" and recorded["nonce"] == "nonce-1"
    assert recorded["embeds"][0]["url"] == POST_URL
    assert who == "bot Heartbeat Sandbox can post to #announcements"


def test_webhook_send_and_check(sb: Sandbox) -> None:
    """A webhook message is posted (wait=true) and the webhook can be checked."""

    async def use(client: DiscordClient) -> tuple[Sent, str, bool]:
        return await client.send(message(), "ignored"), await client.check(), client.can_confirm

    sent, who, can_confirm = run(discord_config(sb, "webhook"), use)
    [recorded] = sb.discord.messages
    assert recorded["via"] == "webhook" and recorded["nonce"] is None
    assert sent.remote_id == recorded["id"] and sent.url is not None
    assert sent.url.endswith(f"/{sb.credentials.discord_channel_id}/{recorded['id']}")
    assert who == f"webhook Heartbeat Sandbox for channel {sb.credentials.discord_channel_id}"
    assert can_confirm is False


def test_webhook_cannot_read_back(sb: Sandbox) -> None:
    """find_sent in webhook mode is a Permanent error, sending no request."""
    error = fails(discord_config(sb, "webhook"), lambda c: c.find_sent(POST_URL))
    assert type(error) is Permanent and "webhook mode cannot read back messages" in str(error)
    assert sb.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_everyone_in_title_and_content_pings_nobody(sb: Sandbox, mode: str) -> None:
    """``@everyone`` and a role mention in the text ping nobody with ``{"parse": []}``."""
    run(discord_config(sb, mode), sends(message("@everyone <@&123456789012345678> look")))
    [recorded] = sb.discord.messages
    assert recorded["pinged"] == []
    assert recorded["allowed_mentions"]["parse"] == []


@pytest.mark.parametrize("mode", MODES)
def test_mention_role_pings_only_that_role(sb: Sandbox, mode: str) -> None:
    """With a mention role, only that role is pinged, never @everyone."""
    role = "123456789012345678"
    body = message(
        f"@everyone <@&{role}> <@&876543210987654321> new post",
        allowed_mentions={"parse": [], "roles": [role]},
    )
    run(discord_config(sb, mode), sends(body))
    [recorded] = sb.discord.messages
    assert recorded["pinged"] == [f"role:{role}"]


@pytest.mark.parametrize("mode", MODES)
def test_short_rate_limit_is_waited_out_by_discord_py(sb: Sandbox, mode: str) -> None:
    """A 429 asking for 0.2 s is slept through and resent by discord.py: one message."""
    fault(sb, mode, "429")
    run(discord_config(sb, mode), sends(message()))
    assert len(sb.discord.messages) == 1
    assert [r["status"] for r in sb.requests][-2:] == [429, 200]


@pytest.mark.parametrize("mode", MODES)
def test_long_rate_limit_is_retryable_with_its_wait(mode: str) -> None:
    """A 429 asking for longer than the cap is Retryable with Discord's retry_after."""
    with Sandbox(rate_limit_wait=45.0) as sb:
        fault(sb, mode, "429")
        error = fails(discord_config(sb, mode), sends(message()))
        assert type(error) is Retryable and error.status == 429
        assert error.wait == 45.0
        assert sb.discord.messages == []
        assert_clean(error, sb)


@pytest.mark.parametrize("mode", MODES)
def test_service_unavailable_is_retryable(sb: Sandbox, mode: str) -> None:
    """A 503 is Retryable with no wait, and nothing is posted."""
    fault(sb, mode, "503")
    error = fails(discord_config(sb, mode), sends(message()))
    assert type(error) is Retryable and (error.status, error.wait) == (503, None)
    assert sb.discord.messages == []
    assert_clean(error, sb)


@pytest.mark.parametrize("kind", ["500", "502", "html"])
def test_webhook_server_errors_are_not_resent_blindly(sb: Sandbox, kind: str) -> None:
    """In webhook mode a 5xx may have posted: it is Uncertain after one request, never resent."""
    fault(sb, "webhook", kind)
    error = fails(discord_config(sb, "webhook"), sends(message()))
    assert type(error) is Uncertain and "may have posted" in str(error)
    assert len(sb.requests) == 1
    assert "<" not in str(error)
    assert_clean(error, sb)


def test_bot_server_error_is_resent_safely_under_the_nonce(sb: Sandbox) -> None:
    """discord.py resends a bot message after a 500 page; the nonce keeps it to one."""
    fault(sb, "bot", "html")
    sent = run(discord_config(sb), sends(message()))
    [recorded] = sb.discord.messages
    assert sent.remote_id == recorded["id"]


def test_refused_bot_token_is_permanent_and_sent_once(sb: Sandbox) -> None:
    """A wrong bot token fails login with a permanent error, after exactly one request."""
    token = "MTIz.AbCdEf.wrong-token-wrong-token-wrong-token-xx"
    error = fails(discord_config(sb, bot_token=token), sends(message()))
    assert type(error) is Permanent and error.status == 401
    assert "discord.bot_token was refused" in str(error)
    assert token not in str(error) and len(sb.requests) == 1


def test_refused_webhook_token_is_permanent_and_sent_once(sb: Sandbox) -> None:
    """A wrong webhook token is permanent, names the setting, and never echoes the token."""
    url = sb.discord_webhook_url.rsplit("/", 1)[0] + "/not-the-real-token"
    error = fails(discord_config(sb, "webhook", webhook_url=url), sends(message()))
    assert type(error) is Permanent and error.status == 401
    assert "discord.webhook_url was refused" in str(error)
    assert "not-the-real-token" not in str(error) and len(sb.requests) == 1


@pytest.mark.parametrize(
    ("channel", "status", "needle"),
    [
        ("unknown", 404, "discord.channel_id names an unknown channel"),
        ("no_access", 403, "Send Messages"),
    ],
)
def test_unusable_channel_is_permanent(sb: Sandbox, channel: str, status: int, needle: str) -> None:
    """A channel the bot cannot find or may not use is permanent and says what to fix."""
    channel_id = sb.discord.no_access_channel_id if channel == "no_access" else 1234567890123
    error = fails(discord_config(sb, channel_id=channel_id), sends(message()))
    assert type(error) is Permanent and error.status == status
    assert needle in str(error)


def test_malformed_webhook_url_is_permanent_without_the_token(sb: Sandbox) -> None:
    """A webhook URL without /webhooks/<id>/<token> is named, but not echoed."""
    url = SecretStr("https://discord.com/api/hooks/secret-looking-value")
    # The settings refuse such a URL when they are read; model_copy skips that check, to
    # reach the client's own.
    config = discord_config(sb, "webhook").model_copy(update={"webhook_url": url})
    error = fails(config, sends(message()))
    assert type(error) is Permanent and "discord.webhook_url" in str(error)
    assert "secret-looking-value" not in str(error)


def test_bot_drop_is_uncertain_then_found(sb: Sandbox) -> None:
    """A bot send whose answer is lost is Uncertain, and find_sent then finds the message."""
    fault(sb, "bot", "drop")
    error = fails(discord_config(sb), sends(message()))
    assert type(error) is Uncertain
    assert_clean(error, sb)
    [recorded] = sb.discord.messages
    found = run(discord_config(sb), lambda c: c.find_sent(POST_URL))
    assert found is not None and found.remote_id == recorded["id"]


def test_find_sent_ignores_other_posts_and_older_messages(sb: Sandbox) -> None:
    """find_sent only matches our message for this post, sent after ``since``."""
    from datetime import UTC, datetime, timedelta

    other = message(embeds=({"title": "Another post", "url": "https://dvc.org/blog/other"},))
    run(discord_config(sb), sends(other, "n-other"))
    assert run(discord_config(sb), lambda c: c.find_sent(POST_URL)) is None
    run(discord_config(sb), sends(message(), "n-post"))
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert run(discord_config(sb), lambda c: c.find_sent(POST_URL, since=later)) is None
    assert run(discord_config(sb), lambda c: c.find_sent(POST_URL + "/")) is not None


def test_webhook_drop_is_uncertain(sb: Sandbox) -> None:
    """A webhook send whose answer is lost is Uncertain (and cannot be confirmed)."""
    fault(sb, "webhook", "drop")
    error = fails(discord_config(sb, "webhook"), sends(message()))
    assert type(error) is Uncertain
    assert len(sb.discord.messages) == 1
    assert_clean(error, sb)


@pytest.mark.parametrize("mode", MODES)
def test_slow_answer_past_the_timeout_is_uncertain(sb: Sandbox, mode: str) -> None:
    """A send that outlasts the client's timeout is Uncertain."""
    fault(sb, mode, "slow")
    error = fails(discord_config(sb, mode), sends(message()), timeout=0.3)
    assert type(error) is Uncertain


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["badjson", "missing"])
def test_unreadable_success_of_a_create_is_uncertain(sb: Sandbox, mode: str, kind: str) -> None:
    """A create answered with success but an unreadable body may have gone through: Uncertain."""
    fault(sb, mode, kind)
    error = fails(discord_config(sb, mode), sends(message()))
    assert type(error) is Uncertain and error.status == 200
    assert "it may have been created" in str(error)
    assert_clean(error, sb)


@pytest.mark.parametrize("kind", ["badjson", "missing", "503"])
def test_malformed_history_and_check_are_channel_errors(sb: Sandbox, kind: str) -> None:
    """Unusable answers to reads (history, channel, webhook) are ChannelErrors."""
    for mode, use in (
        ("bot", lambda c: c.find_sent(POST_URL)),
        ("bot", lambda c: c.check()),
        ("webhook", lambda c: c.check()),
    ):
        sb.faults.queue("discord", kind, path="/api/v10/channels/" if mode == "bot" else None)
        assert_clean(fails(discord_config(sb, mode), use), sb)


@pytest.mark.parametrize("mode", MODES)
def test_connection_refused_is_retryable(sb: Sandbox, mode: str) -> None:
    """Nothing listening on the API URL: Retryable, and no secret in the message."""
    api = closed_port_url() + "/api/v10"
    changes: dict[str, Any] = {"api_url": api}
    if mode == "webhook":
        changes["webhook_url"] = api + sb.discord_webhook_url.split("/api/v10", 1)[1]
    error = fails(discord_config(sb, mode, **changes), sends(message()))
    assert type(error) is Retryable
    assert_clean(error, sb)


def test_debug_logs_never_show_the_webhook_token(
    sb: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """discord.py logs request URLs at DEBUG; the webhook token is masked in them."""
    caplog.set_level(logging.DEBUG, logger="discord")
    run(discord_config(sb, "webhook"), sends(message()))
    assert "/webhooks/" in caplog.text and "/***" in caplog.text
    assert sb.discord.webhook_token not in caplog.text


def test_find_sent_reads_everything_posted_since_the_send(sb: Sandbox) -> None:
    """A busy channel cannot hide our message: with ``since`` it is found behind 250 others
    (the last 50 alone would miss it), and a person's embed of the same link is not ours."""
    from datetime import UTC, datetime, timedelta

    before = datetime.now(UTC) - timedelta(seconds=5)
    run(discord_config(sb), sends(message(), "n-post"))
    sb.discord.chatter(250, embed_url=POST_URL)
    ours = sb.discord.messages[0]["id"]
    assert run(discord_config(sb), lambda c: c.find_sent(POST_URL)) is None
    found = run(discord_config(sb), lambda c: c.find_sent(POST_URL, since=before))
    assert found is not None and found.remote_id == ours


def test_find_sent_past_its_scan_limit_cannot_confirm(sb: Sandbox) -> None:
    """More messages since the send than it may read: no guess, CannotConfirm (a person
    looks); exactly as many is a complete scan."""
    from datetime import UTC, datetime, timedelta

    before = datetime.now(UTC) - timedelta(seconds=5)
    sb.discord.chatter(150)

    def use(client: DiscordClient) -> Awaitable[Sent | None]:
        return client.find_sent(POST_URL, since=before)

    error = fails(discord_config(sb), use, history_scan_limit=120)
    assert type(error) is CannotConfirm and "more than 120 messages" in str(error)
    assert run(discord_config(sb), use, history_scan_limit=150) is None


def test_find_sent_after_a_message_id(sb: Sandbox) -> None:
    """``since`` as a message id reads only what came after that message, clock-free."""
    run(discord_config(sb), sends(message(), "n-first"))
    first = int(sb.discord.messages[0]["id"])
    assert run(discord_config(sb), lambda c: c.find_sent(POST_URL, since=first)) is None
    sb.discord.chatter(120)
    run(discord_config(sb), sends(message(), "n-second"))
    found = run(discord_config(sb), lambda c: c.find_sent(POST_URL, since=first))
    assert found is not None and found.remote_id == sb.discord.messages[-1]["id"]


def test_publish_to_followers_once_and_only_in_an_announcement_channel(sb: Sandbox) -> None:
    """A bot message is published in an announcement channel; publishing it again is no
    error; a text channel refuses it; webhook mode cannot publish."""
    sent = run(discord_config(sb), sends(message(), "n-publish"))
    error = fails(discord_config(sb), lambda c: c.publish(sent.remote_id))
    assert type(error) is Permanent and "channel type" in str(error)
    sb.discord.announcement_channel = True
    run(discord_config(sb), lambda c: c.publish(sent.remote_id))
    run(discord_config(sb), lambda c: c.publish(sent.remote_id))  # already: fine
    assert sb.discord.messages[0]["crossposted"] is True
    error = fails(discord_config(sb, "webhook"), lambda c: c.publish(sent.remote_id))
    assert type(error) is Permanent and "webhook mode" in str(error)


def test_publishing_past_discords_hourly_budget_is_a_long_wait(sb: Sandbox) -> None:
    """Discord lets a channel publish 10 messages an hour; past that the refusal carries
    the long wait from the body (its headers say 1 s), well beyond what is sat out."""
    sb.discord.announcement_channel = True
    sb.discord.crosspost_limit = 1
    first = run(discord_config(sb), sends(message(), "n-one"))
    second = run(discord_config(sb), sends(message(), "n-two"))
    run(discord_config(sb), lambda c: c.publish(first.remote_id))
    error = fails(discord_config(sb), lambda c: c.publish(second.remote_id))
    assert type(error) is Retryable and error.wait is not None and error.wait > 3000
    assert [m.get("crossposted") for m in sb.discord.messages] == [True, None]
