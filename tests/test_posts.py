"""posts.parse_post and find_post: the real DVC blog corpus, hand-made edge cases, properties."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import parse_post, read_frontmatter
from heartbeat_bot.posts.parse import DEFAULT_CHANNEL_NAMES
from heartbeat_bot.sources.folder import FolderSource
from tests.conftest import CORPUS, DVC_AUTHORS, DVC_POSTS

# Posts parsed without the registry's vocabulary know the default channel names.
DEFAULT_CHANNELS = frozenset(DEFAULT_CHANNEL_NAMES.values())

LA = ZoneInfo("America/Los_Angeles")
MALFORMED = CORPUS / "malformed"
BOM_DIR = MALFORMED / "bom-2022-08-snapshot"
QUESTION_MARK = MALFORMED / "2022-07-18-july-heartbeat.2022-08-snapshot.md"
AUTHORS = FolderSource(DVC_POSTS, DVC_AUTHORS).authors()
# The dvc_blog fixture's settings, as a constant so hypothesis tests can use them.
BLOG = BlogConfig(
    posts_dir=DVC_POSTS,
    post_url="https://dvc.org/blog/{slug}",
    picture_url="https://dvc.org/blog/images/{picture}",
    authors_dir=DVC_AUTHORS,
    timezone="America/Los_Angeles",
    publish_time="09:00",
    site_name="DVC",
)
CORPUS_FILES = [
    *sorted(DVC_POSTS.glob("*.md")),
    *sorted((CORPUS / "seed").glob("*.md")),
    *sorted(BOM_DIR.glob("*.md")),
    QUESTION_MARK,
]
E2E_1 = "2022-05-03-end-to-end-computer-vision-api-part-1-data-versioning-and-ml-pipelines.md"
E2E_2 = "2022-05-05-end-to-end-computer-vision-api-part-2-local-experiments.md"
LABEL = "2025-10-07-how-to-label-and-rotate-training-and-feedback-datasets-cleanly.md"
DVC3 = "2023-06-14-dvc-3.0-ml-experiments-data-versioning.md"
SEED = "../../seed/2022-04-15-april-22-heartbeat.md"
MLOPS, MAY21, LFS = (
    "2020-07-24-first-mlops-tutorial.md",
    "2021-05-21-may-21-dvc-heartbeat.md",
    "2023-12-11-dvc-git-lfs.md",
)
FEB, MLEM = "2022-2-17-february-22-heartbeat.md", "2022-05-24-MLEM-release.md"
QUESTION = "../../malformed/" + QUESTION_MARK.name
TOPIC = "https://discuss.dvc.org/t/"


def corpus(name: str) -> Post:
    path = DVC_POSTS / name
    return parse_post(path, path.read_bytes(), BLOG, AUTHORS)


def post_of(text: str | bytes, name: str = "2022-01-01-sample.md", blog: BlogConfig = BLOG) -> Post:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_post(Path(name), raw, blog, AUTHORS)


def error_of(text: str | bytes, name: str = "2022-01-01-sample.md") -> PostError:
    with pytest.raises(PostError) as caught:
        post_of(text, name)
    error = caught.value
    assert error.path == Path(name)
    assert "\n" not in str(error)
    return error


def doc(
    extra: str = "",
    *,
    title: str = "A title long enough",
    date_line: str = "2022-01-01",
    long: str | None = "Longer.",
) -> str:
    """A well-formed post (no problems to note) whose frontmatter has ``extra`` appended."""
    long_line = f"descriptionLong: {long}\n" if long is not None else ""
    head = f"---\ntitle: {title}\ndate: {date_line}\ndescription: Short.\n"
    return f"{head}{long_line}{extra}---\nBody.\n"


def test_corpus_is_complete() -> None:
    """The corpus test really covers the 117 DVC posts, the seed and the malformed files."""
    assert len(list(DVC_POSTS.glob("*.md"))) == 117
    assert len(list(BOM_DIR.glob("*.md"))) == 8
    assert len(CORPUS_FILES) == 127


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_post_parses(path: Path) -> None:
    """Every real post parses into a Post with a dvc.org URL, an aware LA time and known authors."""
    post = parse_post(path, path.read_bytes(), BLOG, AUTHORS)
    assert post.url == f"https://dvc.org/blog/{post.slug}"
    assert post.published_at.tzinfo == LA
    assert post.date == post.published_at.date()
    assert post.title and "\n" not in post.title
    assert post.author_ids and not any(p.startswith("unknown author") for p in post.problems)
    assert post.description_long
    assert post.channels == DEFAULT_CHANNELS and not post.draft


def test_dvc_blog_fixture_matches_module_settings(dvc_blog: BlogConfig) -> None:
    """The module's BLOG constant is the conftest dvc_blog fixture, so both test the same blog."""
    assert dvc_blog == BLOG


