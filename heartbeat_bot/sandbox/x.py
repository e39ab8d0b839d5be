"""A fake X API v2: post tweets and threads, read the account's timeline.

It verifies tweepy's OAuth 1.0a signature for the real host, weighs text by twitter-text
v3 (280), refuses duplicates with X's 403, wraps URLs in t.co links in what it returns,
and puts X's rate-limit headers (``x-rate-limit-*``, ``x-user-limit-24hour-*``) on every
answer. Reading the timeline is a paid tier: ``timeline_access = False`` answers 403.
"""

from __future__ import annotations

import math
import time
import unicodedata
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from heartbeat_bot.sandbox.faults import Faults
from heartbeat_bot.sandbox.oauth import OAuthKeys, OAuthVerifier
from heartbeat_bot.sandbox.server import JSON, RequestLog, Service, Settings, Snowflakes
from heartbeat_bot.sandbox.weight import MAX_WEIGHTED_LENGTH, weighted_length, wrap_urls

TWITTER_EPOCH_MS = 1288834974657
WINDOW_SECONDS = 900
DAY_SECONDS = 86400
# Requests per 15-minute window, per endpoint (generous: the fake should not get in the way).
WINDOW_LIMITS = {
    "POST /2/tweets": 100,
    "DELETE /2/tweets/:id": 50,
    "GET /2/tweets/:id": 900,
    "GET /2/users/me": 75,
    "GET /2/users/:id/tweets": 900,
}
_INVALID = "https://api.twitter.com/2/problems/invalid-request"
_UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
_TOO_MANY = {
    "title": "Too Many Requests",
    "detail": "Too Many Requests",
    "type": "about:blank",
    "status": 429,
}
_DUPLICATE = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
_REPLY_GONE = {
    "detail": "You attempted to reply to a Tweet that is deleted or not visible to you.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
_TOO_LONG = (
    "Your Tweet text is too long. For more information on how Twitter determines text "
    "length see https://github.com/twitter/twitter-text."
)
_CLIENT_FORBIDDEN = {
    "client_id": "0",
    "detail": (
        "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
        "and tokens from a Twitter developer App that is attached to a Project. You can "
        "create a project via the developer portal."
    ),
    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
    "title": "Client Forbidden",
    "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}


def invalid_request(message: str, parameter: str, value: Any) -> JSON:
    """X's 400 body for a parameter it refuses."""
    return {
        "errors": [{"parameters": {parameter: [value]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": _INVALID,
    }


def _not_found(kind: str, value: str) -> JSON:
    return {
        "value": value,
        "detail": f"Could not find {kind} with id: [{value}].",
        "title": "Not Found Error",
        "resource_type": kind,
        "parameter": "id",
        "resource_id": value,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def _same_text(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def endpoint(method: str, path: str) -> str:
    """The rate-limit family of a request: ids after the version become ``:id``."""
    version, *rest = path.strip("/").split("/")
    parts = [version, *(":id" if part.isdigit() else part for part in rest)]
    return f"{method} /{'/'.join(parts)}"


class XService(Service):
    """One account (``user_id``) posting with one app's keys.

    ``daily_limit`` (settable) is the user's cap of tweets in 24 hours: every answer tells
    what is left of it (``x-user-limit-24hour-*``), and once it is used up a post is
    refused with X's 429.
    """

    name = "x"
    items_key = "tweets"

    def __init__(
        self,
        faults: Faults,
        log: RequestLog,
        settings: Settings,
        *,
        keys: OAuthKeys,
        user_id: str,
        username: str = "heartbeat_sandbox",
    ) -> None:
        super().__init__(faults, log, settings)
        self.user_id = user_id
        self.username = username
        self.timeline_access = settings.timeline_access
        self.daily_limit = 100
        self._verifier = OAuthVerifier(keys)
        self._ids = Snowflakes(TWITTER_EPOCH_MS)
        self._tweets: list[JSON] = []
        self._windows: dict[tuple[str, int], int] = {}

    @property
    def tweets(self) -> list[JSON]:
        """Copies of every tweet: id, text (as sent), in_reply_to_tweet_id, author_id,
        conversation_id, created_at, deleted."""
        return self.snapshot()

    def _items(self) -> list[JSON]:
        return [{k: v for k, v in t.items() if not k.startswith("_")} for t in self._tweets]

    # --- shapes and headers ------------------------------------------------------------

    def error_response(self, status: int) -> web.Response:
        titles = {404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}
        titles.update({502: "Bad Gateway", 503: "Service Unavailable"})
        title = titles.get(status, "Error")
        body = {"title": title, "detail": title, "type": "about:blank", "status": status}
        return self.json(body, status)

    def rate_limited_response(self) -> web.Response:
        reset = math.ceil(time.time() + self.settings.rate_limit_wait)
        headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
        return self.json(_TOO_MANY, 429, headers)

    def _daily(self) -> tuple[int, int]:
        """(tweets left today, epoch second the oldest of the last 24 hours expires)."""
        now = time.time()
        with self._lock:
            recent = [t["_at"] for t in self._tweets if now - t["_at"] < DAY_SECONDS]
        reset = math.ceil((min(recent) if recent else now) + DAY_SECONDS)
        return max(self.daily_limit - len(recent), 0), reset

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        family = endpoint(request.method, request.path)
        limit = WINDOW_LIMITS.get(family, 900)
        window = int(time.time()) // WINDOW_SECONDS
        with self._lock:
            used = self._windows.get((family, window), 0)
        left, day_reset = self._daily()
        values = {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(max(limit - used, 0)),
            "x-rate-limit-reset": str((window + 1) * WINDOW_SECONDS),
            "x-user-limit-24hour-limit": str(self.daily_limit),
            "x-user-limit-24hour-remaining": str(left),
            "x-user-limit-24hour-reset": str(day_reset),
        }
        for name, value in values.items():
            response.headers.setdefault(name, value)

    # --- routes ------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/2/tweets", self._create),
            web.get("/2/tweets/{tweet_id}", self._lookup),
            web.delete("/2/tweets/{tweet_id}", self._delete),
            web.get("/2/users/me", self._me),
            web.get("/2/users/{user_id}/tweets", self._timeline),
        ]

    async def _admit(self, request: web.Request) -> web.Response | None:
        """401 for a bad signature, 429 past the window's limit, else None (and counted)."""
        body = await request.read()
        problem = self._verifier.problem(
            method=request.method,
            path=request.rel_url.raw_path,
            query=request.rel_url.raw_query_string,
            headers=request.headers,
            body=body,
        )
        if problem is not None:
            return self.json(_UNAUTHORIZED, 401, {"x-sandbox-auth-problem": problem})
        family = endpoint(request.method, request.path)
        window = int(time.time()) // WINDOW_SECONDS
        with self._lock:
            used = self._windows.get((family, window), 0)
            if used >= WINDOW_LIMITS.get(family, 900):
                return self.json(_TOO_MANY, 429)
            self._windows[(family, window)] = used + 1
        return None

    async def _create(self, request: web.Request) -> web.Response:
        refused = await self._admit(request)
        if refused is not None:
            return refused
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return self.json(invalid_request("Request body is not valid JSON", "body", ""), 400)
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            message = "$.text: Tweet text is empty or missing"
            return self.json(invalid_request(message, "text", text), 400)
        if weighted_length(text) > MAX_WEIGHTED_LENGTH:
            return self.json(invalid_request(_TOO_LONG, "text", text), 400)
        reply = data.get("reply")
        parent_id = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        if reply is not None and not (isinstance(parent_id, str) and parent_id.isdigit()):
            message = "$.reply.in_reply_to_tweet_id: does not match the regex ^[0-9]{1,19}$"
            return self.json(invalid_request(message, "reply.in_reply_to_tweet_id", parent_id), 400)
        if self._daily()[0] <= 0:
            return self.json(_TOO_MANY, 429, {"x-user-limit-24hour-remaining": "0"})
        with self._lock:
            live = [t for t in self._tweets if not t["deleted"]]
            parent = next((t for t in live if t["id"] == parent_id), None)
            if parent_id is not None and parent is None:
                return self.json(_REPLY_GONE, 403)
            if any(_same_text(t["text"]) == _same_text(text) for t in live):
                return self.json(_DUPLICATE, 403)
            tweet_id = str(self._ids.next())
            self._tweets.append(
                {
                    "id": tweet_id,
                    "text": text,
                    "in_reply_to_tweet_id": parent_id,
                    "author_id": self.user_id,
                    "conversation_id": parent["conversation_id"] if parent else tweet_id,
                    "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "deleted": False,
                    "_at": time.time(),
                }
            )
        body = {"id": tweet_id, "text": wrap_urls(text), "edit_history_tweet_ids": [tweet_id]}
        return self.json({"data": body}, 201)

    def _public(self, tweet: JSON, fields: set[str]) -> JSON:
        """A tweet as X returns it: t.co links, plus the ``tweet.fields`` asked for."""
        data: JSON = {
            "id": tweet["id"],
            "text": wrap_urls(tweet["text"]),
            "edit_history_tweet_ids": [tweet["id"]],
        }
        if "created_at" in fields:
            data["created_at"] = tweet["created_at"].replace("+00:00", "Z")
        if "conversation_id" in fields:
            data["conversation_id"] = tweet["conversation_id"]
        if "author_id" in fields:
            data["author_id"] = tweet["author_id"]
        if tweet["in_reply_to_tweet_id"]:
            if "referenced_tweets" in fields:
                data["referenced_tweets"] = [
                    {"type": "replied_to", "id": tweet["in_reply_to_tweet_id"]}
                ]
            if "in_reply_to_user_id" in fields:
                data["in_reply_to_user_id"] = self.user_id
        return data

    async def _me(self, request: web.Request) -> web.Response:
        refused = await self._admit(request)
        if refused is not None:
            return refused
        user = {"id": self.user_id, "name": "Heartbeat Sandbox", "username": self.username}
        return self.json({"data": user})

    async def _lookup(self, request: web.Request) -> web.Response:
        refused = await self._admit(request)
        if refused is not None:
            return refused
        if not self.timeline_access:
            return self.json(_CLIENT_FORBIDDEN, 403)
        fields = set(request.query.get("tweet.fields", "").split(","))
        wanted = request.match_info["tweet_id"]
        with self._lock:
            for tweet in self._tweets:
                if tweet["id"] == wanted and not tweet["deleted"]:
                    return self.json({"data": self._public(tweet, fields)})
        return self.json({"errors": [_not_found("tweet", wanted)]})

    async def _delete(self, request: web.Request) -> web.Response:
        refused = await self._admit(request)
        if refused is not None:
            return refused
        wanted = request.match_info["tweet_id"]
        with self._lock:
            for tweet in self._tweets:
                if tweet["id"] == wanted and not tweet["deleted"]:
                    tweet["deleted"] = True
                    return self.json({"data": {"deleted": True}})
        return self.json({"data": {"deleted": False}})

    async def _timeline(self, request: web.Request) -> web.Response:
        refused = await self._admit(request)
        if refused is not None:
            return refused
        if not self.timeline_access:
            return self.json(_CLIENT_FORBIDDEN, 403)
        user_id = request.match_info["user_id"]
        if user_id != self.user_id:
            return self.json({"meta": {"result_count": 0}, "errors": [_not_found("user", user_id)]})
        raw = request.query.get("max_results", "10")
        if not raw.isdigit() or not 5 <= int(raw) <= 100:
            message = f"The `max_results` query parameter value [{raw}] is not between 5 and 100"
            return self.json(invalid_request(message, "max_results", raw), 400)
        fields = set(request.query.get("tweet.fields", "").split(","))
        since = request.query.get("since_id", "")
        until = request.query.get("until_id", "")
        token = request.query.get("pagination_token", "")
        offset = int(token) if token.isdigit() else 0
        with self._lock:
            live = [t for t in reversed(self._tweets) if not t["deleted"]]
        if since.isdigit():
            live = [t for t in live if int(t["id"]) > int(since)]
        if until.isdigit():
            live = [t for t in live if int(t["id"]) < int(until)]
        page = live[offset : offset + int(raw)]
        meta: JSON = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + int(raw) < len(live):
            meta["next_token"] = str(offset + int(raw))
        if not page:
            return self.json({"meta": meta})
        return self.json({"data": [self._public(t, fields) for t in page], "meta": meta})
