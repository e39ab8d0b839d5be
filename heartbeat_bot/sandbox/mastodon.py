"""A fake Mastodon instance: post, edit and read one account's statuses.

It answers as mastodon/mastodon does (``Api::V1::StatusesController``,
``Api::BaseController``, ``PostStatusService``, ``config/initializers/rack_attack.rb``):

- ``Authorization: Bearer <token>``; a missing or unknown token is 401
  ``{"error": "The access token is invalid"}``, a token without the scope an endpoint
  needs is 403 ``{"error": "This action is outside the authorized scopes"}``.
- ``POST /api/v1/statuses`` (JSON or form) with ``status``, ``in_reply_to_id``,
  ``visibility``, ``language``, ``spoiler_text``: a status over the instance's
  ``max_characters`` (counted by ``mastodon_rules``) or blank is 422
  ``{"error": "Validation failed: ..."}``; a missing parent is 404. An ``Idempotency-Key``
  seen within ``idempotency_ttl`` seconds (Mastodon: 3600) returns the status it created
  instead of a new one.
- ``PUT /api/v1/statuses/:id`` edits an own status (``edited_at``, a history entry).
- ``GET /api/v1/accounts/verify_credentials`` (scope ``read:accounts``) and
  ``/api/v1/accounts/:id/statuses`` (``read:statuses``, as every status read with a token:
  ``authorize_if_got_token! :read, :'read:statuses'``; ``limit`` up to 40,
  ``max_id``/``since_id``/``min_id``, a ``Link`` header), newest first; a status and its
  ``context`` (``read:statuses``).
- ``GET /api/v2/instance``: ``configuration.statuses.max_characters`` and
  ``characters_reserved_per_url``.
- Every authenticated answer carries ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` (an
  ISO 8601 time); past ``api_limit`` requests in 5 minutes, or ``status_limit`` statuses
  in 3 hours, the answer is 429 ``{"error": "Too many requests"}``.
"""

from __future__ import annotations

import time

from aiohttp import web

from heartbeat_bot.sandbox import mastodon_entities as entities
from heartbeat_bot.sandbox import mastodon_rules as rules
from heartbeat_bot.sandbox.faults import Faults
from heartbeat_bot.sandbox.mastodon_entities import Ids, iso_time
from heartbeat_bot.sandbox.server import JSON, RequestLog, Service, Settings