@pytest.mark.parametrize(
    ("name", "attribute", "expected"),
    [
        (E2E_2, "comments_url", TOPIC + "end-to-end-computer-vision/1178"),
        (E2E_1, "comments_url", TOPIC + "end-to-end-computer-vision/1178"),  # a shared topic
        (E2E_2, "authors", ("Alex Kim",)),
        ("2022-03-17-march-22-heartbeat.md", "title", "March '22 Heartbeat"),
        (MLOPS, "title", "NEW VIDEO! 🎥 MLOps Tutorial #1: Intro to continuous integration for ML"),
        (MLOPS, "problems", ()),  # description alone is a summary, not a problem
        (MAY21, "title", "May ’21 Heartbeat"),
        (MAY21, "comments_url", None),
        (
            MAY21,
            "problems",
            (
                f'commentsUrl "{TOPIC}dvc-may-2021-heartbeat/" is not a Discourse topic URL '
                "(no topic id); ignored",
            ),
        ),
        (LFS, "date", date(2024, 1, 3)),
        (LFS, "published_at", datetime(2024, 1, 3, 9, 0, tzinfo=LA)),
        (LFS, "authors", ("Peter Rowlands",)),
        (LFS, "author_ids", ("peter_rowlands",)),
        (LFS, "comments_url", None),
        (LFS, "problems", ("file name says 2023-12-11 but date is 2024-01-03",)),
        (LFS, "slug", "dvc-git-lfs"),
        (
            LABEL,
            "title",
            "Community Spotlight: Akash Mane - How to Label and Rotate Training and "
            "Feedback Datasets Cleanly",
        ),
        (DVC3, "slug", "dvc-3.0-ml-experiments-data-versioning"),
        (DVC3, "url", "https://dvc.org/blog/dvc-3.0-ml-experiments-data-versioning"),
        (FEB, "slug", "february-22-heartbeat"),
        (FEB, "url", "https://dvc.org/blog/february-22-heartbeat"),
        (FEB, "problems", ()),  # 2022-2-17 in the file name is 2022-02-17: no mismatch
        (MLEM, "slug", "MLEM-release"),
        (MLEM, "url", "https://dvc.org/blog/MLEM-release"),
        (QUESTION, "comments_url", TOPIC + "july-22-heartbeat/1256"),  # stray `?` dropped
        (QUESTION, "problems", ()),
        (SEED, "picture_url", "https://dvc.org/blog/images/2022-04-15/april-heartbeat-cover.png"),
        (SEED, "authors", ("Jeny De Figueiredo",)),
        (SEED, "comments_url", TOPIC + "april-22-hearbeat/1158"),
    ],
)
def test_hard_corpus_posts(name: str, attribute: str, expected: object) -> None:
    """Each hard post the corpus README names gives exactly the expected field value."""
    assert getattr(corpus(name), attribute) == expected


