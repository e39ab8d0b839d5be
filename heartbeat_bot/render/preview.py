"""How a payload is shown to a person: titled blocks of lines, for the CLI and the bot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One line of a preview block; ``style`` is a rich style for terminals (or None)."""

    text: str
    style: str | None = None


@dataclass(frozen=True)
class PreviewBlock:
    """A titled block: a panel on a terminal, ``== title (subtitle)`` and the lines piped."""

    title: str
    lines: tuple[Line, ...]
    subtitle: str | None = None


def thread_blocks(
    kind: str, texts: Sequence[str], length: Callable[[str], int], limit: int
) -> tuple[PreviewBlock, ...]:
    """Each text of a thread as a block titled ``<kind> n/count``, with its length against
    ``limit`` as the channel counts it."""
    return tuple(
        PreviewBlock(f"{kind} {number}/{len(texts)}", (Line(text),), f"{length(text)}/{limit}")
        for number, text in enumerate(texts, start=1)
    )


def thread_chat_lines(heading: str, texts: Sequence[str]) -> tuple[str, ...]:
    """A thread in the slash command's preview (Discord Markdown): a bold heading, then
    each text quoted and numbered."""
    lines = [f"**{heading}:**"]
    for number, text in enumerate(texts, start=1):
        lines.append(f"> **{number}.** " + text.replace("\n", "\n> "))
    return tuple(lines)
