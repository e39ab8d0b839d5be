"""How heartbeat-bot authenticates to the blog's git remote, without leaking the secret."""

from __future__ import annotations

import base64
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from heartbeat_bot.errors import ConfigError

# Credentials in a URL's user-info part ("https://user:secret@host/...").
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]*@")


@dataclass(frozen=True)
class GitAuth:
    """How to authenticate to the remote; both fields are optional.

    ``token`` is sent as HTTP Basic ``x-access-token:<token>`` (GitHub's form for app and
    personal tokens). ``ssh_key`` is a private key file used for SSH remotes. The token is
    left out of ``repr`` so that logging the settings cannot leak it.
    """

    token: str | None = field(default=None, repr=False)
    ssh_key: Path | None = None

    def __post_init__(self) -> None:
        # A line break in the token would inject extra HTTP headers.
        if self.token is not None and not re.fullmatch(r"[\x21-\x7e]+", self.token):
            raise ConfigError("the git token is empty or holds spaces or control characters")

    def redact(self, text: str) -> str:
        """``text`` without the token, its base64 forms or any credentials in a URL."""
        text = _USERINFO.sub(r"\1***@", text)
        if self.token:  # the longest form first, so no fragment of it is left behind
            for secret in (_b64(f"x-access-token:{self.token}"), _b64(self.token), self.token):
                text = text.replace(secret, "***")
        return text

    def env(self, url: str) -> dict[str, str]:
        """The variables that hand the credentials to one git call for ``url``."""
        env: dict[str, str] = {}
        if self.token and url.lower().startswith(("https://", "http://")):
            # No redirects: git would send the header on to the new host's later requests.
            header = f"Authorization: Basic {_b64(f'x-access-token:{self.token}')}"
            pairs = [("http.extraHeader", header), ("http.followRedirects", "false")]
            env = {"GIT_CONFIG_COUNT": str(len(pairs))}
            for i, (key, value) in enumerate(pairs):
                env |= {f"GIT_CONFIG_KEY_{i}": key, f"GIT_CONFIG_VALUE_{i}": value}
        if self.ssh_key is not None:
            if not self.ssh_key.is_file():
                raise ConfigError(f"the SSH key file {self.ssh_key} does not exist")
            key = shlex.quote(str(self.ssh_key.absolute()))
            # BatchMode: a key with a passphrase fails at once instead of waiting for input.
            opts = "-o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o BatchMode=yes"
            env["GIT_SSH_COMMAND"] = f"ssh -i {key} {opts}"
        return env


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")
