"""Bad settings, run as real processes: one line on standard error and exit code 2."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

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


def assert_one_line(out: subprocess.CompletedProcess[str], message: str) -> None:
    stderr = out.stderr
    assert out.returncode == 2, stderr
    assert "Traceback" not in stderr and stderr.count("\n") == 1, stderr
    assert stderr.startswith(f"heartbeat-bot: config error: {message}"), stderr
    assert "s3cret-key" not in stderr


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
