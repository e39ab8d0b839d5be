"""heartbeat-bot: announce blog posts on Discourse, Discord and X, exactly once."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # Looked up lazily: importlib.metadata is slow to import, and --help should be instant.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("heartbeat-bot")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0+unknown"
    raise AttributeError(name)
