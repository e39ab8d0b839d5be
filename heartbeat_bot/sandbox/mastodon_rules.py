"""Mastodon's own rules for a status's text, restated from its source (imports nothing of ours).

- Length (``app/validators/status_length_validator.rb``): the spoiler text and the text
  are joined and counted in extended grapheme clusters (Ruby's ``each_grapheme_cluster``),
  after every URL with a protocol (``extract_url_without_protocol: false``) is replaced by
  ``characters_reserved_per_url`` characters and every mention ``@user@domain`` by
  ``@user``. Over ``max_characters``: 422 "Text character limit of N exceeded".
- Rendering (``app/lib/text_formatter.rb``): the text is HTML-escaped, links become
  ``<a>`` with the scheme in an invisible span and the tail cut after 30 characters into an
  invisible span, hashtags link to ``/tags/<name>``, paragraphs become ``<p>`` and single
  line breaks ``<br />``.
- Mentions (``Account::MENTION_RE``): ``@`` not after a word character, ``=`` or ``/``,
  then a username ``[a-z0-9_]+([.-]+[a-z0-9_]+)*`` and an optional ``@domain``.
"""

from __future__ import annotations

import html
import re

import regex

URL_RE = re.compile(r"(?<![\w/])https?://[^\s<>\"']+", re.IGNORECASE)
MENTION_RE = re.compile(
    r"(?<![=/\w])@((?:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*))(?:@[\w.-]+\w+)?", re.IGNORECASE
)
HASHTAG_RE = re.compile(r"(?:^|(?<=[^/)\w]))#(\w*[^\W\d_]\w*)", re.UNICODE)
_TRAILING = ".,;:!?'\"…"
_SHOWN_TAIL = 30


def urls(text: str) -> list[tuple[int, int]]:
    """Spans of the URLs twitter-text's extractor would find (protocol required), with
    trailing punctuation and an unbalanced closing parenthesis left out, as it does."""
    spans = []
    for match in URL_RE.finditer(text):
        start, end = match.span()
        while end > start:
            last = text[end - 1]
            unbalanced = last == ")" and text[start:end].count("(") < text[start:end].count(")")
            if last not in _TRAILING and not unbalanced:
                break
            end -= 1
        if end - start > len("https://"):
            spans.append((start, end))
    return spans


def countable_text(text: str, url_chars: int) -> str:
    """``text`` as StatusLengthValidator counts it: URLs as placeholders, mentions local."""
    out: list[str] = []
    last = 0
    for start, end in urls(text):
        out.append(MENTION_RE.sub(lambda m: "@" + m.group(1), text[last:start]))
        out.append("x" * url_chars)
        last = end
    out.append(MENTION_RE.sub(lambda m: "@" + m.group(1), text[last:]))
    return "".join(out)


def status_length(text: str, spoiler_text: str, url_chars: int) -> int:
    """The length Mastodon checks against ``max_characters``."""
    combined = spoiler_text + countable_text(text, url_chars)
    return len(regex.findall(r"\X", combined))


def _link(url: str) -> str:
    scheme, _, rest = url.partition("://")
    prefix = html.escape(scheme + "://")
    shown, hidden = rest[:_SHOWN_TAIL], rest[_SHOWN_TAIL:]
    cut = "ellipsis" if hidden else ""
    return (
        f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" '
        f'translate="no"><span class="invisible">{prefix}</span>'
        f'<span class="{cut}">{html.escape(shown)}</span>'
        f'<span class="invisible">{html.escape(hidden)}</span></a>'
    )


def _inline(text: str, base_url: str) -> str:
    """One line: escaped, links and hashtags made into anchors."""
    out: list[str] = []
    last = 0
    for start, end in urls(text):
        out.append(_tags(html.escape(text[last:start], quote=False), base_url))
        out.append(_link(text[start:end]))
        last = end
    out.append(_tags(html.escape(text[last:], quote=False), base_url))
    return "".join(out)


def _tags(escaped: str, base_url: str) -> str:
    def anchor(match: re.Match[str]) -> str:
        name = match.group(1)
        return (
            f'<a href="{base_url}/tags/{name.lower()}" class="mention hashtag" '
            f'rel="tag">#<span>{name}</span></a>'
        )

    return HASHTAG_RE.sub(anchor, escaped)


def to_html(text: str, base_url: str) -> str:
    """The ``content`` Mastodon serves for a local status with this text."""
    paragraphs = [p for p in re.split(r"\n{2,}", text.strip()) if p.strip()]
    rendered = ["<br />".join(_inline(x, base_url) for x in p.split("\n")) for p in paragraphs]
    return "".join(f"<p>{p}</p>" for p in rendered)


def tags_of(text: str, base_url: str) -> list[dict[str, str]]:
    """The ``tags`` of a status: each distinct hashtag, lower-cased, with its URL."""
    seen: dict[str, dict[str, str]] = {}
    for match in HASHTAG_RE.finditer(text):
        name = match.group(1).lower()
        seen.setdefault(name, {"name": name, "url": f"{base_url}/tags/{name}"})
    return list(seen.values())
