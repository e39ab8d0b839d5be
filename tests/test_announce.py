"""Announcing over real loopback HTTP with the real clients, against the sandbox."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from rich.console import Console

from heartbeat_bot.announcer import PostReport
from heartbeat_bot.app.wiring import announcer_for, open_ledger
from heartbeat_bot.cli.delivery import status_rows
from heartbeat_bot.cli.show import show_status
from heartbeat_bot.ledger import Ledger
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import LINKED_POST, NEW_POST, active, make_blog


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit_wait=0.3, slow_delay=0.2) as sb:
        yield sb


def posts_to(sandbox: Sandbox, path: str) -> list[dict[str, object]]:
    return [r for r in sandbox.requests if r["method"] == "POST" and str(r["path"]).endswith(path)]


@pytest.mark.parametrize("mode", ["bot", "webhook"])
def test_happy_path_then_nothing_twice(tmp_path: Path, sandbox: Sandbox, mode: str) -> None:
    """A new post gets one topic, message and thread, linked; a second run sends nothing."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), mode=mode)
    (report,) = blog.announce("dvc-git-lfs")
    assert report.ok, report.outcomes
    assert {c: o.action for c, o in active(report).items()} == {
        "discourse": "sent",
        "discord": "sent",
        "twitter": "sent",
    }
    (topic,) = sandbox.discourse.topics
    topic_url = report.outcomes["discourse"].url
    assert topic_url == topic["url"]
    (message,) = sandbox.discord.messages
    assert message["via"] == mode
    assert topic_url in str(message["embeds"])
    assert message["pinged"] == []
    tweets = sandbox.x.tweets
    assert tweets and tweets[0]["in_reply_to_tweet_id"] is None
    for earlier, later in itertools.pairwise(tweets):
        assert later["in_reply_to_tweet_id"] == earlier["id"]
    assert topic_url is not None and topic_url in tweets[-1]["text"]

    (again,) = blog.announce("dvc-git-lfs")
    assert again.ok and not again.sent_anything
    assert {o.action for o in active(again).values()} == {"already"}
    assert (len(sandbox.discourse.topics), len(sandbox.discord.messages)) == (1, 1)
    assert len(sandbox.x.tweets) == len(tweets)


def test_post_with_comments_url_adopts_its_topic(tmp_path: Path, sandbox: Sandbox) -> None:
    """A post that names its Discourse topic gets no new topic, and the others link it."""
    blog = make_blog(tmp_path, sandbox, posts=(LINKED_POST,))
    (report,) = blog.announce("april-22-heartbeat")
    assert report.outcomes["discourse"].action == "adopted"
    assert sandbox.discourse.topics == []
    link = "https://discuss.dvc.org/t/april-22-hearbeat/1158"
    assert link in str(sandbox.discord.messages[0]["embeds"])
    assert link in sandbox.x.tweets[-1]["text"]


@pytest.mark.parametrize(
    "refusal", ["title", "embed_url", "external_id"], ids=["title", "embed", "external"]
)
def test_existing_topic_is_adopted_for_each_refusal(
    tmp_path: Path, sandbox: Sandbox, refusal: str
) -> None:
    """Each of Discourse's 'already taken' refusals leads to adopting the existing topic."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,))
    topic = blog.app().render.payload("discourse", blog.app().find("dvc-git-lfs"))
    seeded = {
        "title": topic.title if refusal == "title" else "Some other title entirely",
        "external_id": topic.external_id if refusal != "embed_url" else "someone-else",
        "embed_url": topic.embed_url if refusal != "external_id" else "https://x.example/other",
        "raw": "An earlier run created this topic before its answer was lost.",
    }
    if refusal == "title":  # found through its external id, as our earlier run left it
        seeded["embed_url"] = "https://x.example/elsewhere"
    existing = sandbox.discourse.create_existing(**seeded)
    (report,) = blog.announce("dvc-git-lfs", only=frozenset({"discourse"}))
    assert report.outcomes["discourse"].state == "done"
    assert report.outcomes["discourse"].url == existing["url"]
    assert len(sandbox.discourse.topics) == 1


@pytest.mark.parametrize("fault", ["429", "503"])
def test_retryable_errors_are_retried_after_the_wait(
    tmp_path: Path, sandbox: Sandbox, fault: str
) -> None:
    """A 429 or 5xx is retried, after the service's wait for a 429, and sends once."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,))
    sandbox.faults.queue("discourse", fault)
    sandbox.faults.queue("discord", fault)
    sandbox.faults.queue("x", fault, path="/2/tweets")
    (report,) = blog.announce("dvc-git-lfs", max_wait=30)
    assert report.ok, report.outcomes
    assert len(sandbox.discourse.topics) == 1 and len(sandbox.discord.messages) == 1
    with blog.ledger() as ledger:
        for delivery in ledger.deliveries(ledger.posts()[0].id):
            events = ledger.history(delivery.id)
            names = [e["event"] for e in events]
            if delivery.channel == "discord":
                continue  # discord.py sits short 429s and 5xx out itself
            assert "waiting" in names, (delivery.channel, names)
            waited = events[names.index("waiting")]
            resumed = events[names.index("waiting") + 1]
            if fault == "429":
                assert resumed["at"] - waited["at"] >= 0.3


