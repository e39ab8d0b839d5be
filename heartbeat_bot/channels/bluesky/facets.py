"""Pure: Bluesky's text measures and the facets that make links and hashtags clickable.

Bluesky counts a post in graphemes (extended grapheme clusters, as ``Intl.Segmenter``
counts them: at most 300) and in UTF-8 bytes (at most 3000), and links or hashtags are only
clickable through facets, whose ranges are UTF-8 byte offsets, not characters.

:func:`detect_facets` finds links and hashtags exactly as the official ``@atproto/api``
``RichText.detectFacets`` does (its ``URL_REGEX``, ``TAG_REGEX`` and ``CASHTAG_REGEX``, its
trailing-punctuation rules and its top-level-domain check for bare domains), ported rule
for rule; a test compares both on every corpus post. Mentions are left out: a mention
facet needs the handle resolved to a DID, and announcements ping nobody.
"""

from __future__ import annotations

from typing import Any

import regex

from heartbeat_bot.channels.bluesky._tlds import TLDS

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_TAG_GRAPHEMES = 64

# JavaScript's \s (WhiteSpace and LineTerminator), which differs from Python's.
_WS = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ZW = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
# URL_REGEX, flags gim: ASCII-only case folding, ^ after any line terminator.
_URL = regex.compile(
    rf"(^|(?<=[\r\u2028\u2029])|[{_WS}]|\()"
    rf"((https?://[^{_WS}]+)|((?P<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)[^{_WS}]*))",
    regex.IGNORECASE | regex.ASCII | regex.MULTILINE | regex.VERSION0,
)
# TAG_REGEX, flags gu.
_TAG = regex.compile(
    rf"(^|[{_WS}])[#＃]((?!\ufe0f)[^{_WS}{_ZW}]*[^0-9{_WS}\p{{P}}{_ZW}]+[^{_WS}{_ZW}]*)?",
    regex.VERSION0,
)
_CASHTAG = regex.compile(
    rf"(^|[{_WS}]|\()\$([A-Za-z][A-Za-z0-9]{{0,4}})(?=[{_WS}]|\Z|[.,;:!?)\"'\u2019])",
    regex.VERSION0,
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+\Z", regex.VERSION0)
_GRAPHEME = regex.compile(r"\X", regex.VERSION0)


def grapheme_length(text: str) -> int:
    """How many graphemes Bluesky counts in ``text``."""
    return len(_GRAPHEME.findall(text))


def byte_length(text: str) -> int:
    """``text``'s length in UTF-8 bytes (a lone surrogate counts 3, as TextEncoder's U+FFFD)."""
    return len(text.encode("utf-8", "surrogatepass"))


def fits(text: str) -> bool:
    """Whether ``text`` is within both limits of a post's text."""
    return grapheme_length(text) <= MAX_GRAPHEMES and byte_length(text) <= MAX_BYTES


def measure(text: str) -> int:
    """One number to pack a post by: graphemes, or a tenth of the bytes where that is more.

    A post within 300 by this measure is within both limits; for text of three bytes or
    fewer a grapheme (every Latin, Greek, Cyrillic or CJK letter) it is the grapheme count.
    """
    return max(grapheme_length(text), -(-byte_length(text) // 10))


def _valid_domain(domain: str) -> bool:
    return domain.rpartition(".")[2] in TLDS


def detect_facets(text: str) -> list[dict[str, Any]]:
    """The link and tag facets the official RichText finds in ``text``, in its order
    (by where they start)."""
    offsets = _Offsets(text)
    facets: list[dict[str, Any]] = []
    for match in _URL.finditer(text):
        uri = match.group(2)
        if not uri.startswith("http"):
            domain = match.group("domain")
            if not domain or not _valid_domain(domain):
                continue
            uri = f"https://{uri}"
        start = match.start(2)
        end = match.end(2)
        if uri[-1:] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        facets.append(
            _facet(offsets, start, end, {"$type": "app.bsky.richtext.facet#link", "uri": uri})
        )
    for match in _TAG.finditer(text):
        tag = match.group(2)
        if not tag:
            continue
        tag = _TRAILING_PUNCTUATION.sub("", tag.strip(_WS_CHARS))
        if not tag or grapheme_length(tag) > MAX_TAG_GRAPHEMES:
            continue
        start = match.start() + len(match.group(1))
        feature = {"$type": "app.bsky.richtext.facet#tag", "tag": tag}
        facets.append(_facet(offsets, start, start + 1 + len(tag), feature))
    for match in _CASHTAG.finditer(text):
        ticker = match.group(2).upper()
        start = match.start() + len(match.group(1))
        feature = {"$type": "app.bsky.richtext.facet#tag", "tag": "$" + ticker}
        facets.append(_facet(offsets, start, start + 1 + len(ticker), feature))
    # RichText orders what it found by where it starts (a stable sort).
    return sorted(facets, key=lambda facet: int(facet["index"]["byteStart"]))


_WS_CHARS = (
    "".join(chr(c) for c in [9, 10, 11, 12, 13, 32, 0xA0, 0x1680, *range(0x2000, 0x200B)])
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


class _Offsets:
    """Character index -> UTF-8 byte offset, for one text."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __call__(self, index: int) -> int:
        return byte_length(self._text[:index])


def _facet(offsets: _Offsets, start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
    return {
        "$type": "app.bsky.richtext.facet",
        "index": {"byteStart": offsets(start), "byteEnd": offsets(end)},
        "features": [feature],
    }
