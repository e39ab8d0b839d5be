"""Tweets of posts sharing a thread: a repeat of another post's tweet is made its own."""

from __future__ import annotations

from heartbeat_bot.channels.twitter.render import distinct_from
from heartbeat_bot.render.twitter_text import MAX_TWEET_WEIGHT, weighted_length

DISCUSS = "Join the discussion: https://discuss.example/t/the-series/7"


def test_a_repeated_discussion_tweet_takes_the_post_s_title() -> None:
    """Only the tweet another post sent already changes; it leads with this post's title."""
    tweets = ["Part 2: the head and the link https://blog.example/part-2", DISCUSS]
    result = distinct_from(tweets, {DISCUSS}, "End-to-End CV, Part 2")
    assert result[0] == tweets[0]
    assert result[1] == f"End-to-End CV, Part 2\n\n{DISCUSS}"


def test_a_long_title_is_cut_and_a_title_clash_gets_a_number() -> None:
    """The title is cut to fit 280 weighted characters; when the titled tweet is taken
    too, the tweet is numbered instead."""
    title = "A very long title " * 30
    (fitted,) = distinct_from([DISCUSS], {DISCUSS}, title)
    assert fitted.endswith(DISCUSS) and weighted_length(fitted) <= MAX_TWEET_WEIGHT
    titled = f"Part 2\n\n{DISCUSS}"
    (numbered,) = distinct_from([DISCUSS], {DISCUSS, titled}, "Part 2")
    assert numbered not in {DISCUSS, titled} and numbered.endswith("(1/1)")
