"""GitHub: push webhooks over a real health server, and the pull request client vs the sandbox."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import logging
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest
from pydantic import SecretStr

from heartbeat_bot.errors import ChannelError, ConfigError, Permanent, Retryable
from heartbeat_bot.sandbox import Sandbox
from heartbeat_bot.sources.github import GitHubClient, PullRequestExists
from heartbeat_bot.web.health import HealthServer
from heartbeat_bot.web.metrics import Metrics
from heartbeat_bot.web.webhook import GitHubWebhook, verify_signature

SECRET = "s3cret-webhook-key-0123456789"
HEAD = "heartbeat-bot/comments"
PUSH = json.dumps({"ref": "refs/heads/main", "after": "abc123"}).encode()
DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
_deliveries = itertools.count(1)

# --- webhooks -----------------------------------------------------------------------------


def _sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _headers(event: str, signature: str | None, delivery: str | None = None) -> dict[str, str]:
    """GitHub's headers; each delivery has an id of its own unless ``delivery`` is given."""
    delivery = delivery or f"72d3162e-cc78-11e3-81ab-{next(_deliveries):012x}"
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return headers


Scenario = Callable[[httpx.AsyncClient, GitHubWebhook], Awaitable[None]]


def _serve(
    scenario: Scenario, *, secret: str | None = SECRET, branch: str | None = None
) -> list[str]:
    """Run ``scenario`` against a HealthServer with the webhook; the refs on_push got."""
    pushed: list[str] = []

    async def on_push(ref: str) -> None:
        pushed.append(ref)

    async def main() -> None:
        hook = GitHubWebhook(None if secret is None else SecretStr(secret), on_push, branch=branch)
        server = HealthServer(
            "127.0.0.1:0",
            Metrics(),
            loop_alive=lambda: True,
            ledger_writable=lambda: True,
            webhook=hook,
        )
        async with server, httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            await scenario(client, hook)
            await hook.drain()

    asyncio.run(main())
    return pushed


