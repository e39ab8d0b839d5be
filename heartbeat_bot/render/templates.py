"""Jinja2 templates for each channel's wording, compiled in a sandbox.

The team may override a channel's default text with a file of its own; the entry point
reads that file once at start-up and hands the text in. Templates run in a
``SandboxedEnvironment`` so a template cannot reach Python internals, and whatever a
template produces is still held to every platform limit by the renderers. Jinja2 is
imported when the first template is compiled, so commands that render nothing never load it.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from heartbeat_bot.errors import RenderError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment


@cache
def _env() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )


@lru_cache(maxsize=16)
def default_template(package: str) -> str:
    """The packaged default template of a channel: ``template.j2`` in its folder
    (``package``, such as ``heartbeat_bot.channels.twitter``)."""
    return resources.files(package).joinpath("template.j2").read_text(encoding="utf-8")


@lru_cache(maxsize=32)
def _compile(text: str) -> Any:
    from jinja2 import TemplateError

    try:
        return _env().from_string(text)
    except TemplateError as exc:
        raise RenderError(f"template does not compile: {exc}") from exc


def check_template(text: str, name: str) -> None:
    """Raise RenderError naming ``name`` when ``text`` is not a valid template."""
    try:
        _compile(text)
    except RenderError as exc:
        raise RenderError(f"{name}: {exc}") from exc


def render_template(text: str, **context: Any) -> str:
    """Render ``text`` with ``context``; any template failure is a one-line RenderError."""
    from jinja2 import TemplateError

    try:
        return str(_compile(text).render(**context))
    except TemplateError as exc:
        raise RenderError(f"template failed: {exc}") from exc


def has_block(text: str, block: str) -> bool:
    """Whether the template defines ``{% block name %}``."""
    return block in _compile(text).blocks


def render_block(text: str, block: str, **context: Any) -> str:
    """Render one ``{% block %}`` of a template (empty when the template lacks it)."""
    from jinja2 import TemplateError

    template = _compile(text)
    if block not in template.blocks:
        return ""
    try:
        ctx = template.new_context(dict(context))
        return "".join(template.blocks[block](ctx))
    except TemplateError as exc:
        raise RenderError(f"template block {block!r} failed: {exc}") from exc
