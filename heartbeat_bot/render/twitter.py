"""Pure: a Post -> the X thread that announces it.

The template gives four blocks (``head``, ``summary``, ``link``, ``discuss``); this module
packs them into tweets of at most 280 weighted characters (twitter-text v3): the first
tweet holds the head, the start of the summary and the post link; the comments link goes
in the last. Lines are kept whole where they can be: a bullet is moved to the next tweet
rather than split, and only a line too long for any tweet is split between words.
"""

from __future__ import annotations

from dataclasses import dataclass

from heartbeat_bot.models import Post, TweetThread
from heartbeat_bot.render.context import template_context
from heartbeat_bot.render.templates import render_block
from heartbeat_bot.render.text import markdown_to_plain, truncate_words
from heartbeat_bot.render.twitter_text import MAX_TWEET_WEIGHT, weighted_length

ELLIPSIS = "…"
BULLET = "• "
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
    head = _one_block(template, "head", context)
    link = _one_block(template, "link", context)
    discuss = _one_block(template, "discuss", context)
    body = render_block(template, "summary", **context).strip()
    return TweetThread(tuple(pack_thread(head, body, link, discuss, options.max_tweets)))


def _one_block(template: str, name: str, context: dict[str, object]) -> str:
    return " ".join(render_block(template, name, **context).split())


def pack_thread(head: str, body: str, link: str, discuss: str, max_tweets: int) -> list[str]:
    """Fit head, body lines, link and discuss into at most ``max_tweets`` tweets."""
    link_part = f"\n\n{link}" if link else ""
    discuss_part = f"\n\n{discuss}" if discuss else ""
    # The head may take what the link (and, for a single tweet, the discussion link) leave.
    reserve = weighted_length(link_part) + (weighted_length(discuss_part) if max_tweets == 1 else 0)
    head = _fit(head, MAX_TWEET_WEIGHT - reserve - 2)
    first_overhead = weighted_length(f"{head}\n\n" if head else "") + weighted_length(link_part)

    chunks = _pack_lines(_lines(body), MAX_TWEET_WEIGHT - first_overhead)
    tweets = [_join(head, chunks[0] if chunks else "", link_part.strip())]
    tweets += chunks[1:]

    if len(tweets) > max_tweets:
        tweets = tweets[:max_tweets]
        tweets[-1] = _cut_with_ellipsis(tweets[-1], MAX_TWEET_WEIGHT - weighted_length(discuss_part))
        if max_tweets == 1:  # the cut may have taken the link: put it back
            tweets[0] = _single(head, chunks, link_part, discuss_part)
    if discuss:
        if weighted_length(tweets[-1] + discuss_part) <= MAX_TWEET_WEIGHT:
            tweets[-1] += discuss_part
        elif len(tweets) < max_tweets:
            tweets.append(discuss)
        else:
            tweets[-1] = _cut_with_ellipsis(
                tweets[-1], MAX_TWEET_WEIGHT - weighted_length(discuss_part)
            )
            tweets[-1] += discuss_part
    return [t.strip() for t in tweets if t.strip()]


def _single(head: str, chunks: list[str], link_part: str, discuss_part: str) -> str:
    """One tweet: head, as much summary as fits (ending in …), link."""
    room = MAX_TWEET_WEIGHT - weighted_length(f"{head}\n\n{link_part}{discuss_part}")
    summary = "\n".join(chunks)
    text = _cut_with_ellipsis(summary, room) if summary and room > 2 else ""
    return _join(head, text, link_part.strip())


def _lines(body: str) -> list[str]:
    lines = [line.rstrip() for line in body.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _pack_lines(lines: list[str], first_room: int) -> list[str]:
    """Greedy packing of lines into tweets; the first tweet has only ``first_room``."""
    tweets: list[list[str]] = [[]]
    room = [first_room]

    def used(i: int) -> int:
        return weighted_length("\n".join(tweets[i]))

    for line in lines:
        if not line and (not tweets[-1] or not tweets[-1][-1]):
            continue  # no blank line at a tweet's start, nor two in a row
        while line:
            current = tweets[-1]
            candidate = "\n".join([*current, line])
            if weighted_length(candidate) <= room[-1]:
                current.append(line)
                break
            free = room[-1] - used(len(tweets) - 1) - (1 if current else 0)
            fits_alone = weighted_length(line) <= MAX_TWEET_WEIGHT
            splittable = not line.startswith(BULLET.strip()) or not fits_alone
            if splittable and (free >= _MIN_SPLIT_ROOM or not current) and free > 0:
                part, rest = _split_words(line, free)
                if part:
                    current.append(part)
                    line = rest
            tweets.append([])
            room.append(MAX_TWEET_WEIGHT)
    packed = ["\n".join(t).strip() for t in tweets]
    first, rest = packed[0], [t for t in packed[1:] if t]
    return [first, *rest]


def _split_words(line: str, room: int) -> tuple[str, str]:
    """The longest word-boundary prefix of ``line`` within ``room`` and the rest."""
    words = line.split(" ")
    taken: list[str] = []
    for word in words:
        if weighted_length(" ".join([*taken, word])) > room:
            break
        taken.append(word)
    if not taken:  # one word longer than the room: cut it by characters
        part = truncate_words(line, room, weighted_length, ellipsis="")
        return part, line[len(part) :].lstrip()
    return " ".join(taken), " ".join(words[len(taken) :])


def _cut_with_ellipsis(text: str, room: int) -> str:
    """``text`` cut to ``room`` weighted characters, ending with … when anything was cut."""
    text = text.rstrip()
    if weighted_length(text + ELLIPSIS) <= room:
        return text + ELLIPSIS
    lines = text.splitlines()
    while len(lines) > 1 and weighted_length("\n".join(lines) + ELLIPSIS) > room:
        lines.pop()
    kept = "\n".join(lines).rstrip()
    if weighted_length(kept + ELLIPSIS) <= room:
        return kept + ELLIPSIS
    return truncate_words(kept, room, weighted_length, ellipsis=ELLIPSIS)


def _fit(text: str, room: int) -> str:
    if weighted_length(text) <= room:
        return text
    return truncate_words(text, room, weighted_length, ellipsis=ELLIPSIS)


def _join(head: str, text: str, link: str) -> str:
    return "\n\n".join(part for part in (head, text, link) if part)
