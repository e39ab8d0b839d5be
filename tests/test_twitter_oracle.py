"""The tweet counter against the official twitter-text 3.1.0, run under Node.js."""

from __future__ import annotations

import unicodedata

from heartbeat_bot.render.twitter_text import parse_tweet
from tests.oracle import Oracle
from tests.oracle.strings import generated

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
