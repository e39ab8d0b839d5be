"""X's weighted tweet length (twitter-text config v3) and its URL extractor.

The reference is the official npm `twitter-text` 3.1.0 (Apache-2.0): its `parseTweet`, its
`extractUrlsWithIndices` and the emoji regex of the twemoji-parser 11.0.2 it bundles
(generated into `_emoji.py`). tests/test_twitter_oracle.py runs that library under Node.js
and checks this module against it on thousands of strings; the conformance files in
../shared/specs/twitter-text/ are checked too. The rules:

- text is NFC-normalised first, as X does before counting;
- code points in U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F, U+2032-U+2037 weigh 1,
  every other code point weighs 2;
- a match of twemoji-parser's regex weighs 2 as a whole. It knows the emoji of 2018
  (Emoji 11): a newer sequence such as the technologist (U+1F9D1 U+200D U+1F4BB) weighs
  what its code points weigh (2 + 1 + 2), and an emoji that takes U+FE0F weighs 2 with it;
- a URL the extractor recognises weighs 23 whatever its length (X shortens it to t.co).

Where the library's behaviour depends on the JavaScript engine's Unicode version (NFC of
characters newer than Python's Unicode database, case-insensitive matching of them), this
module counts such characters at their full weight, so it never says less than X.

Lengths are in weighted units (the config's weights divided by its scale of 100). Indices are
Python string indices (code points), not the UTF-16 indices twitter-text reports.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TypeAlias

MAX_TWEET_WEIGHT = 280
"""The longest valid tweet, in weighted units."""
URL_WEIGHT = 23
"""What any recognised URL weighs, in weighted units (config v3 `transformedURLLength`)."""
EMOJI_WEIGHT = 2
"""What one emoji sequence weighs, in weighted units."""

# Everything outside the config's weight-1 ranges weighs 2.
_HEAVY = re.compile(r"[^\x00-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")
# X refuses text holding these; a tweet with them is never valid.
_INVALID = re.compile(r"[\ufffe\ufeff\uffff]")

# --- The extractor's character classes (twitter-text js/src/regexp/*.js) -----------------
_SPACES = r"\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID_CHARS = r"\ufffe\ufeff\uffff"
_DIRECTIONAL = r"\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]\^_{|}~$"
_LATIN_ACCENTS = (
    r"\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
    r"\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = r"\u0400-\u04ff"

_DOMAIN_CHAR = f"[^{_PUNCT}{_SPACES}{_INVALID_CHARS}{_DIRECTIONAL}]"
_PRECEDING = f"(?:[^A-Za-z0-9@\uff20$#\uff03{_INVALID_CHARS}]|[{_DIRECTIONAL}]|^)"
_SUBDOMAIN = f"(?:(?:{_DOMAIN_CHAR}(?:[_-]|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\\.)"
_DOMAIN_NAME = f"(?:(?:{_DOMAIN_CHAR}(?:-|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\\.)"
# A TLD must not run on into letters, digits, @, + or - ("example.comm" is no URL).
_TLD_END = r"(?=[^0-9a-zA-Z@+\-]|\Z)"
_PUNYCODE = r"(?:xn--[\-0-9a-z]+)"

# Where an emoji sequence of twemoji-parser's table can start (see _Patterns.emoji).
EMOJI_START = "(?=[^\\x00-\\x7f]|[#*0-9][\\ufe0f\\u20e3])"

_Trie: TypeAlias = dict[str, "_Trie"]


def _alternation(words: Iterable[str]) -> str:
    """A regex matching any of `words`, factored as a trie so matching stays fast.

    Longer words are tried before their prefixes, which is the order twitter-text's
    reverse-sorted alternations give, so backtracking picks the same TLD.
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: _Trie) -> str:
        branches = [re.escape(c) + emit(child) for c, child in sorted(node.items()) if c]
        if "" in node:
            branches.append("")
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return emit(trie)


_PATH_CHAR = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{_LATIN_ACCENTS}]"
# Up to two levels of balanced parentheses, as in /wiki/Primer_(film).
_PARENS = f"\\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\\({_PATH_CHAR}+\\){_PATH_CHAR}*))\\)"
# A path may not end in punctuation, so "see https://x.com/a." leaves the period out.
_PATH_END_CHAR = f"[+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]"
# twitter-text pastes its path-ending pattern "[...]|(?:parens)" into the path pattern
# without a group, so a parenthesised group ends a path segment only on its own: in
# "http://dvc.org/a!(b)" the URL stops after "/a". Kept as written, to count as X does.
_PATH = (
    f"(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END_CHAR}|(?:{_PARENS}))"
    f"|(?:@{_PATH_CHAR}+/))"
)
_QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-z0-9\-_&=#/]"


