"""Parse and render every corpus post, against reading them and parsing only their YAML.

    python bench/render.py [--rounds N] [--corpus PATH]

The baseline reads each file and parses its frontmatter with PyYAML's C loader; the
measured work parses each file into a Post and renders every channel's payload, and, on
its own, renders the payloads of posts parsed beforehand. All of it runs in this process,
on the same files; the ratios are what matter on a shared machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from heartbeat_bot.channels.discord.render import DiscordOptions
from heartbeat_bot.channels.discourse.render import DiscourseOptions
from heartbeat_bot.channels.rendering import Renderers
from heartbeat_bot.channels.twitter.render import TwitterOptions
from heartbeat_bot.config import BlogConfig
from heartbeat_bot.models import Post
from heartbeat_bot.posts import parse_post

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dvc-blog"


def baseline(files: list[Path]) -> None:
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        yaml.load(text.split("---", 2)[1], Loader=yaml.CSafeLoader)


def full(files: list[Path], blog: BlogConfig, settings: Renderers) -> None:
    for path in files:
        post = parse_post(path, path.read_bytes(), blog, {})
        settings.render_all(post, post.comments_url)


def render_only(posts: list[Post], settings: Renderers) -> None:
    for post in posts:
        settings.render_all(post, post.comments_url)


def best_of(rounds: int, work: Callable[..., None], *args: object) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        work(*args)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    files = sorted((args.corpus / "posts").glob("*.md"))
    blog = BlogConfig(post_url="https://dvc.org/blog/{slug}")
    settings = Renderers(
        {
            "discourse": DiscourseOptions(category=7),
            "discord": DiscordOptions(),
            "twitter": TwitterOptions(),
        }
    )
    full(files, blog, settings)  # warm up: template compilation, regexes
    base = best_of(args.rounds, baseline, files)
    measured = best_of(args.rounds, full, files, blog, settings)
    posts = [parse_post(path, path.read_bytes(), blog, {}) for path in files]
    rendered = best_of(args.rounds, render_only, posts, settings)
    print(f"{len(files)} posts, {len(settings.render_all(posts[0]))} channels")
    per_post = base / len(files) * 1e6
    print(f"baseline (read + C YAML):     {base * 1000:8.1f} ms  {per_post:7.0f} us/post")
    print(
        f"parse + render every payload: {measured * 1000:8.1f} ms  "
        f"{measured / len(files) * 1e6:7.0f} us/post  {measured / base:5.1f}x baseline"
    )
    print(
        f"render only (posts parsed):   {rendered * 1000:8.1f} ms  "
        f"{rendered / len(files) * 1e6:7.0f} us/post  {rendered / base:5.1f}x baseline"
    )


if __name__ == "__main__":
    main()
