"""What the sandbox tests share: the test sandbox's timings and each service's headers."""

from __future__ import annotations

import httpx

from heartbeat_bot.sandbox import Sandbox

RATE_LIMIT_WAIT = 0.1  # what the test sandbox's 429s ask for, in seconds
SLOW_DELAY = 0.3  # how long its "slow" fault waits, in seconds


def discourse_headers(sb: Sandbox) -> dict[str, str]:
    """The API key headers of the sandbox's staff user."""
    creds = sb.credentials
    return {"Api-Key": creds.discourse_api_key, "Api-Username": creds.discourse_api_username}


def discord_headers(sb: Sandbox) -> dict[str, str]:
    """The bot token header."""
    return {"Authorization": f"Bot {sb.credentials.discord_bot_token}"}


def bluesky_session(sb: Sandbox, http: httpx.Client) -> dict[str, str]:
    """A fresh session of the sandbox's Bluesky account (its tokens, did and handle)."""
    answer = http.post(
        f"{sb.bluesky_url}/xrpc/com.atproto.server.createSession",
        json={
            "identifier": sb.credentials.bluesky_handle,
            "password": sb.credentials.bluesky_app_password,
        },
    )
    assert answer.status_code == 200, answer.text
    session: dict[str, str] = answer.json()
    return session
