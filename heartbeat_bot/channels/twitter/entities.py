"""Mentions and hashtags as twitter-text reads them, for text the bot puts on X.

X notifies every account a tweet mentions; a post's title or summary that holds
"@everyone" or "@someone" must not. twitter-text 3.1.0's mention pattern
(validMentionOrList) is an @ (or U+FF20) not preceded by a letter, digit or one of
``_!#$%&*@``, followed by up to 20 of ``[a-zA-Z0-9_]``. Its hashtag pattern takes letters,
marks, digits and "_", with at least one letter.
"""

from __future__ import annotations

import re
import unicodedata

from heartbeat_bot.render.twitter_text import extract_urls

WORD_JOINER = "\u2060"
_AT_NAME = re.compile(r"[@\uff20](?=[a-zA-Z0-9_])")
_NOT_BEFORE_MENTION = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_!#$%&*@\uff20"
)
_RETWEET_BEFORE = re.compile(r"(?:\A|[^a-zA-Z0-9_+~.-])[rR][tT]:?\Z")


def neutralise_mentions(text: str) -> str:
    """`text` with a word joiner (U+2060) after every @ that X would read as a mention.

    "@everyone", "@here" and "@handle" then show as written but notify nobody. An @
    inside a URL ("medium.com/@dvc/post") or an e-mail address ("me@dvc.org") is left
    alone, as twitter-text reads neither as a mention.
    """
    if "@" not in text and "\uff20" not in text:
        return text
    urls = extract_urls(text)
    out, position = [], 0
    for match in _AT_NAME.finditer(text):
        at = match.start()
        if any(start <= at < end for start, end in urls):
            continue
        if at and text[at - 1] in _NOT_BEFORE_MENTION and not _RETWEET_BEFORE.search(text[:at]):
            continue
        out.append(text[position : at + 1] + WORD_JOINER)
        position = at + 1
    return "".join(out) + text[position:]


def hashtag(tag: str) -> str | None:
    """`tag` as an X hashtag ("Modular Infrastructure" -> "#ModularInfrastructure").

    Words are joined with their first letter raised; only letters, marks, digits and "_"
    are kept, as twitter-text's hashtag pattern allows. None when no letter is left.
    """
    words = ["".join(c for c in word if _hashtag_char(c)) for word in tag.split()]
    name = "".join(w[:1].upper() + w[1:] if len(words) > 1 else w for w in words)
    if not any(unicodedata.category(c).startswith("L") for c in name):
        return None
    return "#" + name


def _hashtag_char(char: str) -> bool:
    return (
        char == "_" or unicodedata.category(char)[0] in "LM" or unicodedata.category(char) == "Nd"
    )
