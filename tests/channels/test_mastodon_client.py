"""The Mastodon client against the sandbox instance, over loopback with httpx."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

from heartbeat_bot.channels.common import idempotency_key
from heartbeat_bot.channels.mastodon.client import MastodonClient
from heartbeat_bot.channels.mastodon.settings import MastodonConfig
from heartbeat_bot.errors import Permanent, Retryable, Uncertain, WindowClosed
from heartbeat_bot.sandbox import Sandbox

T = TypeVar("T")
TEXT = "DVC 3.0 is out! https://dvc.org/blog/dvc-3-0-release #MLOps"


def config(sb: Sandbox, **changes: Any) -> MastodonConfig:
    values: dict[str, Any] = {
        "enabled": True,
        "url": sb.mastodon_url,
        "access_token": sb.credentials.mastodon_access_token,
        "visibility": "unlisted",
        "language": "en",
    }
    return MastodonConfig(**{**values, **changes})


def run(sb: Sandbox, call: Callable[[MastodonClient], Awaitable[T]], **changes: Any) -> T:
    async def go() -> T:
        async with httpx.AsyncClient() as http:
            return await call(MastodonClient(http, config(sb, **changes), timeout=5.0))

    return asyncio.run(go())


def key(index: int = 0, generation: int = 0, text: str = TEXT) -> str:
    return idempotency_key("mastodon", 1, generation, index, text)


def test_posts_a_thread_with_its_settings(sb: Sandbox) -> None:
    """A status and its reply arrive with visibility, language, parent and the key sent."""

    async def thread(client: MastodonClient) -> list[str]:
        first = await client.post_status(TEXT, None, key=key(0))
        second = await client.post_status("More to read.", first.remote_id, key=key(1))
        return [first.remote_id, second.remote_id, str(first.url)]

    first_id, second_id, url = run(sb, thread)
    statuses = sb.mastodon.statuses
    assert [s["id"] for s in statuses] == [first_id, second_id]
    assert statuses[0]["visibility"] == "unlisted" and statuses[0]["language"] == "en"
    assert statuses[1]["in_reply_to_id"] == first_id
    assert statuses[0]["idempotency_key"] == key(0)
    assert url == f"{sb.mastodon_url}/@{sb.mastodon.username}/{first_id}"


def test_a_lost_answer_is_resent_with_the_same_key(sb: Sandbox) -> None:
    """A create whose answer is dropped is Uncertain; the resend with its key returns the
    status already made, and the instance holds one."""
    sb.faults.queue("mastodon", "drop", path="/api/v1/statuses")

    async def twice(client: MastodonClient) -> str:
        with pytest.raises(Uncertain):
            await client.post_status(TEXT, None, key=key())
        return (await client.post_status(TEXT, None, key=key())).remote_id

    status_id = run(sb, twice)
    assert [s["id"] for s in sb.mastodon.statuses] == [status_id]


def test_after_the_key_expired_the_status_is_found_by_reading_the_account(sb: Sandbox) -> None:
    """Once the instance forgot the key, find_status finds the status among our own, by
    text and parent, from the HTML the instance serves."""
    sb.mastodon.idempotency_ttl = 0.0
    long_text = (
        "Edits are here: " + "https://dvc.org/blog/" + "x" * 60 + "\n\nSecond paragraph & more"
    )

    async def go(client: MastodonClient) -> tuple[str, str | None, str | None, str | None]:
        first = await client.post_status(long_text, None, key=key())
        await client.post_status("A reply.", first.remote_id, key=key(1))
        for n in range(45):  # more than a page of other statuses after it
            await client.post_status(f"noise {n}", None, key=f"noise-{n}")
        found = await client.find_status(long_text, None)
        found_reply = await client.find_status("A reply.", first.remote_id)
        missing = await client.find_status("never posted", None)
        return (
            first.remote_id,
            found.remote_id if found else None,
            found_reply.remote_id if found_reply else None,
            missing.remote_id if missing else None,
        )

    sb.mastodon.api_limit = 1000
    first_id, found_id, reply_id, missing = run(sb, go)
    assert found_id == first_id
    assert reply_id == sb.mastodon.statuses[1]["id"]
    assert missing is None


def test_instance_limits_are_read(sb: Sandbox) -> None:
    """max_characters and characters_reserved_per_url come from /api/v2/instance."""
    sb.mastodon.max_characters = 1000
    sb.mastodon.url_chars = 30
    limits = run(sb, lambda client: client.limits())
    assert (limits.max_characters, limits.url_chars) == (1000, 30)


def test_a_too_long_status_is_refused_for_good(sb: Sandbox) -> None:
    """The instance's 422 becomes Permanent with its own message."""
    with pytest.raises(Permanent, match="character limit of 500"):
        run(sb, lambda client: client.post_status("x" * 501, None, key=key()))


def test_429_waits_until_the_reset_and_closes_the_window(sb: Sandbox) -> None:
    """A 429 is Retryable with the wait X-RateLimit-Reset asks for; later calls raise
    WindowClosed without reaching the instance."""
    sb.faults.queue("mastodon", "429")

    async def go(client: MastodonClient) -> tuple[float | None, int]:
        with pytest.raises(Retryable) as caught:
            await client.post_status(TEXT, None, key=key())
        before = len(sb.mastodon.requests)
        with pytest.raises(WindowClosed):
            await client.post_status(TEXT, None, key=key())
        return caught.value.wait, len(sb.mastodon.requests) - before

    wait, sent = run(sb, go)
    assert wait is not None and 0.0 <= wait <= 5.0
    assert sent == 0


