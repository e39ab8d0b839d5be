"""The command line's sub-commands, each one's parser built only when it is needed.

``heartbeat-bot --help`` lists the commands by name and help line; building every
command's own parser for it (argparse looks up the translations of its messages for each)
was a good part of the time the process took. Only argparse here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

Define = Callable[[argparse.ArgumentParser], None]

if TYPE_CHECKING:  # generic in typeshed only
    _Base = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    _Base = argparse._SubParsersAction


class Commands(_Base):
    """The sub-commands of a parser (``add_subparsers(action=Commands)``). With ``deferred``
    set, :meth:`add_command` lists a command (name and help) and builds its parser when the
    command line names it; otherwise at once, as ``add_parser`` does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deferred = False
        self._pending: dict[str, tuple[Define, dict[str, Any]]] = {}

    def add_command(self, name: str, help: str, define: Define, **kwargs: Any) -> None:
        """A command ``name`` listed with ``help``, whose parser ``define`` fills in
        (``kwargs``: the parser's own, such as ``description``)."""
        if not self.deferred:
            define(self.add_parser(name, help=help, **kwargs))
            return
        self._choices_actions.append(self._ChoicesPseudoAction(name, (), help))
        # Listed, so argparse takes the name as a valid choice; built in __call__.
        self._name_parser_map[name] = cast(argparse.ArgumentParser, None)
        self._pending[name] = (define, kwargs)

    def build(self, name: str) -> None:
        """Build the parser of ``name`` if it is still pending."""
        pending = self._pending.pop(name, None)
        if pending is not None:
            define, kwargs = pending
            del self._name_parser_map[name]
            define(self.add_parser(name, **kwargs))

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        if isinstance(values, list) and values:
            self.build(values[0])
        super().__call__(parser, namespace, values, option_string)


def subcommands(parser: argparse.ArgumentParser, *, deferred: bool, **kwargs: Any) -> Commands:
    """``parser``'s sub-commands (``kwargs``: ``add_subparsers``'), each one's parser
    built when the command line names it if ``deferred``."""
    commands = parser.add_subparsers(action=Commands, help="what to do", **kwargs)
    assert isinstance(commands, Commands)
    commands.deferred = deferred
    return commands
