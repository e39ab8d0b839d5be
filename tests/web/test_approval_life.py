"""A waiting post's life around its decision: a crash after the approval, and a post that
stops being due while it waits (its old preview in the staff channel then decides nothing)."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from heartbeat_bot.app.application import App
from heartbeat_bot.app.approval import approve
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import Blog
from tests.service.test_service import Running, wait_for
from tests.test_cli_delivery import cli
from tests.test_json_documents import validated
from tests.web.console_env import PUBLISHED, SLUGS, login, start
from tests.web.test_approval import sent_for

CHANNELS = ("discourse", "discord", "twitter")


def test_an_approval_recorded_just_before_a_crash_is_sent_once_after_it(tmp_path: Path) -> None:
    """The service is killed (SIGKILL) with a post approved and nothing of it sent; the
    next `run` sends it once, as approved by that person, and the other post still waits."""
    with Sandbox(rate_limit_wait=0.2) as sandbox:
        service = start(tmp_path, sandbox, approval={"mode": "required"})
        service.running.process.send_signal(signal.SIGKILL)
        assert service.running.stop() == -signal.SIGKILL
        config = tmp_path / "heartbeat.toml"
        post = App.build(str(config)).find(SLUGS[0])
        with Ledger(tmp_path / "state" / "heartbeat.sqlite3") as ledger:
            assert approve(ledger, post, "alice", "console").won  # then the crash
        assert sandbox.received() == []
        again = Running(Blog(tmp_path, config))
        try:
            wait_for(
                lambda: [service.pairs().get((SLUGS[0], c)) for c in CHANNELS] == ["done"] * 3,
                what="the approved post to go out",
            )
            assert service.approvals()[SLUGS[0]] == ("approved", "alice", "console")
            assert service.approvals()[SLUGS[1]][0] == "awaiting"
            assert not any(s == SLUGS[1] for s, _ in service.pairs())
        finally:
            assert again.stop() == 0, again.text()
        received = sent_for(service, SLUGS[0])
        assert [s for s, _ in received].count("discord") == 1, received
        firsts = [body for s, body in received if s == "x" and body.startswith("March")]
        assert len(firsts) == 1, received  # one thread (the post's forum thread is its own)
        assert sent_for(service, SLUGS[1]) == []


def test_a_post_made_a_draft_while_waiting_is_asked_about_again(tmp_path: Path) -> None:
    """A waiting post made a draft is no longer awaiting approval anywhere (status, list,
    console) and its preview's buttons decide nothing; published again, it gets a new
    preview, and only that one's Approve sends it, once."""
    with Sandbox(rate_limit_wait=0.2) as sandbox:
        announcer = sandbox.discord.roles["Announcer"]
        staff = sandbox.credentials.discord_channel_id
        service = start(
            tmp_path,
            sandbox,
            approval={"mode": "required", "discord_channel_id": staff},
            discord={"allowed_role_ids": [announcer], "gateway_url": sandbox.discord_gateway_url},
        )
        config = str(tmp_path / "heartbeat.toml")
        path = tmp_path / "posts" / PUBLISHED[0]
        text = path.read_text(encoding="utf-8")

        def previews() -> list[dict[str, object]]:
            return [
                m
                for m in sandbox.discord.messages
                if "waits for approval" in str(m["content"]) and "March" in str(m["content"])
            ]

        def announced() -> list[dict[str, object]]:
            return [
                m
                for m in sandbox.discord.messages
                if m["via"] == "webhook" and "March" in str(m["embeds"])
            ]

        def press(message: dict[str, object]) -> None:
            found = sandbox.discord.find_message(str(message["id"]), None)
            assert found is not None
            ids = [c["custom_id"] for row in found["components"] for c in row["components"]]
            approve_id = next(i for i in ids if i.startswith("heartbeat:approve:"))
            sandbox.gateway.send_interaction(
                "",
                user_id=511,
                roles=(announcer,),
                kind=3,
                custom_id=approve_id,
                message_id=str(message["id"]),
            )

        try:
            wait_for(lambda: len(previews()) == 1, what="the preview")
            first = previews()[0]
            path.write_text(text.replace("---\n", "---\ndraft: true\n", 1), encoding="utf-8")
            wait_for(lambda: SLUGS[0] not in service.approvals(), what="the withdrawal")
            status = validated("status", cli("--config", config, "status", "--json").stdout)
            assert not any(r["slug"] == SLUGS[0] for r in status["items"])
            listing = validated("list", cli("--config", config, "list", "--json").stdout)
            assert {r["slug"]: r["state"] for r in listing["items"]}[SLUGS[0]] == "draft"
            with httpx.Client(base_url=service.base) as client:
                assert login(client).status_code == 303
                page = client.get("/?filter=awaiting_approval").text
                assert f'data-slug="{SLUGS[0]}"' not in page and f'data-slug="{SLUGS[1]}"' in page
            press(first)
            wait_for(lambda: "preview out of date" in service.log(), what="the stale press")
            assert SLUGS[0] not in service.approvals()
            path.write_text(text, encoding="utf-8")
            wait_for(lambda: len(previews()) == 2, what="a new preview")
            assert service.approvals()[SLUGS[0]][0] == "awaiting"
            press(first)
            wait_for(
                lambda: service.log().count("preview out of date") == 2,
                what="the second stale press",
            )
            assert service.approvals()[SLUGS[0]][0] == "awaiting"
            assert announced() == [] and not any(s == SLUGS[0] for s, _ in service.pairs())
            press(previews()[-1])
            wait_for(
                lambda: [service.pairs().get((SLUGS[0], c)) for c in CHANNELS] == ["done"] * 3,
                what="the approved post to go out",
            )
            assert service.approvals()[SLUGS[0]][1:] == ("user511 (511)", "discord")
            assert len(announced()) == 1
        finally:
            assert service.running.stop() == 0, service.log()
