"""I/O: the post files a parse cache lacks, parsed by worker processes, one per core (up to four).

A blog new to the cache (its first start, new settings, an upgrade) has every file read
and parsed: at 50,000 posts, tens of seconds on one core, and a process that parsed every
post whole keeps much of that memory afterwards, although it holds only each post's head
once done. When many files are missing, :func:`prime` has them parsed by worker processes
(``python -m heartbeat_bot.sources.priming TASK``), which write the cache's rows and exit; the
scan then takes them from the cache as a warm start does. Anything the workers did not
write (a worker that failed, a file changed meanwhile) is parsed by the scan itself, as
without them: the result is the same, only the time differs.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.sources.listing import Listed
from heartbeat_bot.sources.scan_result import Entry

if TYPE_CHECKING:
    from heartbeat_bot.sources.folder import FolderSource

log = logging.getLogger("heartbeat_bot.sources")

# Fewer missing files are parsed in the scan's own process: a worker takes about a third
# of a second to start, the time to parse a thousand posts.
PRIME_MIN = 2000
# Each worker is a whole interpreter with the parser loaded (about 70 MB): a large machine
# (or a container whose CPU quota is below its visible cores) gets a few, not one per core.
MAX_WORKERS = 4
SAVE_EVERY = 1000  # rows written per transaction (a worker stopped midway keeps its work)


def cores() -> int:
    """The processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def primed(
    source: FolderSource,
    known: Mapping[str, Entry],
    blog: BlogConfig,
    key: str,
    listing: Sequence[Listed],
    started: int,
) -> dict[str, Entry] | None:
    """When the files of ``listing`` that ``known`` (``source``'s records) lacks, or holds
    with another or an untrusted stamp, are many, have them parsed into ``source``'s cache
    by worker processes (:func:`prime`) and give every file's record as the cache now holds
    it; else None."""
    assert source.cache is not None
    missing = [
        item
        for item in listing
        if (old := known.get(item[0])) is None or not old.settled or old.stamp != item[1]
    ]
    worked = prime(
        cache_path=source.cache.path,
        key=key,
        posts_dir=source.posts_dir,
        authors_dir=source.authors_dir,
        authors_file=source.authors_file,
        tags_file=source.tags_file,
        channels=source.channels,
        blog=blog,
        missing=missing,
        started=started,
    )
    if not worked:
        return None
    reparse = functools.partial(source.load, blog=blog)
    rows = source.cache.rows(key, source.posts_dir, reparse)
    return {row[0]: Entry(*row[1:]) for row in rows}


def prime(
    *,
    cache_path: Path,
    key: str,
    posts_dir: Path,
    authors_dir: Path | None,
    authors_file: Path | None,
    tags_file: Path | None,
    channels: Mapping[str, str] | None,
    blog: BlogConfig,
    missing: Sequence[Listed],
    started: int,
) -> bool:
    """Parse the ``missing`` files (listing entries) into the cache at ``cache_path`` under
    the settings ``key``, in worker processes; whether any was started (False: too few
    files, or one core: the caller parses them itself)."""
    count = min(cores(), MAX_WORKERS, len(missing) // (PRIME_MIN // 2))
    if len(missing) < PRIME_MIN or count < 2:
        return False
    job = {
        "cache": str(cache_path),
        "key": key,
        "posts_dir": str(posts_dir),
        "authors_dir": None if authors_dir is None else str(authors_dir),
        "authors_file": None if authors_file is None else str(authors_file),
        "tags_file": None if tags_file is None else str(tags_file),
        "channels": None if channels is None else dict(channels),
        "blog": blog.model_dump(mode="json"),
        "started": started,
    }
    with tempfile.TemporaryDirectory(prefix="heartbeat-parse-") as folder:
        workers = []
        for index in range(count):
            task = Path(folder, f"task-{index}.json")
            files = [list(item) for item in missing[index::count]]  # alike in size, interleaved
            task.write_text(json.dumps({**job, "files": files}), encoding="utf-8")
            with Path(folder, f"errors-{index}.txt").open("wb") as errors:
                worker = subprocess.Popen(
                    [sys.executable, "-m", "heartbeat_bot.sources.priming", str(task)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                )
            workers.append(worker)
        failed = 0
        for index, worker in enumerate(workers):
            if worker.wait() == 0:
                continue
            failed += 1
            told = Path(folder, f"errors-{index}.txt").read_text(errors="replace").strip()
            log.warning(
                "a worker parsing post files for the parse cache failed (exit %s: %s); "
                "the scan parses its files itself",
                worker.returncode,
                (told.splitlines() or ["no message"])[-1],
            )
    if failed < count:
        log.info("%d post files parsed for the parse cache by %d processes", len(missing), count)
    return True


def _work(task: dict[str, object]) -> int:
    """A worker: parse the task's files and write their rows; 3 when the settings it finds
    are not those the task was made with (an author file changed meanwhile)."""
    from heartbeat_bot.posts.place import Place
    from heartbeat_bot.sources.entry_read import read_entry
    from heartbeat_bot.sources.folder import FolderSource
    from heartbeat_bot.sources.parse_cache import Cached, ParseCache, settings_key

    def path(value: object) -> Path | None:
        return None if value is None else Path(str(value))

    posts_dir = Path(str(task["posts_dir"]))
    channels = task["channels"]
    blog = BlogConfig.model_validate(task["blog"])
    cache = ParseCache(Path(str(task["cache"])))
    source = FolderSource(
        posts_dir,
        path(task["authors_dir"]),
        channels if isinstance(channels, dict) else None,
        authors_file=path(task["authors_file"]),
        tags_file=path(task["tags_file"]),
    )
    # The task names the data files the scan resolved from the engine's rules: no listing.
    authors, labels = source.authors(), source.tags()
    key = str(task["key"])
    if settings_key(posts_dir, blog, source.channels, authors, labels) != key:
        print("the blog's settings or author files changed meanwhile", file=sys.stderr)
        return 3
    started = int(str(task["started"]))
    rows: list[Cached] = []
    files = task["files"]
    assert isinstance(files, list)
    for name, stamp, link, bundle in files:
        here = posts_dir / name
        place = Place(name, posts_dir.name, tuple(bundle))
        stamped = int(stamp)
        entry = read_entry(
            source, here, place, stamped, bool(link), None, blog, authors, labels, started
        )
        if entry is None:  # gone since the listing
            continue
        rows.append(
            Cached(name, here, entry.bundle, entry.stamp, entry.digest, entry.result, entry.settled)
        )
        if len(rows) >= SAVE_EVERY:
            cache.save(key, rows, ())
            rows = []
    if rows:
        cache.save(key, rows, ())
    return 0


if __name__ == "__main__":
    raise SystemExit(_work(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
