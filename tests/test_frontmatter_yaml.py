"""The frontmatter's YAML loader takes shortcuts for text and remembered scalar types: every
value must still come out exactly as PyYAML's own safe loader builds it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from heartbeat_bot.errors import PostError
from heartbeat_bot.posts import frontmatter
from heartbeat_bot.posts.frontmatter import read_frontmatter
from tests.conftest import CORPUS

_FRONTMATTER = re.compile(r"\A---\n(.*?)\n---", re.DOTALL)

TRICKY = """\
title: yes
other: "yes"
flags: [yes, No, on, OFF, true, ~, null, Null, '']
numbers: [1, -2, +3, 0x1F, 0o17, 1_000, 1e3, .5, .inf, -.Inf, .nan, 1.0.0]
dates: [2024-01-02, 2024-01-02T03:04:05Z, 2024-1-2 3:04:05 +01:00, 2024-13-45]
strings: [!!str 123, !!str true, "2024-01-02", '1e3', plain text, 12:30]
anchor: &a shared text
alias: *a
mapped: &m {x: 1, y: two}
merged: {<<: *m, y: three}
nested: {a: [1, {b: yes}], c: {d: 2024-01-02}}
"""
TRICKY += "long: " + " ".join(["word"] * 40) + "\n"


def _reference(text: str) -> Any:
    """PyYAML's own safe loader (libyaml), with an impossible date kept as text as ours does."""

    class Reference(yaml.CSafeLoader):
        pass

    def lenient(loader: Reference, node: yaml.ScalarNode) -> Any:
        try:
            return loader.construct_yaml_timestamp(node)
        except ValueError:
            return loader.construct_scalar(node)

    Reference.add_constructor("tag:yaml.org,2002:timestamp", lenient)
    return yaml.load(text, Loader=Reference)


def _ours(text: str) -> dict[str, Any]:
    meta, _body = read_frontmatter(Path("post.md"), f"---\n{text}\n---\nBody.\n".encode())
    return meta


def test_tricky_values_as_pyyaml_builds_them() -> None:
    """Booleans, nulls, numbers, dates, tagged text, anchors, aliases and merges come out of
    our loader exactly as PyYAML builds them, the second time (types remembered) too."""
    expected = _reference(TRICKY)
    first, second = _ours(TRICKY), _ours(TRICKY)
    assert first == expected and second == expected
    assert [type(v) for v in first["numbers"]] == [type(v) for v in expected["numbers"]]
    assert first["title"] is True and first["other"] == "yes"
    assert first["strings"][:2] == ["123", "true"]
    assert first["merged"] == {"x": 1, "y": "three"}


@pytest.mark.parametrize("value", ["yes", "1e3", "2024-01-02", "~", "0x1F", "text"])
def test_a_remembered_type_follows_the_text_not_its_quotes(value: str) -> None:
    """A quoted scalar is text even when the same text, plain, was remembered as another
    type just before."""
    plain, quoted = _ours(f"k: {value}"), _ours(f"k: '{value}'")
    assert plain == _reference(f"k: {value}")
    assert quoted == {"k": value}


def test_every_corpus_post_as_pyyaml_builds_it() -> None:
    """Every corpus post's frontmatter loads to the same mapping as with PyYAML's loader."""
    files = sorted(CORPUS.rglob("*.md"))
    assert len(files) > 100
    compared = 0
    for path in files:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        found = _FRONTMATTER.match(text)
        if found is None:
            continue
        expected = _reference(found[1])
        if not isinstance(expected, dict):
            continue
        meta, _body = read_frontmatter(path, path.read_bytes())
        assert meta == expected, path
        compared += 1
    assert compared > 100


def test_no_resolver_types_every_scalar() -> None:
    """Text starting as no typed value can is taken as text at once: that holds only while
    no implicit resolver applies whatever the first character (PyYAML's key None)."""
    assert None not in frontmatter._TYPED_STARTS
    assert "" in frontmatter._TYPED_STARTS and "y" in frontmatter._TYPED_STARTS
    assert _ours("k: Some text\nn: nothing\nz: ~") == {"k": "Some text", "n": "nothing", "z": None}


def test_a_document_that_refers_to_itself_as_pyyaml_builds_it() -> None:
    """A frontmatter mapping holding aliases to itself (as a value, in a list, in a mapping)
    holds that very mapping, as PyYAML builds it."""
    ours = _ours("&doc\ntitle: T\nself: *doc\nlist: [*doc]\nmap: {back: *doc}")
    assert ours["self"] is ours and ours["list"][0] is ours and ours["map"]["back"] is ours
    expected = _reference("&doc\ntitle: T\nself: *doc")
    assert expected["self"] is expected and set(ours) >= set(expected)


@pytest.mark.parametrize(
    "text",
    [
        "1: one\ntitle: x",
        "2024-01-02: day\ntitle: x",
        "yes: flag\ntitle: x",
        "<<: {m: 1, title: y}\ntitle: x",
        "? [a, b]\n: pair\ntitle: x",
        "!!str 12: twelve\ntitle: x",
        "title: x\ntags: &t [a, b]\nsame: *t",
    ],
)
def test_keys_that_are_not_plain_text_as_pyyaml_builds_them(text: str) -> None:
    """A frontmatter whose keys are not all plain text (a number, a date, true, a merge, a
    list) or whose values share an anchor loads as PyYAML loads it."""
    if text.startswith("? ["):  # a list is no dictionary key: an error in both
        with pytest.raises(PostError):
            _ours(text)
        with pytest.raises(yaml.YAMLError):
            _reference(text)
        return
    ours, expected = _ours(text), _reference(text)
    assert ours == expected and list(ours) == list(expected)
    if "same" in ours:
        assert ours["same"] is ours["tags"]
