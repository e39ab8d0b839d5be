"""Discord slash commands: /preview, /announce and /status, for the people allowed to.

The bot runs in the service's event loop (``heartbeat-bot run``, when ``discord.bot_token``
and ``discord.guild_id`` are set) or alone (``heartbeat-bot bot``). Commands call the same
announcer as the command line. Roles are checked here, in code: Discord's
``default_permissions`` is only a hint shown by its clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import discord
import yarl
from discord import app_commands

from heartbeat_bot.announcer import Announcer
from heartbeat_bot.app.application import App, feed_source, folder_source
from heartbeat_bot.bot.lookup import post_at, shared_posts
from heartbeat_bot.bot.replies import choices, preview_text, report_text, status_text
from heartbeat_bot.channels import registry
from heartbeat_bot.channels.discord.transport import answer_trace
from heartbeat_bot.cli.delivery import status_rows
from heartbeat_bot.errors import HeartbeatError, PostError
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.models import Post
from heartbeat_bot.posts import find_post
from heartbeat_bot.sources.feed import FeedSource
from heartbeat_bot.sources.feed_parse import FeedError
from heartbeat_bot.sources.folder import FolderSource

log = logging.getLogger("heartbeat_bot.bot")

# The /announce channel choices: every registered channel, or all of them.
CHANNEL_CHOICES = [app_commands.Choice(name=n, value=n) for n in ("all", *registry.names())]
NO_PINGS = discord.AllowedMentions.none()
CONFIRM_SECONDS = 120.0


# How old the feed's entries may be for the slash commands, and how long they wait for it
# (Discord wants an answer within 3 s).
FEED_MAX_AGE = 30.0
FEED_WAIT = 2.0


class Refused(Exception):
    """The user may not run this command here; the message is shown to them."""


class HeartbeatBot:
    """A discord.py client with the three commands, synced to the configured guild."""

    def __init__(
        self,
        app: App,
        ledger: Ledger,
        announcer: Announcer,
        *,
        latest: Callable[[], Sequence[Post | PostError]] | None = None,
    ) -> None:
        # The slash commands are the Discord channel's own surface: its section holds them.
        config = registry.unit("discord").section(app.config)
        if config.bot_token is None or config.guild_id is None:
            raise HeartbeatError("discord.bot_token and discord.guild_id are needed for the bot")
        self.app = app
        # Its own source (over the service's parse cache: nothing the service parsed is parsed
        # again); sharing the service's instance would consume the changes its rescans look for.
        # In the service (``latest``: its latest scan), the posts offered are the service's,
        # not held twice; the one a command or button names is read again from its file.
        self.source: FolderSource | FeedSource = (
            feed_source(app.config) if app.feed is not None else folder_source(app.config)
        )
        self.latest = latest
        self._feed_read_at = 0.0
        self.ledger = ledger
        self.announcer = announcer
        self.token = config.bot_token.get_secret_value()
        self.guild_id = config.guild_id
        self.allowed_roles = set(config.allowed_role_ids)
        self.sync_global = config.sync_global
        read = config.read_role_ids
        self.read_roles = set(read) if read is not None else set(config.allowed_role_ids)
        discord.http.Route.BASE = config.api_url.rstrip("/")
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)
        intents = discord.Intents.none()
        intents.guilds = True  # no privileged intent is needed
        self.client = _Client(
            self._sync,
            intents=intents,
            allowed_mentions=NO_PINGS,
            http_trace=answer_trace(record=False),  # bounded answers, no redirects
        )
        self.client.event(self.on_interaction)  # the approval buttons
        self.tree = app_commands.CommandTree(self.client)
        self.tree.error(self._on_error)
        self._add_commands(discord.Object(id=self.guild_id))

    async def start(self) -> None:
        """Log in and stay connected (discord.py reconnects by itself)."""
        await self.client.start(self.token)

    async def close(self) -> None:
        await self.client.close()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        from heartbeat_bot.bot.approvals import on_button

        await on_button(self, interaction)

    async def post_approval(self, channel_id: int, post: Post, post_id: int) -> str:
        """Ask the staff channel about a waiting post (Approve / Reject buttons)."""
        from heartbeat_bot.bot.approvals import post_preview

        return await post_preview(self, channel_id, post, post_id)

    async def _sync(self) -> None:
        if self.sync_global:
            await self.tree.sync()
        synced = await self.tree.sync(guild=discord.Object(id=self.guild_id))
        log.info(
            "slash commands synced to guild %s: %s",
            self.guild_id,
            ", ".join(f"/{c.name}" for c in synced),
        )

    # -- the commands -------------------------------------------------------------------

    def _add_commands(self, guild: discord.Object) -> None:
        @app_commands.command(name="preview", description="Show what would be posted for a post")
        @app_commands.describe(post="The post (slug, title or URL)")
        async def preview(interaction: discord.Interaction, post: str) -> None:
            self._check(interaction, self.read_roles, "preview")
            found = await self._post(post)
            rendered = self.app.render.render_all(found, self.app.comments_url(found))
            embeds = [discord.Embed.from_dict(e) for e in rendered["discord"].body()["embeds"]]
            await interaction.response.send_message(
                preview_text(found, rendered, shown="discord"),
                embeds=embeds,
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )

        @app_commands.command(name="announce", description="Announce a post now")
        @app_commands.describe(
            post="The post (slug, title or URL)",
            channels="Where to announce it (default: all enabled)",
            force="Send again where it was already sent (asks to confirm)",
        )
        @app_commands.choices(channels=CHANNEL_CHOICES)
        async def announce(
            interaction: discord.Interaction,
            post: str,
            channels: str = "all",
            force: bool = False,
        ) -> None:
            self._check(interaction, self.allowed_roles, "announce", manage_fallback=True)
            found = await self._post(post)
            state = found.state(datetime.now(UTC))
            if state != "published" and not force:
                raise Refused(f"{found.slug} is {state}: not announced (use force to override).")
            only = None if channels == "all" else frozenset({channels})
            log.info(
                "/announce %s (channels=%s, force=%s) by user %s",
                found.slug,
                channels,
                force,
                interaction.user.id,
            )
            if force:
                await self._confirm_force(interaction, found, only)
                return
            await interaction.response.defer(ephemeral=True, thinking=True)
            self._approve(interaction, found)
            report = await self.announcer.announce(found, only=only, max_wait=10.0)
            await interaction.followup.send(
                report_text(report), ephemeral=True, allowed_mentions=NO_PINGS
            )

        @app_commands.command(name="status", description="What was sent where")
        @app_commands.describe(post="One post, with its history (default: the latest posts)")
        async def status(interaction: discord.Interaction, post: str | None = None) -> None:
            self._check(interaction, self.read_roles, "status")
            url = (await self._post(post)).url if post else None
            rows = status_rows(self.ledger, url)
            if url is None:
                latest = {r["url"] for r in rows[-3 * 10 :]}
                rows = [r for r in rows if r["url"] in latest]
            await interaction.response.send_message(
                status_text(rows, history=url is not None),
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )

        async def complete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            if not self._allowed(interaction, self.read_roles | self.allowed_roles):
                return []
            posts = await self.posts()
            found = None
            wanted = current.strip().lower()
            if wanted and isinstance(self.source, FolderSource):
                found = await asyncio.to_thread(self.source.matching, wanted)
            shown = choices(posts, current, found)
            return [app_commands.Choice(name=n, value=v) for n, v in shown]

        preview.autocomplete("post")(complete)
        announce.autocomplete("post")(complete)
        status.autocomplete("post")(complete)
        commands: list[app_commands.Command[Any, Any, Any]] = [preview, announce, status]
        for command in commands:
            self.tree.add_command(command, guild=guild)
            if self.sync_global:
                self.tree.add_command(command)

    async def _confirm_force(
        self, interaction: discord.Interaction, post: Post, only: frozenset[str] | None
    ) -> None:
        view = Confirm(interaction.user.id)
        await interaction.response.send_message(
            f"Send **{post.slug}** again where it was already sent? Discourse never gets a "
            "second topic; X refuses an identical thread.",
            view=view,
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )
        if not await view.wait_for_answer():
            await interaction.edit_original_response(content="Not sent.", view=None)
            return
        log.info("/announce --force %s confirmed by user %s", post.slug, interaction.user.id)
        self._approve(interaction, post)
        report = await self.announcer.announce(post, only=only, force=True, max_wait=10.0)
        await interaction.edit_original_response(content=report_text(report), view=None)

    # -- helpers -----------------------------------------------------------------------

    def _approve(self, interaction: discord.Interaction, post: Post) -> None:
        """A person announcing a post approves it (once they have confirmed, if asked)."""
        if self.app.config.approval.mode == "required":
            from heartbeat_bot.app.approval import approve

            who = f"{interaction.user.name} ({interaction.user.id})"
            approve(self.ledger, post, who, "/announce")

    async def posts(self) -> list[Post]:
        """The blog's posts as they are now (read in a worker thread, off the event loop), or
        a feed's entries (see :meth:`_entries`)."""
        if isinstance(self.source, FeedSource):
            return await self._entries(self.source)
        shared = self._shared()
        if shared is not None:
            return shared
        return await asyncio.to_thread(self._posts, self.source)

    def _shared(self) -> list[Post] | None:
        """The posts of the service's latest scan (None: outside it, or before it)."""
        return shared_posts(self.latest, self.source)

    async def post_at(self, url: str) -> Post | None:
        """The post at ``url`` as its file is now (:func:`~heartbeat_bot.bot.lookup.post_at`)."""
        return await post_at(self, url)

    def allowed(self, interaction: discord.Interaction, roles: set[int]) -> bool:
        """Whether the member has one of ``roles`` here (Manage Server when none is set)."""
        return self._allowed(interaction, roles)

    def _posts(self, source: FolderSource) -> list[Post]:
        result = source.rescan(self.app.config.blog)  # incremental: cheap
        return [p for p in result.items if isinstance(p, Post)]

    async def _entries(self, feed: FeedSource) -> list[Post]:
        """The feed's entries, read again at most every FEED_MAX_AGE seconds, and only as
        long as Discord waits for an answer; else as last read."""
        now = time.monotonic()
        if now - self._feed_read_at > FEED_MAX_AGE:
            self._feed_read_at = now
            try:
                await asyncio.wait_for(feed.poll(self.app.config.blog), FEED_WAIT)
            except (FeedError, TimeoutError) as exc:
                log.warning("slash commands: the feed as last read (%s)", exc or "too slow")
        return [p for p in feed.items() if isinstance(p, Post)]

    async def _post(self, ref: str) -> Post:
        """The post ``ref`` names: from the parse cache's index, else from a rescan (both
        in a worker thread, off the event loop); a feed's entry by its link, id or slug."""
        source = self.source
        found: Post | None = None
        if isinstance(source, FolderSource):
            found = await asyncio.to_thread(source.lookup, ref, self.app.config.blog)
        if found is None:
            found = find_post(await self.posts(), ref)
            if found is not None and self._shared() is not None:
                found = await self.post_at(found.url)  # the service's scan: as the file is now
        if found is None:
            raise Refused(f"No post matches `{ref[:80]}`. Pick one from the suggestions.")
        return found

    def _allowed(
        self, interaction: discord.Interaction, roles: set[int], *, manage_fallback: bool = True
    ) -> bool:
        if interaction.guild_id != self.guild_id:
            return False
        member_roles = {r.id for r in getattr(interaction.user, "roles", [])}
        if roles:
            return bool(member_roles & roles)
        return manage_fallback and interaction.permissions.manage_guild

    def _check(
        self,
        interaction: discord.Interaction,
        roles: set[int],
        command: str,
        *,
        manage_fallback: bool = True,
    ) -> None:
        if interaction.guild_id is None or interaction.guild_id != self.guild_id:
            log.warning(
                "/%s refused for user %s: outside the configured server",
                command,
                interaction.user.id,
            )
            raise Refused("Sorry, this command only works in the blog team's server.")
        if not self._allowed(interaction, roles, manage_fallback=manage_fallback):
            log.warning("/%s refused for user %s: missing role", command, interaction.user.id)
            raise Refused(f"Sorry, you are not allowed to use /{command}. Ask an admin.")

    async def _on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        cause = getattr(error, "original", error)
        if isinstance(cause, Refused):
            message = str(cause)
        elif isinstance(cause, HeartbeatError):
            log.warning("command failed for user %s: %s", interaction.user.id, cause)
            message = f"That did not work: {str(cause)[:300]}"
        else:
            log.error("command failed for user %s", interaction.user.id, exc_info=cause)
            message = "Something went wrong on our side; the details are in the bot's log."
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_PINGS)
            else:
                await interaction.response.send_message(
                    message, ephemeral=True, allowed_mentions=NO_PINGS
                )


class _Client(discord.Client):
    """A client that syncs the commands once logged in (discord.py's setup hook)."""

    def __init__(self, on_setup: Callable[[], Awaitable[None]], **options: Any) -> None:
        super().__init__(**options)
        self._on_setup = on_setup

    async def setup_hook(self) -> None:
        await self._on_setup()


class Confirm(discord.ui.View):
    """Confirm / Cancel buttons that only the person who asked may press."""

    def __init__(self, user_id: int) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self.user_id = user_id
        self.answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.user_id

    async def wait_for_answer(self) -> bool:
        try:
            return await asyncio.wait_for(asyncio.shield(self.answer), CONFIRM_SECONDS)
        except TimeoutError:
            return False

    @discord.ui.button(label="Send again", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction, _: discord.ui.Button[Confirm]
    ) -> None:
        await interaction.response.defer()
        if not self.answer.done():
            self.answer.set_result(True)
        self.stop()

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button[Confirm]) -> None:
        await interaction.response.defer()
        if not self.answer.done():
            self.answer.set_result(False)
        self.stop()