def test_description_long_leading_blank_line_dropped_list_kept() -> None:
    """Part 2's descriptionLong loses its leading blank line but keeps its list and split links."""
    post = corpus(E2E_2)
    assert post.description_long is not None and post.description is not None
    assert post.description_long.startswith("_This is the second part of a three-part series")
    assert len(post.description_long) == 1101
    assert "\n- _Part 2: Local Experiments (this post)_\n" in post.description_long
    assert "[Data Versioning and ML\nPipelines](/blog/end-to-end" in post.description_long
    assert "ML pipelines.\nHere we'll learn" in post.description


def test_emoji_and_fallbacks_intact() -> None:
    """Emoji sequences survive byte for byte; description stands in for missing descriptionLong."""
    post = corpus("2022-03-17-march-22-heartbeat.md")
    assert post.description_long is not None
    assert "🇺🇦 A special note on the war in Ukraine," in post.description_long
    assert "🧘🏻\u200d♀️ MLOps is a mess, but that's ok," in post.description_long
    mlops = corpus(MLOPS)
    assert mlops.description_long == mlops.description and mlops.description
    seed = corpus(SEED)
    assert seed.tags[:2] == ("Heartbeat", "DVC") and seed.tags[-1] == "AI Environments"
    raw = (DVC_POSTS / SEED).read_bytes()
    assert seed.content_hash == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize("path", sorted(BOM_DIR.glob("*.md")), ids=lambda p: p.name)
def test_byte_order_mark_files_parse(path: Path) -> None:
    """A file starting with a UTF-8 BOM parses like its BOM-less counterpart in the corpus."""
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf---")
    post = parse_post(path, raw, BLOG, AUTHORS)
    today = corpus(path.name)
    assert (post.slug, post.url, post.date) == (today.slug, today.url, today.date)
    assert post.title.lstrip("\ufeff") == post.title


@pytest.mark.parametrize(
    ("name", "offset"), [(FEB, timedelta(hours=-8)), (E2E_2, timedelta(hours=-7))]
)
def test_date_only_publishes_at_publish_time_in_timezone(name: str, offset: timedelta) -> None:
    """A bare date publishes at 09:00 Los Angeles time, with the offset daylight saving gives."""
    post = corpus(name)
    assert post.published_at.time().isoformat() == "09:00:00"
    assert post.published_at.utcoffset() == offset


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-06-01T15:30:00+02:00", datetime(2022, 6, 1, 13, 30, tzinfo=UTC)),
        ("2022-06-01 15:30:00", datetime(2022, 6, 1, 15, 30, tzinfo=LA)),
        ("'2022-06-01T15:30Z'", datetime(2022, 6, 1, 15, 30, tzinfo=UTC)),
        ("'2022-06-01'", datetime(2022, 6, 1, 9, 0, tzinfo=LA)),
        ("2021-12-31T23:30:00-05:00", datetime(2022, 1, 1, 4, 30, tzinfo=UTC)),
    ],
)
def test_frontmatter_datetime_wins(value: str, expected: datetime) -> None:
    """A datetime keeps its moment (naive ones are blog time), shown in the blog's timezone."""
    post = post_of(doc(date_line=value))
    assert post.published_at == expected
    assert post.published_at.tzinfo == LA
    assert post.date == expected.astimezone(LA).date()


@pytest.mark.parametrize(
    ("extra", "draft"),
    [("", False), ("draft: true\n", True), ("published: false\n", True), ("draft: false\n", False)],
)
def test_draft_flags(extra: str, draft: bool) -> None:
    """`draft: true` or `published: false` make a draft; nothing or `draft: false` does not."""
    assert post_of(doc(extra)).draft is draft


