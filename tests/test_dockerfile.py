"""The Dockerfile, read as text: a guard on what matters, since no Docker engine runs here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def args_of(instructions: list[tuple[str, str]], keyword: str) -> list[str]:
    """The arguments of every instruction with this keyword, in order."""
    return [rest for key, rest in instructions if key == keyword]


def test_runs_as_numeric_non_root_user(instructions: list[tuple[str, str]]) -> None:
    """The last USER is the numeric uid:gid of the account created in the image, not root."""
    users = args_of(instructions, "USER")
    assert users and users[-1] == "10001:10001"
    assert any("--uid 10001" in run for run in args_of(instructions, "RUN"))


def test_healthcheck_uses_python_not_curl(instructions: list[tuple[str, str]]) -> None:
    """HEALTHCHECK runs the package's own stdlib-only check, since slim images have no curl."""
    (check,) = args_of(instructions, "HEALTHCHECK")
    command = json.loads(check[check.index("CMD") + len("CMD") :].strip())
    assert command == ["python", "-m", "heartbeat_bot.web.healthcheck"]
    assert "curl" not in check and "wget" not in check


def test_entrypoint_and_default_command(instructions: list[tuple[str, str]]) -> None:
    """The image runs `heartbeat-bot run` unless told otherwise."""
    assert json.loads(args_of(instructions, "ENTRYPOINT")[-1]) == ["heartbeat-bot"]
    assert json.loads(args_of(instructions, "CMD")[-1]) == ["run"]


def test_ledger_on_volume_and_service_settings(instructions: list[tuple[str, str]]) -> None:
    """The ledger sits on the /data volume, the listener binds beyond loopback and is exposed."""
    assert "/data" in args_of(instructions, "VOLUME")
    env = " ".join(args_of(instructions, "ENV"))
    assert "HEARTBEAT_STATE__PATH=/data/" in env
    assert "HEARTBEAT_CONFIG=/config/heartbeat.toml" in env
    assert "HEARTBEAT_SERVICE__HTTP=0.0.0.0:8080" in env
    assert "8080" in args_of(instructions, "EXPOSE")


def test_git_installed_without_recommends(instructions: list[tuple[str, str]]) -> None:
    """git is installed from apt without recommended packages, and the apt lists are removed."""
    (install,) = [run for run in args_of(instructions, "RUN") if "apt-get install" in run]
    assert re.search(r"--no-install-recommends\b.*\bgit=", install)
    assert "rm -rf /var/lib/apt/lists/*" in install


def test_tests_stay_out_of_the_image() -> None:
    """.dockerignore keeps the repository history, tests and local state out of the build."""
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", "tests/", "state/"} <= set(ignored)
