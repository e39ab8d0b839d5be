"""Bad settings, run as real processes: one line on standard error and exit code 2."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DVC_POSTS
from tests.test_cli import run

POST = "2022-04-15-april-22-heartbeat.md"


def write_config(tmp_path: Path, *, blog: str = "", service: str = "") -> Path:
    """Valid settings with X enabled (pointing at a closed port), plus ``blog``/``service``."""
    posts = tmp_path / "posts"
    posts.mkdir(exist_ok=True)
    (posts / POST).write_bytes((DVC_POSTS / POST).read_bytes())
    config = tmp_path / "heartbeat.toml"
    config.write_text(
        f"""
[blog]
posts_dir = "posts"
{blog}
[twitter]
enabled = true
api_url = "http://127.0.0.1:9"
consumer_key = "ck"
consumer_secret = "cs"
access_token = "at"
access_token_secret = "ats"
[service]
{service}
""",
        encoding="utf-8",
    )
    return config


BAD_SETTINGS = {
    "list-not-json": (
        {"HEARTBEAT_DISCORD__ALLOWED_ROLE_IDS": "[1,"},
        {},
        "environment variable HEARTBEAT_DISCORD__ALLOWED_ROLE_IDS: "
        "discord.allowed_role_ids must be a JSON list such as [123, 456]",
    ),
    "infinite-poll": (
        {},
        {"blog": "poll_interval = inf"},
        "blog.poll_interval must be a finite number of seconds, got inf",
    ),
    "port-out-of-range": (
        {},
        {"service": 'http = "127.0.0.1:99999"'},
        "service.http: port must be 1-65535 (or 0 for any free port), got 99999",
    ),
    "one-underscore": (
        {"HEARTBEAT_DISCOURSE_API_KEY": "s3cret-key"},
        {},
        "environment variable HEARTBEAT_DISCOURSE_API_KEY names no setting",
    ),
}


def assert_one_line(out: subprocess.CompletedProcess[str], message: str) -> None:
    stderr = out.stderr
    assert out.returncode == 2, stderr
    assert "Traceback" not in stderr and stderr.count("\n") == 1, stderr
    assert stderr.startswith(f"heartbeat-bot: config error: {message}"), stderr
    assert "s3cret-key" not in stderr


@pytest.mark.parametrize("command", ["check", "run"])
@pytest.mark.parametrize("case", sorted(BAD_SETTINGS))
def test_bad_setting_is_one_line_and_exit_2(tmp_path: Path, case: str, command: str) -> None:
    """check and run refuse each bad setting, from the file or the environment, alike."""
    env, sections, message = BAD_SETTINGS[case]
    config = write_config(tmp_path, **sections)
    assert_one_line(run("--config", str(config), command, env=env), message)


@pytest.mark.parametrize(
    "command",
    [
        ("list",),
        ("preview", "april-22-heartbeat"),
        ("announce", "april-22-heartbeat", "--dry-run"),
        ("status",),
        ("resolve", "april-22-heartbeat", "twitter", "--skip"),
        ("bot",),
        ("demo",),
    ],
)
def test_every_command_refuses_bad_settings_in_one_line(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """Every other command that reads the settings refuses a malformed variable the same way."""
    env, _, message = BAD_SETTINGS["list-not-json"]
    config = write_config(tmp_path)
    assert_one_line(run("--config", str(config), *command, env=env), message)


def test_run_with_the_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """run names service.http in one line when another process holds the port."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        config = write_config(tmp_path, service=f'http = "127.0.0.1:{port}"')
        out = run("--config", str(config), "run")
    assert_one_line(
        out, f"service.http: cannot listen on 127.0.0.1:{port} (address already in use)"
    )