def test_unauthorised_is_never_retried(tmp_path: Path, sandbox: Sandbox) -> None:
    """A refused key fails at once after one request; the others go out without the link."""
    blog = make_blog(
        tmp_path, sandbox, posts=(NEW_POST,), overrides={"discourse": {"api_key": "wrong"}}
    )
    (report,) = blog.announce("dvc-git-lfs")
    assert report.outcomes["discourse"].state == "failed"
    assert "api_key" in report.outcomes["discourse"].note
    assert "wrong" not in report.outcomes["discourse"].note
    assert len(posts_to(sandbox, "/posts.json")) == 1
    assert report.outcomes["discord"].state == "done"
    assert report.outcomes["twitter"].state == "done"
    assert any("without the discussion link" in n for n in report.notes)


def test_one_channel_failing_leaves_the_others_done(tmp_path: Path, sandbox: Sandbox) -> None:
    """X refusing the credentials fails X alone; Discourse and Discord are done."""
    blog = make_blog(
        tmp_path, sandbox, posts=(NEW_POST,), overrides={"twitter": {"consumer_secret": "bad"}}
    )
    (report,) = blog.announce("dvc-git-lfs")
    states = {c: o.state for c, o in active(report).items()}
    assert states == {"discourse": "done", "discord": "done", "twitter": "failed"}
    assert sandbox.x.tweets == []
    assert len(posts_to(sandbox, "/2/tweets")) == 1


def test_everyone_in_a_title_pings_nobody(tmp_path: Path, sandbox: Sandbox) -> None:
    """A title holding @everyone and @here reaches Discord with no mention firing."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("discord",))
    post = blog.posts / NEW_POST
    post.write_text(
        post.read_text(encoding="utf-8").replace(
            "title:", "title: '@everyone @here <@&1>'\nx_old_title:", 1
        ),
        encoding="utf-8",
    )
    (report,) = blog.announce("dvc-git-lfs")
    assert report.ok
    (message,) = sandbox.discord.messages
    assert "@everyone" in str(message["embeds"])
    assert message["pinged"] == []


def test_mention_role_pings_that_role_only(tmp_path: Path, sandbox: Sandbox) -> None:
    """With discord.mention_role_id set, exactly that role is pinged."""
    blog = make_blog(
        tmp_path,
        sandbox,
        posts=(NEW_POST,),
        channels=("discord",),
        overrides={"discord": {"mention_role_id": 4242}},
    )
    blog.announce("dvc-git-lfs")
    (message,) = sandbox.discord.messages
    assert message["pinged"] == ["role:4242"]


def test_publish_puts_the_message_out_to_followers_once(tmp_path: Path, sandbox: Sandbox) -> None:
    """With discord.publish, a message the channel refuses to publish is reported and
    published by the next announce once it can be; then never again."""
    blog = make_blog(
        tmp_path,
        sandbox,
        posts=(NEW_POST,),
        channels=("discord",),
        overrides={"discord": {"publish": True}},
    )
    (first,) = blog.announce("dvc-git-lfs")  # a text channel: cannot publish
    assert first.outcomes["discord"].state == "done"
    assert "not published" in first.outcomes["discord"].note
    sandbox.discord.announcement_channel = True
    (second,) = blog.announce("dvc-git-lfs")
    assert second.outcomes["discord"].note == ""
    (third,) = blog.announce("dvc-git-lfs")
    (message,) = sandbox.discord.messages
    assert message["crossposted"] is True
    crossposts = [r for r in sandbox.requests if str(r["path"]).endswith("/crosspost")]
    assert len(crossposts) == 2, "one refused, one done, none after"
    assert third.outcomes["discord"].action == "already"


def test_publish_follows_each_forced_message_and_never_old_ones(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message sent before discord.publish was turned on is never published after the
    fact; with it on, the first message and a forced resend are each published once."""
    sandbox.discord.announcement_channel = True
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("discord",))
    blog.announce("dvc-git-lfs")
    monkeypatch.setenv("HEARTBEAT_DISCORD__PUBLISH", "true")
    (again,) = blog.announce("dvc-git-lfs")
    assert again.outcomes["discord"].action == "already"
    assert [m.get("crossposted") for m in sandbox.discord.messages] == [None]
    blog.announce("dvc-git-lfs", force=True)
    blog.announce("dvc-git-lfs", force=True)
    blog.announce("dvc-git-lfs")
    assert [m.get("crossposted") for m in sandbox.discord.messages] == [None, True, True]
    crossposts = [r for r in sandbox.requests if str(r["path"]).endswith("/crosspost")]
    assert len(crossposts) == 2


