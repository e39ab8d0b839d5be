"""Rendering does its costly work once: one Markdown parse per summary, one weighing per text,
and the shortcuts it takes for speed give the same figures as the long way."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from heartbeat_bot.channels.rendering import Renderers
from heartbeat_bot.render import _emoji, text
from heartbeat_bot.render.thread import remembered
from heartbeat_bot.render.twitter_text import (
    EMOJI_START,
    emoji_spans,
    parse_tweet,
    weighted_length,
)
from tests.test_render_properties import make_post

KEYCAPS = r"[\u0023\u002a0-9]\ufe0f?\u20e3"
EMOJI_MIX = st.lists(
    st.one_of(
        st.sampled_from(["1️⃣", "#⃣", "*️⃣", "9\u20e3", "#", "1", "\ufe0f", "\u20e3", "©️", "™"]),
        st.sampled_from(["👨‍👩‍👧‍👦", "🇺🇦", "🙋🏽", "🏳️‍🌈", "🔥", "‼️", "ℹ", "a", " ", "\n"]),
        st.characters(),
    ),
    max_size=30,
).map("".join)


def test_every_channel_parses_a_summary_once() -> None:
    """Rendering all three payloads of a post runs markdown-it once on its summary."""
    summary = "A summary seen by no other test, with a [link](https://dvc.org/a).\n\n- one\n- two"
    post = make_post("A title long enough", summary, ["tag"], None)
    before = text._tree.cache_info()
    payloads = Renderers({}).render_all(post)
    after = text._tree.cache_info()
    assert set(payloads) >= {"discourse", "discord", "twitter"}
    assert after.misses - before.misses == 1
    assert after.hits - before.hits >= 1  # the plain rendering reads the same tree


def test_discord_markdown_is_rendered_once_for_two_channels() -> None:
    """Discourse and Discord share one rendering of the summary (the same string object)."""
    summary = "Another *summary* of its own, for this test alone."
    first = text.markdown_to_discord(summary, "https://dvc.org/blog/x")
    assert text.markdown_to_discord(summary, "https://dvc.org/blog/x") is first
    assert text.markdown_to_discord(summary, "https://dvc.org/blog/y") == first


def test_remembered_measures_each_text_once() -> None:
    """A remembered measure asks the real one once per distinct text and answers the same."""
    asked: list[str] = []

    def measure(value: str) -> int:
        asked.append(value)
        return len(value) * 2

    quick = remembered(measure)
    assert [quick(w) for w in ["a", "bb", "a", "bb", "a"]] == [2, 4, 2, 4, 2]
    assert asked == ["a", "bb"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=300))
def test_ascii_shortcut_weighs_as_the_full_count(value: str) -> None:
    """ASCII text without a URL weighs its length, as the full count (forced by a non-ASCII
    space after it, which weighs 1 and ends any URL) finds too."""
    full = parse_tweet(value + " \u2002").weighted_length - 2
    assert weighted_length(value) == parse_tweet(value).weighted_length == full


def test_only_keycaps_start_with_ascii() -> None:
    """Every sequence of the emoji table but the keycaps starts with a non-ASCII character,
    which the look-ahead that skips plain text in ``emoji_spans`` relies on."""
    pattern = _emoji.EMOJI_PATTERN
    assert pattern.count(KEYCAPS) == 1
    rest = pattern.replace(KEYCAPS, "")
    escaped = [int(a or b, 16) for a, b in re.findall(r"\\u([0-9a-f]{4})|\\U([0-9a-f]{8})", rest)]
    assert escaped and min(escaped) >= 0x80
    literal = re.sub(r"\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}|\(\?[:!]", "", rest)
    assert set(literal) <= set("()[]|?-*+")  # escapes and syntax only: no ASCII to match


@settings(max_examples=300, deadline=None)
@given(EMOJI_MIX)
def test_emoji_look_ahead_changes_no_match(value: str) -> None:
    """The guarded emoji regex finds exactly the spans the table's own regex finds."""
    plain = [m.span() for m in re.finditer(_emoji.EMOJI_PATTERN, value)]
    assert emoji_spans(value) == plain
    assert EMOJI_START.startswith("(?=")
