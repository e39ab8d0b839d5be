"""What the sandbox shows people: what each fake received (``demo``), and the settings
that point heartbeat-bot at it (``sandbox --json``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from heartbeat_bot.sandbox.runner import Sandbox

DISCOURSE_CATEGORY = 7  # "Blog" among the fake's categories 1-10


def received(sandbox: Sandbox) -> list[tuple[str, str]]:
    """What each stand-in received, as (title, text) blocks for people (``demo``)."""
    blocks: list[tuple[str, str]] = []
    for topic in sandbox.discourse.topics:
        body = f"{topic['title']}\n{topic['url']}\ntags: {', '.join(topic['tags'])}"
        blocks.append(("Discourse received a topic", body))
    for message in sandbox.discord.messages:
        embed = (message.get("embeds") or [{}])[0]
        pinged = ", ".join(message.get("pinged") or []) or "nobody"
        body = f"{embed.get('title', '')}\n{embed.get('url', '')}\npinged: {pinged}"
        blocks.append(("Discord received a message", body))
    for tweet in sandbox.x.tweets:
        reply = tweet.get("in_reply_to_tweet_id")
        title = f"X received tweet {tweet['id']}" + (f" (reply to {reply})" if reply else "")
        blocks.append((title, tweet["text"]))
    for status in sandbox.mastodon.statuses:
        reply = status.get("in_reply_to_id")
        title = f"Mastodon received status {status['id']}" + (
            f" (reply to {reply})" if reply else ""
        )
        blocks.append((title, status["text"]))
    for delivery in sandbox.webhook.deliveries:
        body = delivery["body"]
        text = (
            f"{body.get('title', '')}\n{body.get('url', '')}\n"
            f"discussion: {body.get('discussion_url') or 'none'}\n"
            f"payloads: {', '.join(body.get('payloads') or {}) or 'none'}\n"
            f"signature checked, key {delivery['key']}"
        )
        blocks.append(("The webhook received a signed delivery", text))
    for record in sandbox.bluesky.posts:
        value = record["value"]
        parent = value.get("reply", {}).get("parent", {}).get("uri", "")
        title = f"Bluesky received post {record['rkey']}" + (
            f" (reply to {parent.rsplit('/', 1)[-1]})" if parent else ""
        )
        card = value.get("embed", {}).get("external")
        lines = [value["text"]]
        if card:
            picture = " with its picture" if "thumb" in card else ""
            lines.append(f"card{picture}: {card['title']} ({card['uri']})")
        blocks.append((title, "\n".join(lines)))
    return blocks


def config_snippet(sandbox: Sandbox) -> str:
    """TOML for heartbeat-bot's config with every channel pointed here."""
    c = sandbox.credentials
    return "\n".join(
        [
            "# heartbeat-bot sandbox: loopback fakes, nothing is really posted.",
            "[discourse]",
            "enabled = true",
            f'url = "{sandbox.discourse_url}"',
            f'api_username = "{c.discourse_api_username}"',
            f'api_key = "{c.discourse_api_key}"',
            f"category = {DISCOURSE_CATEGORY}",
            "",
            "[discord]",
            "enabled = true",
            'mode = "bot"',
            f'api_url = "{sandbox.discord_api_url}"',
            f'gateway_url = "{sandbox.discord_gateway_url}"',
            f'bot_token = "{c.discord_bot_token}"',
            f"channel_id = {c.discord_channel_id}",
            f"guild_id = {c.discord_guild_id}",
            '# For webhook mode, set mode = "webhook" and:',
            f'# webhook_url = "{sandbox.discord_webhook_url}"',
            "",
            "[twitter]",
            "enabled = true",
            f'api_url = "{sandbox.x_api_url}"',
            f'consumer_key = "{c.twitter_consumer_key}"',
            f'consumer_secret = "{c.twitter_consumer_secret}"',
            f'access_token = "{c.twitter_access_token}"',
            f'access_token_secret = "{c.twitter_access_token_secret}"',
            "",
            "[mastodon]",
            "enabled = true",
            f'url = "{sandbox.mastodon_url}"',
            f'access_token = "{c.mastodon_access_token}"',
            "",
            "[webhook]",
            "enabled = true",
            f'url = "{sandbox.webhook_url}"',
            f'secret = "{c.webhook_secret}"',
            "",
            "[bluesky]",
            "enabled = true",
            f'url = "{sandbox.bluesky_url}"',
            f'handle = "{c.bluesky_handle}"',
            f'app_password = "{c.bluesky_app_password}"',
            "# The example posts' pictures are on the internet: the demo stays on loopback.",
            "card_picture = false",
            "",
            "# For pull requests (a fake GitHub), uncomment:",
            "# [github]",
            f'# api_url = "{sandbox.github_api_url}"',
            f'# token = "{c.github_token}"',
            f'# repository = "{sandbox.github.repository}"',
            "",
        ]
    )
