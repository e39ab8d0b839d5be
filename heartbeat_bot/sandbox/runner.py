"""The Sandbox: the fake services on loopback ports, run by a background thread.

The servers get their own thread and event loop so the sandbox serves sync code, code
under ``asyncio.run()`` and subprocesses alike, and a client blocking its own loop
cannot stall the fake it is talking to.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import secrets
import string
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

from heartbeat_bot.sandbox import showing
from heartbeat_bot.sandbox.bluesky import BlueskyService
from heartbeat_bot.sandbox.discord import API, DISCORD_EPOCH_MS, DiscordService
from heartbeat_bot.sandbox.discourse import DiscourseService
from heartbeat_bot.sandbox.faults import Faults
from heartbeat_bot.sandbox.github import GitHubFaults, GitHubService
from heartbeat_bot.sandbox.mastodon import MastodonService
from heartbeat_bot.sandbox.oauth import OAuthKeys
from heartbeat_bot.sandbox.server import JSON, RequestLog, Service, Settings, Snowflakes
from heartbeat_bot.sandbox.webhook_receiver import PATH as WEBHOOK_PATH
from heartbeat_bot.sandbox.webhook_receiver import WebhookReceiver
from heartbeat_bot.sandbox.x import XService

START_TIMEOUT_SECONDS = 10.0
GITHUB_REPOSITORY = "blog-team/blog"


_URLSAFE = string.ascii_letters + string.digits + "-_"


def _token(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _app_password() -> str:
    """A Bluesky app password: four groups of four lower-case letters and digits."""
    return "-".join(_token(4, string.ascii_lowercase + string.digits) for _ in range(4))


@dataclass(frozen=True)
class Credentials:
    """Everything a client needs to be accepted by the sandbox (fresh for each sandbox)."""

    discourse_api_key: str
    discourse_api_username: str
    discord_bot_token: str
    discord_channel_id: int
    discord_guild_id: int
    twitter_consumer_key: str
    twitter_consumer_secret: str
    twitter_access_token: str
    twitter_access_token_secret: str
    # Defaults, so code building Credentials by hand need not know about the others.
    github_token: str = field(default_factory=lambda: "ghp_" + _token(36))
    mastodon_access_token: str = field(default_factory=lambda: _token(43, _URLSAFE))
    webhook_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    bluesky_handle: str = "heartbeat-sandbox.bsky.social"
    bluesky_app_password: str = field(default_factory=lambda: _app_password())

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Sandbox:
    """Fake Discourse, Discord, X, GitHub, Mastodon, Bluesky and a webhook receiver on
    127.0.0.1.

    A context manager, or start/stop.

    ``fault_rate`` and ``seed`` set random faults (see ``faults.FAULT_KINDS``);
    ``timeline_access`` is whether the X app may read its timeline (a paid tier);
    ``rate_limit_wait`` is the wait every 429 asks for; ``slow_delay`` how long "slow" is;
    ``discord_roles`` names the guild's roles besides @everyone (ids in ``discord.roles``);
    ``interaction_deadline`` is how long a bot has to answer an interaction (Discord: 3 s).
    GitHub's faults are its own (``github.faults``), never random unless asked.
    """

    def __init__(
        self,
        fault_rate: float = 0.0,
        seed: int | None = None,
        timeline_access: bool = True,
        rate_limit_wait: float = 0.2,
        slow_delay: float = 0.5,
        *,
        host: str = "127.0.0.1",
        discourse_port: int = 0,
        discord_port: int = 0,
        x_port: int = 0,
        github_port: int = 0,
        mastodon_port: int = 0,
        webhook_port: int = 0,
        bluesky_port: int = 0,
        discord_roles: Sequence[str] = ("Announcer", "Reader"),
        interaction_deadline: float = 3.0,
    ) -> None:
        settings = Settings(rate_limit_wait, slow_delay, timeline_access)
        self.faults = Faults(fault_rate, seed)
        self._log = RequestLog()
        ids = Snowflakes(DISCORD_EPOCH_MS)
        guild_id, channel_id, no_access_id, webhook_id, app_id = (ids.next() for _ in range(5))
        x_user_id = str(1_500_000_000_000_000_000 + secrets.randbelow(10**17))
        bot_id_b64 = base64.b64encode(str(app_id).encode()).decode().rstrip("=")
        self.credentials = Credentials(
            discourse_api_key=secrets.token_hex(32),
            discourse_api_username="heartbeat-bot",
            discord_bot_token=f"{bot_id_b64}.{_token(6)}.{_token(38)}",
            discord_channel_id=channel_id,
            discord_guild_id=guild_id,
            twitter_consumer_key=_token(25),
            twitter_consumer_secret=_token(50),
            twitter_access_token=f"{x_user_id}-{_token(30)}",
            twitter_access_token_secret=_token(45),
            github_token="ghp_" + _token(36),
            mastodon_access_token=_token(43, _URLSAFE),
            webhook_secret=secrets.token_hex(32),
        )
        creds = self.credentials
        self.discourse = DiscourseService(
            self.faults,
            self._log,
            settings,
            api_key=creds.discourse_api_key,
            api_username=creds.discourse_api_username,
        )
        self.discord = DiscordService(
            self.faults,
            self._log,
            settings,
            bot_token=creds.discord_bot_token,
            channel_id=channel_id,
            guild_id=guild_id,
            webhook_id=webhook_id,
            webhook_token=_token(68, string.ascii_letters + string.digits + "-_"),
            application_id=app_id,
            no_access_channel_id=no_access_id,
        )
        self.discord.roles = {name: ids.next() for name in discord_roles}
        self.discord.interactions.deadline = interaction_deadline
        self.gateway = self.discord.gateway
        keys = OAuthKeys(
            creds.twitter_consumer_key,
            creds.twitter_consumer_secret,
            creds.twitter_access_token,
            creds.twitter_access_token_secret,
        )
        self.x = XService(self.faults, self._log, settings, keys=keys, user_id=x_user_id)
        self.github = GitHubService(
            GitHubFaults(0.0, seed),
            self._log,
            settings,
            token=creds.github_token,
            repository=GITHUB_REPOSITORY,
        )
        self.mastodon = MastodonService(
            self.faults, self._log, settings, access_token=creds.mastodon_access_token
        )
        self.webhook = WebhookReceiver(
            self.faults, self._log, settings, secret=creds.webhook_secret
        )
        self.bluesky = BlueskyService(
            self.faults,
            self._log,
            settings,
            handle=creds.bluesky_handle,
            did="did:plc:" + _token(24, "abcdefghijklmnopqrstuvwxyz234567"),
            app_password=creds.bluesky_app_password,
        )
        self._host = host
        self._ports: list[tuple[Service, int]] = [
            (self.discourse, discourse_port),
            (self.discord, discord_port),
            (self.x, x_port),
            (self.github, github_port),
            (self.mastodon, mastodon_port),
            (self.webhook, webhook_port),
            (self.bluesky, bluesky_port),
        ]
        self._runners: list[web.AppRunner] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Start the servers; returns once all of them are listening."""
        if self._thread is not None:
            raise RuntimeError("this sandbox is already started")
        self._thread = threading.Thread(target=self._run, name="heartbeat-sandbox", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_SECONDS):
            raise RuntimeError("the sandbox servers did not start in time")
        if self._error is not None:
            self._thread.join()
            raise RuntimeError(f"the sandbox could not start: {self._error}") from self._error
        return self

    def stop(self) -> None:
        """Stop the servers and the thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT_SECONDS)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start(), which raises it
            self._error = exc
        self._ready.set()
        if self._error is None:
            loop.run_forever()
        try:
            loop.run_until_complete(self.gateway.shutdown())
            for runner in self._runners:
                loop.run_until_complete(runner.cleanup())
            # A request still held (a "slow" fault longer than the test) is cancelled,
            # not destroyed pending with the loop.
            left = asyncio.all_tasks(loop)
            for task in left:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    async def _serve(self) -> None:
        for service, port in self._ports:
            runner = web.AppRunner(service.build_app(), access_log=None, shutdown_timeout=1.0)
            await runner.setup()
            self._runners.append(runner)
            await web.TCPSite(runner, self._host, port).start()
            bound = runner.addresses[0][1]
            service.base_url = f"http://{self._host}:{bound}"

    # --- what clients need ---------------------------------------------------------------

    def _started(self, service: Service) -> str:
        if not service.base_url:
            raise RuntimeError("start the sandbox first (with Sandbox(...) as sb: ...)")
        return service.base_url

    @property
    def discourse_url(self) -> str:
        """Discourse's base URL (``/posts.json`` and friends live under it)."""
        return self._started(self.discourse)

    @property
    def discord_api_url(self) -> str:
        """What ``discord.http.Route.BASE`` becomes: ``http://127.0.0.1:PORT/api/v10``."""
        return self._started(self.discord) + API

    @property
    def discord_webhook_url(self) -> str:
        """A valid webhook's execute URL (id and token of the sandbox's one webhook)."""
        hook = self.discord
        return f"{self.discord_api_url}/webhooks/{hook.webhook_id}/{hook.webhook_token}"

    @property
    def discord_gateway_url(self) -> str:
        """What ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` becomes (as a yarl.URL)."""
        self._started(self.discord)
        return self.gateway.url

    @property
    def discord_application_id(self) -> int:
        """The bot's application id (also its user id), as in READY and commands' paths."""
        return self.discord.application_id

    @property
    def x_api_url(self) -> str:
        """X's base URL: requests go to ``/2/tweets`` etc. under it."""
        return self._started(self.x)

    @property
    def github_api_url(self) -> str:
        """GitHub's REST base URL: ``/repos/{owner}/{repo}/pulls`` and friends live under it."""
        return self._started(self.github)

    @property
    def mastodon_url(self) -> str:
        """The Mastodon instance's base URL (``/api/v1/statuses`` and friends live under it)."""
        return self._started(self.mastodon)

    @property
    def webhook_url(self) -> str:
        """Where the webhook receiver takes signed deliveries."""
        return self._started(self.webhook) + WEBHOOK_PATH

    @property
    def bluesky_url(self) -> str:
        """The PDS's base URL: XRPC calls go to ``/xrpc/<method>`` under it."""
        return self._started(self.bluesky)

    @property
    def requests(self) -> list[JSON]:
        """Every API request seen: service, method, path, query, status, fault, time.
        ``status`` is None when no answer was produced (``drop_before``)."""
        return self._log.snapshot()

    def received(self) -> list[tuple[str, str]]:
        """What each stand-in received, as (title, text) blocks for people (``demo``)."""
        return showing.received(self)

    def info(self) -> JSON:
        """The URLs, credentials and config snippet, as ``--json`` prints them."""
        return {
            "discourse_url": self.discourse_url,
            "discord_api_url": self.discord_api_url,
            "discord_webhook_url": self.discord_webhook_url,
            "discord_gateway_url": self.discord_gateway_url,
            "x_api_url": self.x_api_url,
            "github_api_url": self.github_api_url,
            "mastodon_url": self.mastodon_url,
            "webhook_url": self.webhook_url,
            "bluesky_url": self.bluesky_url,
            "credentials": self.credentials.as_dict(),
            "config": self.config_snippet(),
        }

    def config_snippet(self) -> str:
        """TOML for heartbeat-bot's config with every channel pointed here."""
        return showing.config_snippet(self)
