"""The command line built lazily (each command's parser only when named) against the whole
one: the same help, the same parsed arguments, the same errors."""

from __future__ import annotations

import argparse

import pytest

from heartbeat_bot.cli.commands import Commands
from heartbeat_bot.cli.parser import build_parser

ARGV = [
    ["preview", "my-post", "--json"],
    ["list", "--strict"],
    ["announce", "a", "b", "--only", "x", "--max-wait", "5"],
    ["status"],
    ["resolve", "p", "discord", "--done", "https://x.example/1"],
    ["check", "--online"],
    ["sandbox", "--fault-rate", "0.5", "--seed", "3"],
    ["--log-level", "debug", "run", "--backfill", "2024-01-02", "--log-format", "json"],
    ["bot"],
    ["init", "site", "--site-url", "https://blog.example"],
    ["approve", "p", "--max-wait", "3"],
    ["reject", "p"],
    ["web", "hash-password"],
    ["demo"],
    ["completion", "zsh"],
    ["--config", "x.toml", "--version"],
]


def commands_of(parser: argparse.ArgumentParser) -> Commands:
    return next(a for a in parser._actions if isinstance(a, Commands))


def test_the_help_is_the_whole_parsers() -> None:
    """``--help`` of the lazy command line is word for word the whole one's, without a
    single command's parser built for it."""
    lazy = build_parser(deferred=True)
    assert lazy.format_help() == build_parser().format_help()
    assert lazy.parse_args(["--version"]).version is True
    built = [name for name, sub in commands_of(lazy).choices.items() if sub is not None]
    assert built == [] and len(commands_of(lazy).choices) >= 15


@pytest.mark.parametrize("argv", ARGV, ids=lambda argv: " ".join(argv))
def test_every_command_parses_as_in_the_whole_parser(argv: list[str]) -> None:
    """Each command line gives the same arguments (handlers aside) from the lazy parser as
    from the whole one, and builds only the parser of the command it names."""
    lazy = build_parser(deferred=True)
    found, expected = vars(lazy.parse_args(argv)), vars(build_parser().parse_args(argv))
    assert callable(found.pop("handler", print)) and callable(expected.pop("handler", print))
    assert found == expected
    built = [name for name, sub in commands_of(lazy).choices.items() if sub is not None]
    assert built == ([expected["command"]] if expected["command"] else [])


@pytest.mark.parametrize(
    "argv", [["nope"], ["list", "--nope"], ["resolve", "p"], ["approve"], ["web", "nope"]]
)
def test_a_bad_command_line_fails_as_in_the_whole_parser(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown command or option, or a missing argument, exits 2 with the same message
    from the lazy parser as from the whole one."""
    messages = []
    for parser in (build_parser(deferred=True), build_parser()):
        with pytest.raises(SystemExit) as exited:
            parser.parse_args(argv)
        assert exited.value.code == 2
        messages.append(capsys.readouterr().err)
    assert messages[0] == messages[1] and "error:" in messages[0]


def test_a_command_s_own_help_is_the_whole_parsers(capsys: pytest.CaptureFixture[str]) -> None:
    """``heartbeat-bot announce --help`` prints what the whole parser prints."""
    printed = []
    for parser in (build_parser(deferred=True), build_parser()):
        with pytest.raises(SystemExit):
            parser.parse_args(["announce", "--help"])
        printed.append(capsys.readouterr().out)
    assert printed[0] == printed[1] and "--max-wait" in printed[0]
