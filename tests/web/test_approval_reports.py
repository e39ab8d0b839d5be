"""A post awaiting approval shows as such in `list`, `status` (JSON and text) and /status."""

from __future__ import annotations

from heartbeat_bot.bot.replies import status_text
from heartbeat_bot.cli.delivery import status_rows
from heartbeat_bot.ledger import Ledger
from tests.service.test_service import wait_for
from tests.test_cli_delivery import cli
from tests.test_json_documents import validated
from tests.web.console_env import SLUGS, ConsoleService

CHANNELS = ("discourse", "discord", "twitter")


def test_list_shows_the_posts_awaiting_approval(waiting: ConsoleService) -> None:
    """`list --json` and `list` say awaiting_approval for the due posts, and only for them."""
    config = str(waiting.root / "heartbeat.toml")
    listing = validated("list", cli("--config", config, "list", "--json").stdout)
    states = {row["slug"]: row["state"] for row in listing["items"]}
    assert {s: states[s] for s in SLUGS} == dict.fromkeys(SLUGS, "awaiting_approval")
    assert sorted(v for k, v in states.items() if k not in SLUGS) == ["draft", "scheduled"]
    text = cli("--config", config, "list").stdout.splitlines()
    assert all(any(f"\tawaiting_approval\t{s}\t" in line for line in text) for s in SLUGS), text


def test_status_shows_the_posts_awaiting_approval(waiting: ConsoleService) -> None:
    """`status --json` gives each waiting post one pending row per channel, marked
    awaiting_approval since its request; the text output and POST's say so too."""
    config = str(waiting.root / "heartbeat.toml")
    status = validated("status", cli("--config", config, "status", "--json").stdout)
    rows = [r for r in status["items"] if r["slug"] in SLUGS]
    assert {(r["slug"], r["channel"]) for r in rows} >= {(s, c) for s in SLUGS for c in CHANNELS}
    assert {(r["state"], r["post_state"]) for r in rows} == {("pending", "awaiting_approval")}
    assert all(r["post_note"].startswith("since ") for r in rows)
    one = validated("status", cli("--config", config, "status", SLUGS[0], "--json").stdout)
    assert {r["post_state"] for r in one["items"]} == {"awaiting_approval"}
    text = cli("--config", config, "status").stdout
    assert text.count("post awaiting_approval: since ") == 2 * len(
        [r for r in rows if r["slug"] == SLUGS[0]]
    ), text


def test_status_text_for_slash_status_follows_the_decision(waiting: ConsoleService) -> None:
    """/status's text (from the ledger file) names both waiting posts, and only the one
    still waiting once the other is approved and sent; `list` agrees."""
    with Ledger(waiting.root / "state" / "heartbeat.sqlite3") as ledger:
        text = status_text(status_rows(ledger), history=False)
    for slug in SLUGS:
        assert f"**{slug}**\n- post awaiting_approval: since " in text, text
    config = str(waiting.root / "heartbeat.toml")
    done = cli("--config", config, "approve", SLUGS[0])
    assert done.returncode == 0, done.stdout + done.stderr
    wait_for(lambda: waiting.pairs().get((SLUGS[0], "twitter")) == "done", what="the send")
    with Ledger(waiting.root / "state" / "heartbeat.sqlite3") as ledger:
        text = status_text(status_rows(ledger), history=False)
    assert f"**{SLUGS[0]}**\n- discourse: done" in text, text
    assert f"**{SLUGS[1]}**\n- post awaiting_approval" in text, text
    listing = validated("list", cli("--config", config, "list", "--json").stdout)
    states = {row["slug"]: row["state"] for row in listing["items"]}
    assert (states[SLUGS[0]], states[SLUGS[1]]) == ("published", "awaiting_approval")
