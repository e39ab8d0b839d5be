"""Shell completion: the scripts `heartbeat-bot completion SHELL` prints, run in real shells."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def script(shell: str, tmp_path: Path) -> Path:
    """The completion script for ``shell``, written to a file."""
    done = subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", "completion", shell],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    path = tmp_path / f"completion.{shell}"
    path.write_text(done.stdout, encoding="utf-8")
    return path


def shell(name: str) -> str:
    """The path of an installed shell (.ci/run installs zsh and fish when missing)."""
    found = shutil.which(name)
    assert found, f"{name} is needed for this test (.ci/run installs it)"
    return found


BASH_COMPLETE = """
source "$1"
function=$(complete -p heartbeat-bot | sed -E 's/.* -F ([^ ]+) .*/\\1/')
COMP_LINE="$2"
COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
"$function" heartbeat-bot "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
printf '%s\\n' "${COMPREPLY[@]}"
"""


def bash_complete(tmp_path: Path, line: str) -> list[str]:
    """What bash offers for ``line`` with the script loaded, as a person pressing Tab gets."""
    done = subprocess.run(
        [shell("bash"), "-c", BASH_COMPLETE, "bash", str(script("bash", tmp_path)), line],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [word.strip() for word in done.stdout.splitlines() if word.strip()]


def test_bash_completes_commands(tmp_path: Path) -> None:
    """In bash, `heartbeat-bot an<Tab>` becomes `announce`."""
    assert bash_complete(tmp_path, "heartbeat-bot an") == ["announce"]


def test_bash_completes_options_of_a_command(tmp_path: Path) -> None:
    """In bash, `heartbeat-bot announce --ma<Tab>` offers --max-wait."""
    assert bash_complete(tmp_path, "heartbeat-bot announce --ma") == ["--max-wait"]


def test_fish_completes_with_descriptions(tmp_path: Path) -> None:
    """In fish, completing `heartbeat-bot completion ` lists the three shells with their help."""
    path = script("fish", tmp_path)
    done = subprocess.run(
        [shell("fish"), "-c", f"source {path}; complete -C 'heartbeat-bot completion '"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    offered = dict(line.split("\t", 1) for line in done.stdout.splitlines() if "\t" in line)
    assert {"bash", "zsh", "fish"} <= set(offered)
    assert offered["zsh"] == "the shell to complete in"


def test_zsh_script_is_valid_zsh(tmp_path: Path) -> None:
    """zsh parses the zsh script without error and it registers a completion function."""
    path = script("zsh", tmp_path)
    done = subprocess.run(
        [shell("zsh"), "-n", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "#compdef heartbeat-bot" in path.read_text(encoding="utf-8")


def test_unknown_shell_is_a_usage_error() -> None:
    """An unsupported shell is refused by argparse with exit 2."""
    done = subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", "completion", "powershell"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_every_command_and_option_has_help() -> None:
    """Every command, option and argument in --help carries a description; exit codes listed."""
    from heartbeat_bot.cli.main import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert len(commands.choices) >= 10
    for name, sub in [("", parser), *commands.choices.items()]:
        for action in sub._actions:
            where = f"{name or 'heartbeat-bot'} {'/'.join(action.option_strings) or action.dest}"
            assert action.help, f"{where} has no help"
    assert "exit codes:" in parser.format_help()
