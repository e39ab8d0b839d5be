"""Starting the service and the slash-command bot with their real clients."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from heartbeat_bot.announcer import Announcer
from heartbeat_bot.app.application import App
from heartbeat_bot.channels import registry
from heartbeat_bot.errors import ConfigError, HeartbeatError, PostError
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.models import Post
from heartbeat_bot.service.alerts import Alerts
from heartbeat_bot.service.scheduler import Service
from heartbeat_bot.web.metrics import Metrics

if TYPE_CHECKING:
    import httpx

    from heartbeat_bot.bot.supervisor import BotSupervisor
    from heartbeat_bot.service.feed_watch import FeedWatch
    from heartbeat_bot.web.console.app import Console
    from heartbeat_bot.web.health import HealthServer, Webhook, WebSubCheck

log = logging.getLogger("heartbeat_bot.service")


def cmd_run(args: object) -> int:
    """Entry point of ``heartbeat-bot run``."""
    app = App.build(getattr(args, "config", None))
    since: date | None = None
    backfill = getattr(args, "backfill", None)
    if backfill:
        try:
            since = date.fromisoformat(backfill)
        except ValueError:
            raise HeartbeatError(
                f"--backfill must be a date (YYYY-MM-DD), got {backfill!r}"
            ) from None
    registry.require_enabled(app.config)
    # Renderers and templates now (a bad template ends `run` here); Markdown and X's
    # counting regexes are built in the background once the service watches (Service.run).
    app.render.prepare(text=False)
    return asyncio.run(serve(app, since))


async def serve(app: App, backfill_since: date | None = None) -> int:
    """Build the real clients, the health listener and the service, and run until stopped."""
    import httpx

    from heartbeat_bot.announcer import RetryPolicy
    from heartbeat_bot.app.wiring import announcer_for, open_ledger
    from heartbeat_bot.transport import tls_context
    from heartbeat_bot.web.health import HealthServer, ledger_writable_check

    config = app.config
    policy = RetryPolicy(max_attempts=config.service.max_attempts)
    with open_ledger(config) as ledger:
        ledger.probe()  # an unusable ledger ends `run` here, in one line (exit 2)
        async with (
            announcer_for(app, ledger, policy=policy) as announcer,
            httpx.AsyncClient(timeout=10.0, verify=tls_context()) as http,
        ):
            metrics = Metrics()
            alerts = Alerts(
                config.alerts.discord_webhook_url,
                http,
                already_sent=lambda key: ledger.get_meta(key) is not None,
                mark_sent=lambda key: ledger.set_meta(key, datetime.now(UTC).isoformat()),
            )
            service = Service(app, ledger, announcer, metrics=metrics, alerts=alerts)
            if app.feed is not None:
                service.feed = watch_feed(app, service, http)
            health = None
            if config.service.http:
                webhook = None
                if config.blog.git_url:
                    from heartbeat_bot.web.webhook import GitHubWebhook

                    webhook = GitHubWebhook(
                        config.github.webhook_secret, service.on_push, branch=config.blog.git_branch
                    )
                health = HealthServer(
                    config.service.http,
                    metrics,
                    loop_alive=service.loop_alive,
                    ledger_writable=ledger_writable_check(config.state_path),
                    ledger_problem=service.watch.reason,
                    webhook=webhook,
                    detail=service.feed.problem if service.feed is not None else None,
                    websub=websub_routes(service),
                    console=_console(service) if config.web.accounts() else None,
                )
                await _listen(health, config.service.http)
                host = config.service.http.rsplit(":", 1)[0]
                log.info("health and metrics on http://%s:%s/", host, health.port)
            latest = (lambda: service.items) if app.feed is None else None  # held once
            # The bot connects once the first scan is done: its commands offer that scan's
            # posts, and its log-in and command sync do not slow the scan down.
            bot = start_bot(app, ledger, announcer, latest, after=service.watching)
            staff = config.approval.discord_channel_id
            if bot is not None and staff is not None:
                service.approvals.notify = _approval_notice(bot, staff)
            elif staff is not None:
                log.warning(
                    "approval.discord_channel_id is set but the bot is not (discord.bot_token "
                    "and discord.guild_id): no preview is posted there"
                )
            try:
                return await service.run(backfill_since)
            finally:
                if bot is not None:
                    await bot.close()
                if health is not None:
                    await health.stop()


def watch_feed(app: App, service: Service, http: httpx.AsyncClient) -> FeedWatch:
    """The feed's poller for the service, subscribed to WebSub pushes when the service
    is reachable from outside (``service.public_url``) and its listener is on."""
    from heartbeat_bot.service.feed_watch import FeedWatch
    from heartbeat_bot.sources.websub import Subscriber

    assert app.feed is not None
    config = app.config
    feed = FeedWatch(
        app.feed,
        config.blog,
        service.ledger,
        service.alerts,
        service.metrics,
        http,
        held=service.life.held,
    )
    feed.wake = functools.partial(service.rescan, fetch=False)  # a push is taken at once
    if config.service.public_url and config.service.http:
        feed.websub = Subscriber(http, config.service.public_url)
    return feed


def websub_routes(service: Service) -> tuple[WebSubCheck, Webhook] | None:
    """``GET``/``POST /websub`` for the feed's hub, when subscribing at all."""
    feed = service.feed
    if feed is None or feed.websub is None:
        return None
    websub = feed.websub

    async def push(body: bytes, headers: Mapping[str, str]) -> int:
        await feed.pushed(body, headers)
        return 200  # a 2xx even when ignored, as the spec asks

    return websub.verify, push


