"""The registry: the one list of channels, and a channel registered there alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from heartbeat_bot.channels import registry
from heartbeat_bot.channels.settings import Config, config_model, load_config
from heartbeat_bot.cli.main import main
from heartbeat_bot.errors import ConfigError, HeartbeatError
from tests.announce_env import NEW_POST, _toml
from tests.channels import pigeon
from tests.conftest import DVC_AUTHORS, DVC_POSTS


def test_built_in_channels_in_announcement_order() -> None:
    """Discourse comes first as the thread provider; X is also known as x, Bluesky as bsky."""
    assert registry.names() == ("discourse", "discord", "twitter", "mastodon", "bluesky", "webhook")
    provider = registry.thread_provider()
    assert provider is not None and provider.name == "discourse"
    assert registry.unit("X").name == "twitter"
    assert registry.unit("bsky").name == "bluesky"
    with pytest.raises(
        HeartbeatError, match="use discourse, discord, twitter, mastodon, bluesky, webhook"
    ):
        registry.unit("myspace")


def test_listed_names_and_labels_are_the_units_own() -> None:
    """The names and labels the registry lists without loading a unit (for --help) are
    each built-in unit's own, in the same order."""
    listed = [(name, label) for name, label, _ in registry.BUILT_IN]
    assert listed == [(u.name, u.label) for u in registry.built_in()]
    assert registry.names() == tuple(u.name for u in registry.units())
    assert registry.labels() == registry.joined([u.label for u in registry.units()], "and")


def test_every_channel_has_its_section_in_the_settings() -> None:
    """The whole settings model holds each registered channel's own section model."""
    for unit in registry.units():
        assert Config.model_fields[unit.name].annotation is unit.settings()


@pytest.fixture
def loft() -> Iterator[pigeon.PigeonLoft]:
    registry.register(pigeon.UNIT)
    try:
        with pigeon.PigeonLoft() as running:
            yield running
    finally:
        registry.unregister(pigeon.UNIT.name)


def _blog(root: Path, loft_url: str) -> Path:
    (root / "posts").mkdir()
    (root / "posts" / NEW_POST).write_bytes((DVC_POSTS / NEW_POST).read_bytes())
    sections = {
        "blog": {
            "posts_dir": "posts",
            "authors_dir": str(DVC_AUTHORS),
            "post_url": "https://dvc.org/blog/{slug}",
            "site_name": "DVC",
        },
        "state": {"path": "state/heartbeat.sqlite3"},
        "pigeon": {"enabled": True, "url": loft_url},
    }
    config = root / "heartbeat.toml"
    config.write_text(_toml(sections), encoding="utf-8")
    return config


def test_registered_channel_shows_up_everywhere(
    loft: pigeon.PigeonLoft, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A channel known only to the registry is offered by --only, sent to, and shown by
    status and preview --json."""
    config = str(_blog(tmp_path, loft.url))
    with pytest.raises(SystemExit):
        main(["announce", "--help"])
    # argparse wraps a long list of names anywhere: read the help without its line breaks.
    helped = "".join(capsys.readouterr().out.split())
    assert "discourse,discord,twitter,mastodon,bluesky,webhook,pigeon" in helped

    assert main(["--config", config, "announce", "dvc-git-lfs", "--only", "pigeon", "--json"]) == 0
    announced = json.loads(capsys.readouterr().out)["items"][0]
    assert announced["outcomes"]["pigeon"]["state"] == "done"
    assert [m["text"].splitlines()[1] for m in loft.messages] == [
        "https://dvc.org/blog/dvc-git-lfs"
    ]

    assert main(["--config", config, "status", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["items"]
    assert [(r["channel"], r["state"], r["remote_url"]) for r in rows] == [
        ("pigeon", "done", f"{loft.url}/m/1")
    ]

    assert main(["--config", config, "preview", "dvc-git-lfs", "--json"]) == 0
    preview = json.loads(capsys.readouterr().out)
    assert list(preview)[-1] == "pigeon"
    assert preview["pigeon"] == loft.messages[0]

    assert main(["--config", config, "announce", "dvc-git-lfs", "--only", "pidgin"]) == 2
    assert "(use discourse, discord, twitter, mastodon, bluesky, webhook, pigeon)" in (
        capsys.readouterr().err
    )


def test_registered_channel_takes_environment_overrides(
    loft: pigeon.PigeonLoft, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A registered channel's section is read from the file and the environment, and a
    key it does not have is refused, as for the built-in ones."""
    config = _blog(tmp_path, loft.url)
    monkeypatch.setenv("HEARTBEAT_PIGEON__URL", "http://127.0.0.1:1")
    loaded = load_config(config)
    assert type(loaded) is config_model() and registry.enabled(loaded) == ("pigeon",)
    assert registry.unit("pigeon").section(loaded).url == "http://127.0.0.1:1"
    monkeypatch.setenv("HEARTBEAT_PIGEON__FEATHERS", "3")
    with pytest.raises(ConfigError, match="HEARTBEAT_PIGEON__FEATHERS"):
        load_config(config)
