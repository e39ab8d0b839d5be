"""Approve / Reject buttons on a waiting post's preview in the staff channel.

The service posts the preview when a post comes due with ``[approval] mode =
"required"``; a press by someone allowed to ``/announce`` decides, through the same
ledger call as the console and ``heartbeat-bot approve``. The service's own sweep sends
an approved post within seconds, so a button never sends anything itself.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord

from heartbeat_bot.app.approval import approve, reject
from heartbeat_bot.channels import registry
from heartbeat_bot.ledger import ApprovalRow
from heartbeat_bot.ledger.posts import shown_hash
from heartbeat_bot.models import Post

if TYPE_CHECKING:
    from heartbeat_bot.bot.commands import HeartbeatBot

log = logging.getLogger("heartbeat_bot.bot")

# heartbeat:approve:POST_ID:SHOWN, SHOWN being what the preview showed (see _shown).
BUTTON = re.compile(r"heartbeat:(approve|reject):(\d{1,18})(?::([0-9a-f]{12}))?")
NO_PINGS = discord.AllowedMentions.none()


def _shown(post: Post) -> str:
    """What a preview shows of the post, in short: an Approve pressed on a preview of an
    earlier version approves nothing."""
    return shown_hash(post)[:12]


def _buttons(post: Post, post_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label="Approve",
            style=discord.ButtonStyle.success,
            custom_id=f"heartbeat:approve:{post_id}:{_shown(post)}",
        )
    )
    view.add_item(
        discord.ui.Button(
            label="Reject",
            style=discord.ButtonStyle.danger,
            custom_id=f"heartbeat:reject:{post_id}",
        )
    )
    return view


async def post_preview(bot: HeartbeatBot, channel_id: int, post: Post, post_id: int) -> str:
    """The preview with its buttons in the staff channel; returns the message's id."""
    channel = bot.client.get_channel(channel_id) or await bot.client.fetch_channel(channel_id)
    if not isinstance(channel, discord.abc.Messageable):
        raise TypeError(f"approval.discord_channel_id {channel_id} is not a text channel")
    rendered = bot.app.render.render_all(post, bot.app.comments_url(post))
    embeds = [discord.Embed.from_dict(e) for e in rendered["discord"].body()["embeds"]][:10]
    message = await channel.send(
        f"**{discord.utils.escape_markdown(post.title)}** is due and waits for approval: "
        f"<{post.url}>",
        embeds=embeds,
        view=_buttons(post, post_id),
        allowed_mentions=NO_PINGS,
    )
    log.info("%s: approval preview posted in channel %s", post.slug, channel_id)
    return str(message.id)


def _current(asked: ApprovalRow, interaction: discord.Interaction) -> bool:
    """Whether the button pressed sits on the preview of the request now waiting."""
    message = interaction.message
    return asked.message_id is None or (message is not None and str(message.id) == asked.message_id)


async def on_button(bot: HeartbeatBot, interaction: discord.Interaction) -> None:
    """Decide on a post when its Approve or Reject button is pressed (if allowed)."""
    if interaction.type != discord.InteractionType.component:
        return
    custom_id = interaction.data.get("custom_id", "") if interaction.data else ""
    found = BUTTON.fullmatch(str(custom_id))
    if found is None:
        return
    verb, post_id, shown = found.group(1), int(found.group(2)), found.group(3)
    user = interaction.user
    if not bot.allowed(interaction, bot.allowed_roles):
        log.warning("approval button refused for user %s: missing role", user.id)
        await interaction.response.send_message(
            "Sorry, only the roles allowed to /announce may decide.",
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )
        return
    asked = bot.ledger.approval(post_id)
    if asked is None or (asked.state == "awaiting" and not _current(asked, interaction)):
        # Withdrawn (the post was no longer due) or asked again since: not this preview.
        log.info(
            "approval button %s for post %s by user %s: preview out of date", verb, post_id, user.id
        )
        await interaction.response.edit_message(
            content="This preview is out of date: nothing was decided.",
            view=None,
            allowed_mentions=NO_PINGS,
        )
        return
    url = bot.ledger.post(post_id).url
    post = await bot.post_at(url)
    if post is None:
        await interaction.response.send_message(
            "That post is no longer in the blog.", ephemeral=True, allowed_mentions=NO_PINGS
        )
        return
    if verb == "approve" and shown is not None and shown != _shown(post):
        await _show_again(bot, interaction, post, post_id)
        return
    who = f"{user.name} ({user.id})"
    if verb == "approve":
        decision = approve(bot.ledger, post, who, "discord")
    else:
        decision = reject(bot.ledger, post, who, "discord", registry.enabled(bot.app.config))
    log.info("approval button %s %s by user %s: %s", verb, post.slug, user.id, decision.describe())
    if not decision.won:
        await interaction.response.send_message(
            f"{post.slug} was already {decision.describe()}.",
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )
        return
    await interaction.response.edit_message(
        content=f"**{discord.utils.escape_markdown(post.title)}**: {decision.describe()}",
        view=None,
        allowed_mentions=NO_PINGS,
    )


async def _show_again(
    bot: HeartbeatBot, interaction: discord.Interaction, post: Post, post_id: int
) -> None:
    """Approve pressed on a preview of an earlier version: nothing is decided; the old
    preview says so and a preview of the post as it is now follows."""
    log.info(
        "approval button for %s by user %s: the post changed since its preview",
        post.slug,
        interaction.user.id,
    )
    await interaction.response.edit_message(
        content="This preview is out of date (the post changed since): nothing was decided. "
        "A new preview follows.",
        view=None,
        allowed_mentions=NO_PINGS,
    )
    channel_id = bot.app.config.approval.discord_channel_id
    if channel_id is not None:
        message_id = await bot.post_approval(channel_id, post, post_id)
        bot.ledger.set_approval_message(post_id, message_id)
