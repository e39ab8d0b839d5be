"""What `run` leaves until it watches: rendering text is built in the background then."""

from __future__ import annotations

from pathlib import Path

from heartbeat_bot.ledger import Ledger
from heartbeat_bot.render import text, twitter_text
from heartbeat_bot.sandbox import Sandbox
from tests.service.test_rechecks import run_service, sandbox, service_blog, until
from tests.test_lazy_imports import probe_output

__all__ = ["sandbox"]  # the fixture, shared


def test_the_service_builds_the_text_renderers_once_it_watches(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Once the first scan is done, X's counting regexes and Markdown are built with no
    post to render (so the first announcement does not build them)."""
    blog = service_blog(tmp_path, sandbox)
    twitter_text._patterns.cache_clear()
    text._markdown.cache_clear()

    async def scenario(ledger: Ledger) -> None:
        def built() -> bool:
            patterns = twitter_text._patterns.cache_info().currsize
            return patterns == 1 and text._markdown.cache_info().currsize == 1

        await until(built, "the text renderers")

    run_service(blog, sandbox, scenario)


def test_prepare_without_text_leaves_markdown_and_emoji(tmp_path: Path) -> None:
    """`prepare(text=False)` (what `run` does before its first scan) loads each enabled
    channel's renderer and checks the templates but loads no Markdown or emoji; load_text does."""
    config = tmp_path / "heartbeat.toml"
    config.write_text(
        '[blog]\nposts_dir = "posts"\n'
        '[twitter]\nenabled = true\napi_url = "http://127.0.0.1:9"\nconsumer_key = "ck"\n'
        'consumer_secret = "cs"\naccess_token = "at"\naccess_token_secret = "ats"\n',
        encoding="utf-8",
    )
    probe = (
        "import json, sys\n"
        "from heartbeat_bot.channels.rendering import Renderers\n"
        "from heartbeat_bot.channels.settings import load_config\n"
        "from pathlib import Path\n"
        "renderers = Renderers.from_config(load_config(Path(sys.argv[1])))\n"
        "renderers.prepare(text=False)\n"
        "before = sorted(sys.modules)\n"
        "renderers.load_text()\n"
        "print(json.dumps([before, sorted(sys.modules)]))\n"
    )
    before, after = probe_output(probe, str(config))
    assert "heartbeat_bot.channels.twitter.render" in before
    assert "jinja2" in before
    for name in ("markdown_it", "emoji"):
        assert name not in before
        assert name in after
