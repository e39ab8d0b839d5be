"""Pure: a status's length as a Mastodon instance counts it, and mentions made harmless.

Mastodon's StatusLengthValidator counts extended grapheme clusters (UAX #29) of the text,
after replacing each URL that has a protocol with ``characters_reserved_per_url``
characters (23 by default) and each mention ``@user@domain`` with ``@user``. The
instance's own numbers come from ``/api/v2/instance`` (``configuration.statuses``).

A mention notifies a real account on any server of the fediverse, so every ``@`` that
Mastodon would read as one (an ``@`` not after a letter or digit, before a username
character) gets a word joiner (U+2060) after it: it shows as written and notifies nobody.
"""

from __future__ import annotations

import re

import regex

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_URL_CHARACTERS = 23
WORD_JOINER = "\u2060"

# A URL as twitter-text finds one with a protocol (Mastodon's extractor is built on it):
# http(s):// and what follows up to whitespace, less trailing punctuation.
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"…"
_MENTION = re.compile(r"(?<![\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@[\w.-]*\w)?", re.IGNORECASE)
_AT_NAME = re.compile(r"[@\uff20](?=[a-zA-Z0-9_])")
_GRAPHEME = regex.compile(r"\X")


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where the URLs of ``text`` are, each without its trailing punctuation."""
    spans = []
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start:
            last = text[end - 1]
            unbalanced = last == ")" and text[start:end].count("(") < text[start:end].count(")")
            if last not in _TRAILING and not unbalanced:
                break
            end -= 1
        spans.append((start, end))
    return spans


def graphemes(text: str) -> int:
    """How many user-perceived characters (extended grapheme clusters) ``text`` holds."""
    return len(_GRAPHEME.findall(text))


def status_length(text: str, url_chars: int = DEFAULT_URL_CHARACTERS) -> int:
    """The length of ``text`` by the instance's rule (each URL weighs ``url_chars``)."""
    total, position = 0, 0
    for start, end in url_spans(text):
        total += _plain_length(text[position:start]) + url_chars
        position = end
    return total + _plain_length(text[position:])


def _plain_length(text: str) -> int:
    return graphemes(_MENTION.sub(lambda m: "@" + m.group(1), text)) if text else 0


def neutralise_mentions(text: str) -> str:
    """``text`` with a word joiner after every ``@`` that Mastodon would take for a mention.

    An ``@`` inside a URL (``medium.com/@dvc``) or after a letter or digit (an e-mail
    address) is left alone: Mastodon reads neither as a mention.
    """
    if "@" not in text and "\uff20" not in text:
        return text
    urls = url_spans(text)
    out, position = [], 0
    for match in _AT_NAME.finditer(text):
        at = match.start()
        if any(start <= at < end for start, end in urls):
            continue
        if at and (text[at - 1].isalnum() or text[at - 1] == "_"):
            continue
        out.append(text[position : at + 1] + WORD_JOINER)
        position = at + 1
    return "".join(out) + text[position:]
