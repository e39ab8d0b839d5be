"""No secret reaches a log line (at DEBUG, library loggers included), `status`, or the
ledger, with a Discourse behind HTTP Basic auth (a password in ``discourse.url``)."""

from __future__ import annotations

import base64
import io
import json
import logging
from pathlib import Path

from pydantic import BaseModel, SecretStr

from heartbeat_bot.app.redaction import RedactSecrets, register
from heartbeat_bot.cli.logs import _JsonLines
from heartbeat_bot.sandbox import Sandbox
from tests.announce_env import NEW_POST, make_blog
from tests.channels.helpers import secrets_of
from tests.test_cli_delivery import cli

PASSWORD = "basic-auth-password-0123"


def test_secrets_never_reach_logs_status_or_the_ledger(tmp_path: Path) -> None:
    """A DEBUG announce to Discourse (password in its URL), Discord and X, then `status
    --json`: no credential shows in any output or in the ledger's bytes, and the links
    recorded for the post carry no user-info."""
    with Sandbox() as sandbox:
        url = sandbox.discourse_url.replace("http://", f"http://forum:{PASSWORD}@")
        blog = make_blog(
            tmp_path, sandbox, posts=(NEW_POST,), overrides={"discourse": {"url": url}}
        )
        config = str(blog.config)
        announce = cli("--log-level", "DEBUG", "--config", config, "announce", "dvc-git-lfs")
        assert announce.returncode == 0, announce.stdout + announce.stderr
        assert " DEBUG " in announce.stderr  # the libraries did log at DEBUG
        status = cli("--log-level", "DEBUG", "--config", config, "status", "--json")
        assert status.returncode == 0, status.stderr
        check = cli("--log-level", "DEBUG", "--config", config, "check", "--online")
        secrets = [*secrets_of(sandbox), PASSWORD]
        basic = base64.b64encode(f"forum:{PASSWORD}".encode()).decode()
        secrets.append(basic)
        assert sandbox.discourse.topics, "the Discourse sandbox saw no topic"

    outputs = {
        "announce": announce.stdout + announce.stderr,
        "status": status.stdout + status.stderr,
        "check": check.stdout + check.stderr,
    }
    state = tmp_path / "state"
    for path in state.iterdir():
        outputs[path.name] = path.read_bytes().decode("utf-8", "replace")
    for name, text in outputs.items():
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"{name} holds {len(leaked)} secret(s) of {len(secrets)}"
        assert f"forum:{PASSWORD[:4]}" not in text, f"{name} shows the user-info of a URL"
    rows = json.loads(status.stdout)["items"]
    discourse = next(row for row in rows if row["channel"] == "discourse")
    assert discourse["remote_url"].startswith(sandbox.discourse_url + "/t/")


class _Settings(BaseModel):
    token: SecretStr
    hook: SecretStr
    url: str


def test_redaction_masks_messages_tracebacks_and_json_lines() -> None:
    """Registered secrets, a webhook URL's token and any URL's user-info are masked in a
    record's message and in its traceback, in both log formats."""
    token, hook_token = "tok-0123456789abcdef", "hook-token-0123456789abcdefgh"
    register(
        _Settings(
            token=SecretStr(token),
            hook=SecretStr(f"https://discord.com/api/webhooks/1/{hook_token}"),
            url="https://user:pw-0123456@forum.example",
        )
    )
    for formatter in (logging.Formatter("%(message)s"), _JsonLines()):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        handler.addFilter(RedactSecrets())
        logger = logging.getLogger("tests.redaction")
        logger.addHandler(handler)
        try:
            logger.warning("token %s at %s", token, "https://a:b@host/x")
            try:
                raise ValueError(f"posting to /webhooks/1/{hook_token} with pw-0123456")
            except ValueError:
                logger.exception("failed")
        finally:
            logger.removeHandler(handler)
        text = stream.getvalue()
        assert "failed" in text and "ValueError" in text and "https://***@host/x" in text
        for secret in (token, hook_token, "pw-0123456", "a:b@"):
            assert secret not in text, (secret, text)
