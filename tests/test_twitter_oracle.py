"""The tweet counter against the official twitter-text 3.1.0, run under Node.js."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import replace

from heartbeat_bot.channels.twitter.entities import hashtag, neutralise_mentions
from heartbeat_bot.channels.twitter.render import TwitterOptions
from heartbeat_bot.models import Post
from heartbeat_bot.render.twitter_text import MAX_TWEET_WEIGHT, extract_urls, parse_tweet
from tests.oracle import Oracle
from tests.oracle.strings import generated
from tests.test_render_corpus import SETTINGS
from tests.test_render_properties import make_post

SEED = 20210817


def _newer_than_python(text: str) -> bool:
    """Whether `text` holds a code point Python's Unicode database does not know yet.

    Node.js ships a newer Unicode than Python 3.11 (14.0): it may compose, reorder or
    case-fold such characters where Python cannot, so for these strings the counter may
    only err long.
    """
    return any(
        unicodedata.category(c) == "Cn"
        and not (0xFDD0 <= ord(c) <= 0xFDEF or ord(c) & 0xFFFE == 0xFFFE)
        for c in text
    )


def test_generated_strings_weigh_what_twitter_text_says(twitter_text: Oracle) -> None:
    """On every generated string, weight, validity and permillage equal parseTweet's."""
    strings = generated(SEED)
    assert len(strings) > 20_000
    official = twitter_text.parse(strings)
    wrong, newer = [], 0
    for text, reference in zip(strings, official, strict=True):
        ours = parse_tweet(text)
        expected = (reference["weightedLength"], reference["valid"], reference["permillage"])
        if (ours.weighted_length, ours.valid, ours.permillage) == expected:
            continue
        if _newer_than_python(text) and ours.weighted_length >= reference["weightedLength"]:
            newer += 1
            continue
        wrong.append(f"{text!r}: ours {ours}, official {expected}")
    assert wrong == [], f"{len(wrong)} of {len(strings)} differ, e.g.\n" + "\n".join(wrong[:20])
    assert newer < len(strings) // 100


def test_known_differences_of_the_old_counter_are_gone(twitter_text: Oracle) -> None:
    """The strings the previous counter got wrong now weigh exactly what parseTweet says."""
    cases = {
        "🧑\u200d💻": 5,
        "❤️\u200d🔥": 5,
        "🐕\u200d🦺": 5,
        "♾️": 4,
        "👨\u200d❤\u200d👨": 8,
        "⌚️": 2,
        "⭐️": 2,
        "⚡️": 2,
        "http://dvc.org/a!(b)": 27,
        "http://dvc.org/a[](b)": 28,
    }
    official = twitter_text.parse(list(cases))
    assert [o["weightedLength"] for o in official] == list(cases.values())
    assert [parse_tweet(text).weighted_length for text in cases] == list(cases.values())


def _render(post: Post, comments: str | None, hashtags: int) -> list[str]:
    settings = replace(SETTINGS, twitter=TwitterOptions("DVC", 4, hashtags))
    return list(settings.tweet_thread(post, comments).tweets)


def test_every_corpus_thread_is_valid_for_twitter_text(
    twitter_text: Oracle, corpus_posts: list[Post]
) -> None:
    """parseTweet calls every tweet of every corpus thread valid, at 280 or less."""
    tweets = [
        tweet
        for post in corpus_posts
        for comments in (None, post.comments_url, "https://discuss.dvc.org/t/some-topic/12345")
        for hashtags in (0, 3)
        for tweet in _render(post, comments, hashtags)
    ]
    assert len(tweets) > 500
    official = twitter_text.parse(tweets)
    bad = [
        (t[:60], o["weightedLength"])
        for t, o in zip(tweets, official, strict=True)
        if not o["valid"] or o["weightedLength"] > MAX_TWEET_WEIGHT
    ]
    assert bad == []


MENTIONING = [
    "@everyone look",
    "Hi @here and @dvc_org!",
    "RT @dvc: news",
    "rt:@dvc",
    "(@dvc)",
    "＠dvc fullwidth",
    "@dvc/list",
    "a.@dvc",
    "—@dvc_org—",
    "@everyone@here",
]


