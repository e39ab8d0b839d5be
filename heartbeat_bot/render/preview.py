"""How a payload is shown to a person: titled blocks of lines, for the CLI and the bot."""

from __future__ import annotations

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
