"""A fake Discourse: topic creation, lookup by external id and embed URL, edits.

It answers like discourse/discourse does (posts_controller, topics_controller,
embed_controller): 403 for a bad key, 422 ``{"action": "create_post", "errors": [...]}``
for validation failures, 301 from ``/t/external_id/...``, and Discourse's 120-second
cache of an identical create, which hands a retried request its first answer.
"""

from __future__ import annotations

import copy
import html
import math
import time
from typing import Any

from aiohttp import web

from heartbeat_bot.sandbox.discourse_rules import (
    NewTopic,
    body_errors,
    category_id,
    clean_tags,
    embed_key,
    now_iso,
    post_object,
    slugify,
    squish_title,
    topic_errors,
    topic_object,
)
from heartbeat_bot.sandbox.faults import Faults
from heartbeat_bot.sandbox.server import JSON, RequestLog, Service, Settings, html_response

CREATE_CACHE_SECONDS = 120.0
_INVALID_ACCESS = {
    "errors": [
        "You are not permitted to view the requested resource. The API username or key is invalid."
    ],
    "error_type": "invalid_access",
}
_NOT_FOUND = {
    "errors": ["The requested URL or resource could not be found."],
    "error_type": "not_found",
}


def _missing_param(name: str) -> JSON:
    return {
        "errors": [f"param is missing or the value is empty: {name}"],
        "error_type": "invalid_parameters",
    }