def test_post_text_mentions_notify_nobody(twitter_text: Oracle, corpus_posts: list[Post]) -> None:
    """After neutralising, extractMentions finds no mention in post text that had them."""
    rng = random.Random(SEED)
    texts = [*MENTIONING]
    texts += [s for s in generated(SEED) if "@" in s or "\uff20" in s]
    texts += [p.title for p in corpus_posts] + [p.description_long or "" for p in corpus_posts]
    texts += [" ".join(rng.sample(MENTIONING, 3)) for _ in range(200)]
    before = twitter_text.mentions(texts)
    after = twitter_text.mentions([neutralise_mentions(t) for t in texts])
    assert sum(1 for found in before if found) > 200
    assert [(t, found) for t, found in zip(texts, after, strict=True) if found] == []


def test_neutralising_leaves_urls_and_addresses_alone(twitter_text: Oracle) -> None:
    """An @ inside a URL or an e-mail address is not a mention and stays as written."""
    for text in ["read https://medium.com/@dvc/post now", "mail me@dvc.org", "a#@b", "x_@y"]:
        assert neutralise_mentions(text) == text
    text = "@everyone see https://medium.com/@dvc/post @x"
    quiet = neutralise_mentions(text)
    assert quiet == "@\u2060everyone see https://medium.com/@dvc/post @\u2060x"
    assert twitter_text.mentions([text, quiet]) == [["everyone", "x"], []]
    assert [quiet[s:e] for s, e in extract_urls(quiet)] == ["https://medium.com/@dvc/post"]


def test_rendered_thread_mentions_nobody(twitter_text: Oracle) -> None:
    """A post whose title and summary mention people yields a thread that mentions nobody."""
    post = make_post("@everyone: news from @dvc_org", "Ping @here and @someone. " * 30, [], None)
    tweets = _render(post, "https://discuss.dvc.org/t/a/1", 0)
    assert twitter_text.mentions(tweets) == [[] for _ in tweets]
    assert "@\u2060everyone" in tweets[0]


def test_hashtags_are_whole_for_twitter_text(
    twitter_text: Oracle, corpus_posts: list[Post]
) -> None:
    """Every hashtag made from a tag is extracted by twitter-text as one whole hashtag."""
    tags = sorted({tag for post in corpus_posts for tag in post.tags})
    tags += ["Modular Infrastructure", "O'Reilly", "Pokémon", "C++", "データ 管理", "ml_ops 2"]
    names = [name for name in map(hashtag, tags) if name]
    assert len(names) > 50
    assert hashtag("2024") is None and hashtag("!!!") is None
    found = twitter_text.hashtags(names)
    assert [f for n, f in zip(names, found, strict=True) if f != [n[1:]]] == []


def test_characters_newer_than_python_never_count_short(twitter_text: Oracle) -> None:
    """Where Node.js knows a combining mark Python does not, the count errs long, never short."""
    newer = ["\u1ae6", "\U00016d67\U00016d67", "\ua7dc"]  # Unicode 16-17 additions
    texts = [
        f"{scheme}dvc.org/{path}{mark}{tail}"
        for scheme in ("", "https://")
        for path in ("a", "a\u030b", "\u0244\u030b", "x!y", "(b)")
        for mark in newer
        for tail in ("", "z", " end")
    ]
    assert all(_newer_than_python(t) for t in texts)
    official = twitter_text.parse(texts)
    short = [
        (t, parse_tweet(t).weighted_length, o["weightedLength"])
        for t, o in zip(texts, official, strict=True)
        if parse_tweet(t).weighted_length < o["weightedLength"]
    ]
    assert short == []


def test_hashtags_in_a_rendered_first_tweet_are_whole(
    twitter_text: Oracle, corpus_posts: list[Post]
) -> None:
    """With twitter.hashtags = 3, twitter-text reads each added hashtag whole in the first tweet."""
    checked = 0
    for post in corpus_posts:
        first = _render(post, None, 3)[0]
        names = [hashtag(tag) for tag in post.tags]
        added = first.rpartition("\n\n")[2].split() if first.count("#") else []
        if added:
            assert set(added) <= set(names)
            assert twitter_text.hashtags([first]) == [[name[1:] for name in added]]
            checked += 1
    assert checked > 50
