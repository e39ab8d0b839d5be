"""Pure text helpers: Markdown descriptions to tweet text or Discord Markdown, and fitting.

The input is a post's `descriptionLong`: CommonMark from YAML, hard-wrapped at about 80
columns, with lists, relative links, emphasis, inline code and emoji. Soft line breaks are
wrapping, not meaning, so both renderers join them; lines in the output are paragraphs,
list items or headings, which is what `fit_lines` cuts between.

Lengths are whatever the caller measures with (`len`, or X's `weighted_length`); the
twitter-text names are re-exported here for callers that want one import.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from heartbeat_bot.render import twitter_text
from heartbeat_bot.render.twitter_text import (
    MAX_TWEET_WEIGHT,
    URL_WEIGHT,
    extract_urls,
    weighted_length,
)

if TYPE_CHECKING:  # markdown-it and emoji load on the first render, not on import
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

__all__ = [
    "MAX_TWEET_WEIGHT",
    "URL_WEIGHT",
    "extract_urls",
    "fit_lines",
    "markdown_to_discord",
    "markdown_to_plain",
    "truncate_words",
    "weighted_length",
]

Length = Callable[[str], int]

# Summaries parsed and rendered lately, by source text: every channel renders the same
# summary, so it is parsed once per post, and rendered once per style.
_RECENT = 32
_SPACE_RUN = re.compile(r"[^\S\n]+")
_HTML_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)
# Discord would treat these as formatting; a bare URL is left alone so it stays clickable.
_DISCORD_SPECIAL = re.compile(r"([\\*_`~|\[\]])")
_BARE_URL = re.compile(r"https?://\S+")
_WORD_END = re.compile(r"(?<=\S)\s")
# Link texts that only point at their link: "here", "click here", "this video", "these".
_POINTER = re.compile(
    r"(?:.* )?here|(?:this|these|that|those)(?: \S+){0,5}|(?:the |this )?link",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Style:
    discord: bool
    base_url: str = ""


_PLAIN = _Style(discord=False)


def markdown_to_plain(md: str, base_url: str = "") -> str:
    """Plain text for a tweet: no markup, one paragraph, list item or heading per line.

    Soft breaks become spaces and runs of spaces collapse, except before an emoji, where
    the source is a list of emoji-led lines and keeps its line breaks; blocks the source
    separates by a blank line are separated by one blank line, others (a list right under
    its intro) by a newline. List items read "• item" ("1. item" if ordered), nested ones
    indented two spaces per level. Links keep their text; a link whose text only points at
    it ("this video", "here", "this one") is followed by its URL, resolved against
    `base_url`, so the sentence still leads somewhere. Images and HTML go, code keeps its
    text.
    """
    return _render(md, _Style(discord=False, base_url=base_url))


def markdown_to_discord(md: str, base_url: str) -> str:
    """Markdown as Discord renders it well, with relative links resolved against `base_url`.

    Like `markdown_to_plain`, but list items read "- item", links stay `[text](url)` (a
    link whose text is its URL becomes the bare URL), emphasis stays `*x*`, `**x**` and
    `` `x` ``, headings become bold lines, fenced code stays fenced, and characters Discord
    would take for formatting are backslash-escaped.
    """
    return _render(md, _Style(discord=True, base_url=base_url))


def load() -> None:
    """Import and build what rendering text needs (markdown-it, emoji, X's counting regexes)
    now, so that the first render takes no longer than the next; they load on first use
    otherwise."""
    import emoji  # noqa: F401

    _markdown()
    twitter_text.load()


@cache
def _markdown() -> MarkdownIt:
    """CommonMark exactly (no tables, no linkify, no smart quotes); HTML is parsed so it can go."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


@lru_cache(maxsize=_RECENT)
def _tree(md: str) -> SyntaxTreeNode:
    """markdown-it's syntax tree of `md` (line breaks already normalised); read, never changed."""
    from markdown_it.tree import SyntaxTreeNode

    return SyntaxTreeNode(_markdown().parse(md))


@lru_cache(maxsize=_RECENT)
def _render(md: str, style: _Style) -> str:
    return _Renderer(style).render(md)


class _Renderer:
    """Walks markdown-it's syntax tree, writing one style of output."""

    def __init__(self, style: _Style) -> None:
        self.style = style
        self.lines: list[str] = []  # the source, to see where it has blank lines

    def render(self, md: str) -> str:
        # markdown-it counts a lone "\r" as a line break too: its line maps index these.
        md = md.replace("\r\n", "\n").replace("\r", "\n")
        self.lines = md.split("\n")
        return self.blocks(_tree(md).children, tight=False).strip()

    def blocks(self, nodes: Sequence[SyntaxTreeNode], *, tight: bool) -> str:
        out: list[str] = []
        for node in nodes:
            text = self.block(node)
            if text:
                if out:
                    out.append("\n" if tight or not self.after_blank(node) else "\n\n")
                out.append(text)
        return "".join(out)

    def after_blank(self, node: SyntaxTreeNode) -> bool:
        """Whether the source has a blank line just before this block."""
        first = node.map[0] if node.map else 0
        return 0 < first <= len(self.lines) and not self.lines[first - 1].strip(" \t>")

    def block(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind in ("paragraph", "heading"):
            text = _tidy(self.inline(node.children))
            return f"**{text}**" if text and kind == "heading" and self.style.discord else text
        if kind in ("bullet_list", "ordered_list"):
            return self.list(node)
        if kind == "blockquote":
            inner = self.blocks(node.children, tight=False)
            if self.style.discord:
                return "\n".join(f"> {line}".rstrip() for line in inner.split("\n"))
            return inner
        if kind == "fence" and self.style.discord:
            return f"```{node.info.strip()}\n{node.content}```"
        if kind in ("fence", "code_block", "html_block"):
            # An indented "code" block in a description is nearly always YAML indentation,
            # not code, so its lines are kept as lines of text (blank ones dropped).
            raw = _HTML_TAG.sub("", node.content) if kind == "html_block" else node.content
            lines = (_tidy(line) for line in raw.split("\n"))
            return "\n".join(self.escape(line) for line in lines if line)
        return ""  # thematic breaks and anything unknown

    def list(self, node: SyntaxTreeNode) -> str:
        ordered = node.type == "ordered_list"
        number = int(node.attrs.get("start", 1)) if ordered else 0
        bullet = "-" if self.style.discord else "•"
        items: list[str] = []
        for item in node.children:
            body = self.blocks(item.children, tight=True)
            marker = f"{number}." if ordered else bullet
            number += 1
            if body:
                first, *rest = body.split("\n")
                items.append("\n".join([f"{marker} {first}", *(f"  {r}" for r in rest)]))
        return "\n".join(items)

    def inline(self, nodes: Sequence[SyntaxTreeNode]) -> str:
        parts: list[str] = []
        for node in nodes:
            kind = node.type
            if kind == "text":
                parts.append(self.escape(node.content))
            elif kind == "softbreak":
                following = node.next_sibling
                emoji_led = following is not None and _starts_with_emoji(following.content)
                parts.append("\n" if emoji_led else " ")
            elif kind == "hardbreak":
                parts.append("\n")
            elif kind == "code_inline":
                parts.append(_code_span(node.content) if self.style.discord else node.content)
            elif kind in ("em", "strong"):
                inner = self.inline(node.children)
                mark = "*" if kind == "em" else "**"
                parts.append(f"{mark}{inner}{mark}" if self.style.discord and inner else inner)
            elif kind == "link":
                parts.append(self.link(node))
            elif kind not in ("image", "html_inline"):
                parts.append(self.inline(node.children))
        return "".join(parts)

    def link(self, node: SyntaxTreeNode) -> str:
        text = _tidy(self.inline(node.children)).replace("\n", " ")
        href = str(node.attrs.get("href", ""))
        url = urljoin(self.style.base_url, href)
        if not self.style.discord:
            pointer = _POINTER.fullmatch(text.strip(".,;:!? ")) and url.startswith("http")
            return f"{text} {url}" if pointer else text
        plain = _tidy(_Renderer(_PLAIN).inline(node.children))
        if not text or plain in (href, url):
            return url
        # Parentheses and spaces would end the link target early in Discord.
        target = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        return f"[{text}]({target})"

    def escape(self, text: str) -> str:
        if not self.style.discord:
            return text
        pieces = _BARE_URL.split(text)
        urls = [*_BARE_URL.findall(text), ""]
        escaped = (_DISCORD_SPECIAL.sub(r"\\\1", p) + u for p, u in zip(pieces, urls, strict=True))
        return "".join(escaped)


def _starts_with_emoji(text: str) -> bool:
    import emoji

    return any(found["match_start"] == 0 for found in emoji.emoji_list(text[:16]))


def _tidy(text: str) -> str:
    """Collapse runs of spaces inside each line and trim every line."""
    return "\n".join(_SPACE_RUN.sub(" ", line).strip() for line in text.split("\n")).strip()


def _code_span(code: str) -> str:
    return f"`` {code} ``" if "`" in code else f"`{code}`"


def fit_lines(text: str, limit: int, length: Length = len, ellipsis: str = "…") -> str:
    """`text` if length(text) <= limit, else its first whole lines and a line of `ellipsis`.

    Output format when cut: the longest run of whole lines from the start (trailing blank
    lines and spaces dropped) such that `kept + "\\n" + ellipsis` fits, e.g. "• a\\n• b\\n…":
    the ellipsis on its own line says "more follows" without mangling the last kept line.
    If not even the first line fits that way, the first line is cut with
    `truncate_words` rules and the ellipsis appended directly ("Some words…").
    Guarantees length(result) <= limit whenever limit >= length(ellipsis), and a non-empty
    result then; below that it returns "" rather than an unmarked cut.
    """
    if length(text) <= limit:
        return text
    body = text.strip()
    if length(body) <= limit:
        return body
    lines = body.split("\n")

    def whole_lines(count: int) -> str | None:
        kept = "\n".join(lines[:count]).rstrip() + "\n" + ellipsis
        return kept if length(kept) <= limit else None

    kept = _rightmost(range(1, len(lines)), whole_lines)
    if kept is not None:
        return kept
    return _cut(lines[0], limit, length, ellipsis, whole=len(lines) > 1)


def truncate_words(text: str, limit: int, length: Length = len, ellipsis: str = "…") -> str:
    """`text` if length(text) <= limit, else a prefix cut at a word boundary plus `ellipsis`.

    The prefix loses trailing spaces and `,;:`. When no word boundary fits, or the best one
    would use less than a third of the limit (a huge word early on, as in "0 xxxx…"), the
    cut falls between characters instead, never inside an emoji sequence, a combining
    sequence or a surrogate pair. Same guarantee as `fit_lines`: length(result) <= limit
    whenever limit >= length(ellipsis) (then never empty), else "".
    """
    if length(text) <= limit:
        return text
    body = text.strip()
    if length(body) <= limit:
        return body
    return _cut(body, limit, length, ellipsis, whole=False)


def _cut(text: str, limit: int, length: Length, ellipsis: str, *, whole: bool) -> str:
    """The longest prefix of `text` + `ellipsis` that fits, preferring word boundaries.

    `whole` allows the entire text as the prefix (when more lines follow it).
    """

    def prefix(end: int) -> str | None:
        head = text[:end].rstrip().rstrip(",;:").rstrip()
        return head + ellipsis if head and length(head + ellipsis) <= limit else None

    word_ends = [m.start() for m in _WORD_END.finditer(text)]
    ends = [*word_ends, len(text)] if whole else word_ends
    found = _rightmost(ends, prefix)
    if found is None or 3 * length(found) < limit:
        # A word cut that wastes most of the room reads worse than a cut inside the word.
        inside = _rightmost(_grapheme_ends(text, whole=whole), prefix)
        if inside is not None and (found is None or length(inside) > length(found)):
            found = inside
    if found is None:
        found = ellipsis if length(ellipsis) <= limit else ""
    return found


def _rightmost(candidates: Sequence[int], attempt: Callable[[int], str | None]) -> str | None:
    """The result of `attempt` for the rightmost candidate a binary search finds to fit.

    Weighted lengths are not strictly monotonic (a URL weighs 23 however long), so the
    search may settle short of the true maximum, but every result it returns was measured.
    """
    low, high, best = 0, len(candidates) - 1, None
    while low <= high:
        middle = (low + high) // 2
        result = attempt(candidates[middle])
        if result is None:
            high = middle - 1
        else:
            best, low = result, middle + 1
    return best


def _grapheme_ends(text: str, *, whole: bool) -> list[int]:
    """Cut positions that split no emoji sequence, combining sequence or surrogate pair.

    An approximation of grapheme-cluster boundaries (UAX #29) good enough for a last-resort
    cut: never before a mark, joiner, variation selector, keycap, skin tone or tag, nor
    after a joiner or high surrogate.
    """
    import emoji

    inside: set[int] = set()
    for found in emoji.emoji_list(text):
        inside.update(range(found["match_start"] + 1, found["match_end"]))
    ends = []
    for i in range(1, len(text) + 1 if whole else len(text)):
        if i in inside:
            continue
        if i < len(text) and _joins_previous(text[i]):
            continue
        if text[i - 1] == "\u200d" or "\ud800" <= text[i - 1] <= "\udbff":
            continue
        ends.append(i)
    return ends


def _joins_previous(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.category(char).startswith("M")
        or code == 0x200D
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or 0xE0100 <= code <= 0xE01EF
        or 0xDC00 <= code <= 0xDFFF
    )