def test_long_waits_are_left_for_later(tmp_path: Path, sandbox: Sandbox) -> None:
    """A wait longer than max_wait leaves the pair waiting; a later run sends it once."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("discourse",))
    sandbox.faults.queue("discourse", "429")
    (report,) = blog.announce("dvc-git-lfs", max_wait=0)
    outcome = report.outcomes["discourse"]
    assert (outcome.state, outcome.action) == ("waiting", "retry")
    assert outcome.next_attempt_at is not None
    assert not report.ok
    (later,) = blog.announce("dvc-git-lfs")
    assert later.outcomes["discourse"].state == "done"
    assert len(sandbox.discourse.topics) == 1


@pytest.mark.parametrize("channel", ["discourse", "discord", "x"])
def test_dropped_answer_is_reconciled_not_duplicated(
    tmp_path: Path, sandbox: Sandbox, channel: str
) -> None:
    """A request carried out whose answer is lost is found at the service, never sent twice."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,))
    sandbox.faults.queue(
        channel,
        "drop",
        path={"discourse": "/posts.json", "discord": "/api/v10/channels", "x": "/2/tweets"}[
            channel
        ],
    )
    (report,) = blog.announce("dvc-git-lfs")
    assert report.ok, report.outcomes
    assert len(sandbox.discourse.topics) == 1
    assert len(sandbox.discord.messages) == 1
    texts = [t["text"] for t in sandbox.x.tweets]
    assert len(texts) == len(set(texts))
    with blog.ledger() as ledger:
        events = [e["event"] for e in ledger.all_attempts()]
    assert "uncertain" in events