API_PERIOD = 300
STATUS_PERIOD = 3 * 3600
VISIBILITIES = ("public", "unlisted", "private", "direct")
READ_ACCOUNT = frozenset({"read", "read:accounts", "profile"})
READ_STATUSES = frozenset({"read", "read:statuses"})
WRITE_STATUSES = frozenset({"write", "write:statuses"})
_INVALID_TOKEN = {"error": "The access token is invalid"}
_OUT_OF_SCOPE = {"error": "This action is outside the authorized scopes"}
_TOO_MANY = {"error": "Too many requests"}
_NOT_FOUND = {"error": "Record not found"}
_REPLY_GONE = {"error": "The post you are trying to reply to does not appear to exist."}
_HTTP_NAMES = {
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class MastodonService(Service):
    """One account (``username``) on one instance, reached with one access token.

    Settable: ``max_characters``, ``url_chars`` (``characters_reserved_per_url``),
    ``api_limit`` (requests per 5 minutes), ``status_limit`` (statuses per 3 hours),
    ``idempotency_ttl`` (seconds an ``Idempotency-Key`` is remembered), ``scopes``.
    """

    name = "mastodon"
    items_key = "statuses"

    def __init__(
        self,
        faults: Faults,
        log: RequestLog,
        settings: Settings,
        *,
        access_token: str,
        username: str = "heartbeat",
        account_id: str = "109348213648219873",
        scopes: frozenset[str] = frozenset({"write:statuses", "read:accounts", "read:statuses"}),
    ) -> None:
        super().__init__(faults, log, settings)
        self.access_token = access_token
        self.username = username
        self.account_id = account_id
        self.scopes = scopes
        self.max_characters = 500
        self.url_chars = 23
        self.api_limit = 300
        self.status_limit = 300
        self.idempotency_ttl = 3600.0
        self._ids = Ids()
        self._statuses: list[JSON] = []
        self._keys: dict[str, tuple[float, str]] = {}
        self._calls: list[float] = []

    @property
    def statuses(self) -> list[JSON]:
        """Copies of every status: id, text (as sent), content, in_reply_to_id, visibility,
        language, created_at, edited_at, idempotency_key, history (earlier texts), deleted."""
        return self.snapshot()

    def _items(self) -> list[JSON]:
        return [{k: v for k, v in s.items() if not k.startswith("_")} for s in self._statuses]

    # --- shapes and headers ------------------------------------------------------------

    def error_response(self, status: int) -> web.Response:
        return self.json({"error": _HTTP_NAMES.get(status, "Error")}, status)

    def _reset(self, period: int, oldest: float | None) -> float:
        return (oldest if oldest is not None else time.time()) + period

    def rate_limited_response(self) -> web.Response:
        reset = iso_time(time.time() + self.settings.rate_limit_wait, 6)
        headers = {
            "X-RateLimit-Limit": str(self.api_limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset,
        }
        return self.json(_TOO_MANY, 429, headers)

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        if not request.path.startswith("/api/v1/"):
            return
        now = time.time()
        with self._lock:
            recent = [t for t in self._calls if now - t < API_PERIOD]
        reset = self._reset(API_PERIOD, min(recent) if recent else None)
        values = {
            "X-RateLimit-Limit": str(self.api_limit),
            "X-RateLimit-Remaining": str(max(self.api_limit - len(recent), 0)),
            "X-RateLimit-Reset": iso_time(reset, 6),
        }
        for name, value in values.items():
            response.headers.setdefault(name, value)

    # --- routes ------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        table = [
            ("GET", "/api/v2/instance", self._instance),
            ("GET", "/api/v1/accounts/verify_credentials", self._verify),
            ("GET", "/api/v1/accounts/{account_id}/statuses", self._account_statuses),
            ("POST", "/api/v1/statuses", self._create),
            ("GET", "/api/v1/statuses/{status_id}", self._show),
            ("GET", "/api/v1/statuses/{status_id}/context", self._context),
            ("PUT", "/api/v1/statuses/{status_id}", self._update),
            ("DELETE", "/api/v1/statuses/{status_id}", self._delete),
        ]
        # Rails routes take a trailing slash too (Mastodon.py asks for /api/v2/instance/).
        return [
            web.route(method, path + tail, handler)
            for method, path, handler in table
            for tail in ("", "/")
        ]

    def _admit(self, request: web.Request, needs: frozenset[str]) -> web.Response | None:
        """401/403 for the token, 429 past the 5-minute budget; else None (and counted)."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.access_token:
            return self.json(_INVALID_TOKEN, 401)
        if not needs & self.scopes:
            return self.json(_OUT_OF_SCOPE, 403)
        now = time.time()
        with self._lock:
            self._calls = [t for t in self._calls if now - t < API_PERIOD]
            if len(self._calls) >= self.api_limit:
                reset = iso_time(self._reset(API_PERIOD, min(self._calls)), 6)
                headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
                return self.json(_TOO_MANY, 429, headers)
            self._calls.append(now)
        return None

    async def _instance(self, request: web.Request) -> web.Response:
        host = self.base_url.split("://", 1)[-1]
        return self.json(entities.instance(host, self.max_characters, self.url_chars))

    def _account(self) -> JSON:
        with self._lock:
            count = sum(1 for s in self._statuses if not s["deleted"])
        return entities.account(self.base_url, self.account_id, self.username, count)

    def _public(self, status: JSON) -> JSON:
        return entities.status(status, self.base_url, self._account())

    async def _verify(self, request: web.Request) -> web.Response:
        refused = self._admit(request, READ_ACCOUNT)
        if refused is not None:
            return refused
        account = self._account()
        account["source"] = {"privacy": "public", "language": "en", "note": ""}
        return self.json(account)

    async def _params(self, request: web.Request) -> JSON | None:
        """The request's parameters, from a JSON or a form body (Rails takes both)."""
        if request.content_type == "application/json":
            try:
                data = await request.json()
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
        form = await request.post()
        return {key: value for key, value in form.items() if isinstance(value, str)}

    def _invalid(self, params: JSON) -> str | None:
        """Mastodon's validation message for a status's fields, or None when valid."""
        text, spoiler = params.get("status"), params.get("spoiler_text") or ""
        if not isinstance(text, str) or not isinstance(spoiler, str):
            return "Validation failed: Text can't be blank"
        if not text.strip():
            return "Validation failed: Text can't be blank"
        if rules.status_length(text, spoiler, self.url_chars) > self.max_characters:
            return f"Validation failed: Text character limit of {self.max_characters} exceeded"
        visibility = params.get("visibility")
        if visibility is not None and visibility not in VISIBILITIES:
            return "Validation failed: Visibility is not included in the list"
        return None

    async def _create(self, request: web.Request) -> web.Response:
        refused = self._admit(request, WRITE_STATUSES)
        if refused is not None:
            return refused
        params = await self._params(request)
        if params is None:
            return self.json({"error": "Error occurred while parsing request parameters"}, 400)
        key = request.headers.get("Idempotency-Key", "").strip()
        now = time.time()
        with self._lock:
            self._keys = {k: v for k, v in self._keys.items() if now - v[0] < self.idempotency_ttl}
            if key and key in self._keys:
                earlier = self._find(self._keys[key][1])
                if earlier is not None:
                    return self.json(self._public(earlier))
        parent_id = params.get("in_reply_to_id") or None
        with self._lock:
            parent = self._find(str(parent_id)) if parent_id is not None else None
        if parent_id is not None and parent is None:
            return self.json(_REPLY_GONE, 404)
        problem = self._invalid(params)
        if problem is not None:
            return self.json({"error": problem}, 422)
        with self._lock:
            made = [s["_at"] for s in self._statuses if now - s["_at"] < STATUS_PERIOD]
            if len(made) >= self.status_limit:
                reset = iso_time(self._reset(STATUS_PERIOD, min(made)), 6)
                headers = {
                    "X-RateLimit-Limit": str(self.status_limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset,
                }
                return self.json(_TOO_MANY, 429, headers)
            status = self._new_status(params, key, parent, now)
            self._statuses.append(status)
            if key:
                self._keys[key] = (now, status["id"])
            public = self._public(status)
        return self.json(public)

    def _new_status(self, params: JSON, key: str, parent: JSON | None, now: float) -> JSON:
        text = str(params["status"])
        language = params.get("language")
        if parent is not None:
            parent["_replies"] += 1
        return {
            "id": self._ids.next(),
            "text": text,
            "content": rules.to_html(text, self.base_url),
            "spoiler_text": str(params.get("spoiler_text") or ""),
            "in_reply_to_id": parent["id"] if parent is not None else None,
            "visibility": params.get("visibility") or "public",
            "language": language if isinstance(language, str) and language else "en",
            "created_at": iso_time(now),
            "edited_at": None,
            "idempotency_key": key or None,
            "history": [],
            "deleted": False,
            "_replies": 0,
            "_at": now,
        }

    def _find(self, status_id: str) -> JSON | None:
        """A live status by id (called under the lock)."""
        return next((s for s in self._statuses if s["id"] == status_id and not s["deleted"]), None)

    async def _show(self, request: web.Request) -> web.Response:
        refused = self._admit(request, READ_STATUSES)
        if refused is not None:
            return refused
        with self._lock:
            status = self._find(request.match_info["status_id"])
            if status is None:
                return self.json(_NOT_FOUND, 404)
            return self.json(self._public(status))

    async def _context(self, request: web.Request) -> web.Response:
        """``GET /api/v1/statuses/:id/context``: the ancestors (oldest first) and the
        descendants (depth first, in reply order) of a status."""
        refused = self._admit(request, READ_STATUSES)
        if refused is not None:
            return refused
        with self._lock:
            status = self._find(request.match_info["status_id"])
            if status is None:
                return self.json(_NOT_FOUND, 404)
            live = [s for s in self._statuses if not s["deleted"]]
            ancestors = entities.ancestors(live, status)
            descendants = entities.descendants(live, status)
            return self.json(
                {
                    "ancestors": [self._public(s) for s in ancestors],
                    "descendants": [self._public(s) for s in descendants],
                }
            )

    async def _update(self, request: web.Request) -> web.Response:
        refused = self._admit(request, WRITE_STATUSES)
        if refused is not None:
            return refused
        params = await self._params(request)
        if params is None:
            return self.json({"error": "Error occurred while parsing request parameters"}, 400)
        problem = self._invalid({k: v for k, v in params.items() if k != "visibility"})
        with self._lock:
            status = self._find(request.match_info["status_id"])
            if status is None:
                return self.json(_NOT_FOUND, 404)
            if problem is not None:
                return self.json({"error": problem}, 422)
            text = str(params["status"])
            if text != status["text"] or params.get("spoiler_text", "") != status["spoiler_text"]:
                status["history"].append(status["text"])
                status["text"] = text
                status["content"] = rules.to_html(text, self.base_url)
                status["spoiler_text"] = str(params.get("spoiler_text") or "")
                status["edited_at"] = iso_time(time.time())
            language = params.get("language")
            if isinstance(language, str) and language:
                status["language"] = language
            return self.json(self._public(status))

    async def _delete(self, request: web.Request) -> web.Response:
        refused = self._admit(request, WRITE_STATUSES)
        if refused is not None:
            return refused
        with self._lock:
            status = self._find(request.match_info["status_id"])
            if status is None:
                return self.json(_NOT_FOUND, 404)
            status["deleted"] = True
            public = self._public(status)
        public["text"] = status["text"]
        return self.json(public)

    async def _account_statuses(self, request: web.Request) -> web.Response:
        refused = self._admit(request, READ_STATUSES)
        if refused is not None:
            return refused
        if request.match_info["account_id"] != self.account_id:
            return self.json(_NOT_FOUND, 404)
        raw = request.query.get("limit", "20")
        limit = min(abs(int(raw)), 40) if raw.lstrip("-").isdigit() else 20
        limit = limit or 20
        exclude_replies = request.query.get("exclude_replies", "").lower() in ("true", "1")
        with self._lock:
            live = sorted(
                (s for s in self._statuses if not s["deleted"]),
                key=lambda s: int(s["id"]),
                reverse=True,
            )
            if exclude_replies:
                live = [s for s in live if s["in_reply_to_id"] is None]
            max_id = request.query.get("max_id", "")
            if max_id.isdigit():
                live = [s for s in live if int(s["id"]) < int(max_id)]
            since_id = request.query.get("since_id", "")
            if since_id.isdigit():
                live = [s for s in live if int(s["id"]) > int(since_id)]
            min_id = request.query.get("min_id", "")
            if min_id.isdigit():  # the page just after min_id, still newest first
                live = [s for s in live if int(s["id"]) > int(min_id)][-limit:]
            page = [self._public(s) for s in live[:limit]]
        headers = {}
        if page:
            path = f"{self.base_url}/api/v1/accounts/{self.account_id}/statuses"
            headers["Link"] = (
                f'<{path}?limit={limit}&max_id={page[-1]["id"]}>; rel="next", '
                f'<{path}?limit={limit}&min_id={page[0]["id"]}>; rel="prev"'
            )
        return self.json(page, headers=headers)
