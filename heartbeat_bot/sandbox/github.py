"""A fake GitHub REST API: pull requests of one repository and their comments.

Only what heartbeat-bot uses: list pull requests (``state``, ``head``, ``base`` filters),
open one, comment on one. It answers like api.github.com: 401 ``Bad credentials`` for a
wrong token, 404 ``Not Found`` for a repository the token cannot see, 422 ``Validation
Failed`` when an open pull request for the same head and base exists or head equals base,
400 for an API version it does not know. One pitfall is kept on purpose: a ``head`` filter
without its ``owner:`` prefix is ignored, as GitHub ignores it, so a client that forgets
the prefix gets every open pull request back and the tests notice.

The fake has no git: every head branch exists; a base must be in ``branches``.
"""

from __future__ import annotations

import math
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from heartbeat_bot.sandbox.faults import Faults, QueuedFault
from heartbeat_bot.sandbox.server import JSON, RequestLog, Service, Settings

API_VERSIONS = frozenset({"2022-11-28"})
HTML_URL = "https://github.com"
MAX_TITLE = 256
MAX_BODY = 65536
RATE_LIMIT = 5000  # requests per hour for a personal access token
_DOCS = "https://docs.github.com/rest"
_SLOT = "x"  # see GitHubFaults


class GitHubFaults(Faults):
    """Faults for the fake GitHub, which ``faults.SERVICES`` does not list.

    The sandbox's shared :class:`Faults` knows only the three announcement services, so
    GitHub gets an instance of its own that keeps its queue in one of their slots; the
    ``service`` argument is ignored. Its random rate starts at 0: the GitHub client has no
    retry loop, so random faults would only make demos fail.
    """

    def queue(self, service: str, *kinds: str, path: str | None = None) -> None:
        super().queue(_SLOT, *kinds, path=path)

    def clear(self, service: str | None = None) -> None:
        super().clear(None)

    def pending(self, service: str) -> list[QueuedFault]:
        return super().pending(_SLOT)

    def set_rate(self, service: str, rate: float | None) -> None:
        super().set_rate(_SLOT, rate)

    def rate_for(self, service: str) -> float:
        return super().rate_for(_SLOT)

    def take(self, service: str, path: str) -> str | None:
        return super().take(_SLOT, path)


