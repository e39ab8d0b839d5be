"""Pure: the frontmatter of one post file, and short renderings of values for messages.

Three formats, told apart by the first line: ``---`` YAML (``---yaml`` too), ``+++`` TOML
(Hugo, Zola; read with :mod:`tomllib`) and JSON: an object opening the file (Hugo) or a
``---json`` block (Eleventy). :func:`frontmatter_format` names the one a file uses.

Pitfalls handled: a byte-order mark before ``---``, CRLF, later ``---`` lines in the body,
impossible YAML dates (PyYAML raises ValueError on ``2022-13-45``), a key given twice in
one mapping (PyYAML silently keeps the last), alias bombs and huge values (echoed values
are cut to 60 characters; containers are named, not printed).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml

from heartbeat_bot.errors import PostError

try:  # libyaml: markedly faster than the pure-Python parser
    from yaml import CSafeLoader as _SafeBase
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeBase  # type: ignore[assignment]

SHOWN = 60  # at most this many characters of a value are echoed in a message

# PyYAML's constructors leak these (not YAMLError) on bad explicit tags such as
# `!!int abc` (ValueError), `!!int` alone (IndexError), `!!bool maybe` (KeyError).
_YAML_LEAKS = (LookupError, ValueError, TypeError, AttributeError, ArithmeticError, RecursionError)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
# The tags of short plain scalars, as the loader's implicit resolvers gave them (bounded: a
# blog's keys and repeated values fit many times over). The loader has no path resolvers.
_PLAIN_TAGS: dict[str, str] = {}
_REMEMBERED_LENGTH = 64
_REMEMBERED_TAGS = 4096
# PyYAML's resolver, untyped in its stubs.
_resolve: Callable[[Any, type[yaml.Node], Any, tuple[bool, bool]], Any] = _SafeBase.resolve
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # shown escaped: no terminal escapes in messages
# A `---` line, exactly as python-frontmatter's YAMLHandler.FM_BOUNDARY finds it.
_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)
_TOML_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
_YAML_OPENING = re.compile(r"-{3,}(?:yaml|yml)?[ \t]*$", re.MULTILINE)
_JSON_OPENING = re.compile(r"-{3,}json[ \t]*$", re.MULTILINE)
_JSON_CLOSING = re.compile(r"^}[ \t]*$", re.MULTILINE)

Format = Literal["yaml", "toml", "json"]


_Scalar = yaml.ScalarNode


class DuplicateKey(yaml.constructor.ConstructorError):
    """A mapping names the same key twice; ``first`` and ``second`` are 0-based lines."""

    def __init__(self, key: object, first: int, second: int, *, top_level: bool) -> None:
        super().__init__(problem=f"found the key {show(key)} twice")
        self.key, self.first, self.second, self.top_level = key, first, second, top_level


class _Loader(_SafeBase):
    """Safe YAML loader (libyaml's parser when available) on which an impossible date stays
    a string and a key given twice in one mapping is an error (``<<`` merges may be
    overridden, as YAML intends)."""

    _root: yaml.Node | None = None

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> Any:
        # A plain scalar's type (text, number, date, true/false...) depends on its text
        # alone: one that starts as no typed value can is text; the short ones (keys,
        # above all, the same in every post) are looked up.
        if kind is yaml.ScalarNode and implicit[0]:
            if value[:1] not in _TYPED_STARTS:
                return _STR_TAG
            if len(value) <= _REMEMBERED_LENGTH:
                tag = _PLAIN_TAGS.get(value)
                if tag is None:
                    tag = _resolve(self, kind, value, implicit)
                    if len(_PLAIN_TAGS) >= _REMEMBERED_TAGS:
                        _PLAIN_TAGS.clear()
                    _PLAIN_TAGS[value] = tag
                return tag
        return _resolve(self, kind, value, implicit)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # Text (most of a frontmatter, every key) is the node's own value, as PyYAML's
        # construct_yaml_str gives it, without its per-node bookkeeping (which only matters
        # for values built in steps or shared by anchors: text is neither).
        if node.tag == _STR_TAG and type(node) is yaml.ScalarNode:
            return node.value
        return super().construct_object(node, deep=deep)

    def construct_document(self, node: yaml.Node) -> Any:
        self._root = node
        if type(node) is yaml.MappingNode and node.tag == _MAP_TAG:
            keys = [k.value for k, _ in node.value if k.tag == _STR_TAG and type(k) is _Scalar]
            if len(keys) == len(node.value) == len(set(keys)):
                return self._text_keyed(node, keys)
        return super().construct_document(node)

    def _text_keyed(self, node: yaml.MappingNode, keys: list[str]) -> dict[str, Any]:
        """The usual frontmatter, a mapping of distinct text keys (no ``<<`` merge), built
        in one pass: what PyYAML's construction gives, without its steps for mappings in
        general (a generator, merges flattened, each key checked for a hash)."""
        data: dict[str, Any] = {}
        self.constructed_objects[node] = data  # an alias to the document itself gets it
        for key, (_, value) in zip(keys, node.value, strict=True):
            if value.tag == _STR_TAG and type(value) is _Scalar:
                data[key] = value.value
            else:
                data[key] = self.construct_object(value)
        while self.state_generators:  # as construct_document: nested values completed
            generators, self.state_generators = self.state_generators, []
            for generator in generators:
                for _ in generator:
                    pass
        self.constructed_objects, self.recursive_objects = {}, {}
        self.deep_construct = False
        return data

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # flatten_mapping deletes `<<` entries from this very list and, when it merged
        # anything, gives the node a new one: ``own`` stays the mapping's own pairs.
        own = node.value
        count = len(own)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if node.value is own and len(mapping) == count:
            return mapping  # no merge, as many keys as pairs: the usual case, at no cost
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in own:
            key = self.construct_object(key_node)  # built already: a cache look-up
            first = seen.setdefault(key, key_node)
            if first is not key_node:
                lines = (first.start_mark.line, key_node.start_mark.line)
                raise DuplicateKey(key, *lines, top_level=node is self._root)
        return mapping


def _lenient_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, AttributeError, OverflowError):
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _lenient_timestamp)
# The first characters of the plain scalars an implicit resolver may type ("" for the empty
# one): PyYAML keys its resolvers by them, and the loader has none for every scalar (None).
_TYPED_STARTS = frozenset(_Loader.yaml_implicit_resolvers)


def clip(value: object, limit: int = SHOWN) -> str:
    """``value`` as one line of at most ``limit`` characters, for messages.

    Containers are named, never printed: YAML aliases can make a tiny file expand to
    millions of items when printed. Dates and date-times are shown in ISO 8601, control
    characters escaped (``\\x1b``).
    """
    if isinstance(value, list | dict | set | tuple):
        return kind(value)
    if isinstance(value, str):
        text = value
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = repr(value)
    text = _CONTROL.sub(_escape, " ".join(text[: limit * 4].split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match[0]):02x}"


def show(value: object) -> str:
    """A value for a message: a string quoted and clipped, a container by its kind."""
    if isinstance(value, str):
        return f'"{clip(value)}"'
    return clip(value)


def kind(value: object) -> str:
    names = {dict: "a mapping", list: "a list", bool: "true/false", type(None): "nothing"}
    name = type(value).__name__
    return names.get(type(value), f"{'an' if name[0] in 'aeiou' else 'a'} {name}")


def frontmatter_format(raw: bytes) -> Format | None:
    """The frontmatter format of a post file's bytes by its opening line, or None."""
    text = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n")  # a slice: no copy of the whole file
    if text.startswith(b"+++"):
        return "toml"
    if text.startswith(b"{") or text.startswith(b"---json"):
        return "json"
    return "yaml" if text.startswith(b"---") else None


def read_frontmatter(path: Path, raw: bytes, *, body: bool = True) -> tuple[dict[str, Any], str]:
    """The frontmatter mapping and the body, or a PostError; ``body=False`` skips copying
    the body (giving ""), a good part of the cost of scanning a large blog."""
    meta, text, _format = read_frontmatter_as(path, raw, body=body)
    return meta, text


def read_frontmatter_as(
    path: Path, raw: bytes, *, body: bool = True
) -> tuple[dict[str, Any], str, Format]:
    """:func:`read_frontmatter`, and the format the frontmatter was written in."""
    if b"\x00" in raw:
        raise PostError(path, "contains NUL bytes; not a text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = f"byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        raise PostError(path, f"is not UTF-8 text ({where})") from exc
    text = text.removeprefix("\ufeff")
    if "\r" in text:  # rare; replace() would scan every file twice even when there is none
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    rest = text.lstrip()
    skipped_lines = text[: len(text) - len(rest)].count("\n")
    if rest.startswith("+++"):
        return (*_read_toml(path, rest, body), "toml")
    if rest.startswith("{") or (rest.startswith("---j") and _JSON_OPENING.match(rest)):
        return (*_read_json(path, rest, body), "json")
    opening = _YAML_OPENING.match(rest)
    if opening is None:
        raise PostError(
            path, "does not start with a '---' frontmatter block (nor '+++' TOML, nor JSON)"
        )
    closing = _BOUNDARY.search(rest, opening.end())  # as python-frontmatter's split()
    if closing is None:
        raise PostError(path, "frontmatter has no closing '---' line")
    fm = rest[opening.end() : closing.start()]
    first_line = skipped_lines + rest[: opening.end()].count("\n")  # 0-based line of fm[0]
    try:
        data = yaml.load(fm, Loader=_Loader)
    except DuplicateKey as exc:
        raise _duplicate_error(path, exc, first_line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {first_line + mark.line + 1}: " if mark is not None else ""
        what = clip(exc.problem or exc.context or "syntax error", 120)
        raise PostError(path, f"frontmatter is not valid YAML ({where}{what})") from exc
    except (yaml.YAMLError, *_YAML_LEAKS) as exc:
        what = "cannot build a value: " + clip(str(exc) or type(exc).__name__, 120)
        raise PostError(path, f"frontmatter is not valid YAML ({what})") from exc
    return _mapping(path, data), rest[closing.end() :].strip() if body else "", "yaml"


def _mapping(path: Path, data: object) -> dict[str, Any]:
    if data is None:
        raise PostError(path, "frontmatter is empty")
    if not isinstance(data, dict):
        raise PostError(path, f"frontmatter must be a mapping of keys to values, got {kind(data)}")
    return data


def _read_toml(path: Path, rest: str, body: bool) -> tuple[dict[str, Any], str]:
    """A ``+++`` block, read by tomllib (which refuses a key given twice)."""
    opening = _TOML_BOUNDARY.match(rest)
    closing = None if opening is None else _TOML_BOUNDARY.search(rest, opening.end())
    if opening is None or closing is None:
        raise PostError(path, "frontmatter has no closing '+++' line")
    try:
        data = tomllib.loads(rest[opening.end() : closing.start()])
    except tomllib.TOMLDecodeError as exc:
        raise PostError(path, f"frontmatter is not valid TOML ({clip(str(exc), 120)})") from exc
    return _mapping(path, data or None), rest[closing.end() :].strip() if body else ""


def _read_json(path: Path, rest: str, body: bool) -> tuple[dict[str, Any], str]:
    """A JSON object opening the file (Hugo), or a ``---json`` block (Eleventy)."""
    if rest.startswith("{"):
        closing = _JSON_CLOSING.search(rest)
        if closing is None:
            raise PostError(path, "JSON frontmatter has no closing '}' line")
        block, after = rest[: closing.end()], rest[closing.end() :]
    else:
        start = rest.index("\n") + 1 if "\n" in rest else len(rest)
        end = _BOUNDARY.search(rest, start)
        if end is None:
            raise PostError(path, "frontmatter has no closing '---' line")
        block, after = rest[start : end.start()], rest[end.end() :]
    try:
        data = json.loads(block, object_pairs_hook=_unique_pairs)
    except _JsonDuplicate as exc:
        name = clip(exc.key)
        message = f"{name} is given twice in the frontmatter; keep one"
        raise PostError(path, message, field=name) from None
    except ValueError as exc:
        raise PostError(path, f"frontmatter is not valid JSON ({clip(str(exc), 120)})") from exc
    return _mapping(path, data), after.strip() if body else ""


class _JsonDuplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _JsonDuplicate(key)
        mapping[key] = value
    return mapping


def _duplicate_error(path: Path, exc: DuplicateKey, first_line: int) -> PostError:
    lines = f"lines {first_line + exc.first + 1} and {first_line + exc.second + 1}"
    if exc.top_level and isinstance(exc.key, str):
        name = clip(exc.key)
        message = f"{name} is given twice in the frontmatter ({lines}); keep one"
        return PostError(path, message, field=name)
    message = f"frontmatter gives the key {show(exc.key)} twice in one mapping ({lines}); keep one"
    return PostError(path, message)
