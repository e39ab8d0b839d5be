"""Kill -9 at random moments, under a 30 % fault rate: every post exactly once, everywhere.

``heartbeat-bot announce`` runs as a subprocess for 20 posts against the standalone sandbox
(Discord in bot mode, Mastodon, Bluesky, the webhook receiver). It is killed with SIGKILL,
sometimes at a random moment and sometimes right after it committed a ``sending`` claim,
and restarted until it exits 0. Then the services must hold exactly one topic, one
message, one complete X thread, one complete Mastodon thread and one whole Bluesky thread
per post, and one webhook delivery per post and key (at least once: repeats of a key are
allowed, a second key is not), and the attempt log must show that kills landed between
``sending`` and its answer.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.announce_env import _toml
from tests.conftest import DVC_AUTHORS, DVC_POSTS

POSTS = 20
KILLS = 8
MAX_RUNS = 40


@pytest.fixture
def standalone_sandbox(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    seed = request.param
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "heartbeat_bot.sandbox",
            "--json",
            "--fault-rate",
            "0.3",
            "--seed",
            str(seed),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    info: dict[str, Any] = json.loads(process.stdout.readline())
    info["seed"] = seed
    try:
        yield info
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        process.stdout.close()


def blog_for(root: Path, info: dict[str, Any]) -> tuple[Path, list[str]]:
    """20 real posts, stripped of commentsUrl so each needs a topic, and settings."""
    posts = root / "posts"
    posts.mkdir()
    slugs = []
    for source in sorted(DVC_POSTS.glob("20*.md"))[-POSTS:]:
        text = source.read_text(encoding="utf-8")
        text = re.sub(r"^commentsUrl:.*\n", "", text, count=1, flags=re.M)
        (posts / source.name).write_text(text, encoding="utf-8")
        slugs.append(re.sub(r"^[\d-]+", "", source.stem))
    creds = info["credentials"]
    config = root / "heartbeat.toml"
    config.write_text(
        _toml(
            {
                "blog": {
                    "posts_dir": "posts",
                    "authors_dir": str(DVC_AUTHORS),
                    "post_url": "https://dvc.org/blog/{slug}",
                    "site_name": "DVC",
                },
                "state": {"path": "state/heartbeat.sqlite3"},
                "discourse": {
                    "enabled": True,
                    "url": info["discourse_url"],
                    "category": 7,
                    "api_username": creds["discourse_api_username"],
                    "api_key": creds["discourse_api_key"],
                },
                "discord": {
                    "enabled": True,
                    "mode": "bot",
                    "api_url": info["discord_api_url"],
                    "bot_token": creds["discord_bot_token"],
                    "channel_id": creds["discord_channel_id"],
                    "guild_id": creds["discord_guild_id"],
                },
                # Two tweets a thread keep the run under X's 100 tweets per 15 minutes.
                "twitter": {
                    "enabled": True,
                    "api_url": info["x_api_url"],
                    "max_tweets": 2,
                    "consumer_key": creds["twitter_consumer_key"],
                    "consumer_secret": creds["twitter_consumer_secret"],
                    "access_token": creds["twitter_access_token"],
                    "access_token_secret": creds["twitter_access_token_secret"],
                },
                "mastodon": {
                    "enabled": True,
                    "url": info["mastodon_url"],
                    "access_token": creds["mastodon_access_token"],
                    "max_posts": 2,
                },
                "webhook": {
                    "enabled": True,
                    "url": info["webhook_url"],
                    "secret": creds["webhook_secret"],
                },
                "bluesky": {
                    "enabled": True,
                    "url": info["bluesky_url"],
                    "max_posts": 2,
                    "card_picture": False,  # the corpus pictures are not on loopback
                    "handle": creds["bluesky_handle"],
                    "app_password": creds["bluesky_app_password"],
                },
            }
        ),
        encoding="utf-8",
    )
    return config, slugs


def in_flight(ledger: Path, pid: int) -> bool:
    """Whether the process ``pid`` holds a claim it has not settled yet."""
    if not ledger.exists():
        return False
    try:
        db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=1)
        rows = db.execute(
            "SELECT COUNT(*) FROM deliveries WHERE state = 'sending' AND claimed_by LIKE ?",
            (f"%:{pid}:%",),
        ).fetchone()
        db.close()
    except sqlite3.Error:
        return False
    return bool(rows[0])


def revised(text: str) -> str:
    """The post with "Revised " before its title (its title lines replaced by one)."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    end = start + 1
    while lines[end].startswith((" ", "\t")):
        end += 1
    block = "\n".join(lines[start:end])
    title = " ".join(str(yaml.safe_load(block)["title"]).split())
    lines[start:end] = [f"title: {json.dumps('Revised ' + title)}"]
    return "\n".join(lines)