@pytest.mark.parametrize(
    ("extra", "channels"),
    [
        ("", set(DEFAULT_CHANNELS)),
        ("announce: true\n", set(DEFAULT_CHANNELS)),
        ("announce: false\n", set()),
        ("announce: [discord, x]\n", {"discord", "twitter"}),
        ("announce: Discourse\n", {"discourse"}),
    ],
)
def test_announce_selects_channels(extra: str, channels: set[str]) -> None:
    """`announce` absent/true means every channel, false none, a list those named (x is twitter)."""
    assert post_of(doc(extra)).channels == channels


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("announce: [mastodon]\n", "announce"),
        ("announce: 3\n", "announce"),
        ("draft: yes please\n", "draft"),
        ("published: 0\n", "published"),
        ("tags: {a: 1}\n", "tags"),
        ("tags: [[nested]]\n", "tags"),
        ("authors: [{id: x}]\n", "authors"),
        ("description: [a, b]\n", "description"),
        ("descriptionLong: 42\n", "descriptionLong"),
        ("slug: [a]\n", "slug"),
        ("picture: {a: 1}\n", "picture"),
    ],
)
def test_junk_values_name_their_field(extra: str, field: str) -> None:
    """A value of the wrong kind is a PostError naming that key."""
    assert error_of(doc(extra, long=None)).field == field


def test_announce_error_lists_valid_names() -> None:
    """An unknown channel name is reported with the names that would work."""
    message = error_of(doc("announce: [mastodon]\n")).message
    assert "mastodon" in message and "discourse, discord, twitter" in message


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("Just Markdown, no frontmatter.\n", None, "does not start with a '---'"),
        ("Intro\n---\ntitle: Hidden\ndate: 2022-01-01\n---\nBody\n", None, "does not start"),
        ("---\ntitle: Open\ndate: 2022-01-01\n", None, "no closing '---'"),
        ("---\ntitle: Ok\ndate: 2022-01-01\ntags: [a\n---\nBody\n", None, "not valid YAML"),
        ("---\n- title\n- date\n---\nBody\n", None, "must be a mapping"),
        ("---\n---\nBody\n", None, "frontmatter is empty"),
        ("---\ntitle: 'x'\ncount: !!int abc\n---\n", None, "not valid YAML"),
        ("---\ndate: 2022-01-01\n---\nBody\n", "title", "title is missing"),
        ("---\ntitle: '  '\ndate: 2022-01-01\n---\nBody\n", "title", "title is empty"),
        ("---\ntitle: [a]\ndate: 2022-01-01\n---\nBody\n", "title", "must be text"),
        ("---\ntitle: Ok\n---\nBody\n", "date", "date is missing"),
        ("---\ntitle: Ok\ndate: 2022-13-45\n---\nBody\n", "date", 'date-time; got "2022-13-45"'),
        ("---\ntitle: Ok\ndate: '2022-02-30'\n---\nBody\n", "date", "not a valid date"),
        ("---\ntitle: Ok\ndate: [2022-01-01]\n---\nBody\n", "date", "got a list"),
        ("---\ntitle: 'x'\ncount: !!int\n---\n", None, "not valid YAML"),
        ("---\ntitle: 'x'\nok: !!bool maybe\n---\n", None, "not valid YAML"),
        ("---\ntitle: x\nrun: !!python/object:os.system echo\n---\n", None, "not valid YAML"),
        ("---\ntitle: Ok\ndate: next tuesday\n---\nBody\n", "date", "not a valid date"),
        ("---\ntitle: Ok\ndate: true\n---\nBody\n", "date", "not a valid date"),
    ],
)
def test_malformed_inputs_raise_post_error(text: str, field: str | None, words: str) -> None:
    """Each kind of broken file is one PostError naming the file and, when to blame, the key."""
    error = error_of(text)
    assert error.field == field
    assert words in error.message


def test_bad_yaml_reports_file_line() -> None:
    """A YAML syntax error names the file line where libyaml gave up (blank lines counted)."""
    text = "\ufeff\n\n---\ntitle: Ok\ndate: 2022-01-01\nbad: [unclosed\n---\nBody\n"
    message = error_of(text).message
    assert message.startswith("frontmatter is not valid YAML (line 7: ")


