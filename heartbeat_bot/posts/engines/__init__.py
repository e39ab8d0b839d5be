"""Pure: what each site generator does with a post file, as small rule sets.

One module per engine, each a :class:`~.rules.Preset` documented from that engine's own
documentation and source; ``blog.engine`` picks one and every rule can be overridden by
the ``[blog]`` key of the same name (:func:`~.rules.rules_for`).
"""

from __future__ import annotations

from heartbeat_bot.posts.engines import (
    astro,
    custom,
    docusaurus,
    eleventy,
    gatsby,
    hugo,
    jekyll,
    zola,
)
from heartbeat_bot.posts.engines.rules import Preset, Rules, rules_for

PRESETS: dict[str, Preset] = {
    module.PRESET.name: module.PRESET
    for module in (gatsby, hugo, jekyll, docusaurus, zola, eleventy, astro, custom)
}

__all__ = ["PRESETS", "Preset", "Rules", "rules_for"]
