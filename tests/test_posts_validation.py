"""Frontmatter values that must not reach a URL, a payload or a terminal: each is a PostError."""

from __future__ import annotations

from datetime import UTC

import pytest

from heartbeat_bot.errors import PostError
from tests.test_posts import BLOG, doc, error_of, post_of


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ("slug: ../../etc/passwd\n", 'contains "/"'),
        ("slug: blog/post\n", 'contains "/"'),
        ("slug: 'a\\b'\n", 'contains "/" or "\\"'),
        ("slug: '..'\n", 'is ".."'),
        ("slug: '%2e%2e'\n", 'is ".." once %-decoded'),
        ("slug: 'a%2Fb'\n", 'contains "/" or "\\" once %-decoded'),
        ('slug: "a\\0b"\n', "control character U+0000"),
        ('slug: "a\\eb"\n', "control character U+001B"),
        ("slug: 'a%00b'\n", "control character U+0000 once %-decoded"),
        ('slug: "a\\tb"\n', "contains whitespace"),
        ("slug: 'a?b'\n", 'contains "?" or "#"'),
    ],
)
def test_a_slug_must_be_one_safe_url_path_segment(extra: str, words: str) -> None:
    """A frontmatter slug with a slash, a dot segment, a control character or whitespace
    (also once %-decoded) is a PostError naming the file and the slug field."""
    error = error_of(doc(extra))
    assert error.field == "slug"
    assert "not a safe URL path segment" in error.message and words in error.message
    assert str(error).startswith("2022-01-01-sample.md: slug ")


def test_a_file_name_slug_is_checked_too() -> None:
    """A slug taken from the file name (`2020-01-01-...md` gives "..") is checked the same way."""
    error = error_of(doc(), name="2020-01-01-...md")
    assert error.field == "slug" and "taken from the file name" in error.message


def test_dots_escapes_and_braces_stay_accepted_in_a_slug() -> None:
    """Dots inside a slug, %-escapes of plain text and braces are fine; a dot segment is not."""
    for slug in ("dvc-3.0-release", "caf%C3%A9", "a..b", "custom-{0}"):
        assert post_of(doc(f"slug: '{slug}'\n")).slug == slug
    assert error_of(doc("slug: '../a'\n")).field == "slug"


def test_a_key_given_twice_names_the_file_the_key_and_the_lines() -> None:
    """A top-level key given twice is a PostError naming the file, the key and both lines."""
    error = error_of(doc("title: Another title\n"))
    assert error.field == "title"
    assert error.message == "title is given twice in the frontmatter (lines 2 and 6); keep one"
    assert str(error) == f"2022-01-01-sample.md: {error.message}"


def test_a_nested_key_given_twice_is_an_error_too() -> None:
    """A key given twice inside a nested mapping is an error, though no top-level field is to
    blame; keys that only look alike (`1` and `"1"`) or override a `<<` merge are fine."""
    error = error_of(doc("extra:\n  a: 1\n  a: 2\n"))
    assert error.field is None
    assert 'the key "a" twice in one mapping (lines 7 and 8)' in error.message
    assert post_of(doc("extra: {1: a, '1': b}\n")).title == "A title long enough"
    merged = doc("base: &base {a: 1, b: 2}\nchild: {<<: *base, a: 3}\n")
    assert post_of(merged).title == "A title long enough", "overriding a `<<` merge is fine"


@pytest.mark.parametrize(
    ("title", "codepoint"),
    [
        ('"Hello\\0world"', "U+0000"),
        ('"\\e[31mRed"', "U+001B"),
        ('"Bell\\a"', "U+0007"),
        ('"C1 \\x9b control"', "U+009B"),
        ('"Delete\\x7f"', "U+007F"),
    ],
)
def test_a_control_character_in_the_title_is_refused(title: str, codepoint: str) -> None:
    """NUL and the other control characters in a title are a PostError naming the file and
    field, with the character as a code point, never echoed raw; tabs and line breaks are
    still folded into spaces."""
    error = error_of(doc(title=title))
    assert error.field == "title"
    assert f"control character {codepoint}" in error.message
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in str(error))
    assert post_of(doc(title='"Tab\\there\\nand a break"')).title == "Tab here and a break"


def test_a_date_beyond_9999_in_utc_is_out_of_range() -> None:
    """A date-time that is in year 9999 locally but 10000 in UTC is a PostError, not a Post
    whose rendering crashes later; the last day itself is fine."""
    error = error_of(doc(date_line="9999-12-31T23:30:00"))
    assert error.field == "date" and "out of range" in error.message
    assert post_of(doc(date_line="9999-12-31")).published_at.astimezone(UTC).year == 9999


def test_an_out_of_range_date_is_shown_as_written_not_as_a_python_repr() -> None:
    """The date in the error reads as ISO 8601, not as ``datetime.datetime(...)``."""
    tokyo = BLOG.model_copy(update={"timezone": "Asia/Tokyo"})
    with pytest.raises(PostError) as caught:
        post_of(doc(date_line="9999-12-31T23:30:00Z"), blog=tokyo)
    assert caught.value.field == "date"
    assert "got 9999-12-31T23:30:00+00:00" in caught.value.message
    assert "datetime" not in str(caught.value)


def test_control_characters_in_echoed_values_are_escaped() -> None:
    """A bad value echoed in a message shows its control characters escaped, so an error
    line cannot carry a terminal escape sequence."""
    error = error_of(doc(date_line='"\\e[2J2022"'))
    assert "\\x1b[2J2022" in error.message and "\x1b" not in str(error)