def test_binary_junk_and_invalid_utf8() -> None:
    """Bytes with NULs, and bytes that are not UTF-8, are PostErrors saying so."""
    junk = bytes(range(256)) * 8
    assert "NUL" in error_of(junk).message
    message = error_of(b"---\ntitle: caf\xe9\ndate: 2022-01-01\n---\n").message
    assert "UTF-8" in message and "0xe9" in message


def test_huge_description_long_fails_fast_with_short_message() -> None:
    """A 5 MB descriptionLong is refused quickly, and the message does not echo it."""
    text = doc("descriptionLong: '" + "x" * 5_000_000 + "'\n", long=None)
    started = time.perf_counter()
    error = error_of(text)
    assert time.perf_counter() - started < 3
    assert error.field == "descriptionLong"
    assert error.message == "descriptionLong is 5000000 characters; at most 65536"
    assert len(str(error)) < 200


def test_alias_expansion_is_never_printed() -> None:
    """A YAML alias bomb in a bad value is named ("a list"), not printed, so it fails at once."""
    levels = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{new}: &{new} [{', '.join([f'*{old}'] * 9)}]\n"
        for old, new in zip("abcdefg", "bcdefgh", strict=True)
    )
    started = time.perf_counter()
    error = error_of(doc(f"{levels}announce: *h\n"))
    assert time.perf_counter() - started < 2
    assert error.field == "announce" and error.message.endswith("got a list")


def test_title_length_cap() -> None:
    """A title over 1000 characters is refused; exactly 1000 is fine."""
    assert len(post_of(doc(title="t" * 1000)).title) == 1000
    assert error_of(doc(title="t" * 1001)).field == "title"


def test_later_dashes_in_body_do_not_confuse() -> None:
    """`---` lines and YAML-looking text in the body never override the frontmatter."""
    post = post_of(doc() + "\n---\ntitle: Wrong\n---\nMore\n---\n")
    assert post.title == "A title long enough"


def test_crlf_and_numbers() -> None:
    """CRLF files parse with no stray carriage returns; numeric titles and tags become text."""
    extra = "descriptionLong: |\n  One\n\n  Two\ntags: [2022, ' a ', '', a, null]\n"
    text = doc(extra, title="2022", long=None)
    post = post_of(text.replace("\n", "\r\n"))
    assert post.title == "2022"
    assert post.description_long == "One\n\nTwo"
    assert post.tags == ("2022", "a")


def test_tags_single_string_and_duplicates() -> None:
    """A single string is one tag; exact duplicates go, case variants stay, order is kept."""
    assert post_of(doc("tags: Solo\n")).tags == ("Solo",)
    extra = "tags: [Data Registry, DVC, Data registry, DVC]\n"
    assert post_of(doc(extra)).tags == ("Data Registry", "DVC", "Data registry")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://discuss.dvc.org/t/slug/123/4", "https://discuss.dvc.org/t/slug/123"),
        ("HTTPS://Discuss.DVC.org/t/123", "https://discuss.dvc.org/t/123"),
        ("'  https://x.org/t/a/1/?#  '", "https://x.org/t/a/1"),
        ("https://x.org/t/a/1?u=jeny", "https://x.org/t/a/1"),
        ("''", None),
    ],
)
def test_comments_url_normalized(value: str, expected: str | None) -> None:
    """Valid topic URLs are normalized: no post number, query, trailing `?`/`/`, or host case."""
    post = post_of(doc(f"commentsUrl: {value}\n"))
    assert post.comments_url == expected
    assert not any("commentsUrl" in p for p in post.problems)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ftp://x.org/t/a/1", "not an http(s) URL"),
        ("https:///t/a/1", "no host"),
        ("https://x.org/c/a/1", "path is not /t/<slug>/<id>"),
        ("discuss.dvc.org/t/a/1", "not an http(s) URL"),
    ],
)
def test_comments_url_rejected(value: str, reason: str) -> None:
    """An unusable commentsUrl is ignored with a problem giving the reason."""
    post = post_of(doc(f"commentsUrl: {value}\n"))
    assert post.comments_url is None
    assert post.problems == (
        f'commentsUrl "{value}" is not a Discourse topic URL ({reason}); ignored',
    )


