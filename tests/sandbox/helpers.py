"""What the sandbox tests share: the test sandbox's timings and each service's headers."""

from __future__ import annotations

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
