"""Independent checks of each platform's limits, used by the renderer tests.

Written from API-NOTES, not from the renderers, so a renderer bug cannot hide here.
"""

from __future__ import annotations

import re
from typing import Any

from heartbeat_bot.render.twitter_text import weighted_length

EXTERNAL_ID = re.compile(r"[A-Za-z0-9_-]{1,50}")


def discourse_problems(body: dict[str, Any], max_tags: int = 5, min_title: int = 15) -> list[str]:
    problems = []
    if not min_title <= len(body["title"]) <= 255:
        problems.append(f"title length {len(body['title'])}")
    if len(body["raw"]) < 20 or len(body["raw"]) > 32000:
        problems.append(f"raw length {len(body['raw'])}")
    if len(body["tags"]) > max_tags:
        problems.append("too many tags")
    lowered = [t.lower() for t in body["tags"]]
    if len(set(lowered)) != len(lowered) or any(t != t.lower() or " " in t for t in body["tags"]):
        problems.append(f"tags not in Discourse form: {body['tags']}")
    if not EXTERNAL_ID.fullmatch(body["external_id"]):
        problems.append(f"external_id {body['external_id']!r}")
    if body["embed_url"] != body["embed_url"].lower() or body["embed_url"].endswith("/"):
        problems.append("embed_url not normalised")
    return problems


def discord_problems(body: dict[str, Any]) -> list[str]:
    problems = []
    if len(body["content"]) > 2000:
        problems.append("content over 2000")
    if body["allowed_mentions"].get("parse") != []:
        problems.append("mentions not disabled")
    if len(body["embeds"]) > 10:
        problems.append("more than 10 embeds")
    total = 0
    for embed in body["embeds"]:
        limits = {"title": 256, "description": 4096}
        for key, limit in limits.items():
            if len(embed.get(key, "")) > limit:
                problems.append(f"{key} over {limit}")
            total += len(embed.get(key, ""))
        footer = embed.get("footer", {}).get("text", "")
        author = embed.get("author", {}).get("name", "")
        if len(footer) > 2048 or len(author) > 256:
            problems.append("footer/author too long")
        total += len(footer) + len(author)
        fields = embed.get("fields", [])
        if len(fields) > 25:
            problems.append("over 25 fields")
        for field in fields:
            if len(field["name"]) > 256 or len(field["value"]) > 1024:
                problems.append("field too long")
            total += len(field["name"]) + len(field["value"])
    if total > 6000:
        problems.append(f"embeds total {total} over 6000")
    return problems


def twitter_problems(tweets: list[str], max_tweets: int = 4) -> list[str]:
    problems = []
    if not 1 <= len(tweets) <= max_tweets:
        problems.append(f"{len(tweets)} tweets")
    for tweet in tweets:
        if not tweet.strip():
            problems.append("empty tweet")
        if weighted_length(tweet) > 280:
            problems.append(f"tweet weighs {weighted_length(tweet)}: {tweet[:40]!r}")
    if len(set(tweets)) != len(tweets):
        problems.append("two identical tweets (X refuses duplicates)")
    return problems
