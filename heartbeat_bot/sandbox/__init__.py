"""Loopback fakes of Discourse, Discord (REST), X and a Bluesky PDS that behave like the
real services.

A product feature (``heartbeat-bot sandbox``, ``heartbeat-bot demo``) and the peer of the
integration tests: the real clients (httpx, discord.py, tweepy) talk HTTP to it. It checks
payloads by each service's own rules, restated here from their docs and source, never by
heartbeat-bot's (it imports nothing from ``posts``, ``render`` or ``channels``), answers
with the services' real error shapes, records what it accepted and injects faults.

    with Sandbox() as sb:
        sb.faults.queue("discourse", "503", "drop")
        ...  # point the clients at sb.discourse_url, sb.discord_api_url, sb.x_api_url,
        ...  # sb.bluesky_url
        assert sb.discourse.topics[0]["title"] == ...
"""

from __future__ import annotations

from heartbeat_bot.sandbox.faults import FAULT_KINDS, RANDOM_KINDS, Faults
from heartbeat_bot.sandbox.runner import Credentials, Sandbox

__all__ = ["FAULT_KINDS", "RANDOM_KINDS", "Credentials", "Faults", "Sandbox"]