async def _post(client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> int:
    return (await client.post("/webhooks/github", content=body, headers=headers)).status_code


def test_verify_signature_rules() -> None:
    """Only the exact sha256 HMAC of the body with a non-empty secret verifies."""
    assert verify_signature(SECRET, PUSH, _sign(PUSH))
    assert verify_signature(SECRET, PUSH, _sign(PUSH).upper().replace("SHA256=", "sha256="))
    assert not verify_signature(SECRET, PUSH + b" ", _sign(PUSH))
    assert not verify_signature("other", PUSH, _sign(PUSH))
    assert not verify_signature("", PUSH, _sign(PUSH, ""))
    assert not verify_signature(SECRET, PUSH, None)
    assert not verify_signature(SECRET, PUSH, _sign(PUSH).replace("sha256=", "sha1="))
    assert not verify_signature(SECRET, PUSH, "sha256=zz")
    assert not verify_signature(SECRET, PUSH, "sha256=" + "é" * 64)


def test_signed_push_schedules_one_scan() -> None:
    """A correctly signed push answers 202 and calls on_push once with its ref."""

    async def scenario(client: httpx.AsyncClient, hook: GitHubWebhook) -> None:
        assert await _post(client, PUSH, _headers("push", _sign(PUSH))) == 202

    assert _serve(scenario) == ["refs/heads/main"]


def test_unsigned_or_forged_pushes_are_refused(caplog: pytest.LogCaptureFixture) -> None:
    """No header, a forged signature or the wrong secret answer 401, logged without secrets."""
    caplog.set_level(logging.INFO)
    forged = PUSH.replace(b"abc123", b"evil00")

    async def scenario(client: httpx.AsyncClient, hook: GitHubWebhook) -> None:
        assert await _post(client, PUSH, _headers("push", None, DELIVERY)) == 401
        assert await _post(client, forged, _headers("push", _sign(PUSH), DELIVERY)) == 401
        assert await _post(client, PUSH, _headers("push", _sign(PUSH, "guess"), DELIVERY)) == 401
        assert await _post(client, PUSH, _headers("push", "sha256=nothex", DELIVERY)) == 401

    assert _serve(scenario) == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4
    assert all(DELIVERY in r.getMessage() for r in warnings)
    assert SECRET not in caplog.text


def test_ping_other_events_and_bad_json() -> None:
    """A signed ping is 200, another event 204, a push whose body is not JSON 400."""
    ping = b'{"zen": "Keep it logically awesome."}'

    async def scenario(client: httpx.AsyncClient, hook: GitHubWebhook) -> None:
        assert await _post(client, ping, _headers("ping", _sign(ping))) == 200
        assert await _post(client, PUSH, _headers("issues", _sign(PUSH))) == 204
        assert await _post(client, b"{not json", _headers("push", _sign(b"{not json"))) == 400
        assert await _post(client, b"[]", _headers("push", _sign(b"[]"))) == 400

    assert _serve(scenario) == []


def test_push_to_another_branch_is_ignored() -> None:
    """With a branch set, a push to another branch is 202 but schedules nothing."""
    other = json.dumps({"ref": "refs/heads/drafts"}).encode()

    async def scenario(client: httpx.AsyncClient, hook: GitHubWebhook) -> None:
        assert await _post(client, other, _headers("push", _sign(other))) == 202
        assert await _post(client, PUSH, _headers("push", _sign(PUSH))) == 202

    assert _serve(scenario, branch="main") == ["refs/heads/main"]


def test_no_secret_configured_refuses_everything(caplog: pytest.LogCaptureFixture) -> None:
    """Without a secret every delivery is 503 with a WARNING saying so, and nothing runs."""

    async def scenario(client: httpx.AsyncClient, hook: GitHubWebhook) -> None:
        assert await _post(client, PUSH, _headers("push", _sign(PUSH))) == 503

    assert _serve(scenario, secret=None) == []
    assert _serve(scenario, secret="") == []
    assert "webhook secret not configured" in caplog.text
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_failing_scan_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    """An on_push that raises is logged by the task; the delivery still got its 202."""

    async def boom(ref: str) -> None:
        raise RuntimeError("scan exploded")

    async def main() -> int:
        hook = GitHubWebhook(SecretStr(SECRET), boom)
        status = await hook(PUSH, _headers("push", _sign(PUSH)))
        await hook.drain()
        return status

    assert asyncio.run(main()) == 202
    assert "the scan after the push failed" in caplog.text


def test_a_replayed_delivery_triggers_nothing() -> None:
    """The same signed delivery sent again answers 200 and schedules no second scan; a
    forged copy of a delivery id does not make the real one count as a replay."""

    async def scenario(client: httpx.AsyncClient, hook: GitHubWebhook) -> None:
        assert await _post(client, PUSH, _headers("push", _sign(PUSH, "guess"), DELIVERY)) == 401
        assert await _post(client, PUSH, _headers("push", _sign(PUSH), DELIVERY)) == 202
        await hook.drain()
        for _ in range(50):
            assert await _post(client, PUSH, _headers("push", _sign(PUSH), DELIVERY)) == 200

    assert _serve(scenario) == ["refs/heads/main"]


def test_a_burst_of_pushes_makes_one_scan_and_one_more_after_it() -> None:
    """Pushes arriving while a scan runs coalesce into a single scan after it."""
    release = asyncio.Event()
    pushed: list[str] = []

    async def slow_scan(ref: str) -> None:
        pushed.append(ref)
        await release.wait()

    async def main() -> list[int]:
        hook = GitHubWebhook(SecretStr(SECRET), slow_scan)
        statuses = [await hook(PUSH, _headers("push", _sign(PUSH))) for _ in range(20)]
        await asyncio.sleep(0.05)
        assert pushed == ["refs/heads/main"], "one scan at a time"
        release.set()
        await hook.drain()
        statuses.append(await hook(PUSH, _headers("push", _sign(PUSH))))
        await hook.drain()
        return statuses

    assert asyncio.run(main()) == [202] * 21
    assert pushed == ["refs/heads/main"] * 3


# --- the pull request client against the sandbox -------------------------------------------


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A started sandbox (its fake GitHub is what these tests talk to)."""
    with Sandbox() as sandbox:
        yield sandbox


def _with_client(
    sb: Sandbox, scenario: Callable[[GitHubClient], Awaitable[None]], token: str | None = None
) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(timeout=10.0) as http:
            secret = SecretStr(token or sb.credentials.github_token)
            await scenario(GitHubClient(http, sb.github_api_url, secret, sb.github.repository))

    asyncio.run(main())


def test_find_open_then_find_again(sb: Sandbox) -> None:
    """No pull request at first; open_pull creates one, which find_open_pull then returns."""

    async def scenario(github: GitHubClient) -> None:
        assert await github.find_open_pull(HEAD) is None
        pull = await github.open_pull(HEAD, "main", "Add comment links", "Body")
        assert (pull["number"], pull["html_url"]) == (1, "https://github.com/blog-team/blog/pull/1")
        found = await github.find_open_pull(HEAD)
        assert found is not None and found["number"] == 1
        await github.comment(1, "Scanned again.")
        with pytest.raises(PullRequestExists, match="already exists for blog-team:"):
            await github.open_pull(HEAD, "main", "Again", "Body")
        with pytest.raises(Permanent, match=r"no pull request #7 in blog-team/blog"):
            await github.comment(7, "Nobody home.")

    _with_client(sb, scenario)
    assert [c["body"] for c in sb.github.comments] == ["Scanned again."]


def test_ensure_pull_is_idempotent(sb: Sandbox) -> None:
    """A second ensure_pull returns the same pull request instead of opening another."""

    async def scenario(github: GitHubClient) -> None:
        first = await github.ensure_pull(HEAD, "main", "Add comment links", "Body")
        second = await github.ensure_pull(HEAD, "main", "Add comment links", "Body")
        assert first["number"] == second["number"] == 1

    _with_client(sb, scenario)
    assert len(sb.github.pulls) == 1


class _RacingTransport(httpx.AsyncBaseTransport):
    """Real HTTP; right after the first list, "another process" opens the pull request."""

    def __init__(self, sb: Sandbox) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._sb = sb
        self.raced = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.method == "GET" and not self.raced:
            self.raced = True  # the list was answered (empty) before this create
            url = f"{self._sb.github_api_url}/repos/{self._sb.github.repository}/pulls"
            payload = {"title": "Opened elsewhere", "head": HEAD, "base": "main"}
            headers = {"Authorization": f"Bearer {self._sb.credentials.github_token}"}
            async with httpx.AsyncClient() as other:
                created = await other.post(url, json=payload, headers=headers)
            assert created.status_code == 201
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def test_ensure_pull_recovers_from_already_exists(sb: Sandbox) -> None:
    """If the pull request appears between the look and the create, the 422 leads to it."""
    transport = _RacingTransport(sb)

    async def main() -> None:
        async with httpx.AsyncClient(transport=transport, timeout=10.0) as http:
            secret = SecretStr(sb.credentials.github_token)
            github = GitHubClient(http, sb.github_api_url, secret, sb.github.repository)
            pull = await github.ensure_pull(HEAD, "main", "Add comment links", "Body")
            assert (pull["number"], pull["title"]) == (1, "Opened elsewhere")

    asyncio.run(main())
    assert transport.raced
    statuses = [(r["method"], r["status"]) for r in sb.requests if r["service"] == "github"]
    assert statuses == [("GET", 200), ("POST", 201), ("POST", 422), ("GET", 200)]
    assert len(sb.github.pulls) == 1


def test_bad_token_error_names_the_setting_not_the_token(sb: Sandbox) -> None:
    """A wrong token is a one-line Permanent naming github.token, never the token itself."""
    token = "ghp_" + "X" * 36
    errors: list[ChannelError] = []

    async def scenario(github: GitHubClient) -> None:
        with pytest.raises(Permanent) as caught:
            await github.ensure_pull(HEAD, "main", "t", "b")
        errors.append(caught.value)

    _with_client(sb, scenario, token=token)
    text = str(errors[0])
    assert "github.token" in text and "Bad credentials" in text and errors[0].status == 401
    assert token not in text and "\n" not in text
    assert errors[0].__cause__ is None


def test_missing_repository_and_server_errors(sb: Sandbox) -> None:
    """404 names github.repository; a 503 and a 429 are Retryable, the 429 with its wait."""

    async def scenario(github: GitHubClient) -> None:
        async with httpx.AsyncClient() as http:
            secret = SecretStr(sb.credentials.github_token)
            lost = GitHubClient(http, sb.github_api_url, secret, "blog-team/gone")
            with pytest.raises(Permanent, match=r"github\.repository") as caught:
                await lost.find_open_pull(HEAD)
            assert caught.value.status == 404
        sb.github.faults.queue("github", "503", "429")
        with pytest.raises(Retryable) as server:
            await github.find_open_pull(HEAD)
        assert server.value.status == 503
        with pytest.raises(Retryable) as limited:
            await github.open_pull(HEAD, "main", "t", "b")
        assert (limited.value.status, limited.value.wait) == (429, 1.0)
        sb.github.read_only = True
        with pytest.raises(Permanent, match=r"github\.token may not"):
            await github.open_pull(HEAD, "main", "t", "b")

    _with_client(sb, scenario)
    assert sb.github.pulls == []


def test_bad_settings_are_config_errors() -> None:
    """A repository that is not "owner/name", or an empty token, is a ConfigError naming it."""

    async def main() -> None:
        async with httpx.AsyncClient() as http:
            with pytest.raises(ConfigError, match=r"github\.repository"):
                GitHubClient(http, "http://127.0.0.1:1", SecretStr("t"), "just-a-name")
            with pytest.raises(ConfigError, match=r"github\.token"):
                GitHubClient(http, "http://127.0.0.1:1", SecretStr(""), "a/b")

    asyncio.run(main())
