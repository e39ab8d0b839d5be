"""Settings from the environment: every variable shaped like a setting must name one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from heartbeat_bot.channels.settings import load_config
from heartbeat_bot.config import NOT_SETTINGS
from heartbeat_bot.errors import ConfigError


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A valid settings file, and an environment without the caller's HEARTBEAT_ variables."""
    for name in [n for n in os.environ if n.upper().startswith("HEARTBEAT_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "heartbeat.toml"
    path.write_text("[discourse]\ncategory = 7\n", encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    line = str(info.value)
    assert line.startswith("config error: ") and "\n" not in line
    return line


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("HEARTBEAT_DISCOURSE_API_KEY", "HEARTBEAT_DISCOURSE__API_KEY"),
        ("HEARTBEAT_GITHUB_TOKEN", "HEARTBEAT_GITHUB__TOKEN"),
        ("HEARTBEAT_SERVICE_HTTP", "HEARTBEAT_SERVICE__HTTP"),
        ("HEARTBEAT_DISCORD_BOT_TOKEN", "HEARTBEAT_DISCORD__BOT_TOKEN"),
        ("HEARTBEAT_DISCOURSE__APIKEY", "HEARTBEAT_DISCOURSE__API_KEY"),
        ("HEARTBEAT_DISCORD__BOT__TOKEN", "HEARTBEAT_DISCORD__BOT_TOKEN"),
        ("HEARTBEAT_TWITER__CONSUMER_KEY", "HEARTBEAT_TWITTER__CONSUMER_KEY"),
        ("heartbeat_discourse_api_key", "HEARTBEAT_DISCOURSE__API_KEY"),
    ],
)
def test_misspelt_variable_is_named_with_its_right_spelling(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, name: str, suggestion: str
) -> None:
    """A variable shaped like a setting that names none is refused, with the right name."""
    monkeypatch.setenv(name, "s3cret-value")
    line = error_of(config_file)
    assert name in line and f"did you mean {suggestion}?" in line
    assert "s3cret-value" not in line


def test_unknown_key_without_a_close_spelling_lists_the_section(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no close spelling, the error lists the keys the section has."""
    monkeypatch.setenv("HEARTBEAT_DISCOURSE_PASSWORD", "x")
    line = error_of(config_file)
    assert "HEARTBEAT_DISCOURSE_PASSWORD names no setting" in line
    assert "the [discourse] settings are enabled, url, api_username, api_key" in line


def test_a_whole_section_in_one_variable_is_refused(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HEARTBEAT_<SECTION> alone is not a setting: one variable per setting."""
    monkeypatch.setenv("HEARTBEAT_BLOG", '{"poll_interval": 5}')
    line = error_of(config_file)
    assert "HEARTBEAT_BLOG: set each [blog] setting in a variable of its own" in line


def test_variables_that_are_not_settings_stay_valid(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HEARTBEAT_CONFIG, the test suite's variables and other programs' are left alone."""
    assert {"HEARTBEAT_CONFIG", "HEARTBEAT_SHARED", "HEARTBEAT_UPDATE_SNAPSHOTS"} <= NOT_SETTINGS
    for name in (*NOT_SETTINGS, "HEARTBEAT_URL", "HEARTBEATS_DISCOURSE__X", "HEARTBEAT"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("HEARTBEAT_DISCOURSE__CATEGORY", "9")
    assert load_config(config_file).discourse.category == 9


def test_kubernetes_service_links_are_not_settings(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What Kubernetes sets for a Service named "heartbeat" (HEARTBEAT_SERVICE_HOST and
    _PORT, HEARTBEAT_PORT_8080_TCP...) does not stop heartbeat-bot in its pod."""
    links = {
        "HEARTBEAT_SERVICE_HOST": "10.0.0.7",
        "HEARTBEAT_SERVICE_PORT": "8080",
        "HEARTBEAT_SERVICE_PORT_HTTP": "8080",
        "HEARTBEAT_PORT": "tcp://10.0.0.7:8080",
        "HEARTBEAT_PORT_8080_TCP_ADDR": "10.0.0.7",
    }
    for name, value in links.items():
        monkeypatch.setenv(name, value)
    assert load_config(config_file).service.http == "127.0.0.1:8080"
    monkeypatch.setenv("HEARTBEAT_SERVICE_HTTPS", "1")  # still a near miss of a setting
    assert "HEARTBEAT_SERVICE__HTTP" in error_of(config_file)


def test_variable_names_ignore_case(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """heartbeat_discourse__category sets discourse.category, as pydantic-settings reads it."""
    monkeypatch.setenv("heartbeat_discourse__category", "11")
    assert load_config(config_file).discourse.category == 11


def test_one_setting_from_two_variables_is_refused(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two spellings of one setting (differing in case) are refused rather than picked from."""
    monkeypatch.setenv("HEARTBEAT_DISCOURSE__CATEGORY", "11")
    monkeypatch.setenv("heartbeat_discourse__category", "12")
    line = error_of(config_file)
    assert "both set discourse.category" in line


def test_source_is_not_a_setting(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HEARTBEAT_SOURCE cannot move where relative paths resolve (it is not a setting)."""
    monkeypatch.setenv("HEARTBEAT_SOURCE", "/somewhere/else.toml")
    config = load_config(config_file)
    assert config.source == config_file.resolve()
    assert config.state_path == tmp_path.resolve() / "state" / "heartbeat.sqlite3"


@pytest.mark.parametrize("value", ["[1,", "1,2", "[1, 2"])
def test_malformed_list_names_the_variable(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """A list that is not JSON names its variable and the setting, on one line."""
    monkeypatch.setenv("HEARTBEAT_DISCORD__ALLOWED_ROLE_IDS", value)
    line = error_of(config_file)
    assert line.startswith(
        "config error: environment variable HEARTBEAT_DISCORD__ALLOWED_ROLE_IDS: "
        "discord.allowed_role_ids must be a JSON list such as [123, 456]"
    )


def test_lists_from_the_environment_are_read(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON lists in variables become lists, also for a setting that may be unset."""
    monkeypatch.setenv("HEARTBEAT_DISCORD__ALLOWED_ROLE_IDS", "[1, 2]")
    monkeypatch.setenv("HEARTBEAT_DISCORD__READ_ROLE_IDS", "[3]")
    config = load_config(config_file)
    assert (config.discord.allowed_role_ids, config.discord.read_role_ids) == ([1, 2], [3])


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HEARTBEAT_SERVICE__HTTP", "127.0.0.1:99999", "service.http: port must be 1-65535"),
        ("HEARTBEAT_BLOG__POLL_INTERVAL", "inf", "blog.poll_interval must be a finite number"),
        ("HEARTBEAT_DISCOURSE__CATEGORY", "-7", "discourse.category must be at least 1"),
        ("HEARTBEAT_DISCORD__READ_ROLE_IDS", "[0]", "discord.read_role_ids must be at least 1"),
    ],
)
def test_bad_value_names_its_variable(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    """A bad value from the environment names the setting and the variable it came from."""
    monkeypatch.setenv(name, value)
    line = error_of(config_file)
    assert message in line and line.endswith(f"(from {name})")


def test_bad_secret_from_the_environment_is_not_echoed(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A malformed webhook URL in the environment is named, its token never shown."""
    monkeypatch.setenv(
        "HEARTBEAT_DISCORD__WEBHOOK_URL", "https://discord.com/api/hooks/1/leaky-token-value"
    )
    line = error_of(config_file)
    assert "discord.webhook_url" in line and "HEARTBEAT_DISCORD__WEBHOOK_URL" in line
    assert "leaky-token-value" not in line
