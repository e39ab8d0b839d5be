"""The Bluesky client against the fake PDS over loopback: threads exactly once, sessions kept."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from heartbeat_bot.channels.bluesky.client import BlueskyClient
from heartbeat_bot.channels.bluesky.keys import record_keys
from heartbeat_bot.channels.bluesky.settings import BlueskyConfig
from heartbeat_bot.errors import Permanent, Retryable, Uncertain, WindowClosed
from heartbeat_bot.models import Sent
from heartbeat_bot.sandbox import Sandbox

T = TypeVar("T")
NONCE = "0123456789abcdef012345678"
PICTURE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def config(sb: Sandbox, **changes: Any) -> BlueskyConfig:
    values: dict[str, Any] = {
        "enabled": True,
        "url": sb.bluesky_url,
        "handle": sb.credentials.bluesky_handle,
        "app_password": sb.credentials.bluesky_app_password,
    }
    return BlueskyConfig(**{**values, **changes})


def run(
    sb: Sandbox, session: Path, action: Callable[[BlueskyClient], Awaitable[T]], **changes: Any
) -> T:
    async def main() -> T:
        async with httpx.AsyncClient() as http:
            return await action(BlueskyClient(http, config(sb, **changes), session, timeout=5))

    return asyncio.run(main())


def thread(count: int, *, card: bool = True, picture: str | None = None) -> dict[str, Any]:
    posts: list[dict[str, Any]] = [
        {"$type": "app.bsky.feed.post", "text": f"part {n}", "createdAt": "2024-01-01T00:00:00Z"}
        for n in range(count)
    ]
    if card:
        external = {"uri": "https://dvc.org/blog/x", "title": "X", "description": "D"}
        posts[0]["embed"] = {"$type": "app.bsky.embed.external", "external": external}
    body: dict[str, Any] = {"posts": posts}
    if picture:
        body["picture_url"] = picture
    return body


def send(body: dict[str, Any], nonce: str = NONCE) -> Callable[[BlueskyClient], Awaitable[Sent]]:
    return lambda client: client.send(body, nonce)


@pytest.fixture
def session(tmp_path: Path) -> Path:
    """Where the client keeps its session: the state folder of the test."""
    return tmp_path / "state" / "bluesky-session.json"


@pytest.fixture(scope="module")
def pictures() -> Iterator[str]:
    """A loopback web server with a small picture (/small.png) and a too large one (/big.png)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PICTURE if self.path == "/small.png" else b"0" * 1_000_001
            self.send_response(200 if self.path in ("/small.png", "/big.png") else 404)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_thread_replies_to_its_root_and_carries_the_thumb(
    sb: Sandbox, session: Path, pictures: str
) -> None:
    """Three posts at the pair's keys, replies with root and parent refs, the picture as thumb."""
    sent = run(sb, session, send(thread(3, picture=f"{pictures}/small.png")))
    posts = sb.bluesky.posts
    keys = record_keys(NONCE, 3)
    assert [p["rkey"] for p in posts] == keys
    root = {"uri": posts[0]["uri"], "cid": posts[0]["cid"]}
    assert posts[1]["value"]["reply"] == {"root": root, "parent": root}
    second = {"uri": posts[1]["uri"], "cid": posts[1]["cid"]}
    assert posts[2]["value"]["reply"] == {"root": root, "parent": second}
    thumb = posts[0]["value"]["embed"]["external"]["thumb"]
    assert (thumb["mimeType"], thumb["size"]) == ("image/png", len(PICTURE))
    assert sent == Sent(
        remote_id=posts[0]["uri"],
        url=f"https://bsky.app/profile/{sb.credentials.bluesky_handle}/post/{keys[0]}",
    )


def test_a_picture_over_the_limit_leaves_the_card_without_thumb(
    sb: Sandbox, session: Path, pictures: str
) -> None:
    """A picture over 1,000,000 bytes is not uploaded; the post goes out with a bare card."""
    run(sb, session, send(thread(1, picture=f"{pictures}/big.png")))
    run(sb, session, send(thread(1, picture=f"{pictures}/missing.png"), "another-nonce"))
    assert [("thumb" in p["value"]["embed"]["external"]) for p in sb.bluesky.posts] == [0, 0]
    assert sb.bluesky.blob_count() == 0


