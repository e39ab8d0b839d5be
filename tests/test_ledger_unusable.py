"""A ledger that cannot be used: corrupted on disk, or deleted or replaced while open."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from heartbeat_bot.ledger import Ledger, LedgerUnusable
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import Blog, make_blog
from tests.test_ledger import make_post

PAGE = 4096


def corrupt(path: Path) -> None:
    """Overwrite a few pages after the header page with junk, as a failing disk would."""
    with path.open("r+b") as file:
        file.seek(2 * PAGE)
        file.write(bytes(range(256)) * (3 * PAGE // 256))


@pytest.fixture
def corrupted(tmp_path: Path) -> Iterator[Blog]:
    """A blog whose ledger (300 posts recorded) has junk where some of its pages were."""
    with Sandbox() as sandbox:
        blog = make_blog(tmp_path, sandbox)
        path = blog.root / "state" / "heartbeat.sqlite3"
        with Ledger(path) as ledger, ledger.transaction():
            for n in range(300):
                ledger.mark_baseline(make_post(f"post-{n}"))
        corrupt(path)
        yield blog


def cli(blog: Blog, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "heartbeat_bot", "--config", str(blog.config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_finds_a_corrupted_ledger_and_says_how_to_recover(corrupted: Blog) -> None:
    """`check` finds the damage (PRAGMA quick_check), says in one line how to recover, exit 2."""
    result = cli(corrupted, "check")
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = [line for line in result.stdout.splitlines() if "ledger" in line]
    assert line.startswith("FAIL") and "corrupted" in line
    assert "backup" in line and '".recover"' in line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command", [("status",), ("run",), ("list",), ("announce", "dvc-git-lfs")], ids=str
)
def test_commands_refuse_a_corrupted_ledger_in_one_line(
    corrupted: Blog, command: tuple[str, ...]
) -> None:
    """status, run, list and announce stop at start-up: one line on stderr, exit 2."""
    result = cli(corrupted, *command)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "state.path" in lines[0] and "corrupted" in lines[0] and ".recover" in lines[0]


def test_a_claim_into_a_deleted_ledger_is_refused_and_its_state_saved(tmp_path: Path) -> None:
    """Once its file is deleted, the ledger refuses to claim a pair (so nothing is sent),
    and what it held is saved beside the path."""
    path = tmp_path / "state" / "l.sqlite3"
    ledger = Ledger(path)
    post_id = ledger.upsert_post(make_post("kept"))
    pair = ledger.ensure(post_id, "discord")
    path.unlink()
    with pytest.raises(LedgerUnusable, match="deleted or replaced") as caught:
        ledger.claim(pair.id, payload="{}")
    assert caught.value.kind == "gone"
    with pytest.raises(LedgerUnusable):
        ledger.get(pair.id)
    (saved,) = path.parent.glob("l.sqlite3.saved-*")
    assert str(saved) in str(caught.value)
    with Ledger(saved) as copy:
        assert copy.get(pair.id).state == "pending"
    ledger.close()


def test_a_commit_into_a_file_replaced_meanwhile_is_refused(tmp_path: Path) -> None:
    """A ledger file swapped for another between two statements is noticed at the next
    one: the write is refused rather than lost in the file that was swapped out."""
    path = tmp_path / "l.sqlite3"
    other = tmp_path / "other.sqlite3"
    Ledger(other).close()
    ledger = Ledger(path)
    post_id = ledger.upsert_post(make_post("swapped"))
    other.replace(path)
    with pytest.raises(LedgerUnusable, match="deleted or replaced"):
        ledger.ensure(post_id, "twitter")
    ledger.close()


def test_a_ledger_deleted_inside_a_transaction_is_found_before_its_commit(
    tmp_path: Path,
) -> None:
    """Statements inside a transaction are not checked one by one, but its commit is: a
    file deleted halfway is found before committing, nothing of the transaction is in
    the state saved, and the ledger refuses everything after."""
    path = tmp_path / "state" / "l.sqlite3"
    ledger = Ledger(path)
    kept = ledger.upsert_post(make_post("kept"))
    with (
        pytest.raises(LedgerUnusable, match="deleted or replaced") as caught,
        ledger.transaction(),
    ):
        ledger.upsert_post(make_post("first-half"))
        path.unlink()
        ledger.upsert_post(make_post("second-half"))
    assert caught.value.kind == "gone"
    with pytest.raises(LedgerUnusable):
        ledger.post(kept)
    (saved,) = path.parent.glob("l.sqlite3.saved-*")
    with Ledger(saved) as copy:
        assert [row.slug for row in copy.posts()] == ["kept"]
    ledger.close()


def test_a_lost_ledger_is_taken_back_only_as_itself(tmp_path: Path) -> None:
    """After its file is deleted, a fresh ledger at the path is refused; the saved copy
    put back is taken back, and claims go on in it."""
    path = tmp_path / "state" / "l.sqlite3"
    ledger = Ledger(path)
    pair = ledger.ensure(ledger.upsert_post(make_post("back")), "discord")
    path.unlink()
    with pytest.raises(LedgerUnusable):
        ledger.probe()
    Ledger(path).close()  # say, `heartbeat-bot announce` run meanwhile made a new one
    with pytest.raises(LedgerUnusable, match="another ledger"):
        ledger.probe()
    with pytest.raises(LedgerUnusable):
        ledger.claim(pair.id, payload="{}")
    (saved,) = path.parent.glob("l.sqlite3.saved-*")
    saved.replace(path)
    ledger.probe()
    assert ledger.claim(pair.id, payload="{}") is not None
    ledger.close()
    with Ledger(path) as reopened:
        assert reopened.get(pair.id).state == "sending"


def checks_run(ledger: Ledger, action: Callable[[], object]) -> int:
    """How many ``PRAGMA quick_check`` statements ``action`` ran on ``ledger``'s file."""
    statements: list[str] = []
    ledger._db._db.set_trace_callback(statements.append)
    try:
        action()
    finally:
        ledger._db._db.set_trace_callback(None)
    return sum("quick_check" in statement.lower() for statement in statements)


def test_the_probe_right_after_opening_checks_the_file_again_only_if_it_changed(
    tmp_path: Path,
) -> None:
    """Opening checks the file; the probe that follows (`run` at start) does not check it
    a second time, unless another connection committed meanwhile; later probes check."""
    path = tmp_path / "l.sqlite3"
    with Ledger(path) as ledger:
        assert checks_run(ledger, ledger.probe) == 0
        assert checks_run(ledger, ledger.probe) == 1
    with Ledger(path) as ledger:
        with Ledger(path) as other:
            other.upsert_post(make_post("meanwhile"))
        assert checks_run(ledger, ledger.probe) == 1
