"""Pure: a Post -> the X thread that announces it.

The template gives four blocks (``head``, ``summary``, ``link``, ``discuss``); this module
fits them into tweets of at most 280 weighted characters (twitter-text v3): the first
tweet holds the head, the start of the summary and the post link (and the post's first
``hashtags`` tags as hashtags); the discussion link goes in the last. The summary is
split as a person would (``render.thread``): at sentence ends and list items, never
leaving a short orphan, never on a colon before the link, with "…" only where words were
cut. Every @ that would mention someone in the post's own text is neutralised.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from heartbeat_bot.channels.twitter.entities import hashtag, neutralise_mentions
from heartbeat_bot.models import Post
from heartbeat_bot.render.context import template_context
from heartbeat_bot.render.preview import PreviewBlock, thread_blocks, thread_chat_lines
from heartbeat_bot.render.templates import (
    default_template,
    has_block,
    render_block,
    render_template,
)
from heartbeat_bot.render.text import markdown_to_plain, truncate_words
from heartbeat_bot.render.thread import Measure, Room, chunk_text, pack, remembered, units
from heartbeat_bot.render.twitter_text import MAX_TWEET_WEIGHT, weighted_length

BLOCKS = ("head", "summary", "link", "discuss")
ELLIPSIS = "…"
GAP = "\n\n"
# The link and discussion lines may take at most this much of a tweet each.
_MAX_LINE_WEIGHT = 120
# Characters of summary kept per tweet allowed: far more than 280 weighted can show.
_MAX_BODY_PER_TWEET = 1200
# Hashtags give way when they would leave the first tweet less room than this for the summary.
_MIN_SUMMARY_ROOM = 100
_MAX_HASHTAG_LENGTH = 40


@dataclass(frozen=True)
class TweetThread:
    """The tweets of the announcement thread, in order; each replies to the one before."""

    tweets: tuple[str, ...]

    def body(self) -> dict[str, Any]:
        return {"tweets": list(self.tweets)}

    def parts(self) -> tuple[str, ...]:
        """The texts of the thread, in order (what a thread delivery posts)."""
        return self.tweets


@dataclass(frozen=True)
class TwitterOptions:
    site_name: str = "the blog"
    max_tweets: int = 4
    hashtags: int = 0
    """How many of the post's tags go in the first tweet as hashtags."""


def render_tweet_thread(
    post: Post, options: TwitterOptions, template: str, *, comments_url: str | None = None
) -> TweetThread:
    """The thread for ``post``: at most ``max_tweets`` tweets, each at most 280 weighted."""
    summary = neutralise_mentions(markdown_to_plain(post.description_long or "", post.url))
    quiet = replace(
        post,
        title=neutralise_mentions(post.title),
        authors=tuple(neutralise_mentions(a) for a in post.authors),
        description=neutralise_mentions(post.description or ""),
        description_long=neutralise_mentions(post.description_long or ""),
    )
    context = template_context(
        quiet, comments_url=comments_url, summary=summary, site_name=options.site_name
    )
    head = _one_line(_block(template, "head", context))
    link = _one_line(_block(template, "link", context))
    discuss = _one_line(_block(template, "discuss", context))
    # More than the thread can ever hold is dropped up front, which bounds the packing work.
    body = _block(template, "summary", context).strip()[: options.max_tweets * _MAX_BODY_PER_TWEET]
    tags = _hashtags(post.tags, options.hashtags)
    tweets = pack_thread(head, body, link, discuss, options.max_tweets, tags)
    return TweetThread(tuple(tweets) or (post.url,))


def _hashtags(tags: tuple[str, ...], count: int) -> str:
    """The first ``count`` distinct tags as hashtags, on one line."""
    found: dict[str, str] = {}
    for tag in tags:
        if len(found) >= count:
            break
        name = hashtag(tag)
        if name and name.lower() not in found and len(name) <= _MAX_HASHTAG_LENGTH:
            found[name.lower()] = name
    return " ".join(found.values())


