"""From a post going live to its last announcement, with `heartbeat-bot run` and the sandbox.

    python bench/latency.py [--rounds N]

Starts the sandbox in this process and `heartbeat-bot run` as a child process on an empty
blog folder. Then, N times each: drops a new published post into the folder and measures
from the file landing to the moment all three channels are `done` in the ledger; and
writes a post dated 5 s ahead and measures from its publish moment. Prints the medians
(target: under 1 s for both).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from heartbeat_bot.sandbox import Sandbox


def config_text(sandbox: Sandbox) -> str:
    return (
        '[blog]\nposts_dir = "posts"\npost_url = "https://blog.example/{slug}"\n'
        'site_name = "Bench"\npoll_interval = 60\n\n[state]\npath = "state/l.sqlite3"\n\n'
        '[service]\nhttp = ""\n\n' + sandbox.config_snippet()
    )


def post(title: str, moment: datetime) -> str:
    return (
        f"---\ntitle: {title}\ndate: {moment.isoformat()}\n"
        "descriptionLong: A summary that fits in one tweet.\n---\n\nBody.\n"
    )


def all_done(ledger: Path, url: str) -> bool:
    try:
        db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=1)
        rows = db.execute(
            "SELECT d.state FROM deliveries d JOIN posts p ON p.id = d.post_id WHERE p.url = ?",
            (url,),
        ).fetchall()
        db.close()
    except sqlite3.Error:
        return False
    return len(rows) >= 3 and all(state == "done" for (state,) in rows)  # every channel


def wait_done(ledger: Path, url: str, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all_done(ledger, url):
            return time.time()
        time.sleep(0.002)
    log = ledger.parent.parent / "run.log"
    raise SystemExit(f"{url} was not announced within {timeout} s\n{log.read_text()[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Sandbox() as sandbox:
        root = Path(tmp)
        (root / "posts").mkdir()
        config = root / "heartbeat.toml"
        config.write_text(config_text(sandbox), encoding="utf-8")
        ledger = root / "state" / "l.sqlite3"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
        log = root / "run.log"
        with log.open("w") as sink:  # a file, not a pipe: a full pipe would block the child
            child = subprocess.Popen(
                [sys.executable, "-m", "heartbeat_bot", "--config", str(config), "run"],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
            )
        while "watching" not in log.read_text():  # until it watches the folder
            if child.poll() is not None:
                raise SystemExit(log.read_text())
            time.sleep(0.01)
        new, scheduled = [], []
        try:
            for n in range(args.rounds):
                slug = f"new-{n}"
                temp = root / f".{slug}.tmp"
                temp.write_text(post(f"A new post number {n}", datetime.now(UTC)), "utf-8")
                landed = time.time()
                temp.rename(root / "posts" / f"2024-01-01-{slug}.md")
                new.append(wait_done(ledger, f"https://blog.example/{slug}") - landed)

                slug = f"later-{n}"
                moment = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
                (root / "posts" / f"2024-01-01-{slug}.md").write_text(
                    post(f"A scheduled post number {n}", moment), "utf-8"
                )
                done = wait_done(ledger, f"https://blog.example/{slug}")
                scheduled.append(done - moment.timestamp())
        finally:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=30)
    for name, values in (
        ("new post (file landed -> all done)", new),
        ("scheduled post (moment -> all done)", scheduled),
    ):
        shown = ", ".join(f"{v * 1000:.0f}" for v in values)
        median = statistics.median(values)
        verdict = "PASS" if median < 1.0 else "MISS"
        print(
            f"{name:<38} median {median * 1000:6.0f} ms  [{shown}] ms  target < 1000 ms {verdict}"
        )
    print(
        re.sub(
            r"\s+",
            " ",
            "sandbox on loopback; the figures include watchfiles' debounce "
            "and three channels' HTTP round trips",
        )
    )


if __name__ == "__main__":
    main()