def test_interrupted_discord_send_is_found_in_a_busy_channel(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A bot message whose answer was lost, buried under 250 later messages (a person's
    share of the same link among them), is confirmed by the next run, not sent again."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), mode="bot")
    sandbox.faults.queue("discord", "drop", "503", path="/api/v10/channels")
    # No time to try the look-up again in this run: the pair is left to be checked later.
    (first,) = blog.announce("dvc-git-lfs", max_wait=0)
    assert first.outcomes["discord"].state == "unknown", first.outcomes["discord"]
    sandbox.discord.chatter(250, embed_url=first.post.url)

    (second,) = blog.announce("dvc-git-lfs")
    assert second.outcomes["discord"].action == "confirmed", second.outcomes["discord"]
    ours = [m for m in sandbox.discord.messages if m["via"] == "bot"]
    assert len(ours) == 1 and second.outcomes["discord"].url is not None
    assert second.outcomes["discord"].url.endswith(ours[0]["id"])


def test_forced_discord_send_whose_answer_was_lost_is_confirmed(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A forced resend whose answer is lost is found after the earlier message (not taken
    for it), so there are exactly two messages."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("discourse", "discord"))
    (first,) = blog.announce("dvc-git-lfs")
    assert first.outcomes["discord"].state == "done"
    sandbox.faults.queue("discord", "drop", path="/api/v10/channels")
    (forced,) = blog.announce("dvc-git-lfs", force=True, only=frozenset({"discord"}))
    outcome = forced.outcomes["discord"]
    assert outcome.action == "confirmed", outcome
    earlier, later = sandbox.discord.messages
    assert outcome.url is not None and outcome.url.endswith(later["id"])
    assert str(first.outcomes["discord"].url).endswith(earlier["id"])


def test_lost_tweet_without_timeline_access_is_unknown(tmp_path: Path) -> None:
    """Without timeline access, a tweet whose answer was lost leaves the thread unknown."""
    with Sandbox(timeline_access=False) as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("twitter",))
        sandbox.faults.queue("x", "drop", path="/2/tweets")
        (report,) = blog.announce("dvc-git-lfs")
        outcome = report.outcomes["twitter"]
        assert outcome.state == "unknown"
        assert "resolve" in outcome.note
        assert len(sandbox.x.tweets) == 1
        (again,) = blog.announce("dvc-git-lfs")
        assert again.outcomes["twitter"].state == "unknown"
        assert len(sandbox.x.tweets) == 1, "never resent blindly"


def test_forced_thread_whose_first_tweet_was_lost_is_unknown_not_a_duplicate(
    tmp_path: Path,
) -> None:
    """In a forced run, a first tweet whose answer was lost and that X then refuses as a
    duplicate went out in this run: the thread is unknown (check it), not failed as a
    duplicate of the earlier thread."""
    with Sandbox(timeline_access=False) as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("twitter",))
        (first,) = blog.announce("dvc-git-lfs")
        assert first.outcomes["twitter"].state == "done"
        path = blog.posts / NEW_POST
        edited = path.read_text(encoding="utf-8").replace(
            "descriptionLong: |\n  Learn how", "descriptionLong: |\n  See how", 1
        )
        assert edited != path.read_text(encoding="utf-8")
        path.write_text(edited, encoding="utf-8")
        sent_before = len(sandbox.x.tweets)
        sandbox.faults.queue("x", "drop", path="/2/tweets")
        (forced,) = blog.announce("dvc-git-lfs", force=True)
        outcome = forced.outcomes["twitter"]
        assert outcome.state == "unknown", outcome
        assert "earlier one" not in outcome.note and "resolve" in outcome.note
        assert len(sandbox.x.tweets) == sent_before + 1, "the lost tweet, sent once"


def test_forced_thread_keeps_its_lost_tweet_in_mind_across_a_rate_limit(
    tmp_path: Path,
) -> None:
    """A lost first tweet, then a 503, then X's duplicate refusal: still this run's own
    tweet (unknown), not a duplicate of the earlier thread (failed)."""
    with Sandbox(timeline_access=False, rate_limit_wait=0.2) as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("twitter",))
        (first,) = blog.announce("dvc-git-lfs")
        assert first.outcomes["twitter"].state == "done"
        path = blog.posts / NEW_POST
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("  Learn how", "  See how", 1), encoding="utf-8")
        sent_before = len(sandbox.x.tweets)
        sandbox.faults.queue("x", "drop", "503", path="/2/tweets")
        (forced,) = blog.announce("dvc-git-lfs", force=True)
        outcome = forced.outcomes["twitter"]
        assert outcome.state == "unknown", outcome
        assert len(sandbox.x.tweets) == sent_before + 1


def test_forced_thread_never_takes_the_earlier_thread_for_its_own(tmp_path: Path) -> None:
    """With timeline access, a lost first tweet of an unchanged forced thread is not
    'found' as the earlier thread's first tweet: the thread is unknown, not done."""
    with Sandbox() as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("twitter",))
        (first,) = blog.announce("dvc-git-lfs")
        earlier_url = first.outcomes["twitter"].url
        sandbox.faults.queue("x", "drop", path="/2/tweets")
        (forced,) = blog.announce("dvc-git-lfs", force=True)
        outcome = forced.outcomes["twitter"]
        assert outcome.state == "unknown", outcome
        assert outcome.url != earlier_url


def test_unknown_thread_goes_on_once_the_tweet_is_found(tmp_path: Path) -> None:
    """When the lost tweet can be read back later, the thread continues from it, once."""
    with Sandbox(timeline_access=False) as sandbox:
        blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,), channels=("twitter",))
        sandbox.faults.queue("x", "drop", path="/2/tweets")
        (report,) = blog.announce("dvc-git-lfs")
        assert report.outcomes["twitter"].state == "unknown"
        sandbox.x.timeline_access = True
        (again,) = blog.announce("dvc-git-lfs")
        assert again.outcomes["twitter"].state == "done", again.outcomes
        tweets = sandbox.x.tweets
        assert len(tweets) == len({t["text"] for t in tweets}) >= 2
        for earlier, later in itertools.pairwise(tweets):
            assert later["in_reply_to_tweet_id"] == earlier["id"]