def test_sending_again_creates_nothing_new(sb: Sandbox, session: Path) -> None:
    """A resend meets the 500 of a used key at every post, reads each back and adopts it."""
    first = run(sb, session, send(thread(3)))
    again = run(sb, session, send(thread(3)))
    assert again == first and len(sb.bluesky.posts) == 3
    creates = [r for r in sb.bluesky.requests if r["path"].endswith("createRecord")]
    assert [r["status"] for r in creates] == [200, 200, 200, 500, 500, 500]


def test_a_lost_answer_is_settled_by_get_record(sb: Sandbox, session: Path) -> None:
    """A create processed but unanswered is found by getRecord; the thread goes on once."""
    sb.faults.queue("bluesky", "drop", path="/xrpc/com.atproto.repo.createRecord")
    run(sb, session, send(thread(2)))
    assert [p["value"]["text"] for p in sb.bluesky.posts] == ["part 0", "part 1"]
    gets = [r for r in sb.bluesky.requests if r["path"].endswith("getRecord")]
    assert len(gets) == 1


def test_a_500_that_created_nothing_is_sent_again(sb: Sandbox, session: Path) -> None:
    """A 500 with nothing stored: getRecord finds no record, so the post is created again."""
    sb.faults.queue("bluesky", "500", "drop_before", path="/xrpc/com.atproto.repo.createRecord")
    run(sb, session, send(thread(1)))
    assert len(sb.bluesky.posts) == 1


def test_a_key_holding_another_post_is_not_adopted(sb: Sandbox, session: Path) -> None:
    """A record of other text at our key is refused as not ours, never taken for our post."""
    run(sb, session, send(thread(1)))
    other = thread(1)
    other["posts"][0]["text"] = "something else"
    with pytest.raises(Permanent, match="already holds another post"):
        run(sb, session, send(other))


def test_unconfirmable_creates_are_safely_retryable(sb: Sandbox, session: Path) -> None:
    """When neither the create nor getRecord answers, sending again is safe: Retryable."""
    sb.faults.queue("bluesky", "drop", path="/xrpc/com.atproto.repo.createRecord")
    sb.faults.queue("bluesky", "503", path="/xrpc/com.atproto.repo.getRecord")
    with pytest.raises(Retryable, match="sent again at the same key"):
        run(sb, session, send(thread(1)))
    run(sb, session, send(thread(1)))
    assert len(sb.bluesky.posts) == 1


def test_a_429_is_retryable_and_closes_the_window(sb: Sandbox, session: Path) -> None:
    """A 429 is Retryable with the PDS's wait, and nothing is sent before RateLimit-Reset."""
    sb.faults.queue("bluesky", "429", path="/xrpc/com.atproto.repo.createRecord")

    async def limited(client: BlueskyClient) -> None:
        with pytest.raises(Retryable) as caught:
            await client.send(thread(1), "first")
        assert caught.value.status == 429 and caught.value.wait is not None

    run(sb, session, limited)
    assert sb.bluesky.posts == []


def test_a_used_up_window_holds_the_next_post_back(sb: Sandbox, session: Path) -> None:
    """Once RateLimit-Remaining says 0, the next post waits for the reset, unsent."""
    sb.bluesky.write_points = 3  # one create an hour

    async def twice(client: BlueskyClient) -> None:
        await client.send(thread(1), "first")
        with pytest.raises(WindowClosed) as caught:
            await client.send(thread(1), "second")
        assert caught.value.wait is not None and caught.value.wait > 3000
        assert client.exhausted_until is not None

    run(sb, session, twice)
    creates = [r for r in sb.bluesky.requests if r["path"].endswith("createRecord")]
    assert len(sb.bluesky.posts) == len(creates) == 1


def test_wrong_app_password_is_permanent_and_named(sb: Sandbox, session: Path) -> None:
    """A refused app password is Permanent and names the settings, not the password."""
    with pytest.raises(Permanent, match=r"bluesky.handle / bluesky.app_password") as caught:
        run(sb, session, send(thread(1)), app_password="wron-gwro-ngwr-ongw")
    assert "wron-gwro" not in str(caught.value) and not session.exists()


