"""Log lines on standard error for the commands: for people, or one JSON object per line,
with every configured secret masked. Loaded when a command runs, not for ``--help``."""

from __future__ import annotations

import json
import logging
from typing import Any


class _NoVoiceNotice(logging.Filter):
    """discord.py warns at every start that voice support is missing; we never use voice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


# Fields a log call may attach with ``extra={...}``; JSON lines carry them as keys.
LOG_FIELDS = ("event", "post", "channel", "state", "attempt", "wait", "url")


class _JsonLines(logging.Formatter):
    """One JSON object per log line, for log collectors, with the event's fields as keys."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in LOG_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                document[field] = value
        if record.exc_info:  # exc_text: as the redaction filter left it
            document["error"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False)


def configure_logging(level: str, style: str = "human") -> None:
    """One line per event on standard error, with every configured secret masked."""
    from heartbeat_bot.app.redaction import RedactSecrets

    handler = logging.StreamHandler()
    handler.addFilter(RedactSecrets())
    if style == "json":
        handler.setFormatter(_JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("discord.client").addFilter(_NoVoiceNotice())
    # One line per event of ours: the libraries' per-request and per-job lines are noise.
    # oauthlib and requests_oauthlib print the X keys at DEBUG, in every signed request.
    for noisy in ("apscheduler", "httpx", "watchfiles", "oauthlib", "requests_oauthlib"):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.WARNING))
