"""Every channel's pure renderer, with its options and template text, by channel name.

Built once at start-up (:meth:`Renderers.from_config`); the announcer, ``preview`` and the
slash commands render through it, so they know no channel by name. A channel's options are
built, and its renderer imported, when it first renders: ``list``, ``status`` and ``check``
load no renderer at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from heartbeat_bot.channels import registry
from heartbeat_bot.channels.unit import ChannelInfo
from heartbeat_bot.config import BaseConfig
from heartbeat_bot.models import Post
from heartbeat_bot.render.templates import check_template, default_template


def default_templates() -> dict[str, str]:
    """Each channel's packaged default template text."""
    return {
        u.name: default_template(u.template_package)
        for u in registry.units()
        if u.template_package is not None
    }


@dataclass(frozen=True)
class Renderers:
    """What each renderer takes from the settings (``options``, by channel) and the
    template texts (by channel; a channel without one uses its packaged default)."""

    options: Mapping[str, Any]
    templates: Mapping[str, str] = field(default_factory=dict)
    enabled: tuple[str, ...] | None = None
    """The channels a digest (the webhook) carries the payloads of (None: every one)."""

    @classmethod
    def from_config(
        cls, config: BaseConfig, templates: Mapping[str, str] | None = None
    ) -> Renderers:
        options = _Options(config, registry.names())
        return cls(options, dict(templates or {}), registry.enabled(config))

    def prepare(self, *, text: bool = True) -> None:
        """Load every renderer, its options and its template now, for a command about to
        render against a clock (``announce --max-wait``, the service); they load on first
        use otherwise. A bad template fails here. ``text=False`` leaves Markdown, emoji and
        X's counting regexes (a tenth of a second) to :meth:`load_text`, for a caller that
        has them built in the background."""
        for name in registry.names():
            self.options.get(name)  # builds them, importing the channel's renderer
            check_template(self.template(name), name)
        if text:
            self.load_text()

    @staticmethod
    def load_text() -> None:
        """Build what rendering text needs (Markdown, emoji, X's counting regexes) now;
        safe from any thread, and at once once done."""
        from heartbeat_bot.render import text

        text.load()

    def template(self, channel: str) -> str:
        found = self.templates.get(channel)
        if found is not None:
            return found
        package = self._unit(channel).template_package
        return "" if package is None else default_template(package)

    def options_for(self, channel: str) -> Any:
        """The renderer's options of ``channel`` (its defaults for a channel registered
        after these were built)."""
        options = self.options.get(channel)
        if options is None:
            unit = self._unit(channel)
            options = unit.options(unit.settings()(), "the blog")
        return options

    def payload(self, channel: str, post: Post, comments_url: str | None = None) -> Any:
        """The payload of ``channel`` for ``post`` (with the thread's link, once known).

        A digest channel's options get every other enabled channel's payload body."""
        return self._payload(channel, post, comments_url, {})

    def render_all(self, post: Post, comments_url: str | None = None) -> dict[str, Any]:
        """Every channel's payload, in announcement order (a digest reuses the others')."""
        rendered: dict[str, Any] = {}
        for u in registry.units():
            rendered[u.name] = self._payload(u.name, post, comments_url, rendered)
        return rendered

    def _payload(
        self, channel: str, post: Post, comments_url: str | None, rendered: Mapping[str, Any]
    ) -> Any:
        """:meth:`payload`, taking other channels' payloads from ``rendered`` when there."""
        unit = self._unit(channel)
        options = self.options_for(channel)
        if unit.digest:
            others = {
                u.name: self._other(u.name, post, comments_url, rendered).body()
                for u in registry.units()
                if not u.digest and (self.enabled is None or u.name in self.enabled)
            }
            options = replace(options, payloads=others)
        return unit.render(post, options, self.template(channel), comments_url)

    def _other(
        self, channel: str, post: Post, comments_url: str | None, rendered: Mapping[str, Any]
    ) -> Any:
        found = rendered.get(channel)
        return self.payload(channel, post, comments_url) if found is None else found

    @staticmethod
    def _unit(channel: str) -> ChannelInfo:
        return registry.unit(channel)


class _Options(Mapping[str, Any]):
    """Each channel's renderer options (for the channels registered when it was made), built
    from the settings on first use: building them imports the channel's renderer."""

    def __init__(self, config: BaseConfig, names: tuple[str, ...]) -> None:
        self._config = config
        self._names = names
        self._built: dict[str, Any] = {}

    def __getitem__(self, channel: str) -> Any:
        if channel not in self._names:
            raise KeyError(channel)
        if channel not in self._built:
            unit = registry.unit(channel)
            section = unit.section(self._config)
            self._built[channel] = unit.options(section, self._config.blog.site_name)
        return self._built[channel]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)
