"""A waiting post's life around its decision: a crash after the approval, and a post that
stops being due while it waits (its old preview in the staff channel then decides nothing)."""

from __future__ import annotations

import re
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
from tests.web.console_env import PUBLISHED, SLUGS, ConsoleService, csrf, login, origin, start
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
            return staff_previews(sandbox, "March")

        def announced() -> list[dict[str, object]]:
            return announcements(sandbox, "March")

        def press(message: dict[str, object]) -> None:
            press_approve(sandbox, announcer, message)

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


EDITED = "title: March ’20 DVC❤️Heartbeat, edited\n"


def edit_title(root: Path) -> None:
    path = root / "posts" / PUBLISHED[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^title: .*\n", EDITED, text, count=1, flags=re.M), encoding="utf-8")


def staff_previews(sandbox: Sandbox, word: str) -> list[dict[str, object]]:
    """The bot's approval previews in the staff channel that name ``word``."""
    return [
        m
        for m in sandbox.discord.messages
        if "waits for approval" in str(m["content"]) and word in str(m["content"])
    ]


def announcements(sandbox: Sandbox, word: str) -> list[dict[str, object]]:
    """The Discord announcements (webhook messages) whose embeds name ``word``."""
    return [
        m for m in sandbox.discord.messages if m["via"] == "webhook" and word in str(m["embeds"])
    ]


def press_approve(sandbox: Sandbox, role: int, message: dict[str, object]) -> str:
    """Press the Approve button of ``message`` as a member with ``role``; the
    interaction's id."""
    found = sandbox.discord.find_message(str(message["id"]), None)
    assert found is not None
    ids = [c["custom_id"] for row in found["components"] for c in row["components"]]
    approve_id = next(i for i in ids if i.startswith("heartbeat:approve:"))
    return sandbox.gateway.send_interaction(
        "", user_id=511, roles=(role,), kind=3, custom_id=approve_id, message_id=str(message["id"])
    )


def test_an_approve_from_a_page_opened_before_an_edit_decides_nothing(
    waiting: ConsoleService,
) -> None:
    """A person approves what the post's page showed them: after the post is edited, that
    page's Approve is refused with a note; the page as it is now approves, and the edited
    post goes out."""
    slug = SLUGS[0]
    with httpx.Client(base_url=waiting.base) as client:
        assert login(client).status_code == 303
        page = client.get(f"/posts/{slug}").text
        token, seen = csrf(page), field(page, "seen")
        edit_title(waiting.root)
        wait_for(lambda: "edited" in client.get(f"/posts/{slug}").text, what="the edit read")
        action = f"/posts/{slug}/approval/approve"
        stale = client.post(action, data={"csrf": token, "seen": seen}, headers=origin(client))
        note = client.get(stale.headers["location"]).text
        assert "changed since you opened its page" in note
        assert waiting.approvals()[slug][0] == "awaiting"
        now = client.get(f"/posts/{slug}").text
        fresh = {"csrf": csrf(now), "seen": field(now, "seen")}
        assert fresh["seen"] != seen
        assert client.post(action, data=fresh, headers=origin(client)).status_code == 303
    wait_for(lambda: announcements(waiting.sandbox, "edited") != [], what="the edited post")
    assert waiting.approvals()[slug][:2] == ("approved", "admin")
    assert len(announcements(waiting.sandbox, "March")) == 1


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def test_approve_on_a_preview_of_an_earlier_version_posts_a_new_one(tmp_path: Path) -> None:
    """Approve pressed on a preview made before the post was edited decides nothing: the
    old preview says so and a new one follows, whose Approve sends the edited post once."""
    with Sandbox(rate_limit_wait=0.2) as sandbox:
        announcer = sandbox.discord.roles["Announcer"]
        staff = sandbox.credentials.discord_channel_id
        service = start(
            tmp_path,
            sandbox,
            approval={"mode": "required", "discord_channel_id": staff},
            discord={"allowed_role_ids": [announcer], "gateway_url": sandbox.discord_gateway_url},
        )
        try:
            wait_for(lambda: len(staff_previews(sandbox, "March")) == 1, what="the preview")
            first = staff_previews(sandbox, "March")[0]
            edit_title(tmp_path)
            # The bot reads the posts again at each press: the edit is seen at once.
            pressed = press_approve(sandbox, announcer, first)
            wait_for(lambda: len(staff_previews(sandbox, "edited")) == 1, what="a new preview")
            assert service.approvals()[SLUGS[0]][0] == "awaiting"
            assert "the post changed since its preview" in service.log()
            assert "out of date" in str(sandbox.gateway.replies(pressed))
            press_approve(sandbox, announcer, staff_previews(sandbox, "edited")[0])
            wait_for(lambda: announcements(sandbox, "edited") != [], what="the edited post")
            assert service.approvals()[SLUGS[0]][1:] == ("user511 (511)", "discord")
            assert len(announcements(sandbox, "March")) == 1
        finally:
            assert service.running.stop() == 0, service.log()


def test_announce_now_on_a_rejected_post_says_so_and_sends_nothing(
    waiting: ConsoleService,
) -> None:
    """ "Announce now" on a post someone rejected tells who did, and sends nothing."""
    slug = SLUGS[1]
    config = str(waiting.root / "heartbeat.toml")
    assert cli("--config", config, "reject", slug).returncode == 0
    with httpx.Client(base_url=waiting.base) as client:
        assert login(client).status_code == 303
        token = csrf(client.get(f"/posts/{slug}").text)
        answer = client.post(
            f"/posts/{slug}/announce", data={"csrf": token}, headers=origin(client)
        )
        note = client.get(answer.headers["location"]).text
    assert "was rejected by " in note and "not announced" in note
    assert "Announcing" not in note
    assert waiting.approvals()[slug][0] == "rejected"
    assert {s for (p, _), s in waiting.pairs().items() if p == slug} == {"skipped"}
