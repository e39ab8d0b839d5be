"""The console over real loopback HTTP: logins, headers, CSRF, throttling and sessions."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from heartbeat_bot.app.passwords import verify_password
from heartbeat_bot.sandbox import Sandbox
from tests.web.console_env import (
    GITHUB_WEBHOOK_SECRET,
    OTHER,
    PASSWORD,
    ConsoleService,
    csrf,
    login,
    origin,
    start,
)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleService]:
    """One running service with the console on, shared by this module's tests."""
    with Sandbox(rate_limit_wait=0.2) as sandbox:
        github = {
            "token": sandbox.credentials.github_token,
            "webhook_secret": GITHUB_WEBHOOK_SECRET,
        }
        service = start(
            tmp_path_factory.mktemp("console-http"), sandbox, sections={"github": github}
        )
        try:
            yield service
        finally:
            assert service.running.stop() == 0, service.log()


def test_pages_need_a_login_but_health_metrics_and_webhook_do_not(console: ConsoleService) -> None:
    """Every console page sends a stranger to the login form; /healthz and /metrics answer."""
    with httpx.Client(base_url=console.base) as client:
        for path in ("/", "/upcoming", "/health", f"/posts/{console.slug_in('failed')}"):
            answer = client.get(path)
            assert (answer.status_code, answer.headers["location"]) == (303, "/login"), path
        assert client.get("/changes").status_code == 401
        assert client.get("/healthz").text == "ok\n"
        assert "heartbeat_up 1.0" in client.get("/metrics").text
        assert "Content-Security-Policy" not in client.get("/healthz").headers


def test_headers_and_cookie_are_strict(console: ConsoleService) -> None:
    """Pages, errors and redirects carry a strict CSP and the usual headers; the cookie is
    HttpOnly and Strict."""
    with httpx.Client(base_url=console.base) as client:
        for answer in (client.get("/"), client.get("/changes"), client.get("/static/nope.js")):
            assert "default-src 'none'" in answer.headers["content-security-policy"], answer
            assert answer.headers["x-frame-options"] == "DENY"
        page = client.get("/login")
        assert page.status_code == 200
        cookie = page.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert "Secure" not in cookie  # plain http on loopback
        assert login(client).status_code == 303
        for path in ("/login", "/", "/static/console.js", "/posts/no-such-post", "/?q=x"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert "default-src 'none'" in csp and "script-src 'self'" in csp
            assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["x-frame-options"] == "DENY"
            assert headers["referrer-policy"] == "same-origin"
            assert headers["cache-control"] == "no-store"


def test_a_wrong_password_is_refused(console: ConsoleService) -> None:
    """A wrong password, or an unknown name, is 401 and leaves the visitor logged out."""
    with httpx.Client(base_url=console.base) as client:
        assert login(client, password="not the password").status_code == 401
        assert login(client, name="mallory", password=PASSWORD).status_code == 401
        assert client.get("/").status_code == 303
    assert "failed login from 127.0.0.1 as admin" in console.log()
    assert "mallory" not in console.log()


def test_a_form_without_its_csrf_token_changes_nothing(console: ConsoleService) -> None:
    """A POST without the session's token, with another's, or from another origin is 403."""
    slug = console.slug_in("failed")
    before = console.pairs()
    with httpx.Client(base_url=console.base) as client:
        assert login(client).status_code == 303
        token = csrf(client.get(f"/posts/{slug}").text)
        action = f"/posts/{slug}/discord/skip"
        assert client.post(action, data={}, headers=origin(client)).status_code == 403
        assert (
            client.post(action, data={"csrf": "x" * 43}, headers=origin(client)).status_code == 403
        )
        evil = {"Origin": "http://evil.example"}
        assert client.post(action, data={"csrf": token}, headers=evil).status_code == 403
    with httpx.Client(base_url=console.base) as stranger:
        answer = stranger.post(action, data={"csrf": token}, headers=origin(stranger))
        assert answer.status_code == 401
    assert console.pairs() == before
    assert "CSRF token missing or wrong" in console.log()


def test_logins_are_throttled_per_address(console: ConsoleService) -> None:
    """After five wrong passwords from one address even the right one waits (429)."""
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=console.base, transport=transport) as client:
        for _ in range(5):
            assert login(client, password="wrong password").status_code == 401
        refused = login(client)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "Too many failed logins" in refused.text
    with httpx.Client(base_url=console.base) as elsewhere:  # another address is not held up
        assert login(elsewhere).status_code == 303