def test_malformed_answers_fail_clearly(tmp_path: Path, sandbox: Sandbox) -> None:
    """HTML pages, invalid JSON and missing fields give clear errors, never a crash or duplicate."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST,))
    sandbox.faults.queue("discourse", "badjson", path="/posts.json")
    sandbox.faults.queue("discord", "missing", path="/api/v10/channels")
    sandbox.faults.queue("x", "html", path="/2/tweets")
    (report,) = blog.announce("dvc-git-lfs", max_wait=30)
    for outcome in active(report).values():
        assert outcome.state in {"done", "failed", "waiting", "unknown"}
        assert "Traceback" not in outcome.note
    blog.announce("dvc-git-lfs", max_wait=30)
    assert len(sandbox.discourse.topics) <= 1
    assert len(sandbox.discord.messages) <= 1
    texts = [t["text"] for t in sandbox.x.tweets]
    assert len(texts) == len(set(texts))


def test_announce_setting_in_the_post(tmp_path: Path, sandbox: Sandbox) -> None:
    """announce: false skips the post; a list limits its channels."""
    blog = make_blog(tmp_path, sandbox, posts=(NEW_POST, LINKED_POST))
    for name, value in ((NEW_POST, "false"), (LINKED_POST, "[discord]")):
        path = blog.posts / name
        path.write_text(
            path.read_text(encoding="utf-8").replace("---\n", f"---\nannounce: {value}\n", 1),
            encoding="utf-8",
        )
    skipped, limited = blog.announce("dvc-git-lfs", "april-22-heartbeat")
    assert {o.action for o in skipped.outcomes.values()} == {"skipped"}
    assert limited.outcomes["discord"].state == "done"
    assert limited.outcomes["twitter"].action == "skipped"
    assert len(sandbox.discord.messages) == 1 and sandbox.x.tweets == []


def test_comments_url_is_written_back(tmp_path: Path, sandbox: Sandbox) -> None:
    """With write_back = "file", only the commentsUrl line is added to the post."""
    blog = make_blog(
        tmp_path,
        sandbox,
        posts=(NEW_POST,),
        channels=("discourse",),
        overrides={"blog": {"write_back": "file"}},
    )
    before = (blog.posts / NEW_POST).read_bytes()
    (report,) = blog.announce("dvc-git-lfs")
    after = (blog.posts / NEW_POST).read_bytes()
    line = f"commentsUrl: {report.outcomes['discourse'].url}\n".encode()
    assert after.replace(line, b"", 1) == before
    assert line in after


def test_a_failed_write_back_is_kept_and_done_from_the_post_as_it_reads_now(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A post edited after it was read is not overwritten; the link is remembered as not
    written, and written once the post is read again, with the edit kept."""
    blog = make_blog(
        tmp_path,
        sandbox,
        posts=(NEW_POST,),
        channels=("discourse",),
        overrides={"blog": {"write_back": "file"}},
    )
    path = blog.posts / NEW_POST

    def shown(ledger: Ledger) -> str | None:
        (row,) = rows = status_rows(ledger)
        console = Console(record=True, width=200, force_terminal=True)
        show_status(rows, "ledger", console)
        printed = "commentsUrl not written yet" in console.export_text()
        assert printed == (row["comments_url_error"] is not None)
        return cast(str | None, row["comments_url_error"])

    async def scenario() -> tuple[PostReport, dict[str, int], str | None, str | None]:
        app = blog.app()
        post = app.find("dvc-git-lfs")
        path.write_bytes(path.read_bytes() + b"\nAn edit made meanwhile.\n")
        with open_ledger(app.config) as ledger:
            async with announcer_for(app, ledger) as announcer:
                report = await announcer.announce(post)
                pending = {u: p.attempts for u, p in announcer.links.pending().items()}
                shown_before = shown(ledger)
                note = await announcer.links.retry(blog.app().find("dvc-git-lfs"))
                assert announcer.links.pending() == {} and shown(ledger) is None
                return report, pending, shown_before, note

    report, pending, shown_before, note = asyncio.run(scenario())
    assert any("changed since it was read" in n for n in report.notes), report.notes
    assert pending == {report.post.url: 1}
    assert shown_before is not None and "changed since it was read" in shown_before
    url = report.outcomes["discourse"].url
    assert note is not None and "commentsUrl written" in note
    text = path.read_text(encoding="utf-8")
    assert f"commentsUrl: {url}\n" in text and "An edit made meanwhile." in text
