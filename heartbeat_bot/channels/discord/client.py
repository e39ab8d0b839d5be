"""Discord: post the announcement as a bot or through a webhook, and read it back (bot only).

All REST goes through discord.py 2.7.1. Its ``discord.http.Route.BASE`` is a class
attribute, so pointing it at ``discord.api_url`` (a sandbox, say) is **process-wide**: one
process talks to one Discord API. Each public method sets it before calling discord.py.

What discord.py does on its own, and what this client adds:

- Bot mode sleeps on a 429 up to ``max_ratelimit_timeout`` (discord.py raises it to at
  least 30 s) and raises ``discord.RateLimited`` beyond; it resends 500/502/504 up to five
  times. That resend is safe because every bot message carries a nonce with
  ``enforce_nonce`` (discord.py adds it: ``http.handle_message_parameters``).
- The webhook adapter resends *every* 5xx and sleeps any 429 however long. A webhook takes
  no nonce, so a resend after a 500 that was in fact carried out posts twice. The session
  this client builds for webhooks carries ``transport.no_blind_retries``, which
  turns those answers into errors the announcer decides about.
- discord.py chokes on answers it cannot read (``TypeError``, ``KeyError``,
  ``JSONDecodeError``). A trace hook (``transport.answer_trace``) keeps the last
  answer so such a failure is classified by its status instead of escaping as a crash.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
import discord

from heartbeat_bot.channels.common import safe_cause, unexpected
from heartbeat_bot.channels.discord.answers import (
    CHANNEL,
    SERVICE,
    Mode,
    allowed_mentions,
    map_error,
    used_up_until,
)
from heartbeat_bot.channels.discord.edits import MessageEdits
from heartbeat_bot.channels.discord.settings import DiscordConfig
from heartbeat_bot.channels.discord.transport import (
    Answer,
    answer_trace,
    current_answer,
    install_log_redaction,
    no_blind_retries,
    recording,
)
from heartbeat_bot.channels.limits import Window
from heartbeat_bot.errors import (
    CannotConfirm,
    ChannelError,
    ConfigError,
    Permanent,
    Retryable,
)
from heartbeat_bot.models import Sent

# How many messages posted since an interrupted send find_sent reads before giving up.
HISTORY_SCAN_LIMIT = 5000
ALREADY_CROSSPOSTED = 40033
T = TypeVar("T")

_WEBHOOK_URL = re.compile(r"/webhooks/(\d+)/([A-Za-z0-9_.-]+)/?(?:[?#].*)?$")


class DiscordClient(MessageEdits):
    """Posts to one channel, as a bot (``discord.mode = "bot"``) or through a webhook.

    ``session`` is only used in webhook mode. Without one, the client builds its own with
    :func:`no_blind_retries` and :func:`answer_trace` and closes it in :meth:`close`; a
    session passed in is used as is (add both to it to keep the same guarantees: no blind
    resends, bounded answers, no redirects). ``timeout`` bounds each
    operation, in seconds, discord.py's own rate-limit sleeps included.
    """

    def __init__(
        self,
        config: DiscordConfig,
        session: aiohttp.ClientSession | None = None,
        *,
        max_ratelimit_timeout: float = 30.0,
        timeout: float = 90.0,
        history_scan_limit: int = HISTORY_SCAN_LIMIT,
    ) -> None:
        self._config = config
        self._scan_limit = history_scan_limit
        self._mode: Mode = config.mode
        self._session = session
        self._own_session = session is None
        self._cap = max_ratelimit_timeout
        self._timeout = timeout
        self._client: discord.Client | None = None
        self._login_lock = asyncio.Lock()
        self._secrets: tuple[str, ...] = ()
        self._webhook_ids: tuple[int, str] | None = None
        self._window = Window(CHANNEL, SERVICE)
        if self._mode == "bot":
            if config.bot_token is None or config.channel_id is None:
                raise ConfigError(
                    "discord.bot_token and discord.channel_id are needed in bot mode",
                    key="discord.bot_token",
                )
            self._secrets = (config.bot_token.get_secret_value(),)
        else:
            if config.webhook_url is None:
                raise ConfigError("discord.webhook_url is needed", key="discord.webhook_url")
            url = config.webhook_url.get_secret_value()
            self._secrets = (url,)
            found = _WEBHOOK_URL.search(url)
            if found:
                self._webhook_ids = (int(found.group(1)), found.group(2))
                self._secrets += (found.group(2),)
        install_log_redaction()

    @property
    def exhausted_until(self) -> float | None:
        """The epoch second Discord takes messages again, when it said they are used up.

        Read from the answers to sends and read-backs (a 429, or a bucket's remaining
        count of 0); until then both raise ``WindowClosed`` without a request. Publishing
        has a bucket of its own and is left out.
        """
        return self._window.until

    @property
    def can_confirm(self) -> bool:
        """Whether an interrupted send can be checked: bot mode only (nonce + history)."""
        return self._mode == "bot"

    async def __aenter__(self) -> DiscordClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Log the bot out and close the sessions this client opened."""
        client, self._client = self._client, None
        if client is not None:
            await client.close()
        if self._own_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def send(self, body: dict[str, Any], nonce: str | None) -> Sent:
        """Post ``body`` (a ``DiscordMessage.body()``); in bot mode with ``nonce``.

        With the same nonce, Discord answers a resend within minutes with the first
        message instead of posting a second one. Webhooks take no nonce.
        """
        embeds = [discord.Embed.from_dict(e) for e in body.get("embeds") or []]
        content = body.get("content") or None
        mentions = allowed_mentions(body.get("allowed_mentions") or {"parse": []})

        async def bot() -> Sent:
            client = await self._bot()
            channel = client.get_partial_messageable(
                self._channel_id, guild_id=self._config.guild_id
            )
            # discord.py invents a random nonce when given None; only pass ours.
            extra: dict[str, Any] = {"nonce": nonce} if nonce is not None else {}
            message = await channel.send(
                content=content, embeds=embeds, allowed_mentions=mentions, **extra
            )
            return self._sent(message)

        async def webhook() -> Sent:
            message = await self._webhook().send(
                content=content if content is not None else discord.utils.MISSING,
                embeds=embeds,
                allowed_mentions=mentions,
                wait=True,
            )
            return self._sent(message)

        return await self._call(
            bot if self._mode == "bot" else webhook, changes=True, windowed=True
        )

    async def find_sent(
        self, post_url: str, *, since: datetime | int | None = None, after: str | None = None
    ) -> Sent | None:
        """Our message in the channel whose first embed links to ``post_url``.

        Discord does not return nonces when reading, so the embed's link identifies it.
        With ``since`` (timezone-aware; naive means UTC; pass the moment the send started
        minus a margin for clock skew) every message posted after it is read, oldest first,
        however busy the channel was meanwhile, up to ``history_scan_limit`` messages;
        beyond that the answer would be a guess, so it is ``CannotConfirm``
        (a person looks). ``since`` may also be a message id: the messages after it are
        read, with no clock involved. ``after`` (an earlier message's id, on a forced resend)
        starts the reading after that message, and no earlier than ``since``. Without
        either, only the last 50 messages are read.
        """
        if self._mode != "bot":
            raise Permanent(CHANNEL, "webhook mode cannot read back messages")
        start = _start(since, after)

        async def find() -> Sent | None:
            client = await self._bot()
            me = client.user.id if client.user else None
            channel = client.get_partial_messageable(
                self._channel_id, guild_id=self._config.guild_id
            )
            if start is None:
                messages = channel.history(limit=50)
            else:  # paged forward from ``start``, 100 a request; one more tells "beyond"
                messages = channel.history(limit=self._scan_limit + 1, after=start)
            read = 0
            async for message in messages:
                read += 1
                embeds = message.embeds
                if message.author.id == me and embeds and _same_url(embeds[0].url, post_url):
                    return self._sent(message)
            # discord.py iterates whatever came back: "{}" would read as "no messages",
            # and a false "not sent" leads to a second post. Only a JSON list is an answer.
            answer = current_answer()
            if answer is not None and not answer.body.lstrip().startswith(b"["):
                body = answer.body.decode("utf-8", "replace")
                raise unexpected(CHANNEL, SERVICE, body, answer.status)
            if start is not None and read > self._scan_limit:
                # Reading on would only repeat this at every check: a person looks instead.
                raise CannotConfirm(
                    CHANNEL,
                    f"cannot confirm: more than {self._scan_limit} messages were posted in "
                    "the channel since the send began; look for the announcement there",
                )
            return None

        # The client's timeout bounds the whole scan, which keeps it inside the claim's lease.
        return await self._call(find, changes=False, windowed=True)

    async def publish(self, message_id: str) -> None:
        """Publish our message to the servers following this announcement channel.

        Publishing twice is harmless: Discord's "already crossposted" (40033) counts as done.
        """
        if self._mode != "bot":
            raise Permanent(CHANNEL, "webhook mode cannot publish messages")

        async def publish() -> None:
            client = await self._bot()
            channel = client.get_partial_messageable(
                self._channel_id, guild_id=self._config.guild_id
            )
            try:
                await channel.get_partial_message(int(message_id)).publish()
            except discord.Forbidden:
                raise Permanent(
                    CHANNEL,
                    "the bot may not publish in discord.channel_id (it needs Send Messages "
                    "there, and Manage Messages for messages it did not send)",
                    status=403,
                ) from None
            except discord.HTTPException as exc:
                if exc.code != ALREADY_CROSSPOSTED:
                    raise

        await self._call(publish, changes=False)

    async def check(self) -> str:
        """Whether the settings work: logs in and reads the channel, or reads the webhook."""

        async def bot() -> str:
            client = await self._bot()
            channel = await client.fetch_channel(self._channel_id)
            name = getattr(channel, "name", None) or str(self._channel_id)
            return f"bot {client.user} can post to #{name}"

        async def webhook() -> str:
            found = await self._webhook().fetch()
            return f"webhook {found.name} for channel {found.channel_id}"

        return await self._call(bot if self._mode == "bot" else webhook, changes=False)

    @property
    def _channel_id(self) -> int:
        assert self._config.channel_id is not None  # checked in __init__
        return self._config.channel_id

    def _sent(self, message: discord.Message) -> Sent:
        guild = self._config.guild_id or getattr(message.guild, "id", None) or "@me"
        url = f"https://discord.com/channels/{guild}/{message.channel.id}/{message.id}"
        return Sent(remote_id=str(message.id), url=url)

    async def _bot(self) -> discord.Client:
        """The logged-in client, created on first use (login reads two endpoints)."""
        async with self._login_lock:
            if self._client is None:
                intents = discord.Intents.none()
                intents.guilds = True  # no gateway is opened; this silences a warning
                client = discord.Client(
                    intents=intents,
                    max_ratelimit_timeout=self._cap,
                    http_trace=answer_trace(),
                )
                assert self._config.bot_token is not None
                try:
                    await client.login(self._config.bot_token.get_secret_value())
                except BaseException:
                    await client.close()
                    raise
                self._client = client
            return self._client

    def _webhook(self) -> discord.Webhook:
        if self._webhook_ids is None:
            raise Permanent(
                CHANNEL,
                "discord.webhook_url is not a webhook URL (expected .../webhooks/<id>/<token>)",
            )
        if self._session is None:
            self._session = aiohttp.ClientSession(
                middlewares=(no_blind_retries(self._cap),),
                trace_configs=[answer_trace()],
                timeout=aiohttp.ClientTimeout(sock_connect=10.0, sock_read=self._timeout),
            )
        webhook_id, token = self._webhook_ids
        return discord.Webhook.partial(webhook_id, token, session=self._session)

    async def _call(
        self, operation: Callable[[], Awaitable[T]], *, changes: bool, windowed: bool = False
    ) -> T:
        """Run one operation and map whatever it raises to a ChannelError.

        ``changes`` says whether it may post something: then a lost answer is Uncertain.
        ``windowed``: it waits for, and its answers tell, the window of sends and reads.
        """
        if windowed:
            self._window.check()
        discord.http.Route.BASE = self._config.api_url.rstrip("/")
        with recording() as answer:
            try:
                return await self._mapped(operation, answer, changes=changes)
            except Retryable as exc:
                if windowed and exc.status == 429 and exc.wait:  # discord.py's own refusal too
                    self._window.used_up(time.time() + exc.wait)
                raise
            finally:
                if windowed:
                    self._window.used_up(used_up_until(answer, time.time()))

    async def _mapped(
        self, operation: Callable[[], Awaitable[T]], answer: Answer, *, changes: bool
    ) -> T:
        try:
            async with asyncio.timeout(self._timeout):
                return await operation()
        except ChannelError:
            raise
        except Exception as exc:
            error = map_error(exc, answer, changes=changes, mode=self._mode)
            if error is None:
                raise
            raise error from safe_cause(exc, *self._secrets)


def _same_url(found: str | None, wanted: str) -> bool:
    """Whether an embed's URL is the post's: Discord may normalise a trailing slash."""
    return found is not None and found.rstrip("/") == wanted.rstrip("/")


def _start(since: datetime | int | None, after: str | None) -> datetime | discord.Object | None:
    """Where reading the channel starts: after the message ``after`` (an id) and no earlier
    than ``since`` (a moment, naive meaning UTC, or a message id)."""
    moment: datetime | None = None
    if isinstance(since, datetime):
        moment = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
    if after is not None and after.isdigit():
        earliest = discord.utils.time_snowflake(moment) if moment is not None else 0
        return discord.Object(max(int(after), earliest, since if isinstance(since, int) else 0))
    if isinstance(since, int):
        return discord.Object(since)  # a message id: no clock involved
    return moment
