"""X's weighted length and URL extraction against twitter-text's own conformance files."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from heartbeat_bot.render.twitter_text import (
    MAX_TWEET_WEIGHT,
    URL_WEIGHT,
    extract_urls,
    parse_tweet,
    weighted_length,
)
from tests.conftest import SPECS

TWITTER_TEXT = SPECS / "twitter-text"


def _cases(file: str, section: str) -> list[dict[str, Any]]:
    tests = yaml.safe_load((TWITTER_TEXT / file).read_text(encoding="utf-8"))["tests"]
    cases: list[dict[str, Any]] = tests[section]
    return cases


V3_CASES = _cases("validate.yml", "WeightedTweetsWithDiscountedEmojiCounterTest")
DIRECTIONAL_CASES = _cases("validate.yml", "UnicodeDirectionalMarkerCounterTest")
URL_CASES = _cases("extract.yml", "urls")
URL_INDEX_CASES = _cases("extract.yml", "urls_with_indices")


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["description"] for case in cases]


def test_v3_conformance_file_has_22_cases() -> None:
    """The v3 section of validate.yml still holds the 22 cases this port was checked on."""
    assert len(V3_CASES) == 22


@pytest.mark.parametrize("case", V3_CASES, ids=_ids(V3_CASES))
def test_v3_weighted_length_conformance(case: dict[str, Any]) -> None:
    """Weighted length, validity and permillage match twitter-text's v3 conformance case."""
    expected = case["expected"]
    result = parse_tweet(case["text"])
    assert result.weighted_length == expected["weightedLength"]
    assert weighted_length(case["text"]) == expected["weightedLength"]
    assert result.valid is expected["valid"]
    assert result.permillage == expected["permillage"]


@pytest.mark.parametrize("case", DIRECTIONAL_CASES, ids=_ids(DIRECTIONAL_CASES))
def test_directional_markers_and_invalid_characters(case: dict[str, Any]) -> None:
    """Directional markers count as characters and U+FFFE/U+FFFF make a tweet invalid."""
    result = parse_tweet(case["text"])
    assert result.weighted_length == case["expected"]["weightedLength"]
    assert result.valid is case["expected"]["valid"]


@pytest.mark.parametrize("case", URL_CASES, ids=_ids(URL_CASES))
def test_extract_urls_conformance(case: dict[str, Any]) -> None:
    """extract_urls finds exactly the URLs twitter-text's extractor finds."""
    text = case["text"]
    assert [text[start:end] for start, end in extract_urls(text)] == case["expected"]


@pytest.mark.parametrize("case", URL_INDEX_CASES, ids=_ids(URL_INDEX_CASES))
def test_extract_urls_with_indices_conformance(case: dict[str, Any]) -> None:
    """extract_urls spans equal twitter-text's indices (no astral characters in these cases)."""
    expected = [(url["indices"][0], url["indices"][1]) for url in case["expected"]]
    assert extract_urls(case["text"]) == expected


def test_constants() -> None:
    """The tweet limit and the URL weight are X's v3 values."""
    assert (MAX_TWEET_WEIGHT, URL_WEIGHT) == (280, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("🇺🇦", 2),  # a flag: two regional indicators, one emoji
        ("#️⃣", 2),  # a keycap sequence: '#', VS16, U+20E3
        ("1⃣", 2),  # a keycap without VS16
        ("👩🏽‍🚀", 2),  # skin tone inside a ZWJ sequence
        ("🏴󠁧󠁢󠁳󠁣󠁴󠁿", 2),  # a tag sequence (Scotland)
        ("©", 1),  # twemoji reads a bare (c) as text, so it weighs like Latin-1
        ("©️", 2),  # with VS16 it is an emoji
        ("e\u0301", 1),  # NFC composes it into one code point
        ("—", 1),  # an em dash (U+2014) is inside the weight-1 range U+2010-U+201F
        ("’", 1),  # so is a right single quote (U+2019)
        ("•", 2),  # the list bullet (U+2022) is outside it
        ("…", 2),  # so is the ellipsis (U+2026)
    ],
)
def test_character_and_emoji_weights(text: str, expected: int) -> None:
    """Single characters and emoji sequences weigh what X charges for them."""
    assert weighted_length(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dvc.org", URL_WEIGHT),
        ("https://dvc.org/blog/some-very-long-slug-that-goes-on-and-on", URL_WEIGHT),
        ("Read dvc.org/blog/x.", URL_WEIGHT + len("Read .")),
        ("example.notatld", len("example.notatld")),
        ("a" * 64 + ".com", 68),
        ("a" * 63 + ".com", URL_WEIGHT),
        ("two https://a.co and b.io", 2 * URL_WEIGHT + len("two  and ")),
    ],
)
def test_url_weights(text: str, expected: int) -> None:
    """Recognised URLs weigh 23 whatever their length; unknown TLDs and long labels do not."""
    assert weighted_length(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://dvc.org/blog/x.", ["https://dvc.org/blog/x"]),
        ("(dvc.org/doc), or cml.dev!", ["dvc.org/doc", "cml.dev"]),
        ("example.notatld and foo.jpg", []),
        ("mail me@dvc.org", []),
        ("Ask on https://discuss.dvc.org/t/march-22-heartbeat/1117?u=x&y=z.", None),
    ],
)
def test_extract_urls_edges(text: str, expected: list[str] | None) -> None:
    """Trailing punctuation, brackets, e-mail addresses and file names are handled like X."""
    found = [text[start:end] for start, end in extract_urls(text)]
    if expected is None:
        expected = [text.removeprefix("Ask on ").removesuffix(".")]
    assert found == expected


def test_empty_tweet_is_invalid_and_long_tweet_is_invalid() -> None:
    """A tweet is valid only when it weighs between 1 and 280."""
    assert not parse_tweet("").valid
    assert parse_tweet("x" * 280).valid
    assert not parse_tweet("x" * 281).valid
