"""``[web]`` and ``[web.users]``: who may open the console on the service's listener."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, SecretStr, field_validator

from heartbeat_bot.config.fields import DAY, SECONDS, Section

# What `heartbeat-bot web hash-password` prints: scrypt$<n>$<r>$<p>$<salt>$<key>, the salt
# and the derived key in unpadded URL-safe base64.
HASH_FORM = re.compile(r"scrypt\$\d{1,8}\$\d{1,3}\$\d{1,3}\$[A-Za-z0-9_-]{16,}\$[A-Za-z0-9_-]{32,}")
ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

SessionSeconds = Annotated[float, SECONDS, Field(ge=1.0, le=30 * DAY, allow_inf_nan=False)]


def _check_hash(value: SecretStr, where: str) -> SecretStr:
    if not HASH_FORM.fullmatch(value.get_secret_value()):
        raise ValueError(
            f"{where}must be a hash printed by `heartbeat-bot web hash-password` "
            "(scrypt$...), not a password"
        )
    return value


class WebConfig(Section):
    """The console: off until an account has a password hash."""

    # The account "admin"; a hash, never the password itself.
    password_hash: SecretStr | None = None
    # More accounts: name = hash.
    users: dict[str, SecretStr] = Field(default_factory=dict)
    # How long a login lasts, in seconds (1 to 2592000).
    session_ttl: SessionSeconds = 43_200.0

    @field_validator("password_hash")
    @classmethod
    def _hash(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else _check_hash(value, "")

    @field_validator("users")
    @classmethod
    def _users(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, secret in value.items():
            if not ACCOUNT_NAME.fullmatch(name):
                raise ValueError(
                    f"account name {name!r} must be letters, digits, '.', '_' or '-' (at most 64)"
                )
            _check_hash(secret, f"{name}: ")
        return value

    def accounts(self) -> dict[str, str]:
        """Every account's name and password hash ("admin" for ``password_hash``)."""
        found = {name: secret.get_secret_value() for name, secret in self.users.items()}
        if self.password_hash is not None:
            found["admin"] = self.password_hash.get_secret_value()
        return found
