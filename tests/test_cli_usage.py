"""Usage and operational errors: one line on standard error and exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DVC_AUTHORS, DVC_POSTS

POST = "2022-04-15-april-22-heartbeat.md"


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI as a process, with no HEARTBEAT_ variables but those given."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    return subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def blog(tmp_path: Path, extra: str = "") -> Path:
    """A one-post blog with its settings; ``extra`` is appended to the settings."""
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / POST).write_bytes((DVC_POSTS / POST).read_bytes())
    config = tmp_path / "heartbeat.toml"
    config.write_text(
        f'[blog]\nposts_dir = "{posts}"\nauthors_dir = "{DVC_AUTHORS}"\n'
        f'post_url = "https://dvc.org/blog/{{slug}}"\n{extra}',
        encoding="utf-8",
    )
    return config


def one_line(done: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2 with a one-line error holding ``words`` (argparse's usage lines aside)."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    errors = [
        line for line in done.stderr.splitlines() if "error" in line or "heartbeat-bot:" in line
    ]
    assert len(errors) == 1, done.stderr
    for word in words:
        assert word in errors[0], errors[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["announce", "x", "--max-wait", "-1"], ["--max-wait", "0 or more"]),
        (["announce", "x", "--max-wait", "nan"], ["--max-wait"]),
        (["announce", "x", "--max-wait", "soon"], ["--max-wait", "'soon'"]),
        (["run", "--backfill", "2024-13-01"], ["--backfill", "YYYY-MM-DD"]),
        (["sandbox", "--fault-rate", "3"], ["--fault-rate", "0 to 1"]),
        (["completion", "tcsh"], ["invalid choice"]),
    ],
)
def test_invalid_option_values_are_usage_errors(args: list[str], words: list[str]) -> None:
    """An option value out of its range is refused by the parser before anything runs."""
    one_line(run(*args), *words)


def test_list_strict_exits_2_naming_each_broken_file(tmp_path: Path) -> None:
    """`list --strict` exits 2 and names each broken file; plain `list` still exits 0."""
    config = blog(tmp_path)
    (tmp_path / "posts" / "2024-01-01-broken.md").write_text("---\ntitle: [oops\n---\n")
    (tmp_path / "posts" / "2024-01-02-nodate.md").write_text("---\ntitle: No date here\n---\n")
    plain = run("--config", str(config), "list")
    assert plain.returncode == 0, plain.stderr
    strict = run("--config", str(config), "list", "--strict")
    assert strict.returncode == 2
    named = strict.stderr.splitlines()
    assert len(named) == 2
    assert any("2024-01-01-broken.md" in line for line in named)
    assert any("2024-01-02-nodate.md" in line for line in named)


def test_missing_git_is_one_line(tmp_path: Path) -> None:
    """A blog in git with no git command on PATH says so in one line, exit 2."""
    config = tmp_path / "heartbeat.toml"
    config.write_text(
        '[blog]\npost_url = "https://dvc.org/blog/{slug}"\n'
        f'git_url = "{tmp_path / "blog.git"}"\ngit_path = "posts"\n',
        encoding="utf-8",
    )
    done = run("--config", str(config), "list", env={"PATH": str(tmp_path / "no-bin")})
    one_line(done, "git command was not found", "blog.git_url")


def test_state_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    """A state.path under a regular file stops announce and run with one line naming it."""
    (tmp_path / "a-file").write_text("")
    extra = (
        f'[state]\npath = "{tmp_path / "a-file" / "sub" / "state.sqlite3"}"\n'
        '[discord]\nenabled = true\nmode = "webhook"\n'
        'webhook_url = "http://127.0.0.1:9/api/webhooks/1/token"\n'
    )
    config = blog(tmp_path, extra)
    one_line(run("--config", str(config), "announce", "april-22-heartbeat"), "state.path")
    one_line(run("--config", str(config), "run"), "state.path")


def test_config_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    """A settings path that is a folder, or does not exist, is one line naming it."""
    one_line(run("--config", str(tmp_path), "list"), str(tmp_path), "cannot be read")
    missing = tmp_path / "none.toml"
    one_line(run("--config", str(missing), "list"), str(missing))
