"""The container's health check asks the listener the service was configured with."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest


class _Health(BaseHTTPRequestHandler):
    status: ClassVar[int] = 200
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        body = b"ok" if self.status == 200 else b"ledger not writable"
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[tuple[type[_Health], int]]:
    """A loopback HTTP server standing in for the service's health listener."""
    handler = type("Health", (_Health,), {"status": 200, "paths": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, server.server_address[1]
    server.shutdown()
    server.server_close()


def check(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m heartbeat_bot.web.healthcheck`` with only these HEARTBEAT_* variables."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    return subprocess.run(
        [sys.executable, "-m", "heartbeat_bot.web.healthcheck"],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_wildcard_listener_from_environment_is_asked_on_loopback(
    listener: tuple[type[_Health], int], tmp_path: Path
) -> None:
    """HEARTBEAT_SERVICE__HTTP=0.0.0.0:PORT is asked at 127.0.0.1:PORT/healthz; 200 is healthy."""
    handler, port = listener
    done = check({"HEARTBEAT_SERVICE__HTTP": f"0.0.0.0:{port}"}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert handler.paths == ["/healthz"]


def test_listener_from_config_file_and_unhealthy_answer(
    listener: tuple[type[_Health], int], tmp_path: Path
) -> None:
    """Without the variable, service.http of the config file is asked; a 503 exits 1 with why."""
    handler, port = listener
    handler.status = 503
    config = tmp_path / "heartbeat.toml"
    config.write_text(f'[service]\nhttp = "127.0.0.1:{port}"\n', encoding="utf-8")
    done = check({"HEARTBEAT_CONFIG": str(config)}, tmp_path)
    assert done.returncode == 1
    assert "503" in done.stderr and "ledger not writable" in done.stderr
    assert handler.paths == ["/healthz"]


def test_nothing_listening_is_unhealthy(tmp_path: Path) -> None:
    """A listener that is not up exits 1 naming the URL asked."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = check({"HEARTBEAT_SERVICE__HTTP": f"127.0.0.1:{port}"}, tmp_path)
    assert done.returncode == 1
    assert f"http://127.0.0.1:{port}/healthz" in done.stderr


def test_listener_turned_off_is_not_a_failure(tmp_path: Path) -> None:
    """service.http = "" (no listener) leaves nothing to ask, and is not reported unhealthy."""
    done = check({"HEARTBEAT_SERVICE__HTTP": ""}, tmp_path)
    assert done.returncode == 0
    assert "off" in done.stderr
