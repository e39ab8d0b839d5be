"""Threads read like a person wrote them, on every corpus post.

Each rule is checked against the thread as sent, with the post's plain summary as the
reference: a sentence split across tweets leaves no part of six words or fewer; the
first tweet never ends on a colon before the post link; "…" appears only where words were
cut; the discussion line stands alone only when no sentence could join it.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from heartbeat_bot.channels.settings import load_config
from heartbeat_bot.channels.twitter.entities import neutralise_mentions
from heartbeat_bot.channels.twitter.render import pack_thread
from heartbeat_bot.models import Post
from heartbeat_bot.render.text import markdown_to_plain
from heartbeat_bot.render.thread import sentences
from heartbeat_bot.render.twitter_text import weighted_length
from tests.rendering import RenderSettings, Templates
from tests.test_render_corpus import ALL_POSTS, SETTINGS
from tests.test_render_properties import make_post

GAP = "\n\n"
DISCUSSION = "https://discuss.dvc.org/t/some-topic/12345"
SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\Z")


def _thread(post: Post, comments: str | None) -> tuple[list[str], str]:
    """The summary part of each tweet, and the discussion line."""
    tweets = list(SETTINGS.tweet_thread(post, comments).tweets)
    discuss = f"Join the discussion: {comments}" if comments else ""
    chunks = []
    for index, tweet in enumerate(tweets):
        text = tweet.removesuffix(GAP + discuss) if discuss else tweet
        if text == discuss:
            text = ""
        if index == 0:
            text = text.removesuffix(post.url).removesuffix(GAP)
            text = text.removeprefix(neutralise_mentions(" ".join(post.title.split())))
            text = text.removeprefix(GAP)
        chunks.append(text)
    return chunks, discuss


def _summary_lines(post: Post) -> list[str]:
    plain = neutralise_mentions(markdown_to_plain(post.description_long or "", post.url))
    return [" ".join(line.split()) for line in plain.splitlines() if line.strip()]


def _words_since_sentence_start(text: str) -> int:
    return len(sentences(text)[-1].split())


def _words_until_sentence_end(text: str) -> int:
    return len(sentences(text)[0].split())


def _each_thread(posts: list[Post]) -> list[tuple[Post, list[str], str]]:
    found = []
    for post in posts:
        for comments in (None, post.comments_url, DISCUSSION):
            chunks, discuss = _thread(post, comments)
            found.append((post, chunks, discuss))
    return found


def test_corpus_is_all_there(corpus_posts: list[Post]) -> None:
    """The rules below run on every corpus post (dvc.org, the seed and the malformed ones)."""
    assert len(corpus_posts) == len(ALL_POSTS) >= 120


def test_no_sentence_leaves_an_orphan_of_six_words_or_fewer(corpus_posts: list[Post]) -> None:
    """Where a sentence runs on into the next tweet, both of its parts hold seven words or more."""
    problems = []
    for post, chunks, _ in _each_thread(corpus_posts):
        lines = _summary_lines(post)
        for before, after in itertools.pairwise(chunks):
            if not before or not after:
                continue
            tail, head = before.split("\n")[-1], after.split("\n")[0]
            if SENTENCE_END.search(tail) or not any(f"{tail} {head}" in line for line in lines):
                continue  # a tweet ending at a sentence end or a line: nothing was split
            short = min(_words_since_sentence_start(tail), _words_until_sentence_end(head))
            if short <= 6:
                problems.append(f"{post.slug}: {tail[-40:]!r} | {head[:40]!r}")
    assert problems == []


def test_sentences_are_split_only_when_longer_than_a_tweet(corpus_posts: list[Post]) -> None:
    """A tweet ends inside a sentence only when that sentence would not fit a tweet alone."""
    problems = []
    for post, chunks, _ in _each_thread(corpus_posts):
        lines = _summary_lines(post)
        for before, after in itertools.pairwise(chunks):
            if not before or not after:
                continue
            tail, head = before.split("\n")[-1], after.split("\n")[0]
            if SENTENCE_END.search(tail) or not any(f"{tail} {head}" in line for line in lines):
                continue
            whole = f"{sentences(tail)[-1]} {sentences(head)[0]}"
            if weighted_length(whole) <= 280 - weighted_length(GAP + "Join the discussion: x.co"):
                problems.append(f"{post.slug}: {whole[:60]!r}")
    assert problems == []


def test_first_tweet_never_ends_on_a_colon_before_the_link(corpus_posts: list[Post]) -> None:
    """The summary in the first tweet never ends with an intro whose list follows the link."""
    bad = [post.slug for post, chunks, _ in _each_thread(corpus_posts) if chunks[0].endswith(":")]
    assert bad == []


def test_ellipsis_only_where_words_were_cut(corpus_posts: list[Post]) -> None:
    """Every "…" the thread adds follows a cut word, never sentence punctuation."""
    problems = []
    for post, chunks, _ in _each_thread(corpus_posts):
        summary = " ".join(_summary_lines(post))
        for chunk in chunks:
            for match in re.finditer("…", chunk):
                before = chunk[: match.start()].rstrip()
                if chunk[max(match.start() - 1, 0) : match.end()] in summary:
                    continue  # the summary itself has it
                if not before or before[-1] in ".!?,;:":
                    problems.append(f"{post.slug}: {before[-30:]!r}…")
    assert problems == []


def test_discussion_line_joins_text_when_it_fits(corpus_posts: list[Post]) -> None:
    """The discussion line stands alone only when the last sentence before it cannot join it."""
    problems = []
    for post, chunks, discuss in _each_thread(corpus_posts):
        if not discuss or len(chunks) < 2 or chunks[-1]:
            continue
        previous = chunks[-2]
        if not previous:
            continue  # the first tweet holds only the head and the link: nothing to move
        last_sentence = sentences(previous.split("\n")[-1])[-1]
        if weighted_length(last_sentence + GAP + discuss) <= 280:
            problems.append(f"{post.slug}: {last_sentence[:50]!r}")
    assert problems == []


def test_lone_discussion_tweets_are_rare(corpus_posts: list[Post]) -> None:
    """Of all corpus threads with a discussion link, at most a few end with it alone."""
    threads = [(c, d) for _, c, d in _each_thread(corpus_posts) if d]
    alone = [c for c, _ in threads if len(c) > 1 and not c[-1]]
    assert len(alone) <= len(threads) // 20


def test_long_summary_cut_without_ellipsis_at_a_sentence_end() -> None:
    """A summary cut between sentences ends on the last whole one, with no "…" after it."""
    body = " ".join(
        f"Sentence number {n} says a little more than the one before." for n in range(40)
    )
    tweets = pack_thread("Head", body, "https://dvc.org/blog/x", "Join: https://a.co/t/1", 2)
    assert len(tweets) == 2
    assert tweets[-1].endswith("before.\n\nJoin: https://a.co/t/1")
    assert "…" not in "".join(tweets)


def test_long_sentence_cut_at_the_end_gets_an_ellipsis() -> None:
    """A thread that must stop inside a sentence ends that sentence's words with "…"."""
    body = " ".join(f"word{n}" for n in range(200)) + "."
    tweets = pack_thread("Head", body, "https://dvc.org/blog/x", "", 2)
    assert tweets[-1].endswith("…")
    assert not tweets[-1].endswith(".…")


