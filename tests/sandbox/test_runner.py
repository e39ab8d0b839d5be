"""The Sandbox's lifecycle, its config snippet and the standalone ``python -m`` server."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import tomllib

import httpx
import pytest

from heartbeat_bot.channels import registry
from heartbeat_bot.channels.settings import Config
from heartbeat_bot.sandbox import Sandbox


def test_urls_and_credentials(sb: Sandbox) -> None:
    """Each service has its own loopback port; the webhook URL names the sandbox's webhook."""
    urls = [sb.discourse_url, sb.discord_api_url, sb.x_api_url]
    assert all(url.startswith("http://127.0.0.1:") for url in urls)
    assert len({url.split(":")[2].split("/")[0] for url in urls}) == 3
    assert sb.discord_api_url.endswith("/api/v10")
    assert sb.discord_webhook_url.startswith(f"{sb.discord_api_url}/webhooks/")
    assert sb.credentials.discourse_api_username == "heartbeat-bot"
    assert isinstance(sb.credentials.discord_channel_id, int)


def test_config_snippet_loads_as_heartbeat_config(sb: Sandbox) -> None:
    """The snippet is TOML that heartbeat-bot's own Config accepts, key for key."""
    data = tomllib.loads(sb.config_snippet())
    config = Config(**data)
    assert registry.enabled(config) == (
        "discourse",
        "discord",
        "twitter",
        "mastodon",
        "bluesky",
        "webhook",
    )
    assert config.discourse.url == sb.discourse_url and config.discourse.category == 7
    assert config.discord.mode == "bot" and config.discord.api_url == sb.discord_api_url
    assert config.discord.channel_id == sb.credentials.discord_channel_id
    assert config.twitter.api_url == sb.x_api_url
    assert config.bluesky.url == sb.bluesky_url
    assert config.bluesky.handle == sb.credentials.bluesky_handle
    assert f'# webhook_url = "{sb.discord_webhook_url}"' in sb.config_snippet()


def test_urls_need_a_started_sandbox() -> None:
    """Reading a URL before start() is a clear error; stop() is idempotent."""
    sandbox = Sandbox()
    with pytest.raises(RuntimeError, match="start the sandbox first"):
        _ = sandbox.discourse_url
    sandbox.start()
    sandbox.stop()
    sandbox.stop()


def test_usable_from_asyncio_run(sb: Sandbox) -> None:
    """An async client under asyncio.run() talks to the sandbox's own loop thread."""

    async def fetch() -> int:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{sb.discourse_url}/session/current.json")
            return response.status_code

    assert asyncio.run(fetch()) == 403  # no key: refused, but answered
    assert sb.requests[-1]["service"] == "discourse"


def test_python_m_sandbox_json_runs_until_sigterm() -> None:
    """`python -m heartbeat_bot.sandbox --json` prints one JSON line, serves, exits 0; a
    fixed port can be asked for each fake (here GitHub's)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        github_port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "heartbeat_bot.sandbox",
            "--json",
            "--github-port",
            str(github_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert set(info) >= {"discourse_url", "discord_api_url", "x_api_url", "config"}
        assert info["github_api_url"].startswith(f"http://127.0.0.1:{github_port}")
        creds = info["credentials"]
        headers = {"Api-Key": creds["discourse_api_key"], "Api-Username": "heartbeat-bot"}
        response = httpx.get(f"{info['discourse_url']}/session/current.json", headers=headers)
        assert response.json()["current_user"]["staff"] is True
        state = httpx.get(f"{info['discourse_url']}/_sandbox/state").json()
        assert [r["path"] for r in state["requests"]] == ["/session/current.json"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_python_m_sandbox_text_mode_stops_on_sigint() -> None:
    """Without --json the URLs and the snippet are printed, and Ctrl-C exits 0."""
    process = subprocess.Popen(
        [sys.executable, "-m", "heartbeat_bot.sandbox", "--fault-rate", "0.2", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Discourse: http://127.0.0.1:")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert "[twitter]" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
