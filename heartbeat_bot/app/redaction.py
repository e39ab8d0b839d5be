"""Keeping the configured secrets out of every log line and error we print.

Our own code never logs a secret, but libraries do: at DEBUG, oauthlib and
requests_oauthlib print the X keys in every signed request, and any library may quote a
URL with a password in it (``https://user:pass@host``). :class:`RedactSecrets` sits on the
log handler, so it sees every record of every logger, and masks each configured secret
value, and the user-info of any URL, before the record is written.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

from pydantic import BaseModel, SecretStr

MASK = "***"
MIN_LENGTH = 6
"""Shorter values are not masked: they would garble ordinary words, and are no secret."""

_USERINFO = re.compile(r"(?<=://)[^/@\s:]*:[^/@\s]*@")
_SECRETS: set[str] = set()


def secret_values(config: BaseModel) -> set[str]:
    """Every secret in ``config``: its ``SecretStr`` values, the long path segments of
    secret URLs (a webhook's token), and the password of any URL with user-info; also
    the encoded forms in which they travel (Basic auth, percent-encoding)."""
    found: set[str] = set()
    for value in _leaves(config):
        if isinstance(value, SecretStr):
            text = value.get_secret_value()
            found.update({text, quote(text, safe="")})
            found.update(s for s in urlsplit(text).path.split("/") if len(s) >= 16)
            found.add(base64.b64encode(f"x-access-token:{text}".encode()).decode())
        elif isinstance(value, str) and "://" in value:
            parts = urlsplit(value)
            if parts.password:
                found.update({parts.password, unquote(parts.password)})
                pair = f"{unquote(parts.username or '')}:{unquote(parts.password)}"
                found.add(base64.b64encode(pair.encode()).decode())
    return {value for value in found if len(value) >= MIN_LENGTH}


def _leaves(model: BaseModel) -> Iterable[object]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _leaves(value)
        elif isinstance(value, list | tuple):
            yield from value
        else:
            yield value


def register(config: BaseModel) -> None:
    """Mask ``config``'s secrets from now on, in logs and in :func:`scrub`."""
    _SECRETS.update(secret_values(config))


def scrub(text: str) -> str:
    """``text`` with every registered secret and every URL's user-info masked."""
    text = _USERINFO.sub(f"{MASK}@", text)
    for secret in sorted(_SECRETS, key=len, reverse=True):  # longest first: no fragments
        text = text.replace(secret, MASK)
    return text


class RedactSecrets(logging.Filter):
    """A handler filter masking secrets in the message and the traceback of each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
