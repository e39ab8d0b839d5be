"""The approval step: posts wait for a person, one decision wins, and each goes out once."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import httpx

from heartbeat_bot.ledger import Ledger
from heartbeat_bot.models import Post
from heartbeat_bot.sandbox import Sandbox
from tests.service.test_service import wait_for
from tests.web.console_env import OTHER, SLUGS, ConsoleService, csrf, login, origin, start

TITLES = {SLUGS[0]: "March ’20", SLUGS[1]: "April ’20"}


def sent_for(service: ConsoleService, slug: str) -> list[tuple[str, str]]:
    """What the sandbox received for the post: (service, what), the service in lower case."""
    return [
        (title.split()[0].lower(), body)
        for title, body in service.sandbox.received()
        if TITLES[slug] in body
    ]


def test_due_posts_wait_for_approval_and_nothing_is_sent(waiting: ConsoleService) -> None:
    """Backfilled posts are awaiting approval, with no pair sent and the console saying so."""
    assert {s: a[0] for s, a in waiting.approvals().items()} == dict.fromkeys(SLUGS, "awaiting")
    assert not any(state == "done" for state in waiting.pairs().values())
    assert waiting.sandbox.received() == []
    assert "march-20-dvc-heartbeat: awaiting approval" in waiting.log()
    with httpx.Client(base_url=waiting.base) as client:
        assert login(client).status_code == 303
        page = client.get("/?filter=awaiting_approval").text
        assert all(f'data-slug="{slug}"' in page for slug in SLUGS)
        assert "awaiting approval" in client.get(f"/posts/{SLUGS[0]}").text


def test_two_people_approving_at_once_send_the_post_once(waiting: ConsoleService) -> None:
    """admin and alice press Approve together: one wins, the other is told, one send each."""
    slug = SLUGS[0]
    clients = [httpx.Client(base_url=waiting.base) for _ in range(2)]
    try:
        assert login(clients[0]).status_code == 303
        assert login(clients[1], *OTHER).status_code == 303
        tokens = [csrf(c.get(f"/posts/{slug}").text) for c in clients]
        answers: list[httpx.Response] = []
        go = threading.Barrier(2)

        def press(client: httpx.Client, token: str) -> None:
            go.wait()
            answers.append(
                client.post(
                    f"/posts/{slug}/approval/approve",
                    data={"csrf": token},
                    headers=origin(client),
                )
            )

        threads = [
            threading.Thread(target=press, args=pair) for pair in zip(clients, tokens, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [a.status_code for a in answers] == [303, 303]
        wait_for(
            lambda: (
                [waiting.pairs().get((slug, c)) for c in ("discourse", "discord", "twitter")]
                == ["done"] * 3
            ),
            what="the approved post to go out",
        )
        notes = [c.get(f"/posts/{slug}").text for c in clients]
    finally:
        for client in clients:
            client.close()
    state, by, via = waiting.approvals()[slug]
    assert (state, via) == ("approved", "console") and by in {"admin", "alice"}
    assert sum("approved: announcing it now" in n for n in notes) == 1
    assert sum("was already approved by" in n for n in notes) == 1
    received = sent_for(waiting, slug)
    assert [s for s, _ in received].count("discord") == 1, received
    firsts = [body for s, body in received if s == "x" and body.startswith(TITLES[slug])]
    assert len(firsts) == 1, received  # one thread (the post's thread on Discourse is its own)
    assert waiting.approvals()[SLUGS[1]][0] == "awaiting"  # the other post still waits


def test_reject_from_the_console_skips_every_channel(waiting: ConsoleService) -> None:
    """Rejecting a waiting post skips its pairs for good; approving it later changes nothing."""
    slug = SLUGS[1]
    with httpx.Client(base_url=waiting.base) as client:
        assert login(client, *OTHER).status_code == 303
        token = csrf(client.get(f"/posts/{slug}").text)
        action = f"/posts/{slug}/approval/reject"
        assert client.post(action, data={"csrf": token}, headers=origin(client)).status_code == 303
        late = client.post(
            f"/posts/{slug}/approval/approve", data={"csrf": token}, headers=origin(client)
        )
        assert (
            "was already rejected by alice (console)" in client.get(late.headers["location"]).text
        )
    assert waiting.approvals()[slug][:2] == ("rejected", "alice")
    assert {c: s for (p, c), s in waiting.pairs().items() if p == slug} == dict.fromkeys(
        ("discourse", "discord", "twitter"), "skipped"
    )
    assert sent_for(waiting, slug) == []
    assert f"console: reject {slug} by alice from 127.0.0.1" in waiting.log()


def test_approve_reject_and_announce_on_the_command_line(waiting: ConsoleService) -> None:
    """`approve POST` records who and sends it once; a later `reject` is refused (exit 1);
    `announce POST` of a waiting post approves it."""
    slug = SLUGS[1]
    config = str(waiting.root / "heartbeat.toml")
    base = [sys.executable, "-m", "heartbeat_bot", "--config", config]
    done = subprocess.run([*base, "approve", slug], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "approved by" in done.stdout and "(cli)" in done.stdout
    assert waiting.approvals()[slug][0] == "approved"
    wait_for(lambda: waiting.pairs().get((slug, "twitter")) == "done", what="the send")
    late = subprocess.run([*base, "reject", slug], capture_output=True, text=True, check=False)
    assert late.returncode == 1 and "was already approved by" in late.stderr
    assert [s for s, _ in sent_for(waiting, slug)].count("discord") == 1
    other = SLUGS[0]  # a person announcing a waiting post approves it
    done = subprocess.run([*base, "announce", other], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert waiting.approvals()[other][0::2] == ("approved", "announce")


def test_a_decision_is_taken_once_in_the_ledger(tmp_path: Path, corpus_posts: list[object]) -> None:
    """Of two decisions on one post the first is kept; the second learns of it."""
    post = next(p for p in corpus_posts if isinstance(p, Post))
    with Ledger(tmp_path / "l.sqlite3") as first, Ledger(tmp_path / "l.sqlite3") as second:
        post_id = first.upsert_post(post)
        row, made = first.request_approval(post_id)
        assert (row.state, made) == ("awaiting", True)
        assert second.request_approval(post_id)[1] is False
        row, won = first.decide(post_id, "approved", "admin", "console")
        assert (row.state, row.decided_by, won) == ("approved", "admin", True)
        row, won = second.decide(post_id, "rejected", "alice", "cli")
        assert (row.state, row.decided_by, won) == ("approved", "admin", False)


def test_on_timeout_skip_rejects_a_post_nobody_decided(tmp_path: Path) -> None:
    """With timeout 0 and on_timeout "skip", due posts are rejected by the timeout, unsent."""
    with Sandbox(rate_limit_wait=0.2) as sandbox:
        service = start(
            tmp_path,
            sandbox,
            approval={"mode": "required", "timeout": 0, "on_timeout": "skip"},
            settle=False,
        )
        try:
            wait_for(
                lambda: (
                    {a[:3] for a in service.approvals().values()}
                    == {("rejected", "timeout", "approval.timeout")}
                    and len(service.approvals()) == 2
                ),
                what="both posts to time out",
            )
            wait_for(lambda: set(service.pairs().values()) == {"skipped"}, what="the pairs skipped")
            assert sandbox.received() == []
        finally:
            assert service.running.stop() == 0, service.log()


def test_discord_buttons_decide_for_the_roles_allowed_to_announce(tmp_path: Path) -> None:
    """The bot posts each waiting post with buttons; only an /announce role's press counts;
    /status names both posts as awaiting approval."""
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

            def previews() -> list[dict[str, object]]:
                return [m for m in sandbox.discord.messages if "waits for approval" in m["content"]]

            wait_for(lambda: len(previews()) == 2, what="both previews")
            asked = sandbox.gateway.send_interaction("status", user_id=510, roles=(announcer,))

            def answered() -> str:
                texts = [r.get("content") or "" for r in sandbox.gateway.replies(asked)]
                return next((t for t in texts if t), "")

            wait_for(lambda: answered() != "", what="the /status reply")
            assert answered().count("- post awaiting_approval: since ") == 2, answered()
            slug = SLUGS[0]
            post_id = next(m for m in previews() if TITLES[slug].split()[0] in str(m["content"]))
            assert post_id["via"] == "bot" and post_id["pinged"] == []
            message = sandbox.discord.find_message(str(post_id["id"]), None)
            assert message is not None
            ids = [c["custom_id"] for row in message["components"] for c in row["components"]]
            approve_id = next(i for i in ids if i.startswith("heartbeat:approve:"))
            press = sandbox.gateway.send_interaction
            press("", user_id=77, roles=(), kind=3, custom_id=approve_id, message_id=message["id"])
            wait_for(lambda: "approval button refused for user 77" in service.log(), what="refusal")
            assert service.approvals()[slug][0] == "awaiting"
            press(
                "",
                user_id=511,
                roles=(announcer,),
                kind=3,
                custom_id=approve_id,
                message_id=message["id"],
            )
            wait_for(lambda: service.approvals()[slug][0] == "approved", what="the approval")
            assert service.approvals()[slug][1:] == ("user511 (511)", "discord")
            wait_for(
                lambda: service.pairs().get((slug, "discord")) == "done", what="the announcement"
            )
            press(
                "",
                user_id=512,
                roles=(announcer,),
                kind=3,
                custom_id=approve_id,
                message_id=message["id"],
            )
            wait_for(lambda: "user 512: approved by user511" in service.log(), what="second press")
            announced = [
                m
                for m in sandbox.discord.messages
                if m["via"] == "webhook" and TITLES[slug] in str(m["embeds"])
            ]
            assert len(announced) == 1  # the preview aside, one announcement
            assert service.approvals()[SLUGS[1]][0] == "awaiting"
        finally:
            assert service.running.stop() == 0, service.log()


def test_slash_announce_approves_but_not_when_the_force_is_cancelled(tmp_path: Path) -> None:
    """/announce force answered Cancel leaves the post waiting; /announce approves it as
    the person who asked and sends it once."""
    with Sandbox(rate_limit_wait=0.2) as sandbox:
        announcer = sandbox.discord.roles["Announcer"]
        service = start(
            tmp_path,
            sandbox,
            approval={"mode": "required"},
            discord={"allowed_role_ids": [announcer], "gateway_url": sandbox.discord_gateway_url},
        )
        send = sandbox.gateway.send_interaction
        slug = SLUGS[1]
        option = [{"name": "post", "type": 3, "value": slug}]

        def texts(interaction: str) -> list[dict[str, object]]:
            return [r for r in sandbox.gateway.replies(interaction) if r.get("content")]

        try:
            forced = send(
                "announce",
                [*option, {"name": "force", "type": 5, "value": True}],
                user_id=511,
                roles=(announcer,),
            )
            wait_for(lambda: texts(forced) != [], what="the confirmation question")
            rows = texts(forced)[-1]["components"]
            assert isinstance(rows, list)
            cancel = next(c for r in rows for c in r["components"] if c["label"] == "Cancel")
            send("announce", user_id=511, roles=(announcer,), kind=3, custom_id=cancel["custom_id"])
            wait_for(
                lambda: any(
                    r.get("content") == "Not sent." for r in sandbox.gateway.replies(forced)
                ),
                what="the cancellation",
            )
            assert service.approvals()[slug][0] == "awaiting"
            asked = send("announce", option, user_id=511, roles=(announcer,))
            wait_for(lambda: "discord: done" in str(texts(asked)), what="the announcement")
            assert service.approvals()[slug] == ("approved", "user511 (511)", "/announce")
            assert [s for s, _ in sent_for(service, slug)].count("discord") == 1
            assert service.approvals()[SLUGS[0]][0] == "awaiting"
        finally:
            assert service.running.stop() == 0, service.log()