def _error(message: str, status: int, errors: list[JSON] | None = None) -> JSON:
    body: JSON = {"message": message}
    if errors is not None:
        body["errors"] = errors
    body.update(documentation_url=_DOCS, status=str(status))
    return body


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GitHubService(Service):
    """One repository (``owner/name``) reached with one token.

    ``read_only = True`` makes writes answer 403, as for a token without the
    "Pull requests: write" permission.
    """

    name = "github"
    items_key = "pulls"

    def __init__(
        self,
        faults: Faults,
        log: RequestLog,
        settings: Settings,
        *,
        token: str,
        repository: str,
        login: str = "heartbeat-bot",
    ) -> None:
        super().__init__(faults, log, settings)
        self.faults = faults
        self.token = token
        self.repository = repository
        self.owner = repository.split("/", 1)[0]
        self.login = login
        self.branches = {"main"}
        self.read_only = False
        self._pulls: list[JSON] = []
        self._comments: list[JSON] = []
        self._next_id = 1_000_000_001
        self._hour: tuple[int, int] = (0, 0)  # (hour, requests in it)

    # --- what tests read -----------------------------------------------------------------

    @property
    def pulls(self) -> list[JSON]:
        """Copies of every pull request, in GitHub's shape (number, state, head.ref...)."""
        return self.snapshot()

    @property
    def comments(self) -> list[JSON]:
        """Copies of every comment: id, number (of its pull request), body, html_url."""
        with self._lock:
            return [dict(c) for c in self._comments]

    def _items(self) -> list[JSON]:
        return [self._view(p) for p in self._pulls]

    def close_pull(self, number: int) -> None:
        """Close a pull request as if someone had merged or closed it on github.com."""
        with self._lock:
            for pull in self._pulls:
                if pull["number"] == number:
                    pull.update(state="closed", closed_at=_now())
                    return
        raise KeyError(f"no pull request #{number}")

    # --- shapes and headers --------------------------------------------------------------

    def error_response(self, status: int) -> web.Response:
        if status in (404, 405):
            return self.json(_error("Not Found", 404), 404)
        messages = {502: "Server Error", 503: "Service Unavailable"}
        return self.json({"message": messages.get(status, "Server Error")}, status)

    def rate_limited_response(self) -> web.Response:
        seconds = max(1, math.ceil(self.settings.rate_limit_wait))
        message = (
            "You have exceeded a secondary rate limit. Please wait a few minutes before "
            "you try again."
        )
        return self.json(_error(message, 429), 429, {"retry-after": str(seconds)})

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        hour = int(time.time()) // 3600
        with self._lock:
            used = self._hour[1] + 1 if self._hour[0] == hour else 1
            self._hour = (hour, used)
        values = {
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(max(RATE_LIMIT - used, 0)),
            "x-ratelimit-reset": str((hour + 1) * 3600),
            "x-ratelimit-used": str(used),
            "x-ratelimit-resource": "core",
            "x-github-api-version-selected": "2022-11-28",
        }
        for name, value in values.items():
            response.headers.setdefault(name, value)

    def _view(self, pull: JSON) -> JSON:
        number = pull["number"]
        api = f"{self.base_url}/repos/{self.repository}"
        return dict(
            pull,
            url=f"{api}/pulls/{number}",
            issue_url=f"{api}/issues/{number}",
            comments_url=f"{api}/issues/{number}/comments",
            html_url=f"{HTML_URL}/{self.repository}/pull/{number}",
        )

    # --- routes --------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/repos/{owner}/{repo}/pulls", self._list),
            web.post("/repos/{owner}/{repo}/pulls", self._create),
            web.post("/repos/{owner}/{repo}/issues/{number}/comments", self._comment),
        ]

    def _refusal(self, request: web.Request, *, write: bool) -> web.Response | None:
        """The answer to a request that may not proceed (bad token, version, repo), or None."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or token.strip() != self.token:
            return self.json(_error("Bad credentials", 401), 401)
        version = request.headers.get("X-GitHub-Api-Version")
        if version is not None and version not in API_VERSIONS:
            return self.json(_error(f"API version {version} is not supported.", 400), 400)
        asked = f"{request.match_info['owner']}/{request.match_info['repo']}"
        if asked.lower() != self.repository.lower():
            return self.json(_error("Not Found", 404), 404)
        if write and self.read_only:
            message = "Resource not accessible by personal access token"
            return self.json(_error(message, 403), 403)
        return None

    async def _body(self, request: web.Request) -> JSON | web.Response:
        try:
            data = await request.json()
        except ValueError:
            return self.json(_error("Problems parsing JSON", 400), 400)
        if not isinstance(data, dict):
            return self.json(_error("Problems parsing JSON", 400), 400)
        return data

    async def _list(self, request: web.Request) -> web.Response:
        refused = self._refusal(request, write=False)
        if refused is not None:
            return refused
        state = request.query.get("state", "open")
        if state not in ("open", "closed", "all"):
            invalid = [{"resource": "Search", "field": "state", "code": "invalid"}]
            return self.json(_error("Validation Failed", 422, invalid), 422)
        head = request.query.get("head", "")
        base = request.query.get("base", "")
        with self._lock:
            found = [
                self._view(p)
                for p in self._pulls
                if state in ("all", p["state"])
                # GitHub ignores a head filter without its "owner:" prefix.
                and (":" not in head or head.lower() == p["head"]["label"].lower())
                and (not base or base == p["base"]["ref"])
            ]
        found.reverse()  # newest first, as GitHub sorts by creation time
        return self.json(found)

    async def _create(self, request: web.Request) -> web.Response:
        refused = self._refusal(request, write=True)
        if refused is not None:
            return refused
        data = await self._body(request)
        if isinstance(data, web.Response):
            return data
        missing = [key for key in ("head", "base") if not isinstance(data.get(key), str)]
        if "title" not in data and "issue" not in data:
            missing.insert(0, "title")
        if missing:
            names = ", ".join(f'"{key}"' for key in missing)
            verb = "wasn't" if len(missing) == 1 else "weren't"
            return self.json(_error(f"Invalid request.\n\n{names} {verb} supplied.", 422), 422)
        head_owner, _, head = str(data["head"]).rpartition(":")
        base = str(data["base"])
        title = str(data.get("title") or "")
        body = data.get("body")
        errors = self._pull_errors(head_owner or self.owner, head, base, title, body)
        with self._lock:
            label = f"{self.owner}:{head}"
            if not errors and any(
                p["state"] == "open" and p["head"]["ref"] == head and p["base"]["ref"] == base
                for p in self._pulls
            ):
                message = f"A pull request already exists for {label}."
                errors = [{"resource": "PullRequest", "code": "custom", "message": message}]
            if errors:
                return self.json(_error("Validation Failed", 422, errors), 422)
            pull = self._insert(label, head, base, title, body, bool(data.get("draft")))
            view = self._view(pull)
        return self.json(view, 201, {"Location": view["url"]})

    def _pull_errors(
        self, head_owner: str, head: str, base: str, title: str, body: Any
    ) -> list[JSON]:
        def error(field: str, code: str, message: str | None = None) -> JSON:
            found: JSON = {"resource": "PullRequest", "field": field, "code": code}
            return found if message is None else dict(found, message=message)

        if head_owner.lower() != self.owner.lower() or not head:
            return [error("head", "invalid")]
        if base not in self.branches:
            return [error("base", "invalid")]
        if head == base:
            message = f"No commits between {base} and {head}"
            return [{"resource": "PullRequest", "code": "custom", "message": message}]
        if not title.strip():
            return [error("title", "missing_field")]
        if len(title) > MAX_TITLE:
            return [
                error("title", "custom", f"title is too long (maximum is {MAX_TITLE} characters)")
            ]
        if body is not None and (not isinstance(body, str) or len(body) > MAX_BODY):
            return [error("body", "custom", f"body is too long (maximum is {MAX_BODY} characters)")]
        return []

    def _insert(self, label: str, head: str, base: str, title: str, body: Any, draft: bool) -> JSON:
        def ref(name: str, label: str) -> JSON:
            repo = {"full_name": self.repository, "name": self.repository.split("/")[1]}
            return {"label": label, "ref": name, "sha": secrets.token_hex(20), "repo": repo}

        now = _now()
        pull: JSON = {
            "id": self._next_id,
            "node_id": "PR_kwDO" + secrets.token_urlsafe(12),
            "number": len(self._pulls) + 1,
            "state": "open",
            "locked": False,
            "title": title,
            "body": body,
            "user": {"login": self.login, "type": "User"},
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
            "merged_at": None,
            "draft": draft,
            "head": ref(head, label),
            "base": ref(base, f"{self.owner}:{base}"),
        }
        self._next_id += 1
        self._pulls.append(pull)
        return pull

    async def _comment(self, request: web.Request) -> web.Response:
        refused = self._refusal(request, write=True)
        if refused is not None:
            return refused
        data = await self._body(request)
        if isinstance(data, web.Response):
            return data
        text = data.get("body")
        if not isinstance(text, str):
            return self.json(_error('Invalid request.\n\n"body" wasn\'t supplied.', 422), 422)
        number = request.match_info["number"]
        with self._lock:
            pull = next((p for p in self._pulls if str(p["number"]) == number), None)
            if pull is None:
                return self.json(_error("Not Found", 404), 404)
            if not text.strip() or len(text) > MAX_BODY:
                code = "missing_field" if not text.strip() else "custom"
                error: JSON = {"resource": "IssueComment", "field": "body", "code": code}
                if text.strip():
                    error["message"] = f"body is too long (maximum is {MAX_BODY} characters)"
                return self.json(_error("Validation Failed", 422, [error]), 422)
            comment = self._add_comment(pull["number"], text)
        return self.json(comment, 201)

    def _add_comment(self, number: int, text: str) -> JSON:
        comment_id = self._next_id
        self._next_id += 1
        html_url = f"{HTML_URL}/{self.repository}/pull/{number}#issuecomment-{comment_id}"
        self._comments.append(
            {"id": comment_id, "number": number, "body": text, "html_url": html_url}
        )
        api = f"{self.base_url}/repos/{self.repository}"
        now = _now()
        return {
            "id": comment_id,
            "node_id": "IC_kwDO" + secrets.token_urlsafe(12),
            "url": f"{api}/issues/comments/{comment_id}",
            "html_url": html_url,
            "issue_url": f"{api}/issues/{number}",
            "body": text,
            "user": {"login": self.login, "type": "User"},
            "created_at": now,
            "updated_at": now,
            "author_association": "MEMBER",
        }
