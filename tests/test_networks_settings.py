"""The [mastodon] and [webhook] sections: environment overrides and one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from heartbeat_bot.channels import registry
from heartbeat_bot.channels.settings import load_config
from heartbeat_bot.errors import ConfigError

SLACK_URL = "https://hooks.slack.com/triggers/T0001/0002/abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A settings file enabling both, and an environment without HEARTBEAT_ variables."""
    for name in [n for n in os.environ if n.upper().startswith("HEARTBEAT_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "heartbeat.toml"
    path.write_text(
        '[mastodon]\nenabled = true\nurl = "https://fosstodon.org"\naccess_token = "from-file"\n'
        f'[webhook]\nenabled = true\nurl = "{SLACK_URL}"\nsecret = "from-file-secret"\n',
        encoding="utf-8",
    )
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    line = str(info.value)
    assert line.startswith("config error: ") and "\n" not in line
    return line


def test_environment_overrides_the_file(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HEARTBEAT_MASTODON__* and HEARTBEAT_WEBHOOK__* win over the file, as for every section."""
    monkeypatch.setenv("HEARTBEAT_MASTODON__ACCESS_TOKEN", "from-env")
    monkeypatch.setenv("HEARTBEAT_MASTODON__VISIBILITY", "unlisted")
    monkeypatch.setenv("HEARTBEAT_WEBHOOK__SECRET", "from-env-secret")
    config = load_config(config_file)
    mastodon = registry.unit("mastodon").section(config)
    webhook = registry.unit("webhook").section(config)
    assert mastodon.access_token.get_secret_value() == "from-env"
    assert mastodon.visibility == "unlisted" and mastodon.max_posts == 4
    assert webhook.secret.get_secret_value() == "from-env-secret"
    assert registry.enabled(config) == ("mastodon", "webhook")


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("HEARTBEAT_MASTODON__VISIBILITY", "direct", "mastodon.visibility"),
        ("HEARTBEAT_MASTODON__LANGUAGE", "English", "mastodon.language"),
        ("HEARTBEAT_MASTODON__MAX_POSTS", "0", "mastodon.max_posts"),
        ("HEARTBEAT_MASTODON__URL", "ftp://example.org", "mastodon.url"),
    ],
)
def test_bad_values_are_one_line_naming_the_setting(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    """Each bad value is refused in one line that names its setting."""
    monkeypatch.setenv(variable, value)
    assert words in error_of(config_file)


def test_an_enabled_section_needs_its_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """enabled = true without the URL or the secret names what is missing."""
    for name in [n for n in os.environ if n.upper().startswith("HEARTBEAT_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "heartbeat.toml"
    path.write_text("[mastodon]\nenabled = true\n", encoding="utf-8")
    assert "mastodon.url is required" in error_of(path)
    path.write_text(f'[webhook]\nenabled = true\nurl = "{SLACK_URL}"\n', encoding="utf-8")
    assert "webhook.secret is required" in error_of(path)


def test_a_bad_webhook_url_is_refused_without_quoting_it(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The webhook URL is a credential: its error names the setting, never the value."""
    monkeypatch.setenv(
        "HEARTBEAT_WEBHOOK__URL", "https://user:pw@hooks.example.org/abcdefghijklmnop"
    )
    line = error_of(config_file)
    assert "webhook.url" in line and "abcdefghijklmnop" not in line and "pw@" not in line
