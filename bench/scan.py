"""Scan a synthetic blog of N posts, cold and warm, against reading them and parsing only YAML.

    python bench/scan.py [--posts N] [--rounds K] [--corpus PATH]

The blog is built in a temporary folder by copying the corpus posts under unique file
names (``2024-01-01-p00042-<slug>.md``) and unique slugs, content otherwise unchanged.
Everything is measured in this process, on the same files, after one untimed read pass
that brings them into the OS page cache, so every figure is a warm-cache figure:

- baseline: read each file and parse its frontmatter with PyYAML's C loader;
- cold scan: ``FolderSource.rescan`` on a fresh instance (read, parse, validate every file);
- warm rescan: the same instance again, nothing changed (one stat per file, no read);
- restart: ``FolderSource.rescan`` on a fresh instance over a warm parse cache (what a
  second start does: one stat per file, the results read from the cache);
- slug look-up: ``FolderSource.lookup`` on a fresh instance (one stat per file, one row
  of the cache's index decoded).

Targets: cold <= 2x baseline, warm <= 0.1x baseline. Then ``heartbeat-bot list --json``
and ``heartbeat-bot preview SLUG --json`` are timed as whole processes (best of 3),
start-up included, with the parse cache deleted before each run (as before the cache
existed) and then warm. The ratios are what matter on a shared machine; the milliseconds
are for scale.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.sources.folder import FolderSource
from heartbeat_bot.sources.parse_cache import ParseCache, cache_path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dvc-blog"
COLD_TARGET = 2.0
WARM_TARGET = 0.1
OLD_NS = (time.time_ns() // 10**9 - 86_400) * 10**9  # a day ago, whole seconds
_SLUG_LINE = re.compile(r"^slug:.*$", re.MULTILINE)


def build_blog(corpus: Path, root: Path, count: int) -> Path:
    """``count`` posts in ``root/posts``, cycling over the corpus; slugs made unique."""
    sources = sorted((corpus / "posts").glob("*.md"))
    texts = [path.read_text(encoding="utf-8") for path in sources]
    posts = root / "posts"
    posts.mkdir()
    for number in range(count):
        index = number % len(sources)
        slug = f"p{number:05d}-{re.sub(r'^[0-9-]+', '', sources[index].stem)}"
        text = texts[index]
        if _SLUG_LINE.search(text):  # an explicit slug would repeat across copies
            text = _SLUG_LINE.sub(f"slug: {slug}", text, count=1)
        path = posts / f"2024-01-01-{slug}.md"
        path.write_text(text, encoding="utf-8")
        os.utime(path, ns=(OLD_NS, OLD_NS))  # written long ago, as a real blog's files are
    return posts


def baseline(files: list[Path]) -> None:
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        yaml.load(text.split("---", 2)[1], Loader=yaml.CSafeLoader)


def best_of(rounds: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def verdict(ratio: float, target: float) -> str:
    return f"{'PASS' if ratio <= target else 'MISS'} (target <= {target:g}x)"


def time_commands(root: Path, posts: Path, slug: str, runs: int = 3) -> dict[str, float]:
    """``list --json`` and ``preview SLUG --json`` as processes: cache deleted, then warm."""
    config = root / "heartbeat.toml"
    config.write_text(
        f'[blog]\nposts_dir = "{posts.as_posix()}"\npost_url = "https://dvc.org/blog/{{slug}}"\n'
        f'\n[state]\npath = "{(root / "state.sqlite3").as_posix()}"\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "heartbeat_bot", "--config", str(config)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEARTBEAT_")}
    cache = cache_path(root / "state.sqlite3")
    figures: dict[str, float] = {}
    for name, args in (("list", ["list", "--json"]), ("preview", ["preview", slug, "--json"])):

        def once(args: list[str] = args, *, cold: bool) -> None:
            if cold:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{cache}{suffix}").unlink(missing_ok=True)
            subprocess.run([*command, *args], capture_output=True, check=True, env=env)

        figures[f"{name} cold"] = best_of(runs, lambda: once(cold=True))
        once(cold=False)
        figures[f"{name} warm"] = best_of(runs, lambda: once(cold=False))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    blog = BlogConfig(post_url="https://dvc.org/blog/{slug}")
    with tempfile.TemporaryDirectory(prefix="heartbeat-bench-") as tmp:
        root = Path(tmp)
        posts = build_blog(args.corpus, root, args.posts)
        files = sorted(posts.iterdir())
        baseline(files)  # untimed: page cache, YAML loader warm-up
        base = best_of(args.rounds, lambda: baseline(files))
        cold = best_of(args.rounds, lambda: FolderSource(posts).rescan(blog))
        source = FolderSource(posts)
        first = source.rescan(blog)
        warm = best_of(args.rounds, lambda: source.rescan(blog))
        again = source.rescan(blog)
        cache = ParseCache(root / "bench-cache.sqlite3")
        FolderSource(posts, cache=cache).rescan(blog)
        restart = best_of(args.rounds, lambda: FolderSource(posts, cache=cache).rescan(blog))
        slug = next(item.slug for item in reversed(first.items) if not isinstance(item, PostError))
        lookup = best_of(args.rounds, lambda: FolderSource(posts, cache=cache).lookup(slug, blog))
        assert FolderSource(posts, cache=cache).lookup(slug, blog) is not None
        commands = time_commands(root, posts, slug)

    errors = sum(isinstance(item, PostError) for item in first.items)
    print(f"{len(files)} posts ({errors} PostErrors), best of {args.rounds} rounds each,")
    print("after one untimed read pass (OS page cache warm)")
    per_post = base / len(files) * 1e6
    print(f"baseline (read + C YAML):   {base * 1000:8.1f} ms  {per_post:6.0f} us/post")
    print(f"cold rescan (fresh source): {cold * 1000:8.1f} ms  {cold / base:6.2f}x  ", end="")
    print(verdict(cold / base, COLD_TARGET))
    print(f"warm rescan (no change):    {warm * 1000:8.1f} ms  {warm / base:6.3f}x  ", end="")
    print(verdict(warm / base, WARM_TARGET), f"[changed={len(again.changed)}]")
    print(f"restart (warm parse cache): {restart * 1000:8.1f} ms  {restart / base:6.3f}x")
    print(f"slug look-up (cache index): {lookup * 1000:8.1f} ms  {lookup / base:6.3f}x")
    for name in ("list", "preview"):
        cold, warm = commands[f"{name} cold"], commands[f"{name} warm"]
        print(
            f"`{name}` process, best of 3: no cache {cold * 1000:8.1f} ms, "
            f"warm cache {warm * 1000:8.1f} ms ({warm / cold:.2f}x; {warm / base:.3f}x baseline)"
        )


if __name__ == "__main__":
    main()