def editing(ledger: Path, pid: int) -> bool:
    """Whether the process ``pid`` began an edit it has not finished yet."""
    if not ledger.exists():
        return False
    try:
        db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=1)
        rows = db.execute(
            """SELECT event FROM attempts WHERE process LIKE ? AND event LIKE 'edit-%'
               ORDER BY id DESC LIMIT 1""",
            (f"%:{pid}:%",),
        ).fetchall()
        db.close()
    except sqlite3.Error:
        return False
    return bool(rows) and rows[0][0] == "edit-sending"


def run_until_done(
    config: Path,
    slugs: list[str],
    rng: random.Random,
    aim: Callable[[Path, int], bool] = in_flight,
) -> tuple[int, int]:
    """Run announce, killing it, until a run exits 0. Returns (runs, kills)."""
    ledger = config.parent / "state" / "heartbeat.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    kills = 0
    for run in range(1, MAX_RUNS + 1):
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "heartbeat_bot",
                "--config",
                str(config),
                "announce",
                *slugs,
                "--max-wait",
                "5",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        # Until KILLS kills landed, half the runs are killed at a random moment, half right
        # after a claim was committed (a moment in flight); then runs are left to finish.
        deadline = time.monotonic() + rng.uniform(0.5, 3.0)
        aim_in_flight = run % 2 == 0
        killed = False
        while kills < KILLS and child.poll() is None:
            if (aim_in_flight and aim(ledger, child.pid)) or (
                not aim_in_flight and time.monotonic() >= deadline
            ):
                time.sleep(rng.uniform(0, 0.05))
                child.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.005)
        _, stderr = child.communicate(timeout=300)
        if killed and child.returncode == -signal.SIGKILL:
            kills += 1
            continue
        assert "Traceback" not in stderr, stderr
        if child.returncode == 0:
            return run, kills
        assert child.returncode == 1, stderr  # something left waiting or unknown: go again
    db = sqlite3.connect(ledger)
    stuck = db.execute(
        "SELECT id, channel, state, last_error FROM deliveries WHERE state != 'done'"
    ).fetchall()
    history = [
        db.execute(
            "SELECT event, detail FROM attempts WHERE delivery_id = ? ORDER BY id", (row[0],)
        ).fetchall()[-12:]
        for row in stuck
    ]
    db.close()
    raise AssertionError(
        f"announce did not finish in {MAX_RUNS} runs; left: {stuck}; history: {history}"
    )


def _one_whole_thread_each_on_bluesky(
    records: list[dict[str, Any]], payloads: dict[str, str], urls: list[str]
) -> None:
    """One root post per blog post, carrying its card, and each thread whole and in order."""
    roots = [r for r in records if "reply" not in r["value"]]
    assert sorted(r["value"]["embed"]["external"]["uri"] for r in roots) == sorted(urls)
    by_uri = {r["uri"]: r for r in records}
    assert len(by_uri) == len(records)
    for root in roots:
        texts = [p["text"] for p in json.loads(payloads[root["uri"]])["posts"]]
        chain, parent = [root], root
        while len(chain) < len(texts):
            child = [
                r for r in records if r["value"].get("reply", {}).get("parent", {}).get("uri")
                == parent["uri"]
            ]  # fmt: skip
            assert len(child) == 1, f"{len(child)} replies to {parent['uri']}"
            assert child[0]["value"]["reply"]["root"]["uri"] == root["uri"]
            chain.append(parent := child[0])
        assert [r["value"]["text"] for r in chain] == texts
    assert len(records) == sum(len(json.loads(p)["posts"]) for p in payloads.values())


def kills_between_sending_and_answer(ledger: Path) -> int:
    """Claims (or tweet sends) whose process never logged anything after them."""
    db = sqlite3.connect(ledger)
    events = db.execute("SELECT delivery_id, event, process FROM attempts ORDER BY id").fetchall()
    db.close()
    last: dict[tuple[int, str], str] = {}
    for delivery, event, process in events:
        last[(delivery, process)] = event
    return sum(1 for event in last.values() if event in {"sending", "tweet-sending"})


