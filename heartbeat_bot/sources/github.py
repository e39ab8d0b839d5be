"""A minimal GitHub REST client for pull requests: find one, open one, comment on one.

heartbeat-bot writes comment URLs back into post files; when the blog lives on GitHub it
proposes those edits as a pull request instead of pushing to the default branch. Only
HTTP lives here: the caller hands in the ``httpx.AsyncClient`` (so tests point it at the
sandbox) and decides what the pull request says.

Errors are ``ChannelError``s on the ``github`` channel, one line each, naming the setting
to fix (``github.token``, ``github.repository``). The token never appears in them: GitHub
does not echo it, and every text we quote is scrubbed of it anyway. There is no retry
loop: a 429 or 5xx is a :class:`~heartbeat_bot.errors.Retryable` the caller may act on.
Answers are read up to ``transport.MAX_ANSWER_BYTES``; redirects are followed only on the
API's own origin, since every request carries the token.
"""

from __future__ import annotations

import json
import math
import re
import time
from typing import Any

import httpx
from pydantic import SecretStr

from heartbeat_bot.errors import ConfigError, Permanent, Retryable, Uncertain
from heartbeat_bot.transport import Answer, AnswerTooLarge, RedirectRefused, fetch

CHANNEL = "github"
API_VERSION = "2022-11-28"
SNIPPET = 200
TIMEOUT = 60.0
"""Seconds one request may take in all, its answer included."""
_ALREADY_EXISTS = "A pull request already exists"
_REPOSITORY = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
_SPACE = re.compile(r"\s+")


class PullRequestExists(Permanent):
    """GitHub refused to open a pull request because an open one has the same head and base."""