def test_the_status_budget_is_honoured(sb: Sandbox) -> None:
    """Past the instance's statuses-per-3-hours budget, a 429 asks to wait hours."""
    sb.mastodon.status_limit = 1

    async def go(client: MastodonClient) -> float | None:
        await client.post_status(TEXT, None, key=key())
        with pytest.raises(Retryable) as caught:
            await client.post_status("another", None, key=key(1))
        return caught.value.wait

    wait = run(sb, go)
    assert wait is not None and wait > 3 * 3600 - 60


@pytest.mark.parametrize("kind", ["500", "502", "503", "html"])
def test_server_errors_are_retryable(sb: Sandbox, kind: str) -> None:
    """5xx answers, JSON or an HTML page, are Retryable and create nothing."""
    sb.faults.queue("mastodon", kind)
    with pytest.raises(Retryable):
        run(sb, lambda client: client.post_status(TEXT, None, key=key()))
    assert sb.mastodon.statuses == []


def test_a_garbled_success_is_uncertain(sb: Sandbox) -> None:
    """A 200 whose body is not JSON may have posted: Uncertain, never a plain failure."""
    sb.faults.queue("mastodon", "badjson")
    with pytest.raises(Uncertain):
        run(sb, lambda client: client.post_status(TEXT, None, key=key()))


def test_an_unreadable_page_is_never_read_as_not_posted(sb: Sandbox) -> None:
    """A statuses page answered with {} raises Retryable instead of returning None."""

    async def go(client: MastodonClient) -> None:
        await client.find_status("anything", None)  # verify_credentials cached first
        sb.faults.queue("mastodon", "missing", path="/api/v1/accounts/")
        with pytest.raises(Retryable):
            await client.find_status("anything", None)

    run(sb, go)


@pytest.mark.parametrize("missing", ["read:accounts", "read:statuses"])
def test_a_bad_token_and_a_missing_scope_are_named(sb: Sandbox, missing: str) -> None:
    """401 names mastodon.access_token; check's 403 for either read scope names the
    scopes the application needs."""
    with pytest.raises(Permanent, match="access_token was refused"):
        run(sb, lambda client: client.check(), access_token="wrong")
    sb.mastodon.scopes = frozenset({"write:statuses", "read:accounts", "read:statuses"} - {missing})
    with pytest.raises(Permanent, match="write:statuses, read:accounts and read:statuses"):
        run(sb, lambda client: client.check())


def test_check_says_who_posts_where(sb: Sandbox) -> None:
    """check names the account, the host and the instance's status length."""
    said = run(sb, lambda client: client.check())
    assert said.startswith(f"posting as @{sb.mastodon.username} on 127.0.0.1")
    assert "500 characters" in said


def test_edit_replaces_the_text(sb: Sandbox) -> None:
    """edit_status changes our status in place, keeping its id and an edit history."""

    async def go(client: MastodonClient) -> tuple[str, str]:
        sent = await client.post_status(TEXT, None, key=key())
        edited = await client.edit_status(sent.remote_id, "Updated text")
        return sent.remote_id, edited.remote_id

    before, after = run(sb, go)
    status = sb.mastodon.statuses[0]
    assert before == after and status["text"] == "Updated text" and status["history"] == [TEXT]
    assert status["edited_at"] is not None


def test_a_thread_is_edited_status_by_status(sb: Sandbox) -> None:
    """edit_thread finds our replies through the status's context and edits each; a new
    text of another length is refused, and nothing is changed."""

    async def go(client: MastodonClient) -> list[str]:
        first = await client.post_status("one", None, key=key(0))
        second = await client.post_status("two", first.remote_id, key=key(1))
        await client.post_status("a reply elsewhere", None, key="other")
        edited = await client.edit_thread(first.remote_id, ["one!", "two!"])
        again = await client.edit_thread(first.remote_id, ["one!", "two!"])
        with pytest.raises(Permanent, match="cannot be edited in place"):
            await client.edit_thread(first.remote_id, ["just one"])
        assert [s.remote_id for s in again] == [first.remote_id, second.remote_id]
        return [s.remote_id for s in edited]

    ids = run(sb, go)
    statuses = {s["id"]: s for s in sb.mastodon.statuses}
    assert [statuses[i]["text"] for i in ids] == ["one!", "two!"]
    assert [statuses[i]["history"] for i in ids] == [["one"], ["two"]]


def test_a_refused_connection_says_nothing_was_sent() -> None:
    """Nothing listening: Retryable, not Uncertain."""
    cfg = MastodonConfig(enabled=True, url="http://127.0.0.1:9", access_token="token")

    async def go() -> None:
        async with httpx.AsyncClient() as http:
            await MastodonClient(http, cfg, timeout=2.0).post_status("x", None, key="k")

    with pytest.raises(Retryable, match="nothing was sent") as caught:
        asyncio.run(go())
    assert not isinstance(caught.value, Uncertain)


def test_the_token_never_shows_in_errors(sb: Sandbox) -> None:
    """No error message carries the access token."""
    sb.faults.queue("mastodon", "drop")
    with pytest.raises(Uncertain) as caught:
        run(sb, lambda client: client.post_status(TEXT, None, key=key()))
    assert sb.credentials.mastodon_access_token not in str(caught.value)
