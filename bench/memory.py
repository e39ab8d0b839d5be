"""Resident memory of `heartbeat-bot run` after it sat idle on a large blog.

    python bench/memory.py [--posts N] [--idle SECONDS]

Builds a synthetic blog of N posts (default 5,000, as bench/scan.py does), starts the
sandbox and `heartbeat-bot run` on it (the first run records them all as baseline), waits
SECONDS (default 600) and reads the child's VmRSS and VmHWM from /proc. Target: under
120 MB after 10 minutes idle. A bare `python -c` with the same libraries imported is
measured too, as the floor of what any Python service on this stack costs.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scan import DEFAULT_CORPUS, build_blog

from heartbeat_bot.sandbox import Sandbox

FLOOR = (
    "import discord, tweepy, httpx, apscheduler.schedulers.asyncio, watchfiles, pydantic,"
    " jinja2, yaml, markdown_it, emoji, aiohttp, time; time.sleep(5)"
)


def rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--idle", type=float, default=600.0)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    floor = subprocess.Popen([sys.executable, "-c", FLOOR])
    time.sleep(4)
    floor_rss, _ = rss_mb(floor.pid)
    floor.wait()
    with tempfile.TemporaryDirectory() as tmp, Sandbox() as sandbox:
        root = Path(tmp)
        build_blog(args.corpus, root, args.posts)
        config = root / "heartbeat.toml"
        config.write_text(
            '[blog]\nposts_dir = "posts"\npost_url = "https://blog.example/{slug}"\n\n'
            '[service]\nhttp = "127.0.0.1:0"\n\n' + sandbox.config_snippet(),
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
        log = root / "run.log"
        with log.open("w") as sink:
            child = subprocess.Popen(
                [sys.executable, "-m", "heartbeat_bot", "--config", str(config), "run"],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
            )
        started = time.monotonic()
        while "watching" not in log.read_text():
            if child.poll() is not None:
                raise SystemExit(log.read_text())
            time.sleep(0.05)
        ready = time.monotonic() - started
        time.sleep(args.idle)
        rss, peak = rss_mb(child.pid)
        child.send_signal(signal.SIGTERM)
        code = child.wait(timeout=30)
        sent = len(sandbox.discord.messages)
    verdict = "PASS" if rss < 120 else "MISS"
    print(f"{args.posts} posts; ready (first scan + baseline) in {ready:.1f} s; sent {sent}")
    print(
        f"after {args.idle:.0f} s idle: RSS {rss:.1f} MB (peak {peak:.1f} MB), "
        f"target < 120 MB {verdict}; exit code {code}"
    )
    print(
        f"floor: python with the same libraries imported: {floor_rss:.1f} MB "
        f"(the service is {rss / floor_rss:.2f}x that)"
    )


if __name__ == "__main__":
    main()
