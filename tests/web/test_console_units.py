"""The console's pure parts: password hashes, sessions, throttling and its settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from heartbeat_bot.app.passwords import hash_password, verify_password
from heartbeat_bot.channels.settings import load_config
from heartbeat_bot.errors import ConfigError
from heartbeat_bot.web.console.security import safe_next
from heartbeat_bot.web.console.sessions import Sessions, Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_hashes_are_salted_and_verify_only_their_password() -> None:
    """Two hashes of one password differ; each verifies that password and no other."""
    first, second = hash_password("open sesame!"), hash_password("open sesame!")
    assert first != second
    assert verify_password("open sesame!", first) and verify_password("open sesame!", second)
    assert not verify_password("open sesame?", first)
    assert not verify_password("open sesame!", "scrypt$1$1$1$AAAA$BBBB")
    with pytest.raises(ValueError, match="at least 8"):
        hash_password("short")


def test_sessions_expire_and_logins_get_a_new_id() -> None:
    """A session is gone after its ttl; a login session is new, not the anonymous one."""
    clock = Clock()
    sessions = Sessions(ttl=60.0, clock=clock)
    anonymous = sessions.new()
    user = sessions.new("admin")
    assert anonymous.id != user.id and anonymous.csrf != user.csrf
    clock.now += 59
    assert sessions.get(user.id) is user
    clock.now += 2
    assert sessions.get(user.id) is None
    assert sessions.get("made-up") is None


def test_throttle_holds_an_address_after_five_failures_for_the_window() -> None:
    """Five failures hold the address until the first of them leaves the window."""
    clock = Clock()
    throttle = Throttle(max_failures=5, window=300.0, clock=clock)
    for _ in range(5):
        assert throttle.wait("10.0.0.1") == 0.0
        throttle.failed("10.0.0.1")
        clock.now += 1
    assert throttle.wait("10.0.0.1") == pytest.approx(295.0)
    assert throttle.wait("10.0.0.2") == 0.0
    clock.now += 296
    assert throttle.wait("10.0.0.1") == 0.0


def test_redirects_stay_on_the_site() -> None:
    """Only a local path is a place to go back to; another host falls back to the default."""
    assert safe_next("/posts/x") == "/posts/x"
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example", None, ""):
        assert safe_next(bad) == "/"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[web]\npassword_hash = "hunter22"\n', "web.password_hash must be a hash printed by"),
        ('[web.users]\n"bad name" = "x"\n', "account name 'bad name'"),
        ("[web]\nsession_ttl = 0\n", "web.session_ttl"),
        ('[service]\npublic_url = "console.example"\n', "service.public_url"),
    ],
)
def test_bad_web_settings_are_one_clear_line(tmp_path: Path, toml: str, expected: str) -> None:
    """A password where a hash belongs, a bad account name or ttl, or a bad URL is named."""
    path = tmp_path / "c.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert expected in message and "\n" not in message
    assert "hunter22" not in message


def test_accounts_are_admin_and_the_named_users(tmp_path: Path) -> None:
    """password_hash is the account "admin"; [web.users] adds the others by name."""
    admin, alice = hash_password("admin password"), hash_password("alice password")
    path = tmp_path / "c.toml"
    path.write_text(
        f'[web]\npassword_hash = "{admin}"\n[web.users]\nalice = "{alice}"\n', encoding="utf-8"
    )
    assert load_config(path).web.accounts() == {"admin": admin, "alice": alice}


def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended() -> None:
    """Only behind a proxy on this host is X-Forwarded-For read, and only its last entry."""
    from aiohttp.test_utils import make_mocked_request

    from heartbeat_bot.web.console.security import client_address

    def request(peer: str, forwarded: str | None) -> object:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        made = make_mocked_request("POST", "/login", headers=headers)
        made._transport_peername = (peer, 1234)  # type: ignore[attr-defined]
        return made

    spoofed = request("127.0.0.1", "10.9.9.9, 203.0.113.7")
    assert client_address(spoofed, behind_proxy=True) == "203.0.113.7"  # type: ignore[arg-type]
    assert client_address(spoofed, behind_proxy=False) == "127.0.0.1"  # type: ignore[arg-type]
    junk = request("127.0.0.1", "203.0.113.7, console: admin logged in")
    assert client_address(junk, behind_proxy=True) == "127.0.0.1"  # type: ignore[arg-type]
    remote = request("198.51.100.4", "203.0.113.7")
    assert client_address(remote, behind_proxy=True) == "198.51.100.4"  # type: ignore[arg-type]