def test_wrong_passwords_sent_together_are_throttled_too(console: ConsoleService) -> None:
    """Ten wrong passwords sent at once from one address: at most five are checked, the
    others wait (429), so guesses cannot race past the count."""
    transport = httpx.HTTPTransport(local_address="127.0.0.3")
    clients = [httpx.Client(base_url=console.base, transport=transport) for _ in range(10)]
    try:
        tokens = [csrf(c.get("/login").text) for c in clients]
        go = threading.Barrier(len(clients))
        answers: list[int] = []

        def guess(client: httpx.Client, token: str) -> None:
            go.wait()
            data = {"csrf": token, "username": "admin", "password": "a wrong guess"}
            answers.append(client.post("/login", data=data, headers=origin(client)).status_code)

        threads = [
            threading.Thread(target=guess, args=p) for p in zip(clients, tokens, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for client in clients:
            client.close()
    assert sorted(answers).count(401) <= 5 and len(answers) == 10, answers
    assert set(answers) == {401, 429}


def test_forwarded_for_is_ignored_without_a_public_url(console: ConsoleService) -> None:
    """Without service.public_url, X-Forwarded-For is not believed: a new one per guess
    does not escape the throttle, and the log names the real peer."""
    transport = httpx.HTTPTransport(local_address="127.0.0.4")
    with httpx.Client(base_url=console.base, transport=transport) as client:
        for n in range(5):
            client.headers["X-Forwarded-For"] = f"203.0.113.{n}"
            assert login(client, password="wrong password").status_code == 401
        client.headers["X-Forwarded-For"] = "198.51.100.99"
        assert login(client).status_code == 429
    assert "failed login from 127.0.0.4 as admin" in console.log()
    assert "203.0.113." not in console.log()


def test_a_login_gets_a_new_session_and_logging_out_ends_it(console: ConsoleService) -> None:
    """The session id known before login opens nothing after it (no fixation); after
    logging out, the old cookie opens no page and changes nothing."""
    with httpx.Client(base_url=console.base) as client:
        form = client.get("/login")
        before = client.cookies["heartbeat_session"]
        assert login(client).status_code == 303
        after = client.cookies["heartbeat_session"]
        assert after != before and len(after) >= 40
        token = csrf(client.get("/").text)
        answer = client.post("/logout", data={"csrf": token}, headers=origin(client))
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
        assert 'heartbeat_session=""' in answer.headers["set-cookie"]
    assert form.status_code == 200
    for cookie in (before, after):
        with httpx.Client(base_url=console.base, cookies={"heartbeat_session": cookie}) as old:
            assert old.get("/").headers["location"] == "/login?expired=1"
            skip = f"/posts/{console.slug_in('failed')}/discord/skip"
            assert old.post(skip, data={"csrf": token}, headers=origin(old)).status_code == 401


def test_every_action_is_logged_with_who_and_from_where(console: ConsoleService) -> None:
    """Settling the unknown pair by its link is done as alice, from 127.0.0.1, in the log."""
    slug = console.slug_in("unknown")
    with httpx.Client(base_url=console.base) as client:
        assert login(client, *OTHER).status_code == 303
        token = csrf(client.get(f"/posts/{slug}").text)
        link = "https://discord.com/channels/1/2/3"
        answer = client.post(
            f"/posts/{slug}/discord/done",
            data={"csrf": token, "url": link},
            headers=origin(client),
        )
        assert answer.status_code == 303
        page = client.get(answer.headers["location"]).text
    assert console.pairs()[(slug, "discord")] == "done"
    assert f"marked done by hand (by alice): {link}" in page
    assert f"console: done {slug} discord at {link} by alice from 127.0.0.1" in console.log()


def test_no_secret_appears_in_any_page(console: ConsoleService) -> None:
    """No credential, password or hash (every channel's, GitHub's, the accounts') is in
    any page the console serves: pages, filters, errors, refusals and static files."""
    with httpx.Client(base_url=console.base) as stranger:
        pages = [stranger.get("/login").text, login(stranger, password="wrong one").text]
        pages.append(stranger.post("/posts/x/approval/approve", data={"csrf": "x"}).text)
    with httpx.Client(base_url=console.base) as client:
        assert login(client).status_code == 303
        paths = ["/", "/upcoming", "/health", "/login", "/changes", "/posts/no-such-post"]
        paths += [f"/?filter={key}" for key in ("failed", "unknown", "waiting", "problems")]
        paths += ["/static/console.js", "/static/console.css", "/?q=heartbeat"]
        pages += [client.get(p, follow_redirects=True).text for p in paths]
        pages += [client.get(f"/posts/{slug}").text for slug, _ in console.pairs()]
        slug = console.slug_in("failed")
        refused = client.post(f"/posts/{slug}/discord/skip", data={}, headers=origin(client))
        assert refused.status_code == 403
        pages.append(refused.text)
    assert len(pages) > 20 and all(pages)
    for secret in console.secrets:
        assert len(secret) >= 8
        assert not any(secret in page for page in pages), secret[:4]


def test_an_expired_session_is_refused_and_https_makes_the_cookie_secure(
    tmp_path: Path,
) -> None:
    """Past web.session_ttl the cookie opens nothing; with an https public_url it is Secure."""
    with Sandbox(rate_limit_wait=0.2) as sandbox:
        service = start(
            tmp_path,
            sandbox,
            web={"session_ttl": 2},
            service={"public_url": "https://console.example"},
            settle=False,
        )
        try:
            with httpx.Client(base_url=service.base) as client:
                form = client.get("/login")
                assert "Secure" in form.headers["set-cookie"]
                # A Secure cookie travels over https only: the test hands it over itself.
                anonymous = form.headers["set-cookie"].split(";", 1)[0]
                answer = client.post(
                    "/login",
                    data={"csrf": csrf(form.text), "username": "admin", "password": PASSWORD},
                    headers={"Cookie": anonymous, **origin(client)},
                )
                assert answer.status_code == 303, answer.text
                assert "Secure" in answer.headers["set-cookie"]
                assert answer.headers["strict-transport-security"].startswith("max-age=")
                cookie = answer.headers["set-cookie"].split(";", 1)[0]
            with httpx.Client(base_url=service.base, headers={"Cookie": cookie}) as client:
                assert client.get("/").status_code == 200
                token = csrf(client.get("/").text)
                time.sleep(2.5)
                stale = client.get("/")
                assert (stale.status_code, stale.headers["location"]) == (303, "/login?expired=1")
                post = client.post(
                    "/logout", data={"csrf": token}, headers={"Origin": "https://console.example"}
                )
                assert post.status_code == 401
        finally:
            assert service.running.stop() == 0, service.log()


def test_behind_a_proxy_the_throttle_and_log_use_the_address_it_appended(
    tmp_path: Path,
) -> None:
    """With service.public_url set, a loopback peer's last X-Forwarded-For entry is the
    client: its guesses are counted apart from another client's, and logged by it; an
    entry that is not an address counts as the proxy itself."""
    with Sandbox(rate_limit_wait=0.2) as sandbox:
        public = {"public_url": "http://console.example"}
        service = start(tmp_path, sandbox, service=public, settle=False)
        try:
            with httpx.Client(base_url=service.base) as client:
                client.headers["X-Forwarded-For"] = "10.0.0.1, 203.0.113.7"
                for _ in range(5):
                    assert login(client, password="wrong password").status_code == 401
                assert login(client).status_code == 429
                client.headers["X-Forwarded-For"] = "203.0.113.7, 198.51.100.8"
                assert login(client).status_code == 303
            with httpx.Client(base_url=service.base) as client:
                client.headers["X-Forwarded-For"] = "admin logged in"
                assert login(client, password="wrong password").status_code == 401
            log = service.log()
            assert "failed login from 203.0.113.7 as admin" in log
            assert "admin logged in from 198.51.100.8" in log
            assert "failed login from 127.0.0.1 as admin" in log
            assert "10.0.0.1" not in log
        finally:
            assert service.running.stop() == 0, service.log()


def test_hash_password_reads_stdin_and_prints_a_hash_that_verifies() -> None:
    """`web hash-password` turns one line of stdin into a scrypt hash of that password."""
    done = subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", "web", "hash-password"],
        input="a good long password\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    hashed = done.stdout.strip()
    assert hashed.startswith("scrypt$") and "a good long password" not in hashed
    assert verify_password("a good long password", hashed)
    assert not verify_password("a good long passwore", hashed)
    short = subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", "web", "hash-password"],
        input="short\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert short.returncode == 2 and short.stdout == ""
    assert "at least 8 characters" in short.stderr
