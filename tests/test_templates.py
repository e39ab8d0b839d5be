"""Templates: overridable wording, sandboxed, limits enforced whatever they say."""

from __future__ import annotations

from pathlib import Path

import pytest

from heartbeat_bot.app.application import load_templates
from heartbeat_bot.channels.settings import load_config
from heartbeat_bot.errors import ConfigError, RenderError
from heartbeat_bot.render.templates import render_template
from tests.render_limits import discord_problems, twitter_problems
from tests.rendering import Templates
from tests.test_render_properties import make_post


def test_sandbox_blocks_python_internals() -> None:
    """A template cannot climb from a value to Python's internals."""
    with pytest.raises(RenderError, match="unsafe"):
        render_template("{{ post.__class__.__mro__ }}", post={"title": "x"})


def test_undefined_variable_is_an_error() -> None:
    """A misspelt variable fails loudly instead of rendering as nothing."""
    with pytest.raises(RenderError, match="undefined"):
        render_template("{{ psot.title }}", post={})


def test_override_files_are_read_once_and_used(tmp_path: Path) -> None:
    """A channel's template setting replaces its default wording."""
    (tmp_path / "tw.j2").write_text(
        "{% block head %}NEW: {{ post.title }}{% endblock %}"
        "{% block summary %}{{ summary }}{% endblock %}"
        "{% block link %}Read it: {{ post.url }}{% endblock %}",
        encoding="utf-8",
    )
    (tmp_path / "dc.j2").write_text("{{ post.title }} by {{ post.authors|join(' & ') }}", "utf-8")
    (tmp_path / "heartbeat.toml").write_text(
        '[twitter]\ntemplate = "tw.j2"\n[discord]\ntemplate = "dc.j2"\n', encoding="utf-8"
    )
    texts = load_templates(load_config(tmp_path / "heartbeat.toml"))
    templates = Templates(texts["discourse"], texts["discord"], texts["twitter"])
    assert templates.discourse == Templates.defaults().discourse
    from heartbeat_bot.channels.discord.render import DiscordOptions
    from heartbeat_bot.channels.discourse.render import DiscourseOptions
    from heartbeat_bot.channels.twitter.render import TwitterOptions
    from tests.rendering import RenderSettings

    render = RenderSettings(DiscourseOptions(), DiscordOptions(), TwitterOptions(), templates)
    post = make_post("Hello world", "Some summary.", [], None)
    tweets = render.tweet_thread(post).tweets
    assert tweets[0].startswith("NEW: Hello world")
    assert tweets[0].endswith("Read it: https://dvc.org/blog/a-post")
    assert render.discord_message(post).embeds[0]["description"] == "Hello world by Ada"


def test_runaway_template_is_still_within_limits(tmp_path: Path) -> None:
    """A template that produces far too much text is cut to each platform's limits."""
    huge = "{% for i in range(3000) %}word {{ i }}\n{% endfor %}"
    templates = Templates(discourse=huge, discord=huge, twitter=huge)
    from heartbeat_bot.channels.discord.render import DiscordOptions
    from heartbeat_bot.channels.discourse.render import DiscourseOptions
    from heartbeat_bot.channels.twitter.render import TwitterOptions
    from tests.rendering import RenderSettings

    render = RenderSettings(DiscourseOptions(), DiscordOptions(), TwitterOptions(), templates)
    rendered = render.render_all(make_post("T" * 20, "s", [], None))
    assert len(rendered.discourse.raw) <= 32000
    assert discord_problems(rendered.discord.body()) == []
    assert twitter_problems(list(rendered.twitter.tweets)) == []


def test_broken_override_is_a_config_error(tmp_path: Path) -> None:
    """A template file that does not compile is reported with its setting and path."""
    (tmp_path / "bad.j2").write_text("{% if %}", encoding="utf-8")
    (tmp_path / "heartbeat.toml").write_text('[discourse]\ntemplate = "bad.j2"\n', "utf-8")
    with pytest.raises(ConfigError, match=r"discourse\.template .*bad\.j2"):
        load_templates(load_config(tmp_path / "heartbeat.toml"))
    (tmp_path / "heartbeat.toml").write_text('[discourse]\ntemplate = "missing.j2"\n', "utf-8")
    with pytest.raises(ConfigError, match=r"discourse\.template: cannot read"):
        load_templates(load_config(tmp_path / "heartbeat.toml"))
