"""The shipped emoji regex is exactly the one twitter-text 3.1.0 counts with."""

from __future__ import annotations

import re

import pytest

from heartbeat_bot.render import _emoji
from tests.oracle import Oracle
from tools.twemoji_regex import ROOT, TARGET, module_text, to_code_points


def test_generated_module_equals_the_installed_regex(twitter_text: Oracle) -> None:
    """_emoji.py is what tools/twemoji_regex.py writes from the pinned twemoji-parser."""
    assert TARGET == ROOT / "heartbeat_bot" / "render" / "_emoji.py"
    assert TARGET.read_text(encoding="utf-8") == module_text(twitter_text.emoji_regex())


def test_surrogate_pairs_become_code_points() -> None:
    """A pair, and a high surrogate before a class of low ones, become code points."""
    source = r"\ud83d\ude00|\ud83c[\udffb-\udfff]|[#*0-9]\ufe0f?\u20e3"
    pattern = to_code_points(source)
    assert pattern == r"\U0001f600|[\U0001f3fb-\U0001f3ff]|[\u0023\u002a0-9]\ufe0f?\u20e3"
    assert re.fullmatch(pattern, "\U0001f3fd")
    assert not re.fullmatch(pattern, "\U0001f3fa")


@pytest.mark.parametrize(
    "source",
    [r"\ud83d", r"\ude00", r"\ud83d\ude00?", r"\ud83c[\udffb-\udfff]*", r"[\ud83d\ude00]"],
)
def test_unpairable_surrogates_are_refused(source: str) -> None:
    """A surrogate the rewrite cannot pair, or a quantifier on half a pair, is an error."""
    with pytest.raises(ValueError):
        to_code_points(source)


def test_pattern_compiles_and_names_its_source() -> None:
    """The generated pattern compiles and its module names twemoji-parser and its licence."""
    assert re.compile(_emoji.EMOJI_PATTERN).fullmatch("👨\u200d👩\u200d👧")
    assert "twemoji-parser 11.0.2" in (_emoji.__doc__ or "")
    assert "MIT" in (_emoji.__doc__ or "")