def test_the_session_is_created_once_and_kept_owner_only(sb: Sandbox, session: Path) -> None:
    """The first client signs in; later ones reuse the stored session, refreshed near expiry."""
    sb.bluesky.access_seconds = 30  # within the minute a token is refreshed ahead of expiry
    run(sb, session, send(thread(1), "a"))
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    stored = json.loads(session.read_text())
    run(sb, session, send(thread(1), "b"))
    run(sb, session, send(thread(1), "c"))
    refreshes = [r for r in sb.bluesky.requests if r["path"].endswith("refreshSession")]
    assert sb.bluesky.sessions_created == 1 and len(refreshes) >= 2
    assert json.loads(session.read_text())["refreshJwt"] != stored["refreshJwt"]


def test_an_expired_token_met_mid_send_is_refreshed(sb: Sandbox, session: Path) -> None:
    """An access token the PDS calls expired is refreshed once and the call made again."""
    run(sb, session, send(thread(1), "a"))
    data = json.loads(session.read_text())
    sb.bluesky.expire(data["accessJwt"])
    run(sb, session, send(thread(1), "b"))
    assert len(sb.bluesky.posts) == 2 and sb.bluesky.sessions_created == 1


def test_an_ended_session_signs_in_again(sb: Sandbox, session: Path) -> None:
    """A refresh token the PDS revoked leads to one new sign-in, not a failure."""
    run(sb, session, send(thread(1), "a"))
    data = json.loads(session.read_text())
    sb.bluesky.expire(data["accessJwt"])
    sb.bluesky.expire(data["refreshJwt"])
    run(sb, session, send(thread(1), "b"))
    assert sb.bluesky.sessions_created == 2


def test_the_session_survives_into_another_process(sb: Sandbox, session: Path) -> None:
    """A second process posts with the session the first one stored, without signing in."""
    run(sb, session, send(thread(1), "a"))
    script = (
        "import asyncio, httpx, json, sys\n"
        "from pathlib import Path\n"
        "from heartbeat_bot.channels.bluesky.client import BlueskyClient\n"
        "from heartbeat_bot.channels.bluesky.settings import BlueskyConfig\n"
        "async def main():\n"
        "    async with httpx.AsyncClient() as http:\n"
        "        settings = BlueskyConfig(**json.loads(sys.argv[1]))\n"
        "        c = BlueskyClient(http, settings, Path(sys.argv[2]))\n"
        "        body = {'posts': [{'$type': 'app.bsky.feed.post', 'text': 'from afar',"
        " 'createdAt': '2024-01-01T00:00:00Z'}]}\n"
        "        print((await c.send(body, 'other-process')).remote_id)\n"
        "asyncio.run(main())\n"
    )
    settings = config(sb).model_dump(mode="json")
    settings["app_password"] = sb.credentials.bluesky_app_password
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(settings), str(session)],
        capture_output=True, text=True, timeout=60, env=os.environ.copy(), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sb.bluesky.sessions_created == 1 and len(sb.bluesky.posts) == 2


def test_tokens_never_reach_the_logs(
    sb: Sandbox, session: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Signing in, refreshing and posting log nothing of the tokens or the app password."""
    caplog.set_level(logging.DEBUG)
    run(sb, session, send(thread(2), "a"))
    data = json.loads(session.read_text())
    sb.bluesky.expire(data["accessJwt"])
    sb.bluesky.expire(data["refreshJwt"])
    run(sb, session, send(thread(2), "b"))
    secrets = [data["accessJwt"], data["refreshJwt"], sb.credentials.bluesky_app_password]
    secrets += [json.loads(session.read_text())["refreshJwt"]]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged and not any(secret in logged for secret in secrets)


def test_check_says_who_the_session_acts_as(sb: Sandbox, session: Path) -> None:
    """check signs in and names the handle and DID."""
    said = run(sb, session, lambda client: client.check())
    assert said == f"signed in as {sb.credentials.bluesky_handle} ({sb.bluesky.did})"


def test_creates_that_keep_failing_are_retryable_not_uncertain(sb: Sandbox, session: Path) -> None:
    """Three 500s each followed by a look-up finding nothing: nothing was created, so Retryable."""
    sb.faults.queue("bluesky", "500", "500", "500", path="/xrpc/com.atproto.repo.createRecord")
    with pytest.raises(Retryable) as caught:
        run(sb, session, send(thread(1)))
    assert not isinstance(caught.value, Uncertain) and sb.bluesky.posts == []
