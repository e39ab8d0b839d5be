"""The command line, run as a real process: preview, list, errors and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from heartbeat_bot.channels import registry
from heartbeat_bot.cli import main as cli
from tests.conftest import CORPUS, DVC_AUTHORS, DVC_POSTS
from tests.render_limits import discord_problems, discourse_problems, twitter_problems

HOME = Path(__file__).resolve().parents[1]


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTBEAT_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", *args],
        capture_output=True,
        text=True,
        cwd=cwd or HOME,
        env=full_env,
        timeout=120,
    )


def write_config(tmp_path: Path, posts: Path, extra: str = "") -> Path:
    config = tmp_path / "heartbeat.toml"
    config.write_text(
        f"""
[blog]
posts_dir = "{posts}"
authors_dir = "{DVC_AUTHORS}"
post_url = "https://dvc.org/blog/{{slug}}"
picture_url = "https://dvc.org/blog/images/{{picture}}"
site_name = "DVC"
[discourse]
category = 7
{extra}
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def corpus_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(tmp_path_factory.mktemp("cfg"), DVC_POSTS)


def test_version_and_help() -> None:
    """--version prints the version and --help lists the commands, both exiting 0."""
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("heartbeat-bot ")
    helptext = run("--help")
    assert helptext.returncode == 0 and "preview" in helptext.stdout and "list" in helptext.stdout


def test_help_imports_nothing_heavy() -> None:
    """Building the CLI imports none of the heavy libraries, so --help answers at once."""
    code = (
        "import sys; from heartbeat_bot.cli import main as cli; cli.build_parser();"
        "print([m for m in ('discord','tweepy','httpx','pydantic','jinja2','rich','yaml',"
        "'apscheduler','markdown_it') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_preview_json_every_corpus_post(
    corpus_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """preview --json renders every corpus post with every payload within limits."""
    listing = run("--config", str(corpus_config), "list", "--json")
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)["items"]
    assert len(rows) == len(list(DVC_POSTS.glob("*.md")))
    capsys.readouterr()
    for row in rows:
        assert row["state"] in {"published", "scheduled", "draft"}, row
        # In-process for speed: the same main() the console script runs.
        assert cli.main(["--config", str(corpus_config), "preview", row["path"], "--json"]) == 0
        document = json.loads(capsys.readouterr().out)
        assert set(document) == {"version", "post", *registry.names()}
        assert set(document["post"]) == {
            "slug",
            "url",
            "title",
            "published_at",
            "comments_url",
            "picture_url",
            "authors",
            "tags",
        }
        assert set(document["discourse"]) == {
            "title",
            "raw",
            "category",
            "tags",
            "external_id",
            "embed_url",
        }
        assert set(document["discord"]) == {"content", "embeds", "allowed_mentions"}
        assert discourse_problems(document["discourse"]) == []
        assert discord_problems(document["discord"]) == []
        assert twitter_problems(document["twitter"]["tweets"]) == []


def test_preview_by_slug_url_and_human_output(corpus_config: Path) -> None:
    """A post can be named by slug or URL; the human view shows the three payloads."""
    by_slug = run("--config", str(corpus_config), "preview", "MLEM-release", "--json")
    by_url = run(
        "--config", str(corpus_config), "preview", "https://dvc.org/blog/MLEM-release/", "--json"
    )
    assert by_slug.returncode == 0, by_slug.stderr
    assert json.loads(by_slug.stdout) == json.loads(by_url.stdout)
    human = run("--config", str(corpus_config), "preview", "april-22-heartbeat")
    assert human.returncode == 0, human.stderr
    for heading in ("Discourse topic", "Discord message", "X tweet 1/"):
        assert heading in human.stdout


