"""Progress on standard error: drawn on a terminal for slow work, never when piped."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from heartbeat_bot.cli.progress import StderrProgress
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import LINKED_POST, NEW_POST, make_blog

CLI = [sys.executable, "-m", "heartbeat_bot"]


def announce_with_stderr_on_a_terminal(config: Path) -> tuple[int, str, str]:
    """Run `announce` of both posts with stderr on a pseudo-terminal; (code, stdout, tty)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "heartbeat_bot",
            "--config",
            str(config),
            "announce",
            "dvc-git-lfs",
            "april-22-heartbeat",
        ],
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env={**env, "TERM": "xterm", "COLUMNS": "100"},
    )
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    out, _ = process.communicate(timeout=60)
    os.close(master)
    return process.returncode, out.decode(), seen.decode(errors="replace")


def test_slow_announce_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    """Announcing two posts that take seconds draws a bar on a terminal's stderr only."""
    with Sandbox(slow_delay=1.5) as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST, LINKED_POST))
        for _ in range(2):
            sandbox.faults.queue("discord", "slow")
        code, stdout, terminal = announce_with_stderr_on_a_terminal(blog.config)
    assert code == 0, stdout + terminal
    assert "announcing" in terminal and "/2" in terminal
    assert "announcing" not in stdout and stdout.count(" done ") == 6


def test_no_progress_when_stderr_is_piped(tmp_path: Path) -> None:
    """With stderr piped, the same slow work writes no bar there."""
    with Sandbox(slow_delay=1.5) as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST, LINKED_POST))
        sandbox.faults.queue("discord", "slow")
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "heartbeat_bot",
                "--config",
                str(blog.config),
                "announce",
                "dvc-git-lfs",
                "april-22-heartbeat",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "announcing" not in done.stderr


def test_uncounted_work_pulses_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work that cannot be counted ahead (reading the posts) draws a bar with no total,
    once it has taken longer than the delay, on a terminal standard error."""
    master, slave = pty.openpty()
    terminal = os.fdopen(slave, "w")
    monkeypatch.setattr(sys, "stderr", terminal)
    with StderrProgress("reading posts", None, delay=0.05):
        time.sleep(0.5)
    terminal.flush()
    seen = b""
    while select.select([master], [], [], 0.5)[0]:
        chunk = os.read(master, 4096)
        if not chunk:
            break
        seen += chunk
    terminal.close()
    os.close(master)
    assert b"reading posts" in seen


def test_quick_work_draws_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work over before the delay draws no bar even on a terminal."""
    master, slave = pty.openpty()
    terminal = os.fdopen(slave, "w")
    monkeypatch.setattr(sys, "stderr", terminal)
    with StderrProgress("reading posts", None, delay=5.0):
        pass
    terminal.flush()
    ready = select.select([master], [], [], 0.3)[0]
    terminal.close()
    os.close(master)
    assert not ready
