"""Reading one post file's bytes: whole, whatever its size, from a real file."""

from __future__ import annotations

from pathlib import Path

import pytest

from heartbeat_bot.sources.folder import FolderSource


@pytest.mark.parametrize("size", [0, 1, 4095, 65536, 65537, 300_000])
def test_a_post_file_is_read_whole(tmp_path: Path, size: int) -> None:
    """A file of any size, an empty one and ones around the read size included, is read
    byte for byte."""
    path = tmp_path / "post.md"
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path.write_bytes(data)
    assert FolderSource(tmp_path).read(path) == data


def test_a_missing_post_file_is_an_os_error(tmp_path: Path) -> None:
    """A file gone before it is read raises FileNotFoundError (a rescan counts it removed)."""
    with pytest.raises(FileNotFoundError):
        FolderSource(tmp_path).read(tmp_path / "gone.md")
