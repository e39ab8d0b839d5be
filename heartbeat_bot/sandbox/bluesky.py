"""A fake Bluesky PDS: app-password sessions, post records, blobs, XRPC errors, rate limits.

Written from the lexicons and the PDS source (bluesky-social/atproto, packages/pds):

- ``com.atproto.server.createSession`` takes the handle (or DID) and an app password and
  answers ``accessJwt`` (valid 120 minutes) and ``refreshJwt`` (90 days); it is rate
  limited per identifier to 30 per 5 minutes and 300 per day. ``refreshSession``, called
  with the refresh token as bearer, rotates it: the old one keeps working for a grace
  period (2 hours), giving the same next token, then says ``ExpiredToken``.
- An expired access token is ``400 ExpiredToken`` "Token has expired"; one it cannot
  verify ``400 InvalidToken``; none ``401 AuthMissing``.
- ``com.atproto.repo.createRecord`` checks the record (``bluesky_rules``) and the record
  key (a TID for posts). A create at a key already used is answered, as today's PDS
  answers it, with ``500 InternalServerError`` (atproto #3718), not a conflict.
- ``getRecord`` answers ``400 RecordNotFound``; ``listRecords`` lists newest key first.
- ``uploadBlob`` takes up to 5 MiB (``413 PayloadTooLarge`` past it).
- Every error is ``{"error": Name, "message": text}``. Rate-limited calls carry
  ``RateLimit-Limit``, ``-Remaining``, ``-Reset`` (epoch seconds) and ``-Policy``; a 429 is
  ``RateLimitExceeded`` with ``Retry-After``. Writes cost 3 points of 5000 an hour.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from heartbeat_bot.sandbox.bluesky_rules import (
    POST,
    BlobMissing,
    Invalid,
    check_post,
    check_rkey,
    cid_for,
    record_cid,
)
from heartbeat_bot.sandbox.bluesky_xrpc import (
    MESSAGES,
    Bucket,
    Token,
    b64,
    json_body,
    limit_headers,
    tid,
    xrpc_error,
)
from heartbeat_bot.sandbox.faults import Faults
from heartbeat_bot.sandbox.server import JSON, RequestLog, Service, Settings

XRPC = "/xrpc/"
ACCESS_SECONDS = 120 * 60
REFRESH_SECONDS = 90 * 86400
REFRESH_GRACE_SECONDS = 2 * 3600
BLOB_LIMIT = 5 * 1024 * 1024


class BlueskyService(Service):
    """One account (``handle``, ``did``) signing in with one app password.

    Knobs a test may set: ``access_seconds`` (access token lifetime), ``refresh_grace``,
    ``session_limits`` (the createSession windows: ``[(points, seconds), ...]``),
    ``write_points`` (the hourly write budget).
    """

    name = "bluesky"
    items_key = "records"

    def __init__(
        self,
        faults: Faults,
        log: RequestLog,
        settings: Settings,
        *,
        handle: str,
        did: str,
        app_password: str,
    ) -> None:
        super().__init__(faults, log, settings)
        self.handle, self.did, self.app_password = handle, did, app_password
        self.access_seconds = ACCESS_SECONDS
        self.refresh_grace = REFRESH_GRACE_SECONDS
        self.session_limits = [(30, 300), (300, 86400)]
        self.write_points = 5000
        self.blob_limit = BLOB_LIMIT
        self.sessions_created = 0
        self._key = secrets.token_bytes(32)
        self._tokens: dict[str, Token] = {}
        self._records: dict[tuple[str, str], JSON] = {}
        self._blobs: dict[str, JSON] = {}
        self._buckets: dict[str, Bucket] = {}

    # --- Service ---------------------------------------------------------------------

    def _items(self) -> list[JSON]:
        return [self._records[key] for key in sorted(self._records)]

    @property
    def posts(self) -> list[JSON]:
        """The post records, oldest key first: ``uri``, ``cid``, ``rkey``, ``value``."""
        return [r for r in self.snapshot() if r["collection"] == POST]

    def error_response(self, status: int) -> web.Response:
        if status in (404, 405):
            return xrpc_error(501, "Method Not Implemented", "MethodNotImplemented")
        return xrpc_error(status, MESSAGES.get(status, "Internal Server Error"))

    def rate_limited_response(self) -> web.Response:
        wait = self.settings.rate_limit_wait
        bucket = Bucket(3000, 300, 3000, time.time())
        return self._limited(bucket, wait, time.time() + wait)

    def _limited(self, bucket: Bucket, wait: float, reset: float) -> web.Response:
        response = xrpc_error(429, "Rate Limit Exceeded")
        response.headers.update(limit_headers(bucket, 0, reset))
        response.headers["Retry-After"] = str(max(0, math.ceil(wait)))
        return response

    def routes(self) -> list[web.RouteDef]:
        calls: dict[str, Callable[[web.Request], Any]] = {
            "com.atproto.server.createSession": self._create_session,
            "com.atproto.server.refreshSession": self._refresh_session,
            "com.atproto.repo.createRecord": self._create_record,
            "com.atproto.repo.uploadBlob": self._upload_blob,
        }
        queries: dict[str, Callable[[web.Request], Any]] = {
            "com.atproto.server.getSession": self._get_session,
            "com.atproto.repo.getRecord": self._get_record,
            "com.atproto.repo.listRecords": self._list_records,
        }
        routes = [web.post(XRPC + name, handler) for name, handler in calls.items()]
        routes += [web.get(XRPC + name, handler) for name, handler in queries.items()]
        return routes

    # --- rate limits -----------------------------------------------------------------

    def _consume(self, key: str, points: int, seconds: int, cost: int) -> web.Response | None:
        """Spend ``cost`` of bucket ``key``; a 429 when it is used up (nothing spent)."""
        now = time.time()
        with self._lock:
            bucket = self._buckets.setdefault(key, Bucket(points, seconds, 0, now))
            bucket.points = points
            left, reset = bucket.status(now)
            if left < cost:
                return self._limited(bucket, reset - now, reset)
            bucket.used += cost
            return None

    def _headers_for(self, key: str) -> dict[str, str]:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return {}
            left, reset = bucket.status(time.time())
            return limit_headers(bucket, left, reset)

    # --- tokens ------------------------------------------------------------------------

    def _jwt(self, kind: str, jti: str, lifetime: float) -> str:
        now = int(time.time())
        scope = "com.atproto.appPass" if kind == "access" else "com.atproto.refresh"
        claims = {"scope": scope, "sub": self.did, "iat": now, "exp": now + int(lifetime)}
        if kind == "refresh":
            claims["jti"] = jti
        header = b64({"typ": "at+jwt" if kind == "access" else "refresh+jwt", "alg": "HS256"})
        body = f"{header}.{b64(claims)}"
        signature = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        token = f"{body}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"
        self._tokens[token] = Token(kind, time.time() + lifetime, jti)
        return token

    def _new_session(self, jti: str | None = None) -> JSON:
        jti = jti or secrets.token_urlsafe(24)
        return {
            "accessJwt": self._jwt("access", "", self.access_seconds),
            "refreshJwt": self._jwt("refresh", jti, REFRESH_SECONDS),
            "handle": self.handle,
            "did": self.did,
            "active": True,
        }

    def _bearer(self, request: web.Request, kind: str) -> web.Response | Token:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return xrpc_error(401, "Authentication Required", "AuthMissing")
        with self._lock:
            token = self._tokens.get(header[len("Bearer ") :])
        if token is None:
            return xrpc_error(400, "Token could not be verified", "InvalidToken")
        if token.kind != kind:
            return xrpc_error(400, "Invalid token type", "InvalidToken")
        now = time.time()
        if now >= token.expires or (token.grace_until is not None and now >= token.grace_until):
            if token.kind == "refresh" and token.grace_until is not None:
                return xrpc_error(400, "Token has been revoked", "ExpiredToken")
            return xrpc_error(400, "Token has expired", "ExpiredToken")
        return token

    # --- server.* ----------------------------------------------------------------------

    async def _create_session(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        if isinstance(body, web.Response):
            return body
        identifier, password = body.get("identifier"), body.get("password")
        if not isinstance(identifier, str) or not isinstance(password, str):
            return xrpc_error(400, "Input must have the properties identifier and password")
        key = identifier.lower()
        for points, seconds in self.session_limits:
            refused = self._consume(f"session:{seconds}:{key}", points, seconds, 1)
            if refused is not None:
                return refused
        if key not in (self.handle.lower(), self.did) or password != self.app_password:
            return xrpc_error(401, "Invalid identifier or password", "AuthenticationRequired")
        with self._lock:
            self.sessions_created += 1
            session = self._new_session()
        headers = self._headers_for(f"session:{self.session_limits[0][1]}:{key}")
        return web.json_response(session, headers=headers)

    async def _refresh_session(self, request: web.Request) -> web.Response:
        token = self._bearer(request, "refresh")
        if isinstance(token, web.Response):
            return token
        now = time.time()
        with self._lock:
            # Reusing a refresh token within its grace period gives the same next id.
            if token.next_jti is None:
                token.next_jti = secrets.token_urlsafe(24)
                token.grace_until = now + self.refresh_grace
            session = self._new_session(token.next_jti)
        return web.json_response(session)

    async def _get_session(self, request: web.Request) -> web.Response:
        token = self._bearer(request, "access")
        if isinstance(token, web.Response):
            return token
        return web.json_response({"handle": self.handle, "did": self.did, "active": True})

    # --- repo.* ------------------------------------------------------------------------

    def _repo_matches(self, repo: object) -> bool:
        return isinstance(repo, str) and repo.lower() in (self.did, self.handle.lower())

    async def _create_record(self, request: web.Request) -> web.Response:
        token = self._bearer(request, "access")
        if isinstance(token, web.Response):
            return token
        body = await json_body(request)
        if isinstance(body, web.Response):
            return body
        collection, record = body.get("collection"), body.get("record")
        if not isinstance(collection, str) or not isinstance(record, dict):
            return xrpc_error(400, "Input must have the properties repo, collection and record")
        if not self._repo_matches(body.get("repo")):
            return xrpc_error(401, "Authentication Required", "AuthenticationRequired")
        rkey = body.get("rkey")
        if rkey is None:
            rkey = tid(int(time.time() * 1_000_000), secrets.randbelow(1024))
        if not isinstance(rkey, str):
            return xrpc_error(400, "Input/rkey must be a string")
        try:
            check_rkey(collection, rkey)
            if record.get("$type", collection) != collection:
                raise Invalid(f"Invalid $type: must be {collection}, got {record.get('$type')}")
            if collection == POST and body.get("validate") is not False:
                with self._lock:
                    blobs = dict(self._blobs)
                check_post(record, blobs)
        except BlobMissing as exc:
            return xrpc_error(400, str(exc), "BlobNotFound")
        except Invalid as exc:
            return xrpc_error(400, f"Invalid {collection} record: {exc}")
        refused = self._consume(f"write:{self.did}", self.write_points, 3600, 3)
        if refused is not None:
            return refused
        uri = f"at://{self.did}/{collection}/{rkey}"
        cid = record_cid(record)
        with self._lock:
            if (collection, rkey) in self._records:
                # What the PDS does today: the repo write fails deep down, as a 500.
                return xrpc_error(500, "Internal Server Error")
            rev = tid(int(time.time() * 1_000_000), 0)
            self._records[(collection, rkey)] = {
                "uri": uri,
                "cid": cid,
                "collection": collection,
                "rkey": rkey,
                "value": {"$type": collection, **record},
                "indexedAt": time.time(),
            }
        answer = {
            "uri": uri,
            "cid": cid,
            "commit": {"cid": cid_for(f"{uri}{rev}".encode()), "rev": rev},
            "validationStatus": "valid" if collection == POST else "unknown",
        }
        return web.json_response(answer, headers=self._headers_for(f"write:{self.did}"))

    async def _get_record(self, request: web.Request) -> web.Response:
        query = request.query
        repo, collection, rkey = query.get("repo"), query.get("collection"), query.get("rkey")
        if not repo or not collection or not rkey:
            return xrpc_error(400, "Params must have the properties repo, collection and rkey")
        uri = f"at://{repo}/{collection}/{rkey}"
        with self._lock:
            found = self._records.get((collection, rkey))
            if found is None or not self._repo_matches(repo):
                return xrpc_error(400, f"Could not locate record: {uri}", "RecordNotFound")
            if query.get("cid") and query["cid"] != found["cid"]:
                return xrpc_error(400, f"Could not locate record: {uri}", "RecordNotFound")
            data = {"uri": found["uri"], "cid": found["cid"], "value": found["value"]}
        return web.json_response(data)

    async def _list_records(self, request: web.Request) -> web.Response:
        query = request.query
        collection = query.get("collection")
        if not query.get("repo") or not collection:
            return xrpc_error(400, "Params must have the properties repo and collection")
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            return xrpc_error(400, "limit must be an integer")
        if not 1 <= limit <= 100:
            side = "greater than 100" if limit > 100 else "less than 1"
            return xrpc_error(400, f"limit can not be {side}")
        reverse = query.get("reverse") == "true"
        cursor = query.get("cursor")
        with self._lock:
            if not self._repo_matches(query["repo"]):
                return xrpc_error(400, f"Could not find repo: {query['repo']}", "RepoNotFound")
            keys = sorted((k for c, k in self._records if c == collection), reverse=not reverse)
            if cursor:
                keys = [k for k in keys if (k > cursor if reverse else k < cursor)]
            page = [self._records[(collection, k)] for k in keys[:limit]]
            records = [{"uri": r["uri"], "cid": r["cid"], "value": r["value"]} for r in page]
        data: JSON = {"records": records}
        if len(keys) > limit:
            data["cursor"] = page[-1]["rkey"]
        return web.json_response(data)

    async def _upload_blob(self, request: web.Request) -> web.Response:
        token = self._bearer(request, "access")
        if isinstance(token, web.Response):
            return token
        declared = request.content_length
        if declared is not None and declared > self.blob_limit:
            await request.release()
            return xrpc_error(413, "request entity too large", "PayloadTooLarge")
        data = await request.read()
        if len(data) > self.blob_limit:
            return xrpc_error(413, "request entity too large", "PayloadTooLarge")
        mime = request.headers.get("Content-Type", "").split(";")[0].strip() or "*/*"
        refused = self._consume(f"blob:{self.did}", 1000, 86400, 1)
        if refused is not None:
            return refused
        link = cid_for(data, raw=True)
        blob = {"$type": "blob", "ref": {"$link": link}, "mimeType": mime, "size": len(data)}
        with self._lock:
            self._blobs[link] = {"mimeType": mime, "size": len(data)}
        return web.json_response({"blob": blob})

    def expire(self, token: str) -> None:
        """End ``token`` now, as its lifetime running out would (a test's knob)."""
        with self._lock:
            found = self._tokens.get(token)
            if found is not None:
                found.expires = 0.0

    def blob_count(self) -> int:
        with self._lock:
            return len(self._blobs)
