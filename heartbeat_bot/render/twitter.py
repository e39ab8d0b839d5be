"""Pure: a Post -> the X thread that announces it.

The template gives four blocks (``head``, ``summary``, ``link``, ``discuss``); this module
packs them into tweets of at most 280 weighted characters (twitter-text v3): the first
tweet holds the head, the start of the summary and the post link; the discussion link
goes in the last. Lines are kept whole where they can be: a bullet moves to the next
tweet rather than being split, and only prose, or a line too long for any tweet, is split
between words. A summary longer than ``max_tweets`` allow is cut and ends with "…".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from heartbeat_bot.models import Post, TweetThread
from heartbeat_bot.render.context import template_context
from heartbeat_bot.render.templates import (
    default_template,
    has_block,
    render_block,
    render_template,
)
from heartbeat_bot.render.text import markdown_to_plain, truncate_words
from heartbeat_bot.render.twitter_text import MAX_TWEET_WEIGHT, weighted_length

BLOCKS = ("head", "summary", "link", "discuss")
ELLIPSIS = "…"
BULLET = "•"
GAP = "\n\n"
# The link and discussion lines may take at most this much of a tweet each.
_MAX_LINE_WEIGHT = 120
# Characters of summary kept per tweet allowed: far more than 280 weighted can show.
_MAX_BODY_PER_TWEET = 1200
_SENTENCE_ENDS = (".", "!", "?", ";", ":")
# Below this much room, a prose line starts a new tweet instead of being split.
_MIN_SPLIT_ROOM = 40


@dataclass(frozen=True)
class TwitterOptions:
    site_name: str = "the blog"
    max_tweets: int = 4


def render_tweet_thread(
    post: Post, options: TwitterOptions, template: str, *, comments_url: str | None = None
) -> TweetThread:
    """The thread for ``post``: at most ``max_tweets`` tweets, each at most 280 weighted."""
    summary = markdown_to_plain(post.description_long or "")
    context = template_context(
        post, comments_url=comments_url, summary=summary, site_name=options.site_name
    )
    head = _one_line(_block(template, "head", context))
    link = _one_line(_block(template, "link", context))
    discuss = _one_line(_block(template, "discuss", context))
    # More than the thread can ever hold is dropped up front, which bounds the packing work.
    body = _block(template, "summary", context).strip()[: options.max_tweets * _MAX_BODY_PER_TWEET]
    tweets = pack_thread(head, body, link, discuss, options.max_tweets)
    return TweetThread(tuple(tweets) or (post.url,))


def _block(template: str, name: str, context: dict[str, Any]) -> str:
    """A block of the team's template, or of the default one where theirs lacks it.

    A template without any block is taken as the summary as a whole.
    """
    if name == "summary" and not any(has_block(template, b) for b in BLOCKS):
        return render_template(template, **context)
    if not has_block(template, name):
        template = default_template("twitter")
    return render_block(template, name, **context)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class _Frame:
    """The fixed parts of the thread around the summary chunks."""

    head: str
    link: str
    discuss: str

    def tweet(self, index: int, chunk: str, *, last: bool) -> str:
        parts = [self.head, chunk, self.link] if index == 0 else [chunk]
        if last:
            parts.append(self.discuss)
        return GAP.join(p for p in parts if p)

    def room(self, index: int, *, last: bool) -> int:
        """Weight left for the summary chunk of tweet ``index`` (its separators included)."""
        fixed = weighted_length(self.tweet(index, "", last=last))
        return MAX_TWEET_WEIGHT - fixed - (len(GAP) if fixed else 0)


def pack_thread(head: str, body: str, link: str, discuss: str, max_tweets: int) -> list[str]:
    """Fit head, body lines, link and discuss into at most ``max_tweets`` tweets."""
    link = _fit(link, _MAX_LINE_WEIGHT)
    discuss = _fit(discuss, _MAX_LINE_WEIGHT)
    reserve = sum(weighted_length(GAP + x) for x in (link, discuss if max_tweets == 1 else "") if x)
    frame = _Frame(_fit(head, MAX_TWEET_WEIGHT - reserve - len(GAP)), link, discuss)

    chunks = _pack_lines(_lines(body), frame.room(0, last=False))
    last = len(chunks) - 1
    if discuss and weighted_length(chunks[last]) > frame.room(last, last=True):
        chunks.append("")  # the discussion link gets a tweet of its own
    if len(chunks) > max_tweets:
        chunks = chunks[:max_tweets]
        last = max_tweets - 1
        chunks[last] = _cut_with_ellipsis(chunks[last], frame.room(last, last=True))
    last = len(chunks) - 1
    tweets = [frame.tweet(i, chunk, last=i == last) for i, chunk in enumerate(chunks)]
    return _distinct([t for t in tweets if t])


def _lines(body: str) -> list[str]:
    return [" ".join(line.split()) if line.strip() else "" for line in body.splitlines()]


def _pack_lines(lines: list[str], first_room: int) -> list[str]:
    """Greedy packing of lines into tweet chunks; the first has only ``first_room``."""
    chunks: list[list[str]] = [[]]
    rooms = [first_room]
    for line in lines:
        if not line:
            if chunks[-1] and chunks[-1][-1]:
                chunks[-1].append("")  # a paragraph break, never at a chunk's start
            continue
        while line:
            current = chunks[-1]
            if weighted_length("\n".join([*current, line])) <= rooms[-1]:
                current.append(line)
                break
            free = rooms[-1] - (weighted_length("\n".join(current)) + 1 if current else 0)
            keep_whole = line.startswith(BULLET) and weighted_length(line) <= MAX_TWEET_WEIGHT
            if not keep_whole and free > 0 and (free >= _MIN_SPLIT_ROOM or not current):
                part, line = _split_words(line, free)
                if part:
                    current.append(part)
            if line:
                chunks.append([])
                rooms.append(MAX_TWEET_WEIGHT)
    packed = ["\n".join(chunk).strip() for chunk in chunks]
    return [packed[0], *(chunk for chunk in packed[1:] if chunk)]


def _split_words(line: str, room: int) -> tuple[str, str]:
    """The longest word-boundary prefix of ``line`` within ``room``, and the rest."""
    words = line.split(" ")
    taken = 0
    while taken < len(words) and weighted_length(" ".join(words[: taken + 1])) <= room:
        taken += 1
    if taken == 0:  # a single word longer than the room: cut it between characters
        part = truncate_words(line, room, weighted_length, ellipsis="")
        return part, line[len(part) :].lstrip()
    if taken < len(words):
        # Prefer ending the tweet at a sentence, when that still fills half of it.
        for end in range(taken, 0, -1):
            if words[end - 1].endswith(_SENTENCE_ENDS):
                if weighted_length(" ".join(words[:end])) >= room // 2:
                    taken = end
                break
    return " ".join(words[:taken]), " ".join(words[taken:])


def _cut_with_ellipsis(text: str, room: int) -> str:
    """``text`` cut to ``room`` weighted characters, ending with … (empty if no room)."""
    if room < weighted_length(ELLIPSIS):
        return ""
    lines = text.rstrip().splitlines() or [""]
    while len(lines) > 1 and weighted_length("\n".join(lines).rstrip() + ELLIPSIS) > room:
        lines.pop()
    kept = "\n".join(lines).rstrip()
    if weighted_length(kept + ELLIPSIS) <= room:
        return kept + ELLIPSIS
    return truncate_words(kept, room, weighted_length, ellipsis=ELLIPSIS)


def _fit(text: str, room: int) -> str:
    if weighted_length(text) <= room:
        return text
    return truncate_words(text, room, weighted_length, ellipsis=ELLIPSIS)


def _distinct(tweets: list[str]) -> list[str]:
    """X refuses a tweet identical to a recent one: number any repeat within the thread."""
    seen: set[str] = set()
    result = []
    for position, tweet in enumerate(tweets, start=1):
        if tweet in seen:
            mark = f" ({position}/{len(tweets)})"
            tweet = _fit(tweet, MAX_TWEET_WEIGHT - weighted_length(mark)) + mark
        seen.add(tweet)
        result.append(tweet)
    return result