def _block(template: str, name: str, context: dict[str, Any]) -> str:
    """A block of the team's template, or of the default one where theirs lacks it.

    A template without any block is taken as the summary as a whole.
    """
    if name == "summary" and not any(has_block(template, b) for b in BLOCKS):
        return render_template(template, **context)
    if not has_block(template, name):
        template = default_template("heartbeat_bot.channels.twitter")
    return render_block(template, name, **context)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class _Frame:
    """The fixed parts of the thread around the summary chunks."""

    head: str
    link: str
    discuss: str
    tags: str = ""
    measure: Measure = field(default=weighted_length, compare=False, repr=False)

    def tweet(self, index: int, chunk: str, *, last: bool) -> str:
        parts = [self.head, chunk, self.link, self.tags] if index == 0 else [chunk]
        if last:
            parts.append(self.discuss)
        return GAP.join(p for p in parts if p)

    def room(self, index: int, last: bool) -> int:
        """Weight left for the summary chunk of tweet ``index`` (its separators included)."""
        fixed = self.measure(self.tweet(index, "", last=last))
        return MAX_TWEET_WEIGHT - fixed - (len(GAP) if fixed else 0)

    def rooms(self) -> Room:
        """``room``, measured once for each of its four cases."""
        table = {(i, last): self.room(i, last) for i in (0, 1) for last in (False, True)}
        return lambda index, last: table[min(index, 1), last]


def pack_thread(
    head: str, body: str, link: str, discuss: str, max_tweets: int, tags: str = ""
) -> list[str]:
    """Fit head, body, link, hashtags and discuss into at most ``max_tweets`` tweets."""
    measure = remembered(weighted_length)  # every text is weighed once
    link = _fit(link, _MAX_LINE_WEIGHT, measure)
    discuss = _fit(discuss, _MAX_LINE_WEIGHT, measure)
    reserve = sum(measure(GAP + x) for x in (link, discuss if max_tweets == 1 else "") if x)
    head = _fit(head, MAX_TWEET_WEIGHT - reserve - len(GAP), measure)
    frame = _Frame(head, link, discuss, measure=measure)
    while tags and frame.room(0, False) - measure(GAP + tags) < _MIN_SUMMARY_ROOM:
        tags = tags.rpartition(" ")[0]  # drop the last hashtag
    frame = replace(frame, tags=tags)

    chunks = pack(units(body, measure), frame.rooms(), max_tweets, measure)
    last = len(chunks) - 1
    tweets = [frame.tweet(i, chunk_text(c), last=i == last) for i, c in enumerate(chunks)]
    # Weights add up across units; this guards the limit should they ever not.
    tweets = [_fit(t, MAX_TWEET_WEIGHT, measure) for t in tweets]
    return _distinct([t for t in tweets if t], measure)


def _fit(text: str, room: int, measure: Measure) -> str:
    if measure(text) <= room:
        return text
    return truncate_words(text, room, measure, ellipsis=ELLIPSIS)


def distinct_from(tweets: list[str], taken: set[str], title: str) -> list[str]:
    """The thread with every tweet that repeats one in ``taken`` made the post's own.

    Posts of a series share a discussion thread, so their last tweets ("Join the
    discussion: <URL>") can be identical; X refuses the second as a duplicate. The post's
    title goes in front of such a tweet (cut to fit), then a number if that is not enough.
    """
    result = []
    for position, tweet in enumerate(tweets, start=1):
        if tweet in taken:
            room = MAX_TWEET_WEIGHT - weighted_length(tweet) - len(GAP)
            head = (
                _fit(_one_line(neutralise_mentions(title)), room, weighted_length)
                if room > 8
                else ""
            )
            tweet = GAP.join(p for p in (head, tweet) if p)
            if tweet in taken or tweet in result:
                mark = f" ({position}/{len(tweets)})"
                tweet = _fit(tweet, MAX_TWEET_WEIGHT - weighted_length(mark), weighted_length)
                tweet += mark
        result.append(tweet)
    return result


def _distinct(tweets: list[str], measure: Measure) -> list[str]:
    """X refuses a tweet identical to a recent one: number any repeat within the thread."""
    seen: set[str] = set()
    result = []
    for position, tweet in enumerate(tweets, start=1):
        if tweet in seen:
            mark = f" ({position}/{len(tweets)})"
            tweet = _fit(tweet, MAX_TWEET_WEIGHT - measure(mark), measure) + mark
        seen.add(tweet)
        result.append(tweet)
    return result


def preview(thread: TweetThread) -> tuple[PreviewBlock, ...]:
    """Each tweet as a person reads it in ``preview``, with its weighted length."""
    return thread_blocks("X tweet", thread.tweets, weighted_length, MAX_TWEET_WEIGHT)


def chat_lines(thread: TweetThread) -> tuple[str, ...]:
    """The thread in the slash command's preview (Discord Markdown)."""
    return thread_chat_lines(f"X thread ({len(thread.tweets)} tweets)", thread.tweets)
