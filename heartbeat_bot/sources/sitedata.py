"""I/O: the data files a blog keeps beside its posts: author and tag maps.

Docusaurus's ``authors.yml`` (``id: {name: ...}``) and ``tags.yml`` (``key: {label: ...}``),
or any YAML or JSON file shaped the same way (a plain ``id: Name`` also works). A file
that is missing gives an empty map; one that cannot be used is recorded in ``errors`` and
gives an empty map, so posts still show their ids.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from heartbeat_bot.errors import PostError

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


def _read_map(path: Path, errors: list[PostError]) -> dict[Any, Any]:
    if not path.is_file():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_Loader)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        errors.append(PostError(path, f"cannot be read as YAML or JSON ({exc})"))
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        errors.append(PostError(path, "must map ids to entries; ids are shown instead"))
        return {}
    return data


def _names(path: Path, errors: list[PostError], field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, entry in _read_map(path, errors).items():
        value = entry.get(field) if isinstance(entry, dict) else entry
        if isinstance(value, str) and value.strip():
            out[str(key)] = " ".join(value.split())
    return out


def read_authors_file(path: Path, errors: list[PostError]) -> dict[str, str]:
    """Author id → display name (each entry's ``name``)."""
    return _names(path, errors, "name")


def read_tags_file(path: Path, errors: list[PostError]) -> dict[str, str]:
    """Tag key → label (each entry's ``label``)."""
    return _names(path, errors, "label")


UNREADABLE = ("unreadable",)  # the stamp of an authors folder that cannot be listed


def authors_stamp(authors_file: Path | None, authors_dir: Path | None) -> object:
    """What changes when an author file is added, removed or edited."""
    file_stamp = None
    if authors_file is not None:
        try:
            info = authors_file.stat()
            file_stamp = (info.st_size, info.st_mtime_ns, info.st_ino)
        except OSError:
            file_stamp = None
    if authors_dir is None:
        return file_stamp
    try:
        with os.scandir(authors_dir) as listing:
            found = []
            for entry in listing:
                if entry.name.endswith(".md"):
                    info = entry.stat()
                    found.append((entry.name, info.st_size, info.st_mtime_ns, info.st_ino))
    except OSError:
        return UNREADABLE
    return (file_stamp, tuple(sorted(found)))
