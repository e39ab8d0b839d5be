"""The sandbox's edit, delete and unlist endpoints over real HTTP, with Discord's and
Discourse's answers and refusals."""

from __future__ import annotations

import httpx

from heartbeat_bot.sandbox import Sandbox
from tests.sandbox.helpers import discord_headers, discourse_headers

EMBED = {"title": "A post", "description": "Read it", "url": "https://dvc.org/blog/x"}


def _messages(sb: Sandbox) -> str:
    return f"{sb.discord_api_url}/channels/{sb.credentials.discord_channel_id}/messages"


def test_the_bot_edits_and_deletes_its_own_messages_only(http: httpx.Client, sb: Sandbox) -> None:
    """PATCH answers the message with edited_timestamp; DELETE answers 204 and the message
    leaves the channel; a member's message is refused (50005 to edit, 50013 to delete)."""
    headers = discord_headers(sb)
    sent = http.post(_messages(sb), json={"content": "v1", "embeds": [EMBED]}, headers=headers)
    message_id = sent.json()["id"]
    edited = http.patch(
        f"{_messages(sb)}/{message_id}",
        json={"content": "v2", "embeds": [{**EMBED, "title": "A better title"}]},
        headers=headers,
    )
    assert edited.status_code == 200
    body = edited.json()
    assert body["content"] == "v2" and body["edited_timestamp"]
    assert body["embeds"][0]["title"] == "A better title"
    assert sb.discord.messages[0]["edits"] == 1
    sb.discord.chatter(1)
    member = sb.discord.messages[-1]["id"]
    refused = http.patch(f"{_messages(sb)}/{member}", json={"content": "x"}, headers=headers)
    assert refused.status_code == 403 and refused.json()["code"] == 50005
    assert http.delete(f"{_messages(sb)}/{member}", headers=headers).json()["code"] == 50013
    assert http.delete(f"{_messages(sb)}/{message_id}", headers=headers).status_code == 204
    assert [m["id"] for m in sb.discord.messages] == [member]
    assert http.delete(f"{_messages(sb)}/{message_id}", headers=headers).status_code == 404


def test_the_webhook_edits_and_deletes_its_own_messages_only(
    http: httpx.Client, sb: Sandbox
) -> None:
    """Through the webhook's message routes only the webhook's messages are found (10008
    for the bot's); an edit changes the message, a deletion removes it."""
    hook = sb.discord_webhook_url
    sent = http.post(f"{hook}?wait=true", json={"content": "v1", "embeds": [EMBED]})
    message_id = sent.json()["id"]
    bot = http.post(_messages(sb), json={"content": "bot"}, headers=discord_headers(sb)).json()
    edited = http.patch(f"{hook}/messages/{message_id}", json={"content": "v2"})
    assert edited.status_code == 200 and edited.json()["content"] == "v2"
    assert edited.json()["edited_timestamp"]
    other = http.patch(f"{hook}/messages/{bot['id']}", json={"content": "x"})
    assert other.status_code == 404 and other.json()["code"] == 10008
    assert http.delete(f"{hook}/messages/{message_id}").status_code == 204
    assert [m["id"] for m in sb.discord.messages] == [bot["id"]]


def test_a_topic_is_unlisted_and_its_first_post_edited(http: httpx.Client, sb: Sandbox) -> None:
    """PUT /t/{id}/status.json unlists a topic (success OK); PUT /posts/{id}.json edits the
    first post; PUT /t/-/{id}.json the title; each edit is counted."""
    headers = discourse_headers(sb)
    created = http.post(
        f"{sb.discourse_url}/posts.json",
        json={"title": "A topic about one post", "raw": "The first post of the topic."},
        headers=headers,
    ).json()
    topic_id, post_id = created["topic_id"], created["id"]
    edit = {"post": {"raw": "The first post, edited.", "edit_reason": "the post changed"}}
    assert http.put(f"{sb.discourse_url}/posts/{post_id}.json", json=edit, headers=headers)
    title = {"title": "A topic about one edited post"}
    assert http.put(f"{sb.discourse_url}/t/-/{topic_id}.json", json=title, headers=headers)
    status = http.put(
        f"{sb.discourse_url}/t/{topic_id}/status.json",
        data={"status": "visible", "enabled": "false"},
        headers=headers,
    )
    assert status.json() == {"success": "OK", "topic_status_update": None}
    (topic,) = sb.discourse.topics
    assert topic["raw"] == "The first post, edited." and topic["edits"] == 2
    assert topic["title"] == "A topic about one edited post" and topic["visible"] is False
    bad = http.put(f"{sb.discourse_url}/t/{topic_id}/status.json", data={}, headers=headers)
    assert bad.status_code == 400