class GitHubClient:
    """Pull requests of one repository (``"owner/name"``), with one token.

    ``api_url`` is ``https://api.github.com`` (or a GitHub Enterprise ``/api/v3`` URL, or
    the sandbox's). Methods return GitHub's JSON objects as dicts.
    """

    def __init__(
        self, http: httpx.AsyncClient, api_url: str, token: SecretStr, repository: str
    ) -> None:
        if not _REPOSITORY.match(repository):
            raise ConfigError(
                f'github.repository: must be "owner/name", got "{repository}"',
                key="github.repository",
            )
        if not token.get_secret_value():
            raise ConfigError("github.token: is empty; set a token", key="github.token")
        self._http = http
        self._api = api_url.rstrip("/")
        self._token = token
        self.repository = repository
        self.owner = repository.split("/", 1)[0]

    # --- the API -------------------------------------------------------------------------

    async def find_open_pull(
        self, head_branch: str, base: str | None = None
    ) -> dict[str, Any] | None:
        """The open pull request from ``head_branch`` (into ``base``, if given), or None.

        The head filter needs its ``owner:`` prefix: without it GitHub ignores the filter
        and lists every open pull request.
        """
        params = {"state": "open", "head": f"{self.owner}:{head_branch}"}
        if base is not None:
            params["base"] = base
        found = await self._call("GET", "pulls", params=params)
        if not isinstance(found, list) or not all(isinstance(p, dict) for p in found):
            raise Permanent(CHANNEL, f"unexpected answer listing pull requests: {found!r:.200}")
        return found[0] if found else None

    async def open_pull(self, head_branch: str, base: str, title: str, body: str) -> dict[str, Any]:
        """Open a pull request; the answer holds ``number`` and ``html_url``.

        Raises :class:`PullRequestExists` when one from ``head_branch`` into ``base`` is
        already open.
        """
        payload = {"title": title, "head": head_branch, "base": base, "body": body}
        pull = await self._call("POST", "pulls", payload=payload)
        if not isinstance(pull, dict) or not {"number", "html_url"} <= pull.keys():
            raise Uncertain(
                CHANNEL,
                f"GitHub accepted the pull request but its answer cannot be read "
                f"({self._scrub(repr(pull))}); it may have been opened",
            )
        return pull

    async def comment(self, number: int, body: str) -> None:
        """Add a comment to pull request (or issue) ``number``."""
        subject = f"pull request #{number} in {self.repository}"
        await self._call(
            "POST", f"issues/{number}/comments", payload={"body": body}, subject=subject
        )

    async def ensure_pull(
        self, head_branch: str, base: str, title: str, body: str
    ) -> dict[str, Any]:
        """The open pull request from ``head_branch`` into ``base``, opened if there is none.

        Another process may open it between our look and our create: GitHub's 422 "already
        exists" then sends us to look again.
        """
        found = await self.find_open_pull(head_branch, base)
        if found is not None:
            return found
        try:
            return await self.open_pull(head_branch, base, title, body)
        except PullRequestExists:
            found = await self.find_open_pull(head_branch, base)
            if found is None:
                raise
            return found

    # --- HTTP ----------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        payload: dict[str, Any] | None = None,
        subject: str = "",
    ) -> Any:
        """Send one request to ``/repos/{owner}/{repo}/{path}``; GitHub's JSON, or an error.

        ``subject`` is what a 404 means was not found (default: the repository).
        """
        url = f"{self._api}/repos/{self.repository}/{path}"
        headers = {
            "Authorization": f"Bearer {self._token.get_secret_value()}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }
        try:
            response = await fetch(
                self._http,
                method,
                url,
                redirects="same-origin",  # a renamed repository answers 301 on the API host
                total=TIMEOUT,
                params=params,
                json=payload,
                headers=headers,
            )
        except AnswerTooLarge as exc:
            response = Answer(
                exc.status, httpx.Headers(exc.headers), exc.description.encode(), httpx.URL(url)
            )
            if response.is_success and method != "GET":
                raise Uncertain(
                    CHANNEL,
                    f"GitHub accepted the request but its answer cannot be read "
                    f"({exc.description}); it may have been carried out",
                    status=exc.status,
                ) from None
            if response.is_success:
                raise Permanent(
                    CHANNEL, f"unexpected answer from GitHub: {exc.description}", status=exc.status
                ) from None
            raise self._error(response, None, subject or f"repository {self.repository}") from None
        except RedirectRefused as exc:
            raise Permanent(
                CHANNEL,
                f"GitHub answered with a redirect to {exc.host}, which was not followed "
                f"({exc.reason}); check github.api_url",
                status=exc.status,
            ) from None
        except httpx.HTTPError as exc:
            reason = self._scrub(f"{type(exc).__name__}: {exc}".rstrip(": "))
            where = f"could not reach GitHub at {self._api} ({reason})"
            if method == "GET" or isinstance(exc, httpx.ConnectError):
                raise Retryable(CHANNEL, where) from None
            raise Uncertain(CHANNEL, f"{where}; the request may have been carried out") from None
        text = response.text
        data = _json(text)
        if response.is_success:
            if data is None and method == "GET":
                raise Permanent(
                    CHANNEL, f"unexpected answer from GitHub: {self._snippet(text)}", status=200
                )
            return data
        raise self._error(response, data, subject or f"repository {self.repository}")

    def _error(self, response: Answer, data: Any, subject: str) -> Permanent | Retryable:
        status = response.status_code
        detail = self._detail(data, response.text)
        headers = response.headers
        rate_limited = status == 429 or (
            status == 403
            and (headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers)
        )
        if rate_limited:
            wait = _wait(headers)
            return Retryable(
                CHANNEL, f"GitHub is rate limiting us: {detail}", wait=wait, status=status
            )
        if status >= 500:
            return Retryable(CHANNEL, f"GitHub had a server problem: {detail}", status=status)
        if status == 401:
            message = (
                f"GitHub refused github.token ({detail}); check it and that it has not expired"
            )
            return Permanent(CHANNEL, message, status=status)
        if status == 403:
            message = (
                f"github.token may not do this in {self.repository} ({detail}); it needs the "
                '"Pull requests" and "Issues" read and write permissions'
            )
            return Permanent(CHANNEL, message, status=status)
        if status == 404:
            message = (
                f"GitHub found no {subject} ({detail}); check github.repository, "
                "and that github.token can see it"
            )
            return Permanent(CHANNEL, message, status=status)
        if status == 422 and _ALREADY_EXISTS in detail:
            return PullRequestExists(CHANNEL, detail, status=status)
        return Permanent(CHANNEL, detail, status=status)

    def _detail(self, data: Any, text: str) -> str:
        """GitHub's own message and its ``errors`` entries, on one line."""
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            return self._snippet(text) or "an empty answer"
        parts = [data["message"]]
        for error in data.get("errors") or []:
            if isinstance(error, dict):
                named = error.get("message") or " ".join(
                    str(error[k]) for k in ("field", "code") if k in error
                )
                parts.append(str(named))
            else:
                parts.append(str(error))
        return self._snippet(": ".join(p for p in parts if p))

    def _snippet(self, text: str) -> str:
        flat = _SPACE.sub(" ", self._scrub(text)).strip()
        return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 1] + "…"

    def _scrub(self, text: str) -> str:
        """``text`` without the token, should any library or proxy ever echo it."""
        return text.replace(self._token.get_secret_value(), "***")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _wait(headers: httpx.Headers) -> float | None:
    """How long GitHub asks us to wait: ``retry-after`` seconds, else until the reset time."""
    for name, since in (("retry-after", 0.0), ("x-ratelimit-reset", time.time())):
        try:
            value = float(headers[name]) - since
        except (KeyError, ValueError):
            continue
        return max(0.0, value) if math.isfinite(value) else None
    return None