def test_example_blog_works_from_anywhere(tmp_path: Path) -> None:
    """--example previews the bundled posts without any config file."""
    out = run("preview", "--example", "april-22-heartbeat", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["post"]["url"] == "https://dvc.org/blog/april-22-heartbeat"
    assert document["post"]["authors"] == ["Jeny De Figueiredo"]
    listing = run("list", "--example", "--json", cwd=tmp_path)
    assert len(json.loads(listing.stdout)["items"]) == 5


def test_bad_post_is_one_line_exit_2(tmp_path: Path) -> None:
    """A broken post file gives one line naming the file and field, and exit code 2."""
    posts = tmp_path / "posts"
    posts.mkdir()
    bad = posts / "2024-01-01-bad.md"
    bad.write_text("---\ntitle: Bad\ndate: 2024-13-45\n---\nbody\n", encoding="utf-8")
    shutil.copy(DVC_POSTS / "2022-04-15-april-22-heartbeat.md", posts)
    config = write_config(tmp_path, posts)
    out = run("--config", str(config), "preview", str(bad))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert "2024-01-01-bad.md" in out.stderr and "date" in out.stderr
    # One bad post never hides the others from `list`.
    listing = json.loads(run("--config", str(config), "list", "--json").stdout)["items"]
    states = sorted(row["state"] for row in listing)
    assert states == ["error", "published"]


def test_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    """A wrong setting names the key on one line and exits 2; --debug shows the traceback."""
    config = write_config(tmp_path, DVC_POSTS, extra='max_tags = "five"')
    out = run("--config", str(config), "list")
    assert out.returncode == 2
    assert out.stderr.strip() == (
        'heartbeat-bot: config error: discourse.max_tags must be an integer, got "five"'
    )
    debug = run("--debug", "--config", str(config), "list")
    assert "Traceback" in debug.stderr


def test_unknown_post_is_a_clear_error(corpus_config: Path) -> None:
    """Naming a post that does not exist says so and exits 2."""
    out = run("--config", str(corpus_config), "preview", "no-such-post")
    assert out.returncode == 2
    assert "no post matches 'no-such-post'" in out.stderr


def test_config_from_environment_variable(tmp_path: Path) -> None:
    """$HEARTBEAT_CONFIG names the settings file when --config is absent."""
    config = write_config(tmp_path, CORPUS / "seed")
    out = run("list", "--json", cwd=tmp_path, env={"HEARTBEAT_CONFIG": str(config)})
    assert out.returncode == 0, out.stderr
    assert [row["slug"] for row in json.loads(out.stdout)["items"]] == ["april-22-heartbeat"]


@pytest.fixture
def clashing_blog(tmp_path: Path) -> Path:
    """A blog with a good post, a broken post and two posts that share a slug; its config."""
    posts = tmp_path / "posts"
    posts.mkdir()
    shutil.copy(DVC_POSTS / "2022-04-15-april-22-heartbeat.md", posts)
    (posts / "2024-01-01-bad.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    for name in ("2024-02-01-first.md", "2024-02-02-second.md"):
        text = f"---\ntitle: {name}\ndate: 2024-02-01\nslug: same\n---\nBody.\n"
        (posts / name).write_text(text, encoding="utf-8")
    return write_config(tmp_path, posts)


def test_check_names_each_broken_post_on_its_own_line_and_exits_2(clashing_blog: Path) -> None:
    """`check` exits 2 when a post is broken and names every broken file on a line of its
    own, posts that share a slug included (each naming the other)."""
    out = run("--config", str(clashing_blog), "check")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "FAIL  posts: 1 readable, 3 with errors" in out.stdout
    named = {line.split(": ", 1)[0].strip(): line for line in out.stdout.splitlines()}
    posts = clashing_blog.parent / "posts"
    assert "not valid YAML" in named[str(posts / "2024-01-01-bad.md")]
    assert "also the slug of 2024-02-02-second.md" in named[str(posts / "2024-02-01-first.md")]
    assert "also the slug of 2024-02-01-first.md" in named[str(posts / "2024-02-02-second.md")]


def test_list_shows_posts_sharing_a_slug_as_errors(clashing_blog: Path) -> None:
    """`list --json` gives both posts that share a slug as errors whose problem names the
    other file, and the table shows it; `list` itself still exits 0."""
    out = run("--config", str(clashing_blog), "list", "--json")
    assert out.returncode == 0, out.stderr
    rows = {Path(row["path"]).name: row for row in json.loads(out.stdout)["items"]}
    for mine, other in (("first", "second"), ("second", "first")):
        row = rows[f"2024-02-0{1 if mine == 'first' else 2}-{mine}.md"]
        assert row["state"] == "error" and row["slug"] == "same"
        (problem,) = row["problems"]
        assert f"is also the slug of 2024-02-0{2 if mine == 'first' else 1}-{other}.md" in problem
    table = run("--config", str(clashing_blog), "list", env={"COLUMNS": "400"})
    assert table.returncode == 0 and "same" in table.stdout
    assert "is also the slug of 2024-02-01-first.md" in table.stdout


def test_a_post_sharing_its_slug_is_refused_by_name_and_by_path(clashing_blog: Path) -> None:
    """Naming a held post, by slug or by file, is one line saying it shares its slug, exit 2."""
    posts = clashing_blog.parent / "posts"
    for ref in ("same", str(posts / "2024-02-02-second.md")):
        out = run("--config", str(clashing_blog), "preview", ref)
        assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
        assert "is also the slug of" in out.stderr


def test_a_date_past_year_9999_in_utc_is_a_clean_error(tmp_path: Path) -> None:
    """A date-time that would be in year 10000 in UTC is one line naming the file and the
    date, not a traceback from rendering."""
    posts = tmp_path / "posts"
    posts.mkdir()
    far = posts / "2024-01-01-far.md"
    far.write_text("---\ntitle: Far\ndate: 9999-12-31T23:30:00\n---\nBody.\n", encoding="utf-8")
    config = write_config(tmp_path, posts)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[blog]\n", '[blog]\ntimezone = "America/Los_Angeles"\n'))
    out = run("--config", str(config), "preview", str(far))
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1
    assert "2024-01-01-far.md: date is out of range" in out.stderr


def test_check_refuses_two_comments_urls_and_names_an_unknown_author(tmp_path: Path) -> None:
    """A post with commentsUrl twice (a person's and the bot's, merged) fails `check` with
    exit 2 naming the file and the key; an unknown author id is named as a warning."""
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "2024-02-01-twice.md").write_text(
        "---\ntitle: Twice\ndate: 2024-02-01\nauthor: dave_berenbaum\n"
        "commentsUrl: https://discuss.example/t/a/1\ntags: [x]\n"
        "commentsUrl: https://discuss.example/t/b/2\n---\nBody.\n",
        encoding="utf-8",
    )
    (posts / "2024-02-02-guest.md").write_text(
        "---\ntitle: A guest\ndate: 2024-02-02\nauthor: nobody_known\n---\nBody.\n",
        encoding="utf-8",
    )
    out = run("--config", str(write_config(tmp_path, posts)), "check")
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert any(
        "2024-02-01-twice.md" in line and "commentsUrl is given twice" in line for line in lines
    )
    assert any(
        line.startswith("WARN") and "2024-02-02-guest.md" in line and "nobody_known" in line
        for line in lines
    )


def test_list_notes_posts_sharing_a_discussion_thread(tmp_path: Path) -> None:
    """Posts that give one comments URL each note the others: two name each other; of
    many, three are named and the rest counted, so the note stays short."""
    posts = tmp_path / "posts"
    posts.mkdir()
    source = (DVC_POSTS / "2022-05-24-MLEM-release.md").read_text(encoding="utf-8")
    shared = "https://discuss.dvc.org/t/one-thread/1"
    for number in range(6):
        text = source.replace("https://discuss.dvc.org/t/introducing-mlem/1198", shared)
        (posts / f"2022-05-{10 + number}-many-{number}.md").write_text(text, encoding="utf-8")
    pair = "https://discuss.dvc.org/t/a-pair/2"
    for name in ("2022-06-01-one.md", "2022-06-02-two.md"):
        text = source.replace("https://discuss.dvc.org/t/introducing-mlem/1198", pair)
        (posts / name).write_text(text, encoding="utf-8")
    shutil.copy(DVC_POSTS / "2023-12-11-dvc-git-lfs.md", posts / "2023-12-11-dvc-git-lfs.md")
    config = write_config(tmp_path, posts)
    out = run("--config", str(config), "list", "--json")
    assert out.returncode == 0, out.stderr
    notes = {row["slug"]: row["notes"] for row in json.loads(out.stdout)["items"]}
    assert notes["one"] == ["shares its discussion thread with two"]
    assert notes["dvc-git-lfs"] == []
    many = notes["many-4"]
    assert len(many) == 1 and many[0].endswith(" and 2 more"), many
    named = many[0].removeprefix("shares its discussion thread with ").split(" and ")[0]
    assert len(named.split(", ")) == 3 and "many-4" not in named
