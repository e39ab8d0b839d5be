"""The webhook body as bytes: what is stored, signed and sent (pure, shared by the renderer
and the client)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def encode(body: Mapping[str, Any]) -> str:
    """The body as the JSON text that is signed and sent (UTF-8, keys sorted, no spaces):
    the same body always gives the same text, so a resend is byte-identical."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
