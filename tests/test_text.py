"""Markdown descriptions to tweet text and Discord Markdown, and cutting text to a limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from heartbeat_bot.render.text import (
    fit_lines,
    markdown_to_discord,
    markdown_to_plain,
    truncate_words,
    weighted_length,
)
from tests.conftest import CORPUS, DVC_POSTS

PART_2 = DVC_POSTS / "2022-05-05-end-to-end-computer-vision-api-part-2-local-experiments.md"
AUGUST = DVC_POSTS / "2021-08-17-august-21-dvc-heartbeat.md"
MARCH = DVC_POSTS / "2022-03-17-march-22-heartbeat.md"
DEVOPS = DVC_POSTS / "2020-07-16-devops-for-data-scientists.md"
SEED = CORPUS / "seed" / "2022-04-15-april-22-heartbeat.md"
BASE = "https://dvc.org/blog/end-to-end-computer-vision-api-part-2-local-experiments"
PART_1_URL = (
    "https://dvc.org/blog/end-to-end-computer-vision-api-part-1-data-versioning-and-ml-pipelines"
)
PART_3_URL = "https://dvc.org/blog/end-to-end-computer-vision-api-part-3-remote-exp-ci-cd"


def _frontmatter(path: Path) -> dict[str, Any]:
    head = path.read_text(encoding="utf-8").split("\n---", 1)[0].lstrip("-\n")
    data: dict[str, Any] = yaml.safe_load(head)
    return data


PART_2_INTRO = (
    "In part 1 of this series of posts, we introduced a solution to a common problem faced by "
    "companies in the manufacturing industry: detecting defects from images of products moving "
    "along a production line. The solution we proposed was a Deep Learning-based image "
    "segmentation model wrapped in a web API. We talked about effective management and "
    "versioning of large datasets and the creation of reproducible ML pipelines."
)
PART_2_OUTRO = (
    "Here we'll learn about experiment management: generation of many experiments by tweaking "
    "configurations and hyperparameters; comparison of experiments based on their performance "
    "metrics; and persistence of the most promising ones."
)


def test_plain_part_2_corpus_post() -> None:
    """A list under its intro stays tight, wrapped links and paragraphs join into lines."""
    expected = (
        "This is the second part of a three-part series of posts:\n"
        "• Part 1: Data Versioning and ML Pipelines\n"
        "• Part 2: Local Experiments (this post)\n"
        "• Part 3: Remote Experiments & CI/CD For Machine Learning\n"
        f"\n{PART_2_INTRO}\n\n{PART_2_OUTRO}"
    )
    assert markdown_to_plain(_frontmatter(PART_2)["descriptionLong"]) == expected


def test_discord_part_2_corpus_post() -> None:
    """Discord keeps emphasis and links, with relative links made absolute."""
    intro = PART_2_INTRO.replace("In part 1 of", f"In [part 1]({PART_1_URL}) of")
    expected = (
        "*This is the second part of a three-part series of posts:*\n"
        f"- *Part 1: [Data Versioning and ML Pipelines]({PART_1_URL})*\n"
        "- *Part 2: Local Experiments (this post)*\n"
        f"- *Part 3: [Remote Experiments & CI/CD For Machine Learning]({PART_3_URL})*\n"
        f"\n{intro}\n\n{PART_2_OUTRO}"
    )
    assert markdown_to_discord(_frontmatter(PART_2)["descriptionLong"], BASE) == expected


def test_plain_and_discord_august_heartbeat_list() -> None:
    """Emoji list items become one bullet line each, "•" for tweets and "-" for Discord."""
    items = [
        "🧑🏽\u200d💻 Data-centric for the win,",
        "🧐 Comparison of DVC, MLFlow and Metaflow,",
        "🛠 Tutorials and Tool Stacks,",
        "📈 DVC + Streamlit = ❤️,",
        "📖 Doc Updates,",
        "🎥 July Meetup Video available,",
        "🚀 and more!",
    ]
    md = _frontmatter(AUGUST)["descriptionLong"]
    intro = "This month you will find:\n"
    assert markdown_to_plain(md) == intro + "\n".join(f"• {item}" for item in items)
    assert markdown_to_discord(md, BASE) == intro + "\n".join(f"- {item}" for item in items)


def test_plain_seed_post_with_indented_items() -> None:
    """Indented items separated by blank (or whitespace-only) lines become plain paragraphs."""
    assert markdown_to_plain(_frontmatter(SEED)["descriptionLong"]) == (
        "This month you will find:\n\n"
        "🧱 AI infrastructure is becoming modular,\n\n"
        "🔎 Distribution drift with Chip Huyen\n\n"
        "🥰 Tutorials and workflows from the Community,\n\n"
        "🗣 IRL events,\n\n"
        "💻 Online course(s) updates,\n\n"
        "🚀 Quebec becoming an Iterative hub, and more!"
    )


@pytest.mark.parametrize("path", [SEED, MARCH], ids=["seed-april-22", "march-22"])
def test_indented_heartbeat_items_become_paragraphs(path: Path) -> None:
    """Each non-blank source line of these heartbeats becomes one unindented paragraph."""
    md = _frontmatter(path)["descriptionLong"]
    plain = markdown_to_plain(md)
    assert plain.split("\n\n") == [line.strip() for line in md.splitlines() if line.strip()]
    assert markdown_to_discord(md, BASE) == plain


def test_discord_devops_picture_comment_links() -> None:
    """Absolute links stay as Discord masked links and wrapped lines are joined."""
    md = _frontmatter(DEVOPS)["pictureComment"]
    assert markdown_to_discord(md, BASE).split("\n\n") == [
        "The unicorn! A mythical data scientist who can code, write unit tests AND resist the "
        "lure of a deep neural network when logistic regression will do.",
        "Photo by [James Lee](https://unsplash.com/@picsbyjameslee) via "
        "[Unsplash](https://unsplash.com/photos/qSf_4bNsoWc).",
    ]
    assert markdown_to_plain(md).endswith("\n\nPhoto by James Lee via Unsplash.")


def test_plain_drops_markup_images_and_html() -> None:
    """Emphasis, code marks, images, HTML and link targets vanish; their text stays."""
    md = "\n\n# Big _news_\nA ![logo](/l.png) **bold** `code` <b>tag</b> [link](/x)  here."
    assert markdown_to_plain(md) == "Big news\nA bold code tag link here."


def test_nested_and_ordered_lists() -> None:
    """Nested items indent two spaces per level and ordered lists keep their numbers."""
    md = "Steps:\n\n3. one\n4. two\n   - sub\n     - subsub\n\n   more\n"
    assert markdown_to_plain(md) == "Steps:\n\n3. one\n4. two\n  • sub\n    • subsub\n  more"
    assert (
        markdown_to_discord(md, BASE) == "Steps:\n\n3. one\n4. two\n  - sub\n    - subsub\n  more"
    )


def test_discord_headings_code_and_escapes() -> None:
    """Headings turn bold, fences stay fenced, and Discord formatting characters are escaped."""
    md = "## Title\n\nsnake_case [x] a|b, see https://x.com/a_b\n\n```sh\ndvc exp run\n```\n"
    assert markdown_to_discord(md, BASE) == (
        "**Title**\n\nsnake\\_case \\[x\\] a\\|b, see https://x.com/a_b\n\n```sh\ndvc exp run\n```"
    )


def test_discord_links_resolve_against_base_url() -> None:
    """Relative links resolve with urljoin and a link showing its own URL becomes bare."""
    md = "[next](/blog/y), [up](../doc), <https://dvc.org/a_b> and [q](/a(b))"
    assert markdown_to_discord(md, "https://dvc.org/blog/x") == (
        "[next](https://dvc.org/blog/y), [up](https://dvc.org/doc), https://dvc.org/a_b "
        "and [q](https://dvc.org/a%28b%29)"
    )


def test_fit_lines_returns_fitting_text_unchanged() -> None:
    """Text within the limit comes back as it was, whitespace included."""
    assert fit_lines(" a\nb \n", 10) == " a\nb \n"


def test_fit_lines_keeps_whole_lines_and_ends_with_an_ellipsis_line() -> None:
    """When cut, whole lines are kept and the ellipsis gets a line of its own."""
    text = "Intro:\n• first item\n• second item\n\nA closing paragraph."
    assert fit_lines(text, 35) == "Intro:\n• first item\n• second item\n…"
    assert fit_lines(text, 34) == "Intro:\n• first item\n…"
    assert fit_lines(text, 40, weighted_length) == "Intro:\n• first item\n• second item\n…"


def test_fit_lines_cuts_the_first_line_at_a_word_when_no_line_fits() -> None:
    """A first line too long to keep whole is cut at a word and the ellipsis appended."""
    assert fit_lines("Hello wonderful world\nmore", 18) == "Hello wonderful…"
    assert fit_lines("Hello world\nmore", 12) == "Hello world…"


def test_fit_lines_below_the_ellipsis_length_returns_empty() -> None:
    """A limit smaller than the ellipsis leaves nothing honest to return."""
    assert fit_lines("abc def", 1, weighted_length) == ""
    assert fit_lines("abc def", 2, weighted_length) == "…"


def test_truncate_words_cuts_at_words_and_drops_trailing_commas() -> None:
    """The cut falls after a whole word and trailing commas or spaces go before the ellipsis."""
    assert truncate_words("Hello wonderful world, again", 23) == "Hello wonderful world…"
    assert truncate_words("Hello wonderful world, again", 13) == "Hello…"
    assert truncate_words("Hello wonderful world", 30) == "Hello wonderful world"
    assert truncate_words("one two three", 8, ellipsis="") == "one two"


def test_truncate_words_cuts_inside_a_huge_word_rather_than_waste_the_room() -> None:
    """A word cut keeping under a third of the limit gives way to a cut inside the word."""
    title = "0 " + "x" * 300
    assert truncate_words(title, 255) == title[:254] + "…"
    assert truncate_words("Hi Supercalifragilisticexpialidocious", 20) == "Hi Supercalifragili…"
    assert truncate_words("Hello wonderful world", 13) == "Hello…"


def test_truncate_words_never_splits_an_emoji_or_combining_sequence() -> None:
    """The character-level fallback keeps ZWJ sequences, flags and accents whole."""
    family = "👨\u200d👩\u200d👧\u200d👦"
    assert truncate_words(family * 3, 5, weighted_length) == family + "…"
    assert truncate_words("🇺🇸🇫🇷🇩🇪", 4, weighted_length) == "🇺🇸…"
    assert truncate_words("e\u0301" * 4, 4) == "e\u0301…"
    assert truncate_words("Supercalifragilistic", 8) == "Superca…"


EMOJI = ["🇺🇦", "👨\u200d👩\u200d👧\u200d👦", "🧘🏻\u200d♀️", "#️⃣", "❤️", "🥰", "e\u0301", "©"]
PIECES = [*EMOJI, "\n", "\n\n", " ", ", ", "dvc.org", "https://dvc.org/blog/x", "word", "•"]
TEXTS = st.lists(st.one_of(st.text(max_size=8), st.sampled_from(PIECES)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, limit=st.integers(min_value=1, max_value=300))
def test_fit_lines_never_exceeds_the_weighted_limit(text: str, limit: int) -> None:
    """fit_lines output never weighs more than the limit and is non-empty when it can be."""
    result = fit_lines(text, limit, weighted_length)
    assert weighted_length(result) <= limit
    if text.strip() and limit >= weighted_length("…"):
        assert result
    if result.endswith("…") and result != text:
        assert text.strip().startswith(result.removesuffix("…").rstrip("\n"))


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, limit=st.integers(min_value=1, max_value=300))
def test_truncate_words_never_exceeds_the_limit(text: str, limit: int) -> None:
    """truncate_words output never exceeds the limit in len or in weighted length."""
    result = truncate_words(text, limit)
    assert len(result) <= limit
    if text.strip():
        assert result
    assert weighted_length(truncate_words(text, limit, weighted_length)) <= limit


@settings(max_examples=200, deadline=None)
@given(text=TEXTS)
@example(text="0\r\r0")  # a lone CR is a line break to markdown-it
@example(text="a\r\rb\r- c\r\n\r\nd")
def test_markdown_renderers_accept_any_text(text: str) -> None:
    """Any text renders without error to stripped output free of Markdown soft breaks."""
    for rendered in (markdown_to_plain(text), markdown_to_discord(text, BASE)):
        assert rendered == rendered.strip()


def test_carriage_returns_break_lines_like_newlines() -> None:
    """Old-Mac line breaks (a lone CR) read as line breaks: paragraphs stay apart."""
    assert markdown_to_plain("First.\r\rSecond.") == markdown_to_plain("First.\n\nSecond.")


def test_plain_keeps_the_url_of_a_link_the_sentence_points_at() -> None:
    """ "this video", "here" and the like keep their URL; a link named for its target does not."""
    md = (
        "You might even have seen [this video from Andrej\nKarpathy](https://youtu.be/x). "
        "Find [the repo here](/r) and [DVC](https://dvc.org), or [this one](mailto:a@b.c)."
    )
    assert markdown_to_plain(md, "https://dvc.org/blog/p") == (
        "You might even have seen this video from Andrej Karpathy https://youtu.be/x. "
        "Find the repo here https://dvc.org/r and DVC, or this one."
    )


def test_plain_keeps_emoji_led_lines_apart() -> None:
    """Lines of a paragraph that each start with an emoji stay lines, like a list."""
    md = "New features:\n🧪 Lightweight ML experiments\n📍 ML model checkpoints\nand more"
    assert markdown_to_plain(md) == (
        "New features:\n🧪 Lightweight ML experiments\n📍 ML model checkpoints and more"
    )