def _console(service: Service) -> Console:
    """The web console over the service's own ledger, announcer and latest scan."""
    from heartbeat_bot.sources.folder import FolderSource
    from heartbeat_bot.web.console.app import Console, ConsoleSource

    def health() -> dict[str, object]:
        return {
            "last_scan": service.metrics.last_scan,
            "last_fetch": service.metrics.last_fetch,
            "problem": service.watch.reason(),
            "alerts": list(service.alerts.recent),
        }

    found = service.app.source
    source = ConsoleSource(
        config=service.config,
        ledger=service.ledger,
        announcer=service.announcer,
        render=service.app.render,
        items=lambda: service.items,
        health=health,
        matching=found.matching if isinstance(found, FolderSource) else lambda _word: None,
    )
    log.info("web console on: %d account(s)", len(service.config.web.accounts()))
    return Console(source)


async def _listen(health: HealthServer, address: str) -> None:
    """Start the listener; a port in use or an unknown host is a one-line settings error."""
    try:
        await health.start()
    except OSError as exc:
        # asyncio rewords bind errors; the system's own words are shorter.
        reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror
        raise ConfigError(
            f"service.http: cannot listen on {address} ({(reason or str(exc)).lower()}): "
            'choose a free host:port, or set "" to turn the listener off',
            key="service.http",
        ) from exc


def start_bot(
    app: App,
    ledger: Ledger,
    announcer: Announcer,
    latest: Callable[[], Sequence[Post | PostError]] | None = None,
    after: asyncio.Event | None = None,
) -> BotSupervisor | None:
    """The slash commands, in this loop, when a bot token and a server are configured;
    ``latest``: the service's latest scan, the posts the commands offer (else their own);
    ``after``: connect once it is set (else at once).

    The bot's connection is its own: a gateway outage never stops the scheduler, and a bot
    that stops is started again (see ``bot_supervisor``).
    """
    if not _bot_configured(app):
        return None
    from heartbeat_bot.bot.commands import HeartbeatBot
    from heartbeat_bot.bot.supervisor import BotSupervisor

    return BotSupervisor(lambda: HeartbeatBot(app, ledger, announcer, latest=latest), after=after)


def _approval_notice(
    bot: BotSupervisor, channel_id: int
) -> Callable[[Post, int], Awaitable[str | None]]:
    """Post a waiting post's preview with its buttons, through the bot running now."""

    async def notify(post: Post, post_id: int) -> str | None:
        current = bot.bot
        if current is None or not current.client.is_ready():
            return None  # not connected (yet): the service asks again at its next sweep
        return await current.post_approval(channel_id, post, post_id)

    return notify


def _bot_configured(app: App) -> bool:
    """Whether the Discord section (the slash commands' home) has a bot token and server."""
    section = registry.unit("discord").section(app.config)
    return section.bot_token is not None and section.guild_id is not None


def cmd_bot(args: object) -> int:
    """Entry point of ``heartbeat-bot bot``: the slash commands alone."""
    app = App.build(getattr(args, "config", None))
    if not _bot_configured(app):
        raise HeartbeatError("discord.bot_token and discord.guild_id are needed for the bot")
    app.render.prepare()
    return asyncio.run(_bot_alone(app))


async def _bot_alone(app: App) -> int:
    from heartbeat_bot.app.wiring import announcer_for, open_ledger

    with open_ledger(app.config) as ledger:
        async with announcer_for(app, ledger) as announcer:
            bot = start_bot(app, ledger, announcer)
            assert bot is not None
            stopping = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stopping.set)
            waits = {asyncio.ensure_future(stopping.wait()), asyncio.ensure_future(bot.ended())}
            _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for wait in pending:
                wait.cancel()
            await bot.close()
    # Alone, a bot that gave up (settings Discord refuses) has nothing left to do.
    return 0 if stopping.is_set() else 1
