"""Pure: a feed entry's HTML summary as the CommonMark a post's ``descriptionLong`` holds.

Feeds carry HTML (RSS ``description``/``content:encoded``, Atom ``summary``/``content``,
JSON Feed ``content_html``); the renderers take Markdown. Paragraphs, line breaks, list
items, headings and quotes become Markdown blocks; a link becomes ``[text](url)`` with its
URL made absolute against the entry's own link; pictures, scripts, styles, forms and
embedded frames are dropped; text that Markdown would read as markup is escaped. Only the
standard library's tolerant HTML tokenizer is used: malformed HTML gives text, never an
error.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

_BLOCKS = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "aside", "main", "figure",
        "figcaption", "blockquote", "pre", "table", "tr", "ul", "ol", "dl", "dt", "dd",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "address", "details", "summary",
    }
)  # fmt: skip
_DROPPED = frozenset(
    {"script", "style", "noscript", "iframe", "object", "embed", "svg", "math", "form", "template"}
)
_VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "source", "wbr", "area", "col"})
# Characters CommonMark reads as markup anywhere in a line.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
# At a line's start: headings, quotes, list markers, thematic breaks; ordered list
# markers ("1." or "1)") are escaped at their punctuation (a digit cannot be escaped).
_LINE_START = re.compile(r"^(\s*)([#>+\-=])", re.MULTILINE)
_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")
MAX_TEXT = 20_000
"""Characters of text kept at most (a full post in a feed can be far longer)."""


def escape_markdown(text: str) -> str:
    """``text`` with every character CommonMark would take for markup backslash-escaped."""
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    return _ORDERED.sub(r"\1\\\2", _LINE_START.sub(r"\1\\\2", text))


def html_to_markdown(html: str, base_url: str) -> str:
    """The text of ``html`` as CommonMark, links absolute against ``base_url``.

    Relative links, and links to anything but http(s) and mailto (``javascript:``), keep
    their text and lose the link.
    """
    parser = _Converter(base_url)
    parser.feed(html)
    parser.close()
    return parser.result()


class _Converter(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self._base = base_url
        self._out: list[str] = []
        self._dropped = 0  # depth inside script/style/...
        self._links: list[str | None] = []  # the open <a>s' absolute URLs
        self._lists: list[str] = []  # "ul" or "ol", innermost last
        self._numbers: list[int] = []
        self._pre = 0
        self._size = 0

    # -- building ---------------------------------------------------------------------

    def _emit(self, text: str) -> None:
        if self._size < MAX_TEXT:
            self._out.append(text)
            self._size += len(text)

    def _block(self) -> None:
        self._emit("\n\n")

    def result(self) -> str:
        text = "".join(self._out)
        lines = [line.rstrip() for line in text.split("\n")]
        text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT].rsplit(" ", 1)[0] + " …"
        return text

    # -- HTMLParser -------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropped += 1
            return
        if self._dropped:
            return
        if tag == "br":
            self._emit("  \n" if not self._pre else "\n")
        elif tag in ("ul", "ol"):
            self._lists.append(tag)
            self._numbers.append(0)
            self._block()
        elif tag == "li":
            depth = max(len(self._lists) - 1, 0)
            kind = self._lists[-1] if self._lists else "ul"
            marker = "-"
            if kind == "ol":
                self._numbers[-1] += 1
                marker = f"{self._numbers[-1]}."
            self._emit("\n" + "  " * depth + marker + " ")
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._block()
            self._emit("#" * int(tag[1]) + " ")
        elif tag == "blockquote":
            self._block()
            self._emit("> ")
        elif tag == "pre":
            self._pre += 1
            self._block()
        elif tag in _BLOCKS:
            self._block()
        elif tag == "a":
            href = dict(attrs).get("href")
            url = _absolute(href, self._base) if href else None
            self._links.append(url)
            if url:
                self._emit("[")
        if tag in _VOID:
            self.handle_endtag(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropped = max(self._dropped - 1, 0)
            return
        if self._dropped:
            return
        if tag == "a":
            url = self._links.pop() if self._links else None
            if url:
                self._emit(f"]({_link_target(url)})")
        elif tag in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
                self._numbers.pop()
            self._block()
        elif tag == "pre":
            self._pre = max(self._pre - 1, 0)
            self._block()
        elif tag in _BLOCKS:
            self._block()

    def handle_data(self, data: str) -> None:
        if self._dropped:
            return
        if self._pre:
            self._emit(escape_markdown(data))
            return
        text = _SPACES.sub(" ", data)
        if not text.strip() and (not self._out or self._out[-1].endswith((" ", "\n"))):
            return
        self._emit(escape_markdown(text))


def _absolute(href: str, base: str) -> str | None:
    """``href`` made absolute against ``base``; None for what is not a web or mail link."""
    try:
        url = urljoin(base, href.strip())
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https", "mailto") else None


def _link_target(url: str) -> str:
    """A link destination CommonMark takes whole: spaces and parentheses percent-encoded."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C")
