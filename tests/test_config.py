"""Settings: file, environment overrides, one-line errors, secrets kept secret."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from heartbeat_bot.channels.settings import Config, load_config
from heartbeat_bot.config import config_path
from heartbeat_bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config" / "heartbeat.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "heartbeat.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads() -> None:
    """The documented example file is itself a valid configuration."""
    config = load_config(EXAMPLE)
    assert config.blog.post_url == "https://dvc.org/blog/{slug}"
    assert config.discourse.category == 7


def test_example_documents_every_key() -> None:
    """Every setting the program knows appears (set or commented out) in the example file."""
    text = EXAMPLE.read_text(encoding="utf-8")
    sections = re.findall(r"^\[(\w+)\]", text, flags=re.M)
    for name, field in Config.model_fields.items():
        if name == "source":
            continue
        assert name in sections, f"[{name}] missing from the example"
        section_text = text.split(f"[{name}]", 1)[1].split("\n[", 1)[0]
        for key in field.annotation.model_fields:  # type: ignore[union-attr]
            assert re.search(rf"^#? ?{key} =", section_text, flags=re.M), f"{name}.{key}"


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    """posts_dir and state.path resolve against the folder of the config file."""
    config = load_config(write(tmp_path, '[blog]\nposts_dir = "content"\n'))
    assert config.posts_dir == tmp_path.resolve() / "content"
    assert config.state_path == tmp_path.resolve() / "state" / "heartbeat.sqlite3"


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HEARTBEAT_<SECTION>__<KEY> wins over the file and merges with the rest of its section."""
    monkeypatch.setenv("HEARTBEAT_DISCOURSE__CATEGORY", "42")
    monkeypatch.setenv("HEARTBEAT_DISCOURSE__API_KEY", "s3cret-key")
    monkeypatch.setenv("HEARTBEAT_DISCORD__ALLOWED_ROLE_IDS", "[1, 2]")
    config = load_config(write(tmp_path, '[discourse]\ncategory = 7\nurl = "https://f.example"\n'))
    assert config.discourse.category == 42
    assert config.discourse.url == "https://f.example"
    assert config.discourse.api_key is not None
    assert config.discourse.api_key.get_secret_value() == "s3cret-key"
    assert config.discord.allowed_role_ids == [1, 2]
    assert "s3cret-key" not in repr(config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[discourse]\ncategory = "blog"\n', 'discourse.category must be an integer, got "blog"'),
        ("[discourse]\ncategori = 3\n", "discourse.categori is not a known setting"),
        ("[discord]\nmode = 'smoke'\n", "discord.mode must be one of 'bot' or 'webhook'"),
        ("[blog]\ntimezone = 'Mars/Olympus'\n", "blog.timezone must be an IANA time zone"),
        ("[blog]\npublish_time = '9am'\n", 'blog.publish_time must be "HH:MM"'),
        ("[blog]\npost_url = 'https://x.example/'\n", "blog.post_url must contain {slug}"),
        ("[bloggg]\n", "bloggg is not a known setting"),
        ("[twitter]\nmax_tweets = 0\n", "twitter.max_tweets"),
        ("[discourse]\nenabled = true\n", "discourse.url is required when discourse is enabled"),
        ("[blog\n", "not valid TOML"),
        ("[discord]\npublish = true\n", 'discord.publish needs mode = "bot"'),
        (
            "[blog]\ngit_url = 'https://git.example/blog.git'\nwrite_back = 'file'\n",
            'blog.write_back = "file" is for a plain folder',
        ),
    ],
)
def test_bad_settings_give_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    """Each kind of mistake gives a single line that names the setting."""
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    line = str(info.value)
    assert line.startswith("config error: ")
    assert message in line
    assert "\n" not in line


def test_secret_values_never_echoed(tmp_path: Path) -> None:
    """A malformed secret is reported by name, never by value."""
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "[twitter]\nconsumer_key = ['leaky-value']\n"))
    assert "twitter.consumer_key" in str(info.value)
    assert "leaky-value" not in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """A config path that does not exist names the path and how to fix it."""
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml")


def test_config_path_precedence() -> None:
    """--config beats $HEARTBEAT_CONFIG, which beats config/heartbeat.toml."""
    assert config_path("a.toml", {"HEARTBEAT_CONFIG": "b.toml"}) == Path("a.toml")
    assert config_path(None, {"HEARTBEAT_CONFIG": "b.toml"}) == Path("b.toml")
    assert config_path(None, {}) == Path("config/heartbeat.toml")


def test_packaged_example_blog_config_is_valid() -> None:
    """The example blog's own settings file parses and names existing folders."""
    path = ROOT / "heartbeat_bot" / "examples" / "heartbeat.toml"
    tomllib.loads(path.read_text(encoding="utf-8"))
    config = load_config(path)
    assert config.posts_dir.is_dir()
    assert config.authors_dir is not None and config.authors_dir.is_dir()


def test_environment_typo_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A misspelt HEARTBEAT_ variable is refused by name, like a misspelt key in the file."""
    monkeypatch.setenv("HEARTBEAT_DISCOURSE__CATEGRY", "3")
    with pytest.raises(ConfigError, match=r"discourse\.categry is not a known setting"):
        load_config(EXAMPLE)


def test_environment_section_typo_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A misspelled section in a HEARTBEAT_<SECTION>__<KEY> variable is named, not ignored;
    HEARTBEAT_ variables without the delimiter (such as HEARTBEAT_CONFIG) are not settings."""
    monkeypatch.setenv("HEARTBEAT_CONFIG", "elsewhere.toml")
    monkeypatch.setenv("HEARTBEAT_DISCOURS__API_KEY", "s3cret-key")
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "[blog]\n"))
    line = str(info.value)
    assert "HEARTBEAT_DISCOURS__API_KEY" in line and "discours is not a known section" in line
    assert "s3cret-key" not in line