@dataclass(frozen=True)
class _Patterns:
    """The regexes built from the TLD lists and the emoji table, compiled on first use
    (about 40 ms), so that importing this module costs nothing until text is measured."""

    url: re.Pattern[str]
    """Groups: 1 preceding char, 2 URL, 3 scheme, 4 domain, 5 port, 6 path, 7 query."""
    ascii_domain: re.Pattern[str]
    tco: re.Pattern[str]
    emoji: re.Pattern[str]
    """twemoji-parser's regex (no flags), matched left to right without overlaps as JS does,
    behind a look-ahead that skips where no emoji can start, for speed: every one of its
    sequences starts with a non-ASCII character but the keycaps, ``[#*0-9]`` then U+FE0F
    or U+20E3 (tests/test_render_once.py checks this of the table)."""


@cache
def _patterns() -> _Patterns:
    from heartbeat_bot.render._emoji import EMOJI_PATTERN
    from heartbeat_bot.render._tlds import COUNTRY_TLDS, GENERIC_TLDS

    tld = (
        f"(?:(?:{_alternation(GENERIC_TLDS)}){_TLD_END}"
        f"|(?:{_alternation(COUNTRY_TLDS)}){_TLD_END}|{_PUNYCODE})"
    )
    domain = f"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}{tld})"
    return _Patterns(
        url=re.compile(
            f"({_PRECEDING})((https?://)?({domain})(?::([0-9]+))?(/{_PATH}*)?"
            f"(\\?{_QUERY_CHAR}*{_QUERY_END})?)",
            re.IGNORECASE,
        ),
        ascii_domain=re.compile(f"(?:[\\-a-z0-9{_LATIN_ACCENTS}]+\\.)+{tld}", re.IGNORECASE),
        tco=re.compile(f"https?://t\\.co/([a-z0-9]+)(?:\\?{_QUERY_CHAR}*{_QUERY_END})?", re.I),
        emoji=re.compile(f"{EMOJI_START}(?:{EMOJI_PATTERN})"),
    )


_BAD_BEFORE_BARE_DOMAIN = re.compile(r"[-_./]\Z")
# A URL never holds whitespace, so the scan runs over whitespace-free runs containing a dot.
# Like twitter-text's own regex, the scan is quadratic in the length of one such run when it
# is full of dots (a 6,000-character "a.a.a." takes seconds); words in prose are short.
_RUN = re.compile(f"[^{_SPACES}]+")
# Every TLD starts with a letter, so text without a dot before a letter holds no URL.
_DOT_LETTER = re.compile(r"\.[^\W\d_]")
_IDNA_DOTS = re.compile("[\u3002\uff0e\uff61]")
# punycode.js encodes a label holding anything outside printable ASCII.
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")
# JavaScript's case-insensitive matching (without the u flag) never lets a non-ASCII
# character match an ASCII letter; Python's lets these four (and the Angstrom sign) do.
# Before matching they become characters that sit in exactly the same JavaScript classes
# and fold to nothing: U+0138 (a Latin letter, like the first three), U+2129 (a symbol).
_JS_CASE = str.maketrans(
    {
        "\u0130": "\u0138",
        "\u0131": "\u0138",
        "\u017f": "\u0138",
        "\u212a": "\u2129",
        "\u212b": "\u2129",
    }
)

_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG_LENGTH = 40
_MAX_LABEL_LENGTH = 63


def load() -> None:
    """Build the counting regexes now (they are built on first use otherwise)."""
    _patterns()


def extract_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the URLs twitter-text would link in `text`, in order.

    With a scheme (http, https) or bare with a known TLD (`dvc.org/blog`); not a bare
    domain after `-_./`, nor one whose TLD is unknown or whose label exceeds 63 characters
    once punycode-encoded; trailing punctuation is left out.
    """
    if not _DOT_LETTER.search(text):
        return []
    text = text.translate(_JS_CASE)
    url = _patterns().url
    spans: list[tuple[int, int]] = []
    for run in _RUN.finditer(text):
        if _DOT_LETTER.search(run.group()):
            # Start one character early: the regex consumes the character before a URL.
            for match in url.finditer(text, max(run.start() - 1, 0), run.end()):
                spans.extend(_accept(match))
    return spans


def _accept(match: re.Match[str]) -> list[tuple[int, int]]:
    """The spans one regex match yields after twitter-text's checks (often none)."""
    before, url, scheme, domain, path = match.group(1, 2, 3, 4, 6)
    start, end = match.span(2)
    if not _valid_domain(domain) or _utf16_len(scheme or "https://") + _utf16_len(url) > (
        _MAX_URL_LENGTH
    ):
        return []
    if not scheme:
        # A bare URL counts only for its ASCII-looking domains ("example.com中国語t.co").
        if _BAD_BEFORE_BARE_DOMAIN.search(before):
            return []
        ascii_domain = _patterns().ascii_domain
        found = [(start + m.start(), start + m.end()) for m in ascii_domain.finditer(domain)]
        if found and path:
            found[-1] = (found[-1][0], end)
        return found
    tco = _patterns().tco.match(url)
    if tco:
        # t.co links take no extra path; a slug over 40 characters is no t.co link.
        if len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
            return []
        end = start + tco.end()
    return [(start, end)]


