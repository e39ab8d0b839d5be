"""Password hashes for the console's accounts: scrypt, as ``hashlib`` offers it.

A hash reads ``scrypt$<n>$<r>$<p>$<salt>$<key>`` (salt and key in unpadded URL-safe
base64), so its cost travels with it and can be raised later without breaking old ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# scrypt's cost: 2**15 rounds of 8 blocks, 32 MiB of memory, some 0.1 s per check.
COST_N, COST_R, COST_P = 2**15, 8, 1
KEY_BYTES = 32
SALT_BYTES = 16
MIN_PASSWORD = 8


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * n * r + 2**20,
        dklen=KEY_BYTES,
    )


def hash_password(password: str) -> str:
    """A new salted scrypt hash of ``password``; ValueError when it is too short."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must be at least {MIN_PASSWORD} characters long")
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, COST_N, COST_R, COST_P)
    return f"scrypt${COST_N}${COST_R}${COST_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches ``hashed`` (compared in constant time)."""
    try:
        scheme, n, r, p, salt, key = hashed.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(key)
        derived = _derive(password, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(derived, expected)


# Checked against when the name is unknown, so a wrong name costs as long as a wrong password.
DUMMY_HASH = f"scrypt${COST_N}${COST_R}${COST_P}${_b64(b'0' * SALT_BYTES)}${_b64(b'0' * KEY_BYTES)}"
