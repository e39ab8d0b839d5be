"""The ``--json`` documents of the commands: one versioned shape each.

Every document is an object ``{"version": 1, ...}``, lists under ``"items"``. Adding a
field or a channel keeps the version; removing or renaming a field raises it. Each shape
is published as a JSON Schema in ``heartbeat_bot/schemas/`` (``schema_path(kind)``), and
the tests validate every command's output against it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

VERSION = 1
KINDS = ("list", "status", "announce", "check", "preview")


def document(**fields: Any) -> dict[str, Any]:
    """A command's JSON document: the version first, then its fields."""
    return {"version": VERSION, **fields}


def schema_path(kind: str) -> Path:
    """Where the JSON Schema of ``kind``'s document is (shipped in the package)."""
    if kind not in KINDS:
        raise ValueError(f"no schema for {kind!r}")
    return Path(str(resources.files("heartbeat_bot") / "schemas" / f"{kind}.schema.json"))


def outcome_item(outcome: Any) -> dict[str, Any]:
    """One channel's result of an announce, as JSON values."""
    return {
        "state": outcome.state,
        "action": outcome.action,
        "url": outcome.url,
        "note": outcome.note or None,
        "next_attempt_at": outcome.next_attempt_at,
    }


def report_item(report: Any) -> dict[str, Any]:
    """One post's announce report, as JSON values."""
    post = report.post
    return {
        "post": {"slug": post.slug, "url": post.url, "title": post.title},
        "ok": bool(report.ok),
        "outcomes": {name: outcome_item(o) for name, o in report.outcomes.items()},
        "notes": list(report.notes),
    }
