"""X's weighted tweet length (twitter-text config v3) and its URL extractor, ported by hand.

The PyPI port of twitter-text is unmaintained and no longer imports, so this module follows
twitter/twitter-text (Apache-2.0; the JS `parseTweet` and `extractUrlsWithIndices` are the
reference) closely enough to pass its conformance files in ../shared/specs/twitter-text/:

- text is NFC-normalised first, as X does before counting;
- code points in U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F, U+2032-U+2037 weigh 1,
  every other code point weighs 2;
- an emoji sequence (ZWJ family, flag, skin tone, keycap) weighs 2 as a whole;
- a URL the extractor recognises weighs 23 whatever its length (X shortens it to t.co).

Lengths are in weighted units (the config's weights divided by its scale of 100). Indices are
Python string indices (code points), not the UTF-16 indices twitter-text reports.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

import emoji

from heartbeat_bot.render._tlds import COUNTRY_TLDS, GENERIC_TLDS

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
# Every emoji holds at least one of these, so text without any skips the emoji scan.
_EMOJI_HINT = re.compile(r"[\u00a9\u00ae\u203c\u2049\u20e3\u2122-\U0010ffff]")
# twemoji (which X uses) only treats (c) and (r) as emoji when followed by U+FE0F.
_TEXT_STYLE_ONLY = frozenset({"\u00a9", "\u00ae"})

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


_TLD = (
    f"(?:(?:{_alternation(GENERIC_TLDS)}){_TLD_END}"
    f"|(?:{_alternation(COUNTRY_TLDS)}){_TLD_END}|{_PUNYCODE})"
)
_DOMAIN = f"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}{_TLD})"

_PATH_CHAR = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{_LATIN_ACCENTS}]"
# Up to two levels of balanced parentheses, as in /wiki/Primer_(film).
_PARENS = f"\\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\\({_PATH_CHAR}+\\){_PATH_CHAR}*))\\)"
# A path may not end in punctuation, so "see https://x.com/a." leaves the period out.
_PATH_END = f"(?:[+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|{_PARENS})"
_PATH = f"(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:@{_PATH_CHAR}+/))"
_QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-z0-9\-_&=#/]"

# Groups: 1 preceding char, 2 URL, 3 scheme, 4 domain, 5 port, 6 path, 7 query.
_URL = re.compile(
    f"({_PRECEDING})((https?://)?({_DOMAIN})(?::([0-9]+))?(/{_PATH}*)?"
    f"(\\?{_QUERY_CHAR}*{_QUERY_END})?)",
    re.IGNORECASE,
)
_ASCII_DOMAIN = re.compile(f"(?:[\\-a-z0-9{_LATIN_ACCENTS}]+\\.)+{_TLD}", re.IGNORECASE)
_TCO = re.compile(f"https?://t\\.co/([a-z0-9]+)(?:\\?{_QUERY_CHAR}*{_QUERY_END})?", re.I)
_BAD_BEFORE_BARE_DOMAIN = re.compile(r"[-_./]\Z")
# A URL never holds whitespace, so the scan runs over whitespace-free runs containing a dot.
# Like twitter-text's own regex, the scan is quadratic in the length of one such run when it
# is full of dots (a 6,000-character "a.a.a." takes seconds); words in prose are short.
_RUN = re.compile(f"[^{_SPACES}]+")
_IDNA_DOTS = re.compile("[\u3002\uff0e\uff61]")

_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG_LENGTH = 40
_MAX_LABEL_LENGTH = 63


def extract_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the URLs twitter-text would link in `text`, in order.

    With a scheme (http, https) or bare with a known TLD (`dvc.org/blog`); not a bare
    domain after `-_./`, nor one whose TLD is unknown or whose label exceeds 63 characters
    once punycode-encoded; trailing punctuation is left out.
    """
    if "." not in text:
        return []
    spans: list[tuple[int, int]] = []
    for run in _RUN.finditer(text):
        if "." in run.group():
            # Start one character early: the regex consumes the character before a URL.
            for match in _URL.finditer(text, max(run.start() - 1, 0), run.end()):
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
        found = [(start + m.start(), start + m.end()) for m in _ASCII_DOMAIN.finditer(domain)]
        if found and path:
            found[-1] = (found[-1][0], end)
        return found
    tco = _TCO.match(url)
    if tco:
        # t.co links take no extra path; a slug over 40 characters is no t.co link.
        if len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
            return []
        end = start + tco.end()
    return [(start, end)]


def _valid_domain(domain: str) -> bool:
    """twitter-text's lightweight IDNA check: every label 1-63 characters as punycode."""
    if domain.startswith("xn--") and not _ASCII_DOMAIN.search(domain):
        return False
    return all(1 <= _punycode_length(label) <= _MAX_LABEL_LENGTH for label in domain.split("."))


def _punycode_length(label: str) -> int:
    """Length of punycode.toASCII(label) (the JS library, which also splits on 。．｡)."""
    if len(label) > _MAX_LABEL_LENGTH:
        return len(label)  # encoding never shortens a label; skip the quadratic encoder
    parts = _IDNA_DOTS.split(label)
    encoded = (len(p) if p.isascii() else 4 + len(p.encode("punycode")) for p in parts)
    return sum(encoded) + len(parts) - 1


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _emoji_spans(text: str) -> list[tuple[int, int]]:
    if not _EMOJI_HINT.search(text):
        return []
    return [
        (found["match_start"], found["match_end"])
        for found in emoji.emoji_list(text)
        if found["emoji"] not in _TEXT_STYLE_ONLY
    ]


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


def parse_tweet(text: str) -> TweetLength:
    """Measure `text` as X does (twitter-text `parseTweet`, config v3)."""
    normalized = unicodedata.normalize("NFC", text)
    discounted: dict[int, tuple[int, int]] = {}
    for start, end in _emoji_spans(normalized):
        discounted[start] = (end, EMOJI_WEIGHT)
    for start, end in extract_urls(normalized):
        discounted[start] = (end, URL_WEIGHT)  # a URL wins over an emoji at the same index
    weight, position = 0, 0
    for start in sorted(discounted):
        if start >= position:  # spans starting inside a counted span are skipped, as in JS
            end, span_weight = discounted[start]
            weight += _char_weight(normalized[position:start]) + span_weight
            position = end
    weight += _char_weight(normalized[position:])
    valid = 0 < weight <= MAX_TWEET_WEIGHT and not _INVALID.search(normalized)
    return TweetLength(weight, valid, math.floor(weight / MAX_TWEET_WEIGHT * 1000))


def weighted_length(text: str) -> int:
    """X's weighted length of `text` (twitter-text v3); a tweet may weigh MAX_TWEET_WEIGHT."""
    return parse_tweet(text).weighted_length
