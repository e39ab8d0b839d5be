"""OAuth 1.0a (HMAC-SHA1) verification for the fake X, as X checks user-context calls.

Clients sign the REAL URL (tweepy hard-codes ``https://api.twitter.com``) and a transport
adapter then sends the request here, so the signature is recomputed for the real host
plus the path and query received. A JSON body is not signed (only form bodies are), but
oauthlib adds ``oauth_body_hash`` for it, which is checked when present.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from oauthlib.oauth1.rfc5849 import signature, utils  # type: ignore[import-untyped]

REAL_HOSTS = ("https://api.twitter.com", "https://api.x.com")
TIMESTAMP_SKEW_SECONDS = 300
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class OAuthKeys:
    """The app's consumer key pair and the user's access token pair."""

    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str


class OAuthVerifier:
    """Checks signatures, keys, timestamps and nonce reuse (a replayed nonce is refused)."""

    def __init__(self, keys: OAuthKeys) -> None:
        self.keys = keys
        self._lock = threading.Lock()
        self._nonces: dict[tuple[str, str], float] = {}

    def problem(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> str | None:
        """None when the request is correctly signed with our keys, else why it is not."""
        header = headers.get("Authorization", "")
        if not header.startswith("OAuth "):
            return "no OAuth Authorization header"
        try:
            pairs = utils.parse_authorization_header(header)
            oauth = {key: utils.unescape(value) for key, value in pairs}
        except (ValueError, IndexError):
            return "malformed Authorization header"
        if oauth.get("oauth_signature_method") != "HMAC-SHA1":
            return "signature method is not HMAC-SHA1"
        if oauth.get("oauth_consumer_key") != self.keys.consumer_key:
            return "unknown consumer key"
        if oauth.get("oauth_token") != self.keys.access_token:
            return "unknown access token"
        stamp = oauth.get("oauth_timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > TIMESTAMP_SKEW_SECONDS:
            return "timestamp out of bounds"
        if "oauth_body_hash" in oauth:
            digest = base64.b64encode(hashlib.sha1(body).digest()).decode("ascii")
            if not hmac.compare_digest(digest, oauth["oauth_body_hash"]):
                return "body hash mismatch"
        form = body.decode("utf-8") if headers.get("Content-Type", "").startswith(FORM) else None
        params = signature.collect_parameters(
            uri_query=query, body=form, headers={"Authorization": header}
        )
        normalized = signature.normalize_parameters(params)
        given = oauth.get("oauth_signature", "")
        for host in REAL_HOSTS:
            base = signature.signature_base_string(
                method.upper(), signature.base_string_uri(host + path), normalized
            )
            if hmac.compare_digest(self._sign(base), given):
                return self._replayed(oauth.get("oauth_nonce", ""), stamp)
        return "signature mismatch"

    def _sign(self, base_string: str) -> str:
        """HMAC-SHA1 of the base string, keyed by both secrets (RFC 5849, section 3.4.2)."""
        keys = self.keys
        key = f"{utils.escape(keys.consumer_secret)}&{utils.escape(keys.access_token_secret)}"
        digest = hmac.new(key.encode("utf-8"), base_string.encode("utf-8"), hashlib.sha1).digest()
        return base64.b64encode(digest).decode("ascii")

    def _replayed(self, nonce: str, stamp: str) -> str | None:
        now = time.time()
        with self._lock:
            self._nonces = {
                key: seen
                for key, seen in self._nonces.items()
                if now - seen < 2 * TIMESTAMP_SKEW_SECONDS
            }
            if (nonce, stamp) in self._nonces:
                return "nonce already used"
            self._nonces[(nonce, stamp)] = now
        return None