class DiscourseService(Service):
    """The fake forum. ``enqueue = True`` makes creates wait for approval, as for non-staff."""

    name = "discourse"
    items_key = "topics"

    def __init__(
        self,
        faults: Faults,
        log: RequestLog,
        settings: Settings,
        *,
        api_key: str,
        api_username: str,
    ) -> None:
        super().__init__(faults, log, settings)
        self.api_key = api_key
        self.api_username = api_username
        self.enqueue = False
        self.plain_text_429 = False
        self._topics: list[JSON] = []
        self._next_topic = 11
        self._next_post = 101
        self._next_pending = 1
        self._create_cache: dict[tuple[str, str, str], tuple[float, JSON]] = {}

    @property
    def topics(self) -> list[JSON]:
        """Copies of every topic: id, title, raw, category, tags, external_id, embed_url,
        slug, url, post_id (the first post), posts_count, created_at."""
        return self.snapshot()

    def _items(self) -> list[JSON]:
        return [dict(t, url=f"{self.base_url}/t/{t['slug']}/{t['id']}") for t in self._topics]

    def create_existing(
        self,
        *,
        title: str,
        raw: str = "This topic was created before the test started.",
        external_id: str | None = None,
        embed_url: str | None = None,
        category: int = 1,
        tags: tuple[str, ...] = (),
    ) -> JSON:
        """Seed a topic as if someone had created it earlier (to test adoption)."""
        with self._lock:
            topic = self._insert(
                squish_title(title), raw, category, list(tags), external_id, embed_url
            )
            return copy.deepcopy(self._items()[self._topics.index(topic)])

    def _insert(
        self,
        title: str,
        raw: str,
        category: int,
        tags: list[str],
        external_id: str | None,
        embed_url: str | None,
    ) -> JSON:
        topic: JSON = {
            "id": self._next_topic,
            "title": title,
            "raw": raw,
            "category": category,
            "tags": tags,
            "external_id": external_id,
            "embed_url": embed_url,
            "slug": slugify(title),
            "post_id": self._next_post,
            "posts_count": 1,
            "created_at": now_iso(),
            "visible": True,
            "edits": 0,  # edits of the first post, and of the topic (title, tags...)
        }
        self._next_topic += 1
        self._next_post += 1
        self._topics.append(topic)
        return topic

    # --- shapes ------------------------------------------------------------------

    def error_response(self, status: int) -> web.Response:
        if status in (404, 405):
            return self.json(_NOT_FOUND, 404)
        if status == 500:
            return self.json(
                {"errors": ["Internal Server Error"], "error_type": "server_error"}, 500
            )
        titles = {502: "Bad Gateway", 503: "Service Unavailable"}
        return html_response(status, titles.get(status, "Server Error"))

    def rate_limited_response(self) -> web.Response:
        wait = self.settings.rate_limit_wait
        seconds = max(1, math.ceil(wait))
        headers = {"Retry-After": str(seconds)}
        if self.plain_text_429:  # the per-IP limiter in front of the app
            text = (
                "Slow down, too many requests from this IP address. Please retry again in "
                f"{seconds} seconds. Error code: ip_10_secs_limit.\n"
            )
            return web.Response(text=text, status=429, content_type="text/plain", headers=headers)
        unit = "second" if seconds == 1 else "seconds"
        body = {
            "errors": [
                f"You’ve performed this action too many times. Please wait {seconds} {unit} "
                "before trying again."
            ],
            "error_type": "rate_limit",
            "extras": {"wait_seconds": wait},
        }
        return self.json(body, 429, headers)

    # --- routes ------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/posts.json", self._create),
            web.put("/posts/{post_id:\\d+}.json", self._edit_post),
            web.put("/t/-/{topic_id:\\d+}.json", self._edit_topic),
            web.put("/t/{topic_id:\\d+}/status.json", self._status),
            web.get("/t/external_id/{external_id}.json", self._by_external_id),
            web.get("/t/{slug}/{topic_id:\\d+}.json", self._show),
            web.get("/t/{topic_id:\\d+}.json", self._show),
            web.get("/embed/info", self._embed_info),
            web.get("/session/current.json", self._current),
        ]

    def _authorised(self, request: web.Request) -> bool:
        key = request.headers.get("Api-Key", "")
        user = request.headers.get("Api-Username", "")
        return key == self.api_key and user.lower() == self.api_username.lower()

    async def _params(self, request: web.Request) -> tuple[JSON, list[Any]] | None:
        """The request's parameters and tag list, from JSON or form data (None: bad JSON)."""
        if request.content_type == "application/json":
            try:
                data = await request.json()
            except ValueError:
                return None
            if not isinstance(data, dict):
                return None
            tags = data.get("tags") or data.get("tags[]") or []
            return data, tags if isinstance(tags, list) else [tags]
        form = await request.post()
        params: JSON = {key: form.get(key) for key in form}
        return params, [*form.getall("tags[]", []), *form.getall("tags", [])]

    async def _create(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self.json(_INVALID_ACCESS, 403)
        parsed = await self._params(request)
        if parsed is None:
            return self.json(_missing_param("raw"), 400)
        params, tag_names = parsed
        raw = params.get("raw")
        if not isinstance(raw, str) or not raw:
            return self.json(_missing_param("raw"), 400)
        if params.get("topic_id"):
            return self._reply(params, raw)
        title = squish_title(str(params.get("title") or ""))
        tags = clean_tags(tag_names)
        external = params.get("external_id")
        embed_url = params.get("embed_url")
        new = NewTopic(
            title=title,
            raw=raw,
            category=params.get("category"),
            tags=tuple(tags),
            tag_count=len(tags),
            external_id=None if external in (None, "") else str(external),
            embed_url=None if embed_url in (None, "") else str(embed_url),
        )
        key = (request.headers.get("Api-Username", "").lower(), title, raw)
        with self._lock:
            cached = self._create_cache.get(key)
            if cached and time.monotonic() - cached[0] < CREATE_CACHE_SECONDS:
                return self.json(cached[1])
            errors = topic_errors(new, self._topics)
            if errors:
                return self.json({"action": "create_post", "errors": errors}, 422)
            if self.enqueue:
                return self.json(self._enqueued(raw, title))
            topic = self._insert(
                title,
                raw,
                category_id(new.category) or 1,
                tags,
                new.external_id,
                new.embed_url,
            )
            body = post_object(topic["post_id"], topic, 1, raw, self.api_username)
            self._create_cache[key] = (time.monotonic(), body)
        return self.json(body)

    def _enqueued(self, raw: str, title: str) -> JSON:
        pending = {"id": self._next_pending, "raw": raw, "title": title, "created_at": now_iso()}
        self._next_pending += 1
        return {"success": True, "action": "enqueued", "pending_post": pending, "pending_count": 1}

    def _reply(self, params: JSON, raw: str) -> web.Response:
        errors = body_errors(raw)
        with self._lock:
            topic = self._topic(int(params["topic_id"]))
            if topic is None:
                return self.json(_NOT_FOUND, 404)
            if errors:
                return self.json({"action": "create_post", "errors": errors}, 422)
            topic["posts_count"] += 1
            post_id = self._next_post
            self._next_post += 1
            return self.json(
                post_object(post_id, topic, topic["posts_count"], raw, self.api_username)
            )

    def _topic(self, topic_id: int) -> JSON | None:
        return next((t for t in self._topics if t["id"] == topic_id), None)

    async def _edit_post(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self.json(_INVALID_ACCESS, 403)
        parsed = await self._params(request)
        params = parsed[0] if parsed else {}
        post = params.get("post") if isinstance(params.get("post"), dict) else params
        raw = post.get("raw") if isinstance(post, dict) else None
        if not isinstance(raw, str):
            return self.json(_missing_param("post"), 400)
        errors = body_errors(raw)
        with self._lock:
            post_id = int(request.match_info["post_id"])
            topic = next((t for t in self._topics if t["post_id"] == post_id), None)
            if topic is None:
                return self.json(_NOT_FOUND, 404)
            if errors:
                return self.json({"action": "edit_post", "errors": errors}, 422)
            topic["raw"] = raw
            topic["edits"] = topic.get("edits", 0) + 1
            return self.json({"post": post_object(post_id, topic, 1, raw, self.api_username)})

    async def _edit_topic(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self.json(_INVALID_ACCESS, 403)
        parsed = await self._params(request)
        params, tag_names = parsed if parsed else ({}, [])
        with self._lock:
            topic = self._topic(int(request.match_info["topic_id"]))
            if topic is None:
                return self.json(_NOT_FOUND, 404)
            others = [t for t in self._topics if t is not topic]
            title = squish_title(str(params.get("title") or topic["title"]))
            category = params.get("category_id", topic["category"])
            tags = clean_tags(tag_names) if tag_names else topic["tags"]
            check = NewTopic(title, topic["raw"], category, tuple(tags), len(tags))
            errors = topic_errors(check, others)
            if errors:
                return self.json({"errors": errors, "error_type": "invalid_parameters"}, 422)
            topic.update(title=title, slug=slugify(title), tags=tags)
            topic["edits"] = topic.get("edits", 0) + 1
            topic["category"] = category_id(category) or 1
            basic = {"id": topic["id"], "title": title, "fancy_title": html.escape(title)}
            basic.update(slug=topic["slug"], posts_count=topic["posts_count"])
            return self.json({"basic_topic": basic})

    async def _status(self, request: web.Request) -> web.Response:
        """``PUT /t/{id}/status.json`` with ``status`` (visible, closed...) and ``enabled``:
        a staff user lists or unlists, closes or opens a topic."""
        if not self._authorised(request):
            return self.json(_INVALID_ACCESS, 403)
        parsed = await self._params(request)
        params = parsed[0] if parsed else {}
        status, enabled = params.get("status"), str(params.get("enabled", "")).lower()
        if status not in ("visible", "closed", "archived", "pinned") or enabled not in (
            "true",
            "false",
        ):
            return self.json(_missing_param("status"), 400)
        with self._lock:
            topic = self._topic(int(request.match_info["topic_id"]))
            if topic is None:
                return self.json(_NOT_FOUND, 404)
            topic[str(status)] = enabled == "true"
        return self.json({"success": "OK", "topic_status_update": None})

    async def _by_external_id(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self.json(_INVALID_ACCESS, 403)
        wanted = request.match_info["external_id"].lower()
        with self._lock:
            topic = next(
                (t for t in self._topics if (t["external_id"] or "").lower() == wanted), None
            )
            if topic is None:
                return self.json(_NOT_FOUND, 404)
            location = f"{request.scheme}://{request.host}/t/{topic['slug']}/{topic['id']}.json"
        # Rails' redirect_to answers with an absolute URL and a short HTML body.
        return web.Response(
            status=301,
            text=f'<html><body>You are being <a href="{location}">redirected</a>.</body></html>',
            content_type="text/html",
            headers={"Location": location},
        )

    async def _show(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self.json(_INVALID_ACCESS, 403)
        with self._lock:
            topic = self._topic(int(request.match_info["topic_id"]))
            if topic is None:
                return self.json(_NOT_FOUND, 404)
            return self.json(topic_object(topic, self.api_username))

    async def _embed_info(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self.json(_INVALID_ACCESS, 403)
        url = request.query.get("embed_url", "")
        if not url:
            return self.json(_missing_param("embed_url"), 400)
        key = embed_key(url)
        with self._lock:
            for topic in self._topics:
                if topic["embed_url"] and embed_key(topic["embed_url"]) == key:
                    return self.json(
                        {
                            "topic_id": topic["id"],
                            "topic_slug": topic["slug"],
                            "comment_count": topic["posts_count"] - 1,
                        }
                    )
        return self.json(_NOT_FOUND, 404)

    async def _current(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self.json(_INVALID_ACCESS, 403)
        user = {
            "id": 2,
            "username": self.api_username,
            "name": "Heartbeat Bot",
            "staff": True,
            "admin": True,
            "moderator": False,
            "trust_level": 4,
        }
        return self.json({"current_user": user})
