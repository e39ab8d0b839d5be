"""The Bluesky session kept between runs: tokens in a file only its owner can read.

``createSession`` (signing in with the app password) is rate limited to 30 per 5 minutes
and 300 a day per account, so the session is created once and then refreshed: its tokens
are kept in the state folder, in ``bluesky-session.json``, written atomically with mode
0600 (a looser file is tightened when read). The tokens are secrets: :class:`Session`
never shows them in its ``repr``, and nothing here logs them.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILE_NAME = "bluesky-session.json"


@dataclass(frozen=True)
class Session:
    """A signed-in session: the account and its two tokens."""

    did: str
    handle: str
    access_jwt: str = field(repr=False)
    refresh_jwt: str = field(repr=False)


def expires_at(token: str) -> float | None:
    """The ``exp`` claim of a JWT (epoch seconds), read without checking the signature."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


class SessionFile:
    """The session of one account (``identifier``) on one PDS (``service``), on disk."""

    def __init__(self, path: Path, *, service: str, identifier: str) -> None:
        self.path = path
        self._service = service
        self._identifier = identifier.lower()

    def load(self) -> Session | None:
        """The stored session, or None (no file, another account or PDS, a damaged file)."""
        try:
            mode = self.path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                os.chmod(self.path, 0o600)
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring the Bluesky session in %s: %s", self.path, type(exc).__name__)
            return None
        if not isinstance(data, dict):
            return None
        if data.get("service") != self._service or data.get("identifier") != self._identifier:
            return None
        values = [data.get(k) for k in ("did", "handle", "accessJwt", "refreshJwt")]
        if not all(isinstance(v, str) and v for v in values):
            return None
        return Session(*[str(v) for v in values])

    def save(self, session: Session) -> None:
        """Replace the stored session (atomically; the file is only ever mode 0600)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(
            {
                "service": self._service,
                "identifier": self._identifier,
                "did": session.did,
                "handle": session.handle,
                "accessJwt": session.access_jwt,
                "refreshJwt": session.refresh_jwt,
            }
        ).encode()
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, body)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.path)

    def clear(self) -> None:
        """Forget the stored session (the PDS refused it)."""
        self.path.unlink(missing_ok=True)
