"""Every channel's pure renderer, with its options and template text, by channel name.

Built once at start-up (:meth:`Renderers.from_config`); the announcer, ``preview`` and the
slash commands render through it, so they know no channel by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from heartbeat_bot.channels import registry
from heartbeat_bot.channels.unit import ChannelInfo
from heartbeat_bot.config import BaseConfig
from heartbeat_bot.models import Post
from heartbeat_bot.render.templates import default_template


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
        site = config.blog.site_name
        options = {u.name: u.options(u.section(config), site) for u in registry.units()}
        return cls(options, dict(templates or {}), registry.enabled(config))

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
        unit = self._unit(channel)
        options = self.options_for(channel)
        if unit.digest:
            others = {
                u.name: self.payload(u.name, post, comments_url).body()
                for u in registry.units()
                if not u.digest and (self.enabled is None or u.name in self.enabled)
            }
            options = replace(options, payloads=others)
        return unit.render(post, options, self.template(channel), comments_url)

    def render_all(self, post: Post, comments_url: str | None = None) -> dict[str, Any]:
        """Every channel's payload, in announcement order."""
        return {u.name: self.payload(u.name, post, comments_url) for u in registry.units()}

    @staticmethod
    def _unit(channel: str) -> ChannelInfo:
        return registry.unit(channel)
