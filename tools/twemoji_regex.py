"""Regenerate heartbeat_bot/render/_emoji.py from the emoji regex twitter-text counts with.

    PYTHONPATH=. python tools/twemoji_regex.py

twitter-text 3.1.0's `parseTweet` weighs each match of twemoji-parser 11.0.2's regex as
one emoji. That regex is JavaScript without the `u` flag, so it spells every astral code
point as a UTF-16 surrogate pair (`\\ud83d[\\udc68\\udc69]`). This script asks the pinned
npm install (tests/oracle/) for the regex's source, rewrites each surrogate pair, and each
high surrogate followed by a class of low ones, as code points (`[\\U0001f468\\U0001f469]`),
and writes the result as a Python module. It refuses any surrogate it cannot pair, or a
quantifier on half a pair, so the Python regex matches exactly what the JavaScript one does.
tests/test_emoji_table.py checks that the module still equals this script's output.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "heartbeat_bot" / "render" / "_emoji.py"

_TOKEN = re.compile(r"\\u([0-9a-fA-F]{4})|\[((?:\\u[0-9a-fA-F]{4}|[^\]\\])*)\]|(\\.)|(.)", re.S)
_CLASS_ITEM = re.compile(r"(\\u[0-9a-fA-F]{4}|[^\\])(?:-(\\u[0-9a-fA-F]{4}|[^\\]))?")
_QUANTIFIERS = frozenset("?*+{")
_LINE = 84

Unit = int
Item = tuple[int, int]  # an inclusive range of code units or code points


def _unit(text: str) -> int:
    return int(text[2:], 16) if text.startswith("\\u") else ord(text)


def _high(unit: int) -> bool:
    return 0xD800 <= unit <= 0xDBFF


def _low(unit: int) -> bool:
    return 0xDC00 <= unit <= 0xDFFF


def _class_items(body: str) -> list[Item]:
    if body.startswith("^"):
        raise ValueError(f"negated class [{body}] cannot be rewritten safely")
    items, position = [], 0
    while position < len(body):
        match = _CLASS_ITEM.match(body, position)
        if not match:
            raise ValueError(f"cannot read class [{body}] at {position}")
        first = _unit(match.group(1))
        last = _unit(match.group(2)) if match.group(2) else first
        items.append((first, last))
        position = match.end()
    return items


def _escape(point: int) -> str:
    if chr(point).isascii() and chr(point).isalnum():
        return chr(point)
    return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"


def _class(items: list[Item]) -> str:
    return "[" + "".join(_escape(a) + ("-" + _escape(b) if b > a else "") for a, b in items) + "]"


def _tokens(source: str) -> list[tuple[str, object]]:
    tokens: list[tuple[str, object]] = []
    for match in _TOKEN.finditer(source):
        unit, body, escaped, char = match.groups()
        if unit is not None:
            tokens.append(("unit", int(unit, 16)))
        elif body is not None:
            tokens.append(("class", _class_items(body)))
        elif escaped is not None:
            raise ValueError(f"unexpected escape {escaped!r}")
        else:
            tokens.append(("char", char))
    return tokens


def to_code_points(source: str) -> str:
    """The JavaScript (UTF-16) regex `source` rewritten to match Python code points."""
    tokens = _tokens(source)
    out: list[str] = []
    index = 0

    def no_quantifier_after(position: int) -> None:
        if position < len(tokens) and tokens[position] in {("char", q) for q in _QUANTIFIERS}:
            raise ValueError(f"a quantifier on half a surrogate pair at token {position}")

    while index < len(tokens):
        kind, value = tokens[index]
        if kind == "unit" and isinstance(value, int) and _high(value):
            follower = tokens[index + 1] if index + 1 < len(tokens) else ("end", None)
            base = 0x10000 + ((value - 0xD800) << 10)
            if follower[0] == "unit" and isinstance(follower[1], int) and _low(follower[1]):
                out.append(_escape(base + follower[1] - 0xDC00))
            elif follower[0] == "class" and isinstance(follower[1], list):
                lows: list[Item] = follower[1]
                if not all(_low(a) and _low(b) for a, b in lows):
                    raise ValueError(f"high surrogate before a mixed class at token {index}")
                out.append(_class([(base + a - 0xDC00, base + b - 0xDC00) for a, b in lows]))
            else:
                raise ValueError(f"unpaired high surrogate at token {index}")
            no_quantifier_after(index + 2)
            index += 2
            continue
        if kind == "unit" and isinstance(value, int):
            if _low(value):
                raise ValueError(f"unpaired low surrogate at token {index}")
            out.append(_escape(value))
        elif kind == "class" and isinstance(value, list):
            if any(a <= 0xDFFF and b >= 0xD800 for a, b in value):
                raise ValueError(f"surrogates in a class at token {index}")
            out.append(_class(value))
        else:
            out.append(str(value))
        index += 1
    return "".join(out)


def module_text(source: str) -> str:
    """The text of _emoji.py for the JavaScript regex `source`."""
    pattern = to_code_points(source)
    pieces = re.findall(r"\\U[0-9a-f]{8}|\\u[0-9a-f]{4}|.", pattern)
    lines, line = [], ""
    for piece in pieces:
        if len(line) + len(piece) > _LINE:
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    body = "\n".join(f'    r"{part}"' for part in lines)
    return f'''"""The emoji twitter-text 3.1.0 weighs as one: twemoji-parser 11.0.2's regex.

Generated data, do not edit by hand: `PYTHONPATH=. python tools/twemoji_regex.py` writes it
from the npm packages pinned in tests/oracle/ (twemoji-parser is MIT-licensed, Copyright
Twitter Inc.). The JavaScript regex spells astral code points as UTF-16 surrogate pairs;
here they are code points, so it matches Python strings exactly where the original matches
JavaScript ones. It knows Emoji 11 (2018): newer sequences, such as the technologist
(U+1F9D1 U+200D U+1F4BB), are not one emoji for it, and a lone U+FE0F is one.
"""

from __future__ import annotations

EMOJI_PATTERN = (
{body}
)
'''


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.oracle import Oracle, installed

    oracle = Oracle(installed())
    try:
        source = oracle.emoji_regex()
    finally:
        oracle.close()
    TARGET.write_text(module_text(source), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
