"""The web console's pages on blogs of 5k-50k posts, each against a floor measured in the
same run.

    python bench/console.py [--sizes 5k,50k] [--runs N] [--before PATH] [--corpus PATH]

For each size, a blog is generated from the corpus as ``bench/scale.py`` does (every post
published, 15 minutes apart from 2010 on) and ``run`` starts against the sandbox
(Discourse, Discord, X) with the console on: the first start records every post as
baseline. Then, over real HTTP on loopback with a logged-in session, the median of N
requests of:

- the first ``GET /`` after the start (the console indexes the scan: every post's
  problems read back from the parse cache once);
- ``GET /``: the posts page (its first page; the whole list before pagination);
- ``GET /?filter=failed&q=...``: a filter and a search;
- ``GET /posts/SLUG``: the page of the oldest post (the last of the list);
- ``GET /changes``: the change marker the pages poll every 2 seconds;
- ``GET /upcoming``.

floors, in this process: ``stat`` (list the folder and stat every file) and one read of
every post row of the ledger (``ledger.posts()``).

With ``--before PATH`` (a checkout of an earlier version, e.g. a worktree of ``main``),
the same service is started a second time with that code (``PYTHONPATH=PATH``) on the same
folder and state, and both are shown: before and after.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from scale import POST_URL, build_blog, cpu_model, sandbox_channels, size, stat_floor
from scan import DEFAULT_CORPUS, best_of

import heartbeat_bot
from heartbeat_bot.app.passwords import hash_password
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.sandbox import Sandbox

PASSWORD = "a bench password of some length"
HERE = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def service(config: Path, log: Path, code: Path) -> Iterator[None]:
    """``run`` with the code at ``code``, until it watches the folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    env["PYTHONPATH"] = str(code)
    with log.open("w") as sink:
        child = subprocess.Popen(
            [sys.executable, "-m", "heartbeat_bot", "--config", str(config), "run"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=code,  # ``-m`` puts the working folder first on the path
        )
    try:
        while "watching" not in log.read_text():
            if child.poll() is not None:
                raise SystemExit(log.read_text()[-3000:])
            time.sleep(0.05)
        yield
    finally:
        child.terminate()
        child.wait(timeout=120)


def login(client: httpx.Client) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    answer = client.post(
        "/login",
        data={"csrf": token.group(1), "username": "admin", "password": PASSWORD},
        headers={"Origin": str(client.base_url).rstrip("/")},
    )
    assert answer.status_code == 303, answer.text[:300]


def timed(client: httpx.Client, path: str, runs: int) -> float:
    """Median seconds of ``runs`` GETs of ``path`` (after one untimed)."""
    first = client.get(path)
    assert first.status_code == 200, f"{path}: {first.status_code} {first.text[:300]}"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.get(path)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, path
    return statistics.median(times)


def pages(base: str, oldest: str, runs: int) -> dict[str, float]:
    with httpx.Client(base_url=base, timeout=300) as client:
        login(client)
        started = time.perf_counter()
        listed = client.get("/").text
        first = time.perf_counter() - started
        rows = listed.count("<tr data-slug=")
        total = re.search(r"All posts \((\d+)\)", listed)
        print(f"  {base}: GET / lists {rows} rows of {total.group(1) if total else '?'}")
        return {
            "first GET / after the start": first,
            "GET / (posts page)": timed(client, "/", runs),
            "GET /?filter=failed&q=heartbeat": timed(client, "/?filter=failed&q=heartbeat", runs),
            "GET /posts/SLUG (oldest post)": timed(client, f"/posts/{oldest}", runs),
            "GET /changes (polled every 2 s)": timed(client, "/changes", runs),
            "GET /upcoming": timed(client, "/upcoming", runs),
        }


def measure(args: argparse.Namespace, count: int) -> tuple[dict[str, float], dict[str, dict]]:
    """The floors and, per version of the code, each page's median seconds."""
    with tempfile.TemporaryDirectory(prefix="heartbeat-console-") as tmp, Sandbox() as sandbox:
        root = Path(tmp)
        posts = root / "posts"
        files = build_blog(args.corpus, posts, count)
        port = free_port()
        config = root / "heartbeat.toml"
        config.write_text(
            f'[blog]\nposts_dir = "posts"\npost_url = "{POST_URL}"\nsite_name = "Bench"\n'
            'poll_interval = 60\n\n[state]\npath = "state/ledger.sqlite3"\n\n'
            f'[service]\nhttp = "127.0.0.1:{port}"\n\n'
            f'[web]\npassword_hash = "{hash_password(PASSWORD)}"\n\n'
            + sandbox_channels(sandbox.config_snippet(), "three"),
            encoding="utf-8",
        )
        oldest = files[0].stem[len("2010-01-01-") :]
        base = f"http://127.0.0.1:{port}"
        codes = {"after": HERE}
        if args.before:
            codes = {"before": args.before.resolve(), **codes}
        figures = {}
        for name, code in codes.items():
            log = root / f"run-{name}.log"
            with service(config, log, code):
                try:
                    figures[name] = pages(base, oldest, args.runs)
                except AssertionError as exc:
                    raise SystemExit(f"{name}: {exc}\n{log.read_text()[-3000:]}") from None
        stat_floor(posts)
        floors = {"stat": best_of(3, lambda: stat_floor(posts))}
        with Ledger(root / "state" / "ledger.sqlite3") as ledger:
            floors["ledger.posts()"] = best_of(3, ledger.posts)
    return floors, figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="5k,50k", help="blog sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="requests per page (median)")
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    compileall.compile_dir(Path(heartbeat_bot.__file__).parent, quiet=1)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs: {cpu_model()}")
    for count in (size(s) for s in args.sizes.split(",") if s.strip()):
        floors, figures = measure(args, count)
        floor_text = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in floors.items())
        print(f"\n{count:,} posts; floors: {floor_text}")
        names = list(figures)
        header = "| page | " + " | ".join(names) + " |"
        print(header)
        print("|" + "---|" * (len(names) + 1))
        floor = floors["ledger.posts()"]
        for page in figures[names[0]]:
            cells = [
                f"{figures[n][page] * 1000:.1f} ms ({figures[n][page] / floor:.2f}x)" for n in names
            ]
            print(f"| {page} | " + " | ".join(cells) + " |")
        print("(x: the ratio to one ledger.posts() read)")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
