"""I/O: post files from one folder, author names from another.

The only place that touches the files; parsing itself is :func:`heartbeat_bot.posts.parse_post`.
"""

from __future__ import annotations

from pathlib import Path

from heartbeat_bot.config import BlogConfig
from heartbeat_bot.errors import ConfigError, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts import parse_post, read_frontmatter

POST_SUFFIXES = (".md", ".mdx", ".markdown")


class FolderSource:
    """Post files directly inside ``posts_dir``; author files ``authors_dir/<id>.md``.

    The author map is read once, on first use, and kept for the life of the instance.
    """

    def __init__(self, posts_dir: Path, authors_dir: Path | None = None) -> None:
        self.posts_dir = posts_dir
        self.authors_dir = authors_dir
        self._authors: dict[str, str] | None = None
        # Author files that could not be used, kept so `list` can show them.
        self.author_errors: list[PostError] = []

    def files(self) -> list[Path]:
        """The post files (``*.md``, ``*.mdx``, ``*.markdown``, not hidden), sorted by name."""
        if not self.posts_dir.is_dir():
            state = "is not a folder" if self.posts_dir.exists() else "does not exist"
            raise ConfigError(
                f"blog.posts_dir {self.posts_dir} {state} (set it to the folder of post files)",
                key="blog.posts_dir",
            )
        return sorted(
            (
                path
                for path in self.posts_dir.iterdir()
                if path.suffix.lower() in POST_SUFFIXES
                and not path.name.startswith(".")
                and path.is_file()
            ),
            key=lambda path: path.name,
        )

    def authors(self) -> dict[str, str]:
        """Author id → display name (the ``name`` in each author file's frontmatter).

        A broken or nameless author file is skipped and recorded in ``author_errors``.
        """
        if self._authors is not None:
            return self._authors
        if self.authors_dir is None:
            self._authors = {}
            return self._authors
        if not self.authors_dir.is_dir():
            state = "is not a folder" if self.authors_dir.exists() else "does not exist"
            raise ConfigError(
                f"blog.authors_dir {self.authors_dir} {state} (fix it or remove the setting)",
                key="blog.authors_dir",
            )
        names: dict[str, str] = {}
        for path in sorted(self.authors_dir.glob("*.md")):
            try:
                meta, _body = read_frontmatter(path, path.read_bytes())
            except OSError as exc:
                self.author_errors.append(
                    PostError(path, f"cannot be read ({exc.strerror or exc})")
                )
                continue
            except PostError as exc:
                self.author_errors.append(exc)
                continue
            name = meta.get("name")
            if isinstance(name, str) and name.strip():
                names[path.stem] = " ".join(name.split())
            else:
                message = "author file has no `name:`; its id is shown instead"
                self.author_errors.append(PostError(path, message, field="name"))
        self._authors = names
        return names

    def read(self, path: Path) -> bytes:
        """The raw bytes of one post file."""
        return path.read_bytes()

    def load(self, path: Path, blog: BlogConfig) -> Post:
        """One post, read and parsed; any failure is a PostError naming the file."""
        try:
            raw = self.read(path)
        except OSError as exc:
            raise PostError(path, f"cannot be read ({exc.strerror or exc})") from exc
        return parse_post(path, raw, blog, self.authors())

    def scan(self, blog: BlogConfig) -> list[Post | PostError]:
        """Every post file, parsed; a bad file gives its PostError in place of a Post."""
        results: list[Post | PostError] = []
        for path in self.files():
            try:
                results.append(self.load(path, blog))
            except PostError as exc:
                results.append(exc)
        return results