def test_long_comments_url_clipped_in_problem() -> None:
    """The problem quoting a bad commentsUrl shows at most 60 characters of it."""
    post = post_of(doc(f"commentsUrl: https://x.org/{'a' * 500}\n"))
    assert len(post.problems[0]) < 150 and post.problems[0].count("a") < 70


def test_picture_urls() -> None:
    """Relative pictures use the template (leading / dropped); absolute ones stay as they are."""
    assert post_of(doc("picture: /a/b.png\n")).picture_url == "https://dvc.org/blog/images/a/b.png"
    absolute = "https://cdn.example.com/x.png"
    assert post_of(doc(f"picture: {absolute}\n")).picture_url == absolute
    bare = BLOG.model_copy(update={"picture_url": None})
    assert post_of(doc("picture: a.png\n"), blog=bare).picture_url is None
    assert post_of(doc()).picture_url is None


def test_authors_resolution_and_unknown_ids() -> None:
    """Known ids become names; unknown ones stay as ids with a problem, unless there is no map."""
    post = post_of(doc("authors: [jeny_defigueiredo, nobody]\n"))
    assert post.authors == ("Jeny De Figueiredo", "nobody")
    assert post.author_ids == ("jeny_defigueiredo", "nobody")
    assert "unknown author id 'nobody'" in post.problems
    raw = doc("author: nobody\n").encode()
    alone = parse_post(Path("2022-01-01-sample.md"), raw, BLOG, {})
    assert alone.authors == ("nobody",) and alone.problems == ()


def test_description_problems() -> None:
    """A post with no summary at all says so; description alone is used for descriptionLong."""
    text = "---\ntitle: A title long enough\ndate: 2022-01-01\n---\n"
    post = post_of(text)
    assert post.description is None and post.description_long is None
    assert post.problems == ("no summary (no description, summary field or excerpt)",)


def test_slug_from_frontmatter_and_safe_url() -> None:
    """A frontmatter slug wins, braces stay literal, and an empty or spaced slug is an error."""
    post = post_of(doc("slug: 'custom-{0}-{slug}'\n"))
    assert post.slug == "custom-{0}-{slug}"
    assert post.url == "https://dvc.org/blog/custom-{0}-{slug}"
    assert error_of(doc(), name="2022-01-01.md").field == "slug"
    assert error_of(doc("slug: 'has space'\n")).field == "slug"


@pytest.mark.parametrize(
    ("name", "digits", "date"),
    [
        ("2022-2-17-february-22-heartbeat.md", "february-22-heartbeat", "february-22-heartbeat"),
        ("2023-12-31-2024-plans.md", "plans", "2024-plans"),
        ("2024-01-15-10-tips-for-dvc.md", "tips-for-dvc", "10-tips-for-dvc"),
        ("2022-05-24-MLEM-release.md", "MLEM-release", "MLEM-release"),
        ("about-dvc.md", "about-dvc", "about-dvc"),
    ],
)
def test_slug_from_the_file_name_either_way(name: str, digits: str, date: str) -> None:
    """By default the leading digits and dashes go (as dvc.org's site does); with
    blog.slug_from_file = "strip-date" only a leading date does (as Jekyll and Hugo)."""
    by_date = BLOG.model_copy(update={"slug_from_file": "strip-date"})
    assert post_of(doc(), name=name).slug == digits
    assert post_of(doc(), name=name, blog=by_date).slug == date
    assert post_of(doc(), name=name, blog=by_date).url == f"https://dvc.org/blog/{date}"


def test_read_frontmatter_returns_body() -> None:
    """read_frontmatter gives the mapping and the stripped body, later `---` included."""
    meta, body = read_frontmatter(Path("x.md"), b"---\nname: A\n---\n\nHello\n---\nWorld\n")
    assert meta == {"name": "A"}
    assert body == "Hello\n---\nWorld"
