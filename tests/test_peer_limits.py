"""GitHub, git, the alerts webhook and page checks against misbehaving loopback servers:
credentials never reach a second host, and no answer is read past the limit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from heartbeat_bot.errors import ChannelError, Permanent
from heartbeat_bot.service.alerts import Alerts
from heartbeat_bot.service.liveness import wait_until_live
from heartbeat_bot.sources.git import GitAuth, GitError, GitRepo
from heartbeat_bot.sources.github import GitHubClient
from heartbeat_bot.transport import MAX_ANSWER_BYTES, MAX_REDIRECTS
from tests.misbehaving import HUGE, Servers, huge, json_answer, raw_answer, redirect

TOKEN = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"
WEBHOOK_TOKEN = "alerts-webhook-token-0123456789abcdefghij"


@pytest.fixture
def servers() -> Iterator[Servers]:
    with Servers() as both:
        yield both


def github_fails(servers: Servers) -> ChannelError:
    """find_open_pull through a client that would follow any redirect on its own."""

    async def main() -> None:
        async with httpx.AsyncClient(follow_redirects=True) as http:
            client = GitHubClient(http, servers.first_url(), SecretStr(TOKEN), "owner/blog")
            await client.find_open_pull("heartbeat-bot/comments")

    with pytest.raises(ChannelError) as caught:
        asyncio.run(main())
    return caught.value


def test_github_token_never_follows_a_redirect_to_another_host(servers: Servers) -> None:
    """GitHub answering a redirect elsewhere is a Permanent naming the host; the token is
    never sent there, even on a client built to follow redirects."""
    servers.on("/", redirect(307))
    error = github_fails(servers)
    assert isinstance(error, Permanent) and "127.0.0.2" in str(error)
    assert servers.second_seen == []
    assert servers.first_seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_github_follows_a_redirect_on_its_own_host(servers: Servers) -> None:
    """A renamed repository's 301 on the API host is followed, with the token."""
    servers.on("/repos/owner/blog/", redirect(301, to="first", path="/repos/owner/new/pulls"))
    servers.on("/repos/owner/new/", json_answer([]))

    async def main() -> object:
        async with httpx.AsyncClient() as http:
            client = GitHubClient(http, servers.first_url(), SecretStr(TOKEN), "owner/blog")
            return await client.find_open_pull("heartbeat-bot/comments")

    assert asyncio.run(main()) is None
    assert [s.path.split("?")[0] for s in servers.first_seen] == [
        "/repos/owner/blog/pulls",
        "/repos/owner/new/pulls",
    ]
    assert all(s.headers["Authorization"] == f"Bearer {TOKEN}" for s in servers.first_seen)


def test_github_huge_answer_is_not_read_whole(servers: Servers) -> None:
    """An endless answer from GitHub is a Permanent saying so, read no further than the limit."""
    servers.on("/", huge(200))
    error = github_fails(servers)
    assert 0 < servers.written < HUGE // 3
    assert isinstance(error, Permanent)
    assert f"answer larger than {MAX_ANSWER_BYTES} bytes" in str(error)


def test_git_token_never_reaches_a_redirected_host(servers: Servers, tmp_path: Path) -> None:
    """A git remote redirecting elsewhere fails the sync; git never sends the token to the
    other host (it would on the requests after following the redirect)."""
    servers.on("/blog.git/", redirect(301))
    advert = _pkt("# service=git-upload-pack\n") + b"0000"
    advert += _pkt("version 2\n") + _pkt("ls-refs\n") + b"0000"
    servers.on_second(
        "/blog.git/info/refs",
        raw_answer(advert, "application/x-git-upload-pack-advertisement"),
    )
    servers.on_second("/blog.git/git-upload-pack", raw_answer(b"0000", "application/x-git"))
    repo = GitRepo(
        servers.first_url("/blog.git"), "main", tmp_path / "clone", auth=GitAuth(token=TOKEN)
    )
    with pytest.raises(GitError):
        repo.sync()
    assert servers.first_seen and "Authorization" in servers.first_seen[0].headers
    assert [s for s in servers.second_seen if "Authorization" in s.headers] == []


def alert(servers: Servers, *, follow: bool = True) -> None:
    """Raise one alert through a client that would follow any redirect on its own."""
    url = SecretStr(servers.first_url(f"/api/webhooks/123/{WEBHOOK_TOKEN}"))

    async def main() -> None:
        async with httpx.AsyncClient(follow_redirects=follow) as http:
            alerts = Alerts(url, http)
            await alerts.pair_alert("p", "https://b/p", "discord", "failed", "gave up")

    asyncio.run(main())


def test_alerts_never_follow_a_redirect(servers: Servers, caplog: pytest.LogCaptureFixture) -> None:
    """The alerts webhook's URL holds its token: a redirect is logged, never followed."""
    servers.on("/", redirect(307))
    with caplog.at_level(logging.WARNING):
        alert(servers)
    assert servers.second_seen == [] and len(servers.first_seen) == 1
    assert "127.0.0.2" in caplog.text and WEBHOOK_TOKEN not in caplog.text


def test_alerts_read_no_huge_answer(servers: Servers, caplog: pytest.LogCaptureFixture) -> None:
    """An endless error answer from the webhook is logged as too large, not read whole."""
    servers.on("/", huge(400))
    with caplog.at_level(logging.WARNING):
        alert(servers)
    assert 0 < servers.written < HUGE // 3
    assert "answer larger than" in caplog.text


def live(url: str) -> bool:
    async def main() -> bool:
        return await wait_until_live(url, 0.0, asyncio.Event())

    return asyncio.run(main())


def test_page_checks_follow_redirects_to_another_host(servers: Servers) -> None:
    """A page check carries no credential: a redirect to another host is followed."""
    servers.on("/blog/", redirect(301))
    assert live(servers.first_url("/blog/post")) is True
    assert [s.method for s in servers.second_seen] == ["HEAD"]


def test_page_checks_follow_a_few_redirects_at_most(servers: Servers) -> None:
    """A redirect loop ends the check after a few hops, not httpx's twenty."""
    servers.on("/blog/", redirect(302, to="first"))
    assert live(servers.first_url("/blog/post")) is False
    assert len(servers.first_seen) == MAX_REDIRECTS + 1


def test_page_checks_read_no_body(servers: Servers) -> None:
    """A page answering GET (HEAD refused) with an endless body is live, and not read."""
    servers.on("/blog/", json_answer({}, 405), method="HEAD")
    servers.on("/blog/", huge(200))
    assert live(servers.first_url("/blog/post")) is True
    assert servers.written < HUGE // 3


def _pkt(text: str) -> bytes:
    """One git pkt-line: four hex digits of length, then the data."""
    data = text.encode()
    return b"%04x" % (len(data) + 4) + data
