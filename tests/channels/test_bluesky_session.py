"""The stored Bluesky session: owner-only, per account and PDS, tokens kept out of sight."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

from heartbeat_bot.channels.bluesky.session import Session, SessionFile, expires_at

SESSION = Session("did:plc:abc", "blog.bsky.social", "access-secret", "refresh-secret")


def _file(path: Path, identifier: str = "blog.bsky.social") -> SessionFile:
    return SessionFile(path, service="https://bsky.social", identifier=identifier)


def test_a_saved_session_is_read_back_by_the_same_account_only(tmp_path: Path) -> None:
    """The session is read back for its account and PDS, and for no other."""
    path = tmp_path / "state" / "bluesky-session.json"
    _file(path).save(SESSION)
    assert _file(path).load() == SESSION
    assert _file(path, "Blog.Bsky.Social").load() == SESSION
    assert _file(path, "other.bsky.social").load() is None
    other_pds = SessionFile(path, service="https://pds.example", identifier="blog.bsky.social")
    assert other_pds.load() is None


def test_the_file_is_owner_only_and_a_loose_one_is_tightened(tmp_path: Path) -> None:
    """The file is written 0600, and one found readable by others is made 0600 when read."""
    path = tmp_path / "bluesky-session.json"
    _file(path).save(SESSION)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    assert _file(path).load() == SESSION
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["bluesky-session.json"]


def test_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    """A file that is not a session (cut short, a list, missing tokens) counts as none."""
    path = tmp_path / "bluesky-session.json"
    for text in ['{"did": ', "[]", json.dumps({"did": "x"})]:
        path.write_text(text)
        assert _file(path).load() is None
    _file(path).clear()
    _file(path).clear()
    assert not path.exists()


def test_tokens_stay_out_of_repr() -> None:
    """A session shown in a log or a traceback does not show its tokens."""
    assert "secret" not in repr(SESSION) and "blog.bsky.social" in repr(SESSION)


def test_expiry_is_read_from_the_jwt() -> None:
    """The exp claim of a JWT is read without its signature; a malformed token has none."""
    claims = base64.urlsafe_b64encode(json.dumps({"exp": 1700000000}).encode()).rstrip(b"=")
    assert expires_at(f"e30.{claims.decode()}.sig") == 1700000000
    assert expires_at("not-a-jwt") is None