def test_intro_moves_along_with_its_list() -> None:
    """An intro line ending with a colon goes to the tweet holding what it introduces."""
    intro = (
        "A sentence that fills most of the room in the first tweet" + " and more" * 15 + ". Plus:"
    )
    items = "\n".join(f"• item number {n} with a few words to take up room" for n in range(6))
    tweets = pack_thread(
        "A title of some length", f"{intro}\n{items}", "https://dvc.org/b/x", "", 3
    )
    assert not tweets[0].split("\n\nhttps://")[0].endswith(":")
    assert any(t.startswith("Plus:\n• item number 0") for t in tweets[1:])


def test_sentence_longer_than_a_tweet_starts_after_the_link() -> None:
    """A first sentence too long for the first tweet starts in the second, not around the link."""
    long_sentence = " ".join(["several words in a row"] * 14) + "."
    tweets = pack_thread("Title", long_sentence, "https://dvc.org/b/x", "", 4)
    assert tweets[0] == "Title\n\nhttps://dvc.org/b/x"
    assert len(tweets[-1].split()) >= 7


def test_hashtags_from_tags_go_in_the_first_tweet(tmp_path: Path) -> None:
    """twitter.hashtags puts that many of the post's tags in the first tweet; 0 puts none."""
    config = load_config(_write(tmp_path, "[twitter]\nhashtags = 2\n"))
    settings = RenderSettings.from_config(config, Templates.defaults())
    assert settings.twitter.hashtags == 2
    post = make_post("A title", "One sentence.", ["Modular Infrastructure", "DVC", "MLOps"], None)
    first = settings.tweet_thread(post).tweets[0]
    assert first.endswith("https://dvc.org/blog/a-post\n\n#ModularInfrastructure #DVC")
    plain = RenderSettings.from_config(load_config(_write(tmp_path, "")), Templates.defaults())
    assert "#" not in plain.tweet_thread(post).tweets[0]


def _write(folder: Path, text: str) -> Path:
    path = folder / "heartbeat.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sentence_without_commas_splits_before_a_clause_word() -> None:
    """A sentence too long for a tweet, with no comma, breaks before "to", "with" or the like."""
    words = " ".join(f"word{n}" for n in range(38))
    sentence = f"{words} with focus on the rest of what is said, to the very end."
    tweets = pack_thread("Title", sentence, "https://dvc.org/b/x", "", 3)
    assert tweets[1:] == [words, "with focus on the rest of what is said, to the very end."]


def test_short_question_stays_with_its_answer() -> None:
    """A short question that sets up the next sentence moves with it to the next tweet."""
    body = "A first sentence that is long enough" + " to fill the tweet" * 9 + ". The catch? "
    body += "An answer that is long enough to need a tweet of its own" + " and more" * 20 + "."
    tweets = pack_thread("Title", body, "https://dvc.org/b/x", "", 3)
    assert tweets[1].startswith("The catch? An answer")
