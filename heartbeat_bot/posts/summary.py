"""Pure: the text an announcement carries, by ``blog.summary_fields`` and the excerpt rules.

The first of ``summary_fields`` set in the frontmatter wins (``descriptionLong``,
``description``, ``summary``, ``excerpt`` by default); else the body's text before the
first of ``blog.excerpt_separators`` found (``<!--more-->``, ``<!-- truncate -->``,
``{/* truncate */}``; spaces inside a separator are optional, as Docusaurus's pattern
allows); else ``blog.excerpt``: ``first-paragraph``, ``first-line`` (Docusaurus's
``createExcerpt``), ``blocks`` (Hugo: whole blocks until ``blog.summary_words`` words)
or ``none``. Excerpts stay Markdown; comments, shortcodes, Liquid and MDX
imports are dropped and headings lose their ``#`` marks.
"""

from __future__ import annotations

import re
from functools import lru_cache

_NOISE = re.compile(
    r"<!--.*?-->|\{\{[<%].*?[%>]\}\}|\{%.*?%\}|\{/\*.*?\*/\}|^(?:import|export)\s[^\n]*$",
    re.DOTALL | re.MULTILINE,
)
_HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)
_HEADING_LINE = re.compile(r"^#{1,6}\s.*$", re.MULTILINE)
_BLOCK_SPLIT = re.compile(r"\n[ \t]*\n")
_FENCE = re.compile(r"^(```|~~~)")
_SETEXT = re.compile(r"^(=+|-+)\s*$")


@lru_cache(maxsize=64)
def _separator(text: str) -> re.Pattern[str]:
    parts = [re.escape(word) for word in text.split()]
    pattern = r"\s*".join(parts)
    # `<!--more-->` also matches `<!-- more -->`, and the reverse.
    pattern = pattern.replace(r"<!\-\-", r"<!--\s*").replace(r"\-\->", r"\s*-->")
    pattern = pattern.replace(r"\{/\*", r"\{/\*\s*").replace(r"\*/\}", r"\s*\*/\}")
    return re.compile(pattern)


def excerpt(body: str, separators: tuple[str, ...], rule: str, words: int) -> tuple[str, str]:
    """The body's excerpt and the rule that gave it ("" when none applies)."""
    for separator in separators:
        found = _separator(separator).search(body)
        if found is not None:
            return _clean(body[: found.start()]), f"excerpt:{separator}"
    if rule == "none":
        return "", ""
    blocks = _blocks(body)
    if not blocks:
        return "", ""
    if rule == "first-line":  # Docusaurus: the first text line, headings left out
        for block in _blocks(_HEADING_LINE.sub("", _NOISE.sub("", body))):
            return block.split("\n", 1)[0].strip(), "excerpt:first-line"
        return "", ""
    if rule == "first-paragraph":
        return blocks[0], "excerpt:first-paragraph"
    taken: list[str] = []
    count = 0
    for block in blocks:
        taken.append(block)
        count += len(block.split())
        if count >= words:
            break
    return "\n\n".join(taken), f"excerpt:blocks of {words} words"


def _clean(text: str) -> str:
    return "\n\n".join(_blocks(text))


def _blocks(body: str) -> list[str]:
    """The body's text blocks (paragraphs, headings as text), code fences left out."""
    text = _HEADING.sub("", _NOISE.sub("", body))
    out: list[str] = []
    for block in _BLOCK_SPLIT.split(text):
        lines = [line for line in block.strip().split("\n") if not _SETEXT.match(line)]
        if not lines or _FENCE.match(lines[0]) or lines[0].startswith(("<", "|", "![")):
            continue
        if set("".join(lines)) <= set("-*_ "):
            continue  # a thematic break
        out.append("\n".join(line.rstrip() for line in lines))
    return out
