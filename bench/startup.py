"""How long the command line takes to answer, against a bare Python start in the same run.

    python bench/startup.py [--runs N]

Prints the median wall time of each command and its ratio to `python -c pass`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "heartbeat-bot --help": [sys.executable, "-m", "heartbeat_bot", "--help"],
    "heartbeat-bot --version": [sys.executable, "-m", "heartbeat_bot", "--version"],
    "heartbeat-bot preview --example --json": [
        sys.executable,
        "-m",
        "heartbeat_bot",
        "preview",
        "--example",
        "april-22-heartbeat",
        "--json",
    ],
}


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    results = {name: median_seconds(command, args.runs) for name, command in COMMANDS.items()}
    baseline = results["python -c pass (baseline)"]
    for name, seconds in results.items():
        print(f"{name:<42} {seconds * 1000:7.1f} ms  {seconds / baseline:5.2f}x")


if __name__ == "__main__":
    main()
