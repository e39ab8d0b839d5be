"""The official twitter-text (npm `twitter-text` 3.1.0) and Bluesky's `@atproto/api` 0.21.0
(its `RichText`), run by Node.js for the tests, and axe-core 4.10.3, injected into the
console's pages in a real browser.

`package.json` and `package-lock.json` beside this file pin them and what they bundle
(twemoji-parser 11.0.2, punycode 1.4.1; tlds 1.261.0 for RichText). `installed()` runs
`npm ci` once into `.cache/twitter-text-oracle/<hash of the lock file>/` at the project
root (or under `$HEARTBEAT_ORACLE_CACHE`), so a fresh clone or CI installs it on its
first test run and later runs reuse it. `Oracle` keeps one `node oracle.js` process and
sends it strings in batches, as JSON lines, rather than starting a process per string.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FILES = ("package.json", "package-lock.json", "oracle.js")
BATCH = 500
PACKAGES = ("twitter-text", "@atproto/api", "axe-core")


class OracleUnavailable(RuntimeError):
    """Node.js or npm is missing, or the npm install failed."""


def cache_dir() -> Path:
    base = Path(os.environ.get("HEARTBEAT_ORACLE_CACHE", ROOT / ".cache" / "twitter-text-oracle"))
    digest = hashlib.sha256()
    for name in FILES:
        digest.update((HERE / name).read_bytes())
    return base / digest.hexdigest()[:16]


def installed() -> Path:
    """The folder holding oracle.js and its node_modules, installed with `npm ci` if missing."""
    target = cache_dir()
    if all((target / "node_modules" / name / "package.json").is_file() for name in PACKAGES):
        return target
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        raise OracleUnavailable(
            "the tests compare tweet lengths with the official twitter-text: "
            "install Node.js and npm (node 18 or newer)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="install-", dir=target.parent))
    try:
        for name in FILES:
            shutil.copy2(HERE / name, staging / name)
        done = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise OracleUnavailable(f"npm ci failed in {staging}:\n{done.stderr[-2000:]}")
        try:
            staging.rename(target)  # atomic: a concurrent run either wins or finds it done
        except OSError:
            if not (target / "node_modules").is_dir():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def axe_script() -> str:
    """axe-core's browser build (``axe.min.js``), to inject into a page."""
    return (installed() / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")


class Oracle:
    """One long-lived `node oracle.js` answering batches of strings."""

    def __init__(self, folder: Path) -> None:
        node = shutil.which("node")
        if not node:
            raise OracleUnavailable("node is not on PATH")
        self._process = subprocess.Popen(
            [node, str(folder / "oracle.js")],
            cwd=folder,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def _ask(self, request: dict[str, Any]) -> Any:
        assert self._process.stdin and self._process.stdout
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise OracleUnavailable(f"oracle.js exited with {self._process.wait()}")
        reply = json.loads(line)
        if "error" in reply:
            raise OracleUnavailable(reply["error"])
        return reply["ok"]

    def _batched(self, op: str, texts: list[str]) -> list[Any]:
        answers: list[Any] = []
        for start in range(0, len(texts), BATCH):
            answers.extend(self._ask({"op": op, "texts": texts[start : start + BATCH]}))
        return answers

    def parse(self, texts: list[str]) -> list[dict[str, Any]]:
        """twitter-text's parseTweet of each text, plus the text as JavaScript NFC-normalises it."""
        return self._batched("parse", texts)

    def mentions(self, texts: list[str]) -> list[list[str]]:
        """The screen names twitter-text's extractMentions finds in each text, outside URLs."""
        return self._batched("mentions", texts)

    def hashtags(self, texts: list[str]) -> list[list[str]]:
        """The hashtags (without "#") twitter-text's extractHashtags finds in each text."""
        return self._batched("hashtags", texts)

    def richtext(self, texts: list[str]) -> list[dict[str, Any]]:
        """What Bluesky's RichText says of each text: graphemeLength, length (UTF-8 bytes)
        and the facets detectFacetsWithoutResolution finds (mentions with the handle as did)."""
        return self._batched("richtext", texts)

    def tlds(self) -> list[str]:
        """The top-level domains RichText checks a bare domain against."""
        answer: list[str] = self._ask({"op": "tlds"})
        return answer

    def emoji_regex(self) -> str:
        """The source of the emoji regex twitter-text's parseTweet counts with."""
        answer: dict[str, str] = self._ask({"op": "emoji_regex"})
        return answer["source"]

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout:
            self._process.stdout.close()