def _valid_domain(domain: str) -> bool:
    """twitter-text's lightweight IDNA check: every label 1-63 characters as punycode."""
    if domain.startswith("xn--") and not _patterns().ascii_domain.search(domain):
        return False
    return all(1 <= _punycode_length(label) <= _MAX_LABEL_LENGTH for label in domain.split("."))


def _punycode_length(label: str) -> int:
    """Length of punycode.toASCII(label) (the JS library, which also splits on 。．｡)."""
    if len(label) > _MAX_LABEL_LENGTH:
        return len(label)  # encoding never shortens a label; skip the quadratic encoder
    parts = _IDNA_DOTS.split(label)
    encoded = (
        4 + len(p.encode("punycode")) if _NOT_PRINTABLE_ASCII.search(p) else len(p) for p in parts
    )
    return sum(encoded) + len(parts) - 1


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of what twitter-text weighs as one emoji in `text`, in order."""
    if text.isascii():  # every emoji, keycaps included, holds a non-ASCII code point
        return []
    return [match.span() for match in _patterns().emoji.finditer(text)]


def _char_weight(text: str) -> int:
    """Weight of `text` counted code point by code point (no URL or emoji discount)."""
    return len(text) if text.isascii() else len(text) + len(_HEAVY.findall(text))


@dataclass(frozen=True)
class TweetLength:
    """How X measures a tweet text."""

    weighted_length: int
    """Weighted units; at most MAX_TWEET_WEIGHT for a valid tweet."""
    valid: bool
    """Non-empty, within MAX_TWEET_WEIGHT, and free of characters X refuses."""
    permillage: int
    """weighted_length as thousandths of MAX_TWEET_WEIGHT, rounded down."""


def _newer_masked(text: str) -> str:
    """`text` with every combining sequence that holds a character unknown to Python masked.

    A JavaScript engine with a newer Unicode may compose or reorder such a sequence where
    Python's NFC leaves it, so a URL could end earlier there for X than for us. Masking
    the sequence (its base character included) with U+2129, which no URL path or query
    may hold, makes any URL end before it, so it is counted character by character: never
    less than X counts it. Same length as `text`; `text` itself when nothing is unknown.
    """
    if (
        text.isascii()
        or text.replace("\n", "").isprintable()
        or all(c.isprintable() or unicodedata.category(c) != "Cn" or _noncharacter(c) for c in text)
    ):
        return text
    chars = list(text)
    for index, char in enumerate(text):
        if unicodedata.category(char) != "Cn" or _noncharacter(char):
            continue
        start, end = index, index + 1
        while start > 0 and _non_starter(text[start - 1]):
            start -= 1
        start = max(start - 1, 0)  # the base character the marks sit on
        while end < len(text) and _non_starter(text[end]):
            end += 1
        chars[start:end] = "\u2129" * (end - start)
    return "".join(chars)


def _noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def _non_starter(char: str) -> bool:
    """A character that may combine with the one before it (or that Python does not know)."""
    return unicodedata.combining(char) != 0 or (
        unicodedata.category(char) == "Cn" and not _noncharacter(char)
    )


def parse_tweet(text: str) -> TweetLength:
    """Measure `text` as X does (twitter-text `parseTweet`, config v3)."""
    if text.isascii() and not _DOT_LETTER.search(text):
        # Most words: NFC leaves ASCII alone, no emoji is ASCII, no URL lacks a dot before
        # a letter, and every ASCII character weighs 1 (and none is one X refuses).
        weight = len(text)
        return TweetLength(weight, 0 < weight <= MAX_TWEET_WEIGHT, _permillage(weight))
    normalized = unicodedata.normalize("NFC", text)
    discounted: dict[int, tuple[int, int]] = {}
    for start, end in emoji_spans(normalized):
        discounted[start] = (end, EMOJI_WEIGHT)
    for start, end in extract_urls(_newer_masked(normalized)):
        discounted[start] = (end, URL_WEIGHT)  # a URL wins over an emoji at the same index
    weight, position = 0, 0
    for start in sorted(discounted):
        if start >= position:  # spans starting inside a counted span are skipped, as in JS
            end, span_weight = discounted[start]
            weight += _char_weight(normalized[position:start]) + span_weight
            position = end
    weight += _char_weight(normalized[position:])
    valid = 0 < weight <= MAX_TWEET_WEIGHT and not _INVALID.search(normalized)
    return TweetLength(weight, valid, _permillage(weight))


def _permillage(weight: int) -> int:
    return math.floor(weight / MAX_TWEET_WEIGHT * 1000)


def weighted_length(text: str) -> int:
    """X's weighted length of `text` (twitter-text v3); a tweet may weigh MAX_TWEET_WEIGHT."""
    if text.isascii() and not _DOT_LETTER.search(text):
        return len(text)  # as parse_tweet finds it, without building its record
    return parse_tweet(text).weighted_length
