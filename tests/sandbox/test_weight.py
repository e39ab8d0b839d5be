"""The fake X's own weighted-length counter against twitter-text's conformance cases."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from heartbeat_bot.sandbox.weight import tco, url_spans, weighted_length, wrap_urls
from tests.conftest import SPECS


def _cases() -> list[dict[str, Any]]:
    data = yaml.safe_load((SPECS / "twitter-text" / "validate.yml").read_text(encoding="utf-8"))
    cases: list[dict[str, Any]] = data["tests"]["WeightedTweetsWithDiscountedEmojiCounterTest"]
    return cases


CASES = _cases()


def test_all_v3_cases_are_present() -> None:
    """validate.yml holds the 22 v3 (discounted emoji) cases this counter is checked on."""
    assert len(CASES) == 22


@pytest.mark.parametrize("case", CASES, ids=[c["description"][:60] for c in CASES])
def test_weighted_length_matches_twitter_text(case: dict[str, Any]) -> None:
    """Each conformance text weighs exactly what twitter-text v3 says."""
    assert weighted_length(case["text"]) == case["expected"]["weightedLength"]


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("read https://dvc.org/blog/post. now", ["https://dvc.org/blog/post"]),
        ("bare example.com and www.dvc.ai/blog", ["example.com", "www.dvc.ai/blog"]),
        ("no user@example.com or x.notatld", []),
        ("at http://127.0.0.1:8080/t/x/1 and http://256.1.2.3/", ["http://127.0.0.1:8080/t/x/1"]),
        (
            "(see https://en.wikipedia.org/wiki/Foo_(bar))",
            ["https://en.wikipedia.org/wiki/Foo_(bar)"],
        ),
    ],
)
def test_url_spans(text: str, urls: list[str]) -> None:
    """URLs are found with or without a scheme, without trailing punctuation or emails."""
    assert [text[start:end] for start, end in url_spans(text)] == urls


def test_wrap_urls_replaces_each_url_with_a_stable_tco_link() -> None:
    """X shows every URL as https://t.co/ plus 10 characters, the same link for the same URL."""
    wrapped = wrap_urls("a https://dvc.org/x b dvc.org/x")
    link = tco("https://dvc.org/x")
    assert link.startswith("https://t.co/") and len(link) == len("https://t.co/") + 10
    assert wrapped == f"a {link} b {tco('dvc.org/x')}"
