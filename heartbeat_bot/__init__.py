"""heartbeat-bot: announce blog posts on Discourse, Discord and X, exactly once."""

from __future__ import annotations

# The one place the version is written: pyproject.toml reads it from here (a constant, so
# `--version` imports nothing).
__version__ = "0.1.0"
