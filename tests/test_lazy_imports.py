"""Commands that render nothing load no renderer: each runs in a fresh process that then
reports which modules it imported."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DVC_AUTHORS, DVC_POSTS

# Runs the command line as the console script does, then writes the modules it imported.
RUNNER = """
import contextlib, io, json, sys
from heartbeat_bot.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[2:])
with open(sys.argv[1], "w", encoding="utf-8") as sink:
    loaded = sorted(name for name, module in sys.modules.items() if module is not None)
    json.dump({"code": code, "modules": loaded}, sink)
"""
# What rendering needs: the template engine, Markdown, emoji data, X's TLD and emoji tables,
# the shared text helpers and every channel's renderer.
RENDERING = re.compile(
    r"(jinja2|markdown_it|emoji)(\..*)?"
    r"|heartbeat_bot\.render\.(_tlds|_emoji|text|thread|twitter_text)"
    r"|heartbeat_bot\.channels\.[a-z_]+\.render"
)
SLUG = "2022-04-15-april-22-heartbeat"


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lazy")
    path = root / "heartbeat.toml"
    path.write_text(
        f'[blog]\nposts_dir = "{DVC_POSTS.as_posix()}"\nauthors_dir = "{DVC_AUTHORS.as_posix()}"\n'
        'post_url = "https://dvc.org/blog/{slug}"\n\n'
        f'[state]\npath = "{(root / "state.sqlite3").as_posix()}"\n',
        encoding="utf-8",
    )
    return path


def imported(
    tmp_path: Path, *args: str, wanted: re.Pattern[str] = RENDERING
) -> tuple[int, list[str]]:
    """The exit code of ``heartbeat-bot ARGS`` and the modules ``wanted`` names (rendering
    modules by default) that it imported."""
    report = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    subprocess.run(
        [sys.executable, "-c", RUNNER, str(report), *args],
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    found = json.loads(report.read_text(encoding="utf-8"))
    return found["code"], [m for m in found["modules"] if wanted.fullmatch(m)]


def probe_output(code: str, *args: str) -> Any:
    """What the Python ``code`` (run with ``args``, without our settings from the
    environment) prints as JSON."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        check=True,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")},
        timeout=120,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize(
    "command",
    [("list",), ("list", "--json"), ("status",), ("status", "--json"), ("check",), ("--version",)],
)
def test_commands_that_render_nothing_import_no_renderer(
    config: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """list, status, check (offline) and --version import no template engine, Markdown
    parser, emoji table, TLD regex or channel renderer."""
    code, modules = imported(tmp_path, "--config", str(config), *command)
    assert code == 0
    assert modules == []


def test_list_json_loads_no_progress_bar_feed_or_announcer(config: Path, tmp_path: Path) -> None:
    """Piped (no terminal on standard error), `list --json` draws no bar and loads no rich,
    and on a folder blog it loads no feed, git or announcer module."""
    unused = re.compile(r"rich(\..*)?|heartbeat_bot\.(announcer|sources\.(feed|git)[a-z_]*)(\..*)?")
    code, modules = imported(tmp_path, "--config", str(config), "list", "--json", wanted=unused)
    assert code == 0
    assert modules == []


def test_preview_imports_the_renderers(config: Path, tmp_path: Path) -> None:
    """preview renders, so the same probe finds every kind of rendering module loaded."""
    code, modules = imported(tmp_path, "--config", str(config), "preview", SLUG, "--json")
    assert code == 0
    for name in ("jinja2", "markdown_it", "heartbeat_bot.render._tlds"):
        assert name in modules
    assert any(m.startswith("heartbeat_bot.channels.") for m in modules)


# Discord (webhook) and X enabled; Discourse, Mastodon, Bluesky and the webhook not.
TWO_CHANNELS = (
    '[discord]\nenabled = true\nmode = "webhook"\n'
    'webhook_url = "http://127.0.0.1:9/api/webhooks/1/token"\n'
    '[twitter]\nenabled = true\napi_url = "http://127.0.0.1:9"\nconsumer_key = "ck"\n'
    'consumer_secret = "cs"\naccess_token = "at"\naccess_token_secret = "ats"\n'
)


def test_prepare_loads_the_enabled_channels_renderers(config: Path, tmp_path: Path) -> None:
    """Renderers.prepare (run before announce's clock starts, and by the service) loads the
    template engine, Markdown, emoji, X's tables and each enabled channel's renderer up
    front; a channel not enabled loads its renderer when first asked for, not before."""
    enabled = tmp_path / "heartbeat.toml"
    enabled.write_text(config.read_text(encoding="utf-8") + TWO_CHANNELS, encoding="utf-8")
    probe = (
        "import json, sys\n"
        "from heartbeat_bot.channels.rendering import Renderers\n"
        "from heartbeat_bot.channels.settings import load_config\n"
        "from pathlib import Path\n"
        "renderers = Renderers.from_config(load_config(Path(sys.argv[1])))\n"
        "before = sorted(sys.modules)\n"
        "renderers.prepare()\n"
        "prepared = sorted(sys.modules)\n"
        "renderers.options_for('mastodon')\n"
        "print(json.dumps([before, prepared, sorted(sys.modules)]))\n"
    )
    before, prepared, asked = probe_output(probe, str(enabled))
    assert [m for m in before if RENDERING.fullmatch(m)] == []
    loaded = [m for m in prepared if RENDERING.fullmatch(m)]
    for name in ("jinja2", "markdown_it", "emoji", "heartbeat_bot.render._tlds"):
        assert name in loaded
    for channel in ("discord", "twitter"):
        assert f"heartbeat_bot.channels.{channel}.render" in loaded
    for channel in ("discourse", "mastodon", "bluesky", "webhook"):
        assert f"heartbeat_bot.channels.{channel}.render" not in loaded
    assert "heartbeat_bot.channels.mastodon.render" in asked


# Run as `python -m heartbeat_bot --help` is: the modules the interpreter loaded before our
# code (site, .pth files) are left out, so only what --help itself imports is reported.
HELP_PROBE = """
import contextlib, io, json, sys
before = set(sys.modules)
from heartbeat_bot.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(json.dumps(sorted(set(sys.modules) - before)))
"""


@pytest.mark.parametrize("command", [("--help",), ("announce", "--help"), ("--version",)])
def test_help_loads_no_channel_logging_or_json(command: tuple[str, ...]) -> None:
    """--help and --version load no channel unit, post model, logging, JSON, dataclasses or
    library: the parser is built from the registry's names and labels alone."""
    out = subprocess.run(
        [sys.executable, "-c", HELP_PROBE, *command],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    loaded = json.loads(out.stdout)
    heavy = re.compile(
        r"logging|json|dataclasses|inspect|datetime|sqlite3|yaml|pydantic|jinja2|httpx"
        r"|heartbeat_bot\.(models|errors|config|sources|posts|app|render)(\..+)?"
        r"|heartbeat_bot\.channels\.(?!registry$).+"
    )
    assert [m for m in loaded if heavy.fullmatch(m.split(".")[0]) or heavy.fullmatch(m)] == []
    assert "heartbeat_bot.channels.registry" in loaded  # the probe saw our imports


# The command line, then httpx and httpcore imported as a channel client imports them.
CLIENT_PROBE = """
import contextlib, io, json, sys
from heartbeat_bot.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
import httpx, httpcore
print(json.dumps([code, sorted(n for n, m in sys.modules.items() if m is not None)]))
"""


def test_httpx_loads_without_its_command_line_or_trio(config: Path) -> None:
    """After the command line starts, importing httpx and httpcore loads neither httpx's
    own command line (click, pygments) nor trio, installed here though no command uses them."""
    code, loaded = probe_output(CLIENT_PROBE, "--config", str(config), "status")
    assert code == 0
    assert "httpx" in loaded and "httpcore" in loaded
    unused = re.compile(r"(httpx\._main|click|pygments|trio)(\..*)?")
    assert [m for m in loaded if unused.fullmatch(m)] == []
