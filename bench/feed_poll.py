"""What one poll of a feed costs: a 304 against a full fetch and parse, over loopback.

    python bench/feed_poll.py [--rounds N]

Serves the 157 kB Movable Type feed of feedparser's test suite (15 entries, full content)
from the sandbox's feed server and polls it with the feed source: N polls that must fetch
and parse it whole (its validators forgotten), then N conditional polls, which the server
answers 304. Prints the median of each and their ratio (the point of conditional GETs).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import httpx

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.sandbox.feeds import FeedServer
from heartbeat_bot.sources.feed import FeedSource
from heartbeat_bot.sources.feed_fetch import Validators

FEED = (
    Path(__file__).resolve().parents[1]
    / "tests/data/feeds/feedparser/large_atom_feed_that_needs_css_sanitisation.xml"
)


async def measure(url: str, rounds: int) -> tuple[list[float], list[float]]:
    blog = BlogConfig()
    full, conditional = [], []
    async with httpx.AsyncClient() as http:
        for _ in range(rounds):
            source = FeedSource(url)  # nothing known: a 200 and a parse
            started = time.perf_counter()
            await source.poll(blog, http)
            full.append(time.perf_counter() - started)
        for _ in range(rounds):  # the last source knows the validators: a 304 each
            started = time.perf_counter()
            await source.poll(blog, http)
            conditional.append(time.perf_counter() - started)
        assert source.validators != Validators() and source.unchanged == rounds
    return full, conditional


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with FeedServer() as server:
        server.put("mt", FEED.read_bytes(), "application/atom+xml")
        full, conditional = asyncio.run(measure(server.url("mt"), args.rounds))
        answers = server.served("mt")
    assert answers.count(304) == args.rounds
    a, b = statistics.median(full), statistics.median(conditional)
    print(f"fetch and parse ({FEED.stat().st_size // 1024} kB, 15 entries): {a * 1000:.1f} ms")
    print(f"conditional poll (304):                         {b * 1000:.1f} ms")
    print(f"ratio: a 304 costs {b / a:.3f} of a full poll ({a / b:.0f} times less)")


if __name__ == "__main__":
    main()