@pytest.mark.parametrize("standalone_sandbox", [11, 22, 33], indirect=True)
def test_kills_and_faults_never_duplicate_or_lose(
    tmp_path: Path, standalone_sandbox: dict[str, Any]
) -> None:
    """Every post ends with one topic, one message, one complete thread on X, on Mastodon
    and on Bluesky, and its webhook deliveries under one key, for this seed."""
    info = standalone_sandbox
    config, slugs = blog_for(tmp_path, info)
    runs, kills = run_until_done(config, slugs, random.Random(info["seed"]))
    assert kills >= KILLS // 2, f"only {kills} kills in {runs} runs"

    def state(url: str) -> dict[str, Any]:
        base = url.split("/api/")[0].split("/hooks/")[0]
        answer: dict[str, Any] = httpx.get(f"{base}/_sandbox/state").json()
        return answer

    topics = state(info["discourse_url"])["topics"]
    messages = state(info["discord_api_url"])["messages"]
    tweets = [t for t in state(info["x_api_url"])["tweets"] if not t.get("deleted")]
    urls = [f"https://dvc.org/blog/{slug}" for slug in slugs]

    assert sorted(t["embed_url"] for t in topics) == sorted(u.lower() for u in urls)
    assert sorted(m["embeds"][0]["url"] for m in messages) == sorted(urls)
    topic_urls = {t["url"] for t in topics}
    assert all(any(u in str(m["embeds"]) for u in topic_urls) for m in messages)

    ledger = config.parent / "state" / "heartbeat.sqlite3"
    db = sqlite3.connect(ledger)
    threads = db.execute(
        """SELECT d.id, t.position, t.text, t.remote_id, t.state FROM tweets t
           JOIN deliveries d ON d.id = t.delivery_id WHERE d.channel = 'twitter'
           ORDER BY d.id, t.position"""
    ).fetchall()
    toots = db.execute(
        """SELECT d.id, t.position, t.text, t.remote_id, t.state FROM tweets t
           JOIN deliveries d ON d.id = t.delivery_id WHERE d.channel = 'mastodon'
           ORDER BY d.id, t.position"""
    ).fetchall()
    states = db.execute("SELECT channel, state, COUNT(*) FROM deliveries GROUP BY 1, 2").fetchall()
    payloads = dict(
        db.execute("SELECT remote_id, payload FROM deliveries WHERE channel = 'bluesky'")
    )
    db.close()
    assert sorted(states) == [
        ("bluesky", "done", POSTS),
        ("discord", "done", POSTS),
        ("discourse", "done", POSTS),
        ("mastodon", "done", POSTS),
        ("twitter", "done", POSTS),
        ("webhook", "done", POSTS),
    ]
    _one_whole_thread_each_on_bluesky(state(info["bluesky_url"])["records"], payloads, urls)
    by_id = {t["id"]: t for t in tweets}
    assert len(tweets) == len(threads), "no tweet sent twice, none missing"
    previous: dict[int, str | None] = {}
    for delivery, position, text, remote_id, tweet_state in threads:
        assert tweet_state == "done" and remote_id in by_id
        sent = by_id[remote_id]
        assert sent["text"] == text
        assert sent["in_reply_to_tweet_id"] == (previous[delivery] if position else None)
        previous[delivery] = remote_id
    statuses = [s for s in state(info["mastodon_url"])["statuses"] if not s["deleted"]]
    status_by_id = {s["id"]: s for s in statuses}
    assert len(statuses) == len(toots), "no status sent twice, none missing"
    for delivery, position, text, remote_id, toot_state in toots:
        assert toot_state == "done" and remote_id in status_by_id
        assert status_by_id[remote_id]["text"] == text
        parent = previous[delivery] if position else None
        assert status_by_id[remote_id]["in_reply_to_id"] == parent
        previous[delivery] = remote_id
    deliveries = state(info["webhook_url"])["deliveries"]
    assert sorted(d["body"]["url"] for d in deliveries) == sorted(urls), "one key per post"
    assert all(d["body"]["discussion_url"] in topic_urls for d in deliveries)
    assert kills_between_sending_and_answer(ledger) >= 1, "reconciliation was exercised"


@pytest.mark.parametrize("standalone_sandbox", [44], indirect=True)
def test_edits_cut_short_by_kills_are_finished_never_duplicated(
    tmp_path: Path, standalone_sandbox: dict[str, Any]
) -> None:
    """Every post announced, then every title changed: with kills landing mid-edit and
    faults, each topic and message ends edited, none is sent twice, no tweet added."""
    info = standalone_sandbox
    config, slugs = blog_for(tmp_path, info)
    rng = random.Random(info["seed"])
    run_until_done(config, slugs, rng)

    def state(url: str) -> dict[str, Any]:
        answer: dict[str, Any] = httpx.get(f"{url.split('/api/')[0]}/_sandbox/state").json()
        return answer

    tweets = len(state(info["x_api_url"])["tweets"])
    for path in (tmp_path / "posts").glob("*.md"):
        path.write_text(revised(path.read_text(encoding="utf-8")), encoding="utf-8")
    runs, kills = run_until_done(config, slugs, rng, aim=editing)
    assert kills >= 1, f"no kill in {runs} runs"
    topics = state(info["discourse_url"])["topics"]
    messages = state(info["discord_api_url"])["messages"]
    assert len(topics) == len(messages) == POSTS, "nothing sent twice"
    assert all(t["title"].startswith("Revised ") for t in topics)
    assert all(m["embeds"][0]["title"].startswith("Revised ") for m in messages)
    assert len(state(info["x_api_url"])["tweets"]) == tweets, "X is never edited or resent"
    db = sqlite3.connect(config.parent / "state" / "heartbeat.sqlite3")
    left = db.execute("SELECT COUNT(*) FROM edits WHERE state != 'done' AND state != 'stale'")
    assert left.fetchone() == (0,)
    db.close()
